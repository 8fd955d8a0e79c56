#include "opencl/device.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/text_escape.h"
#include "opencl/cache_dir.h"

#define POCL_PLATFORM "Portable Computing Language"

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
    d->is_pocl = strstr(d->platform_name, POCL_PLATFORM) != NULL;
}

/* Whether a selector could name a device of platform p: only those platforms get their
 * devices listed (a driver initialises its devices when they are first listed). spec NULL:
 * every platform. */
static int platform_wanted(const struct tr_device_spec *spec, cl_platform_id platform, cl_uint p)
{
    char name[256];
    if (!spec)
        return 1;
    if (spec->kind == TR_DEVICE_INDEX)
        return p == spec->platform;
    if (spec->kind != TR_DEVICE_POCL)
        return 1;
    if (clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof(name), name, NULL) != CL_SUCCESS)
        return 1; /* nameless: listed, as describe() would call it "?" */
    name[sizeof(name) - 1] = '\0';
    return strstr(name, POCL_PLATFORM) != NULL;
}

/* Whether the devices listed so far settle spec's choice: gpu and opencl take the first
 * GPU in platform order. */
static int settled(const struct tr_device_spec *spec, const struct tr_cl_device_list *list)
{
    if (!spec || (spec->kind != TR_DEVICE_GPU && spec->kind != TR_DEVICE_OPENCL))
        return 0;
    for (size_t i = 0; i < list->count; i++)
        if (list->devices[i].type & CL_DEVICE_TYPE_GPU)
            return 1;
    return 0;
}

