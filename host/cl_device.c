#include "cl_device.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit_codes.h"

const char *tr_cl_type_name(cl_device_type type)
{
    if (type & CL_DEVICE_TYPE_GPU)
        return "GPU";
    if (type & CL_DEVICE_TYPE_CPU)
        return "CPU";
    if (type & CL_DEVICE_TYPE_ACCELERATOR)
        return "ACCELERATOR";
    return "OTHER";
}

static int writable_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && access(path, W_OK | X_OK) == 0;
}

/* True when dir exists and is writable, or could be created under a writable ancestor. */
static int could_write(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (;;) {
        struct stat st;
        if (stat(buf, &st) == 0)
            return writable_dir(buf);
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
            return writable_dir("/");
        *slash = '\0';
    }
}

static void prepare_environment_once(void)
{
    char dir[4096];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (getenv("POCL_CACHE_DIR"))
        return;
    if (xdg && *xdg)
        snprintf(dir, sizeof(dir), "%s/pocl", xdg);
    else if (home && *home)
        snprintf(dir, sizeof(dir), "%s/.cache/pocl", home);
    else
        dir[0] = '\0';
    if (dir[0] && could_write(dir))
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/tilerace-pocl-cache-%u", tmp && *tmp ? tmp : "/tmp",
             (unsigned)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return; /* pocl then builds without a cache */
    setenv("POCL_CACHE_DIR", dir, 0);
}

void tr_cl_prepare_environment(void)
{
    /* once per process: the server lists devices from several threads */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, prepare_environment_once);
}

static void info_string(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    if (clGetDeviceInfo(d, what, len, buf, NULL) != CL_SUCCESS)
        snprintf(buf, len, "?");
    buf[len - 1] = '\0';
}

static void describe(struct tr_cl_device *d)
{
    char ext[8192];
    cl_device_fp_config fp32 = 0;
    info_string(d->device, CL_DEVICE_NAME, d->name, sizeof(d->name));
    info_string(d->device, CL_DEVICE_VENDOR, d->vendor, sizeof(d->vendor));
    info_string(d->device, CL_DRIVER_VERSION, d->driver, sizeof(d->driver));
    info_string(d->device, CL_DEVICE_VERSION, d->version, sizeof(d->version));
    if (clGetPlatformInfo(d->platform, CL_PLATFORM_NAME, sizeof(d->platform_name), d->platform_name,
                          NULL) != CL_SUCCESS)
        snprintf(d->platform_name, sizeof(d->platform_name), "?");
    d->platform_name[sizeof(d->platform_name) - 1] = '\0';
    clGetDeviceInfo(d->device, CL_DEVICE_TYPE, sizeof(d->type), &d->type, NULL);
    clGetDeviceInfo(d->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(d->compute_units),
                    &d->compute_units, NULL);
    clGetDeviceInfo(d->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(d->max_work_group),
                    &d->max_work_group, NULL);
    clGetDeviceInfo(d->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(d->global_mem), &d->global_mem,
                    NULL);
    clGetDeviceInfo(d->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(d->max_alloc), &d->max_alloc,
                    NULL);
    clGetDeviceInfo(d->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof(fp32), &fp32, NULL);
    info_string(d->device, CL_DEVICE_EXTENSIONS, ext, sizeof(ext));
    d->fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    d->fp32_correct_div = (fp32 & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    d->is_pocl = strstr(d->platform_name, "Portable Computing Language") != NULL;
}

int tr_cl_list_devices(struct tr_cl_device_list *list, char *err, size_t errlen)
{
    cl_platform_id *platforms = NULL;
    cl_uint np = 0;
    memset(list, 0, sizeof(*list));
    tr_cl_prepare_environment();
    list->platform_status = clGetPlatformIDs(0, NULL, &np);
    if (list->platform_status != CL_SUCCESS || np == 0)
        return 0;
    platforms = calloc(np, sizeof(*platforms));
    if (!platforms || clGetPlatformIDs(np, platforms, NULL) != CL_SUCCESS)
        goto fail;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        cl_device_id *ids = NULL;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || !nd)
            continue;
        ids = calloc(nd, sizeof(*ids));
        struct tr_cl_device *grown =
            realloc(list->devices, (list->count + nd) * sizeof(*list->devices));
        if (!ids || !grown) {
            free(ids);
            goto fail;
        }
        list->devices = grown;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, nd, ids, NULL) == CL_SUCCESS) {
            for (cl_uint i = 0; i < nd; i++) {
                struct tr_cl_device *d = &list->devices[list->count++];
                memset(d, 0, sizeof(*d));
                d->platform = platforms[p];
                d->device = ids[i];
                d->platform_index = p;
                d->device_index = i;
                describe(d);
            }
        }
        free(ids);
    }
    free(platforms);
    return 0;
fail:
    free(platforms);
    tr_cl_device_list_free(list);
    snprintf(err, errlen, "out of memory while listing OpenCL devices");
    return TR_EXIT_FAILURE;
}

void tr_cl_device_list_free(struct tr_cl_device_list *list)
{
    free(list->devices);
    memset(list, 0, sizeof(*list));
}

static void available(const struct tr_cl_device_list *list, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "available: cpu");
    for (size_t i = 0; i < list->count && used < len; i++) {
        const struct tr_cl_device *d = &list->devices[i];
        used += (size_t)snprintf(buf + used, len - used, ", opencl:%u.%u (%s %s%s)",
                                 d->platform_index, d->device_index, tr_cl_type_name(d->type),
                                 d->name, d->fp64 ? "" : ", no fp64");
    }
    if (list->count == 0 && used < len)
        snprintf(buf + used, len - used, "; no OpenCL platform found (%s)",
                 tr_cl_error_name(list->platform_status));
}

int tr_cl_select(const struct tr_cl_device_list *list, const struct tr_device_spec *spec,
                 const char *label, const char *selector, int need_fp64,
                 const struct tr_cl_device **out, char *err, size_t errlen)
{
    const struct tr_cl_device *found = NULL;
    char avail[1024];
    for (size_t i = 0; i < list->count && !found; i++) {
        const struct tr_cl_device *d = &list->devices[i];
        if (((spec->kind == TR_DEVICE_OPENCL || spec->kind == TR_DEVICE_GPU) &&
             (d->type & CL_DEVICE_TYPE_GPU)) ||
            (spec->kind == TR_DEVICE_POCL && d->is_pocl && (d->type & CL_DEVICE_TYPE_CPU)) ||
            (spec->kind == TR_DEVICE_INDEX && d->platform_index == spec->platform &&
             d->device_index == spec->device))
            found = d;
    }
    if (!found && spec->kind == TR_DEVICE_OPENCL && list->count)
        found = &list->devices[0];
    available(list, avail, sizeof(avail));
    if (!found) {
        const char *what = spec->kind == TR_DEVICE_GPU    ? "no OpenCL GPU found"
                           : spec->kind == TR_DEVICE_POCL ? "no pocl CPU device found"
                           : list->count == 0             ? "no OpenCL device found"
                                                          : "no such device";
        snprintf(err, errlen, "%s: '%s': %s (%s)", label, selector, what, avail);
        return TR_EXIT_DEVICE;
    }
    if (need_fp64 && !found->fp64) {
        snprintf(err, errlen,
                 "%s: '%s' (opencl:%u.%u, %s) has no double precision (cl_khr_fp64); use "
                 "precision float or another device (%s)",
                 label, selector, found->platform_index, found->device_index, found->name, avail);
        return TR_EXIT_DEVICE;
    }
    *out = found;
    return 0;
}