/* Fills list with every device of the platforms spec may name; -1 when out of memory. */
static int list_locked(struct tr_cl_device_list *list, const struct tr_device_spec *spec)
{
    cl_platform_id *platforms = NULL;
    cl_uint np = 0;
    list->platform_status = clGetPlatformIDs(0, NULL, &np);
    if (list->platform_status != CL_SUCCESS || np == 0)
        return 0;
    platforms = calloc(np, sizeof(*platforms));
    if (!platforms || clGetPlatformIDs(np, platforms, NULL) != CL_SUCCESS)
        goto fail;
    for (cl_uint p = 0; p < np && !settled(spec, list); p++) {
        cl_uint nd = 0;
        cl_device_id *ids = NULL;
        if (!platform_wanted(spec, platforms[p], p))
            continue;
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
    return -1;
}

static enum tr_status list_devices(struct tr_cl_device_list *list,
                                   const struct tr_device_spec *spec, char *err, size_t errlen)
{
    /* The ICD loader loads its drivers on its first call without a lock of its own: two
     * threads listing at once (the server warms its list while a request lists) could see
     * no platform. One listing at a time. */
    static pthread_mutex_t listing = PTHREAD_MUTEX_INITIALIZER;
    memset(list, 0, sizeof(*list));
    if (!tr_cl_environment_prepared()) {
        /* pocl reads POCL_CACHE_DIR: it must be set before any thread exists (see main()) */
        snprintf(err, errlen,
                 "internal error: OpenCL devices listed before "
                 "tr_cl_prepare_environment() ran");
        return TR_ERR_INTERNAL;
    }
    list->cache_problem = tr_cl_cache_problem();
    pthread_mutex_lock(&listing);
    int rc = list_locked(list, spec);
    pthread_mutex_unlock(&listing);
    if (rc) {
        tr_cl_device_list_free(list);
        snprintf(err, errlen, "out of memory while listing OpenCL devices");
        return TR_ERR_INTERNAL;
    }
    return TR_OK;
}

enum tr_status tr_cl_list_devices(struct tr_cl_device_list *list, char *err, size_t errlen)
{
    return list_devices(list, NULL, err, errlen);
}

enum tr_status tr_cl_list_devices_for(struct tr_cl_device_list *list,
                                      const struct tr_device_spec *spec, char *err, size_t errlen)
{
    return list_devices(list, spec, err, errlen);
}

void tr_cl_device_list_free(struct tr_cl_device_list *list)
{
    free(list->devices);
    memset(list, 0, sizeof(*list));
}

const char *tr_cl_no_platform_reason(const struct tr_cl_device_list *list, char *buf, size_t len)
{
    /* where the ICD loader looked: OCL_ICD_VENDORS replaces the system's folder */
    const char *vendors = getenv("OCL_ICD_VENDORS");
    char where[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS) + 64];
    if (vendors) {
        char q[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
        tr_text_quote(q, sizeof(q), vendors, TR_ECHO_PATH_CHARS);
        snprintf(where, sizeof(where), "the ICD loader reads drivers from OCL_ICD_VENDORS %s", q);
    } else {
        snprintf(where, sizeof(where), "drivers are listed in /etc/OpenCL/vendors");
    }
    if (list->cache_problem)
        snprintf(buf, len, "%s", list->cache_problem);
    else if (list->platform_status != CL_SUCCESS)
        snprintf(buf, len, "clGetPlatformIDs: %s (%s)", tr_cl_error_name(list->platform_status),
                 where);
    else
        snprintf(buf, len, "no OpenCL driver reported one (%s)", where);
    return buf;
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
    if (list->count == 0 && used < len) {
        char reason[1024];
        snprintf(buf + used, len - used, "; no OpenCL platform found: %s",
                 tr_cl_no_platform_reason(list, reason, sizeof(reason)));
    }
}

const struct tr_cl_device *tr_cl_find(const struct tr_cl_device_list *list,
                                      const struct tr_device_spec *spec)
{
    for (size_t i = 0; i < list->count; i++) {
        const struct tr_cl_device *d = &list->devices[i];
        if (((spec->kind == TR_DEVICE_OPENCL || spec->kind == TR_DEVICE_GPU) &&
             (d->type & CL_DEVICE_TYPE_GPU)) ||
            (spec->kind == TR_DEVICE_POCL && d->is_pocl && (d->type & CL_DEVICE_TYPE_CPU)) ||
            (spec->kind == TR_DEVICE_INDEX && d->platform_index == spec->platform &&
             d->device_index == spec->device))
            return d;
    }
    if (spec->kind == TR_DEVICE_OPENCL && list->count)
        return &list->devices[0];
    return NULL;
}

const char *tr_cl_not_found(const struct tr_cl_device_list *list, const struct tr_device_spec *spec)
{
    return spec->kind == TR_DEVICE_GPU    ? "no OpenCL GPU found"
           : spec->kind == TR_DEVICE_POCL ? "no pocl CPU device found"
           : list->count == 0             ? "no OpenCL device found"
                                          : "no such device";
}

enum tr_status tr_cl_select(const struct tr_cl_device_list *list, const struct tr_device_spec *spec,
                            const char *label, const char *selector, int need_fp64,
                            const struct tr_cl_device **out, char *err, size_t errlen)
{
    const struct tr_cl_device *found = tr_cl_find(list, spec);
    char avail[1024];
    /* pocl cannot build a kernel without its cache folder (and fails to start when it cannot
     * create it): say so rather than report a failed build or a missing device */
    if (list->cache_problem && (found ? found->is_pocl : spec->kind == TR_DEVICE_POCL)) {
        snprintf(err, errlen, "%s: '%s': %s", label, selector, list->cache_problem);
        return TR_ERR_DEVICE;
    }
    available(list, avail, sizeof(avail));
    if (!found) {
        snprintf(err, errlen, "%s: '%s': %s (%s)", label, selector, tr_cl_not_found(list, spec),
                 avail);
        return TR_ERR_DEVICE;
    }
    if (need_fp64 && !found->fp64) {
        snprintf(err, errlen,
                 "%s: '%s' (opencl:%u.%u, %s) has no double precision (cl_khr_fp64); use "
                 "precision float or another device (%s)",
                 label, selector, found->platform_index, found->device_index, found->name, avail);
        return TR_ERR_DEVICE;
    }
    *out = found;
    return 0;
}
