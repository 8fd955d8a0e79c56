#include "opencl/program.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/status.h"
#include "opencl/binary_cache.h"
#include "output/read_file.h"

extern const char tr_kernel_mandelbrot_cl[];
extern const size_t tr_kernel_mandelbrot_cl_len;

/* A kernel source larger than this is not one (ours is about 30 KB). */
#define KERNEL_SOURCE_MAX_BYTES (16u << 20)

enum tr_status tr_cl_load_source(const char *kernel_dir, char **src, char *err, size_t errlen)
{
    char path[4096], why[1024];
    char *buf = NULL;
    size_t len;

    *src = NULL;
    if (!kernel_dir) {
        buf = malloc(tr_kernel_mandelbrot_cl_len + 1);
        if (!buf) {
            snprintf(err, errlen, "out of memory");
            return TR_ERR_INTERNAL;
        }
        memcpy(buf, tr_kernel_mandelbrot_cl, tr_kernel_mandelbrot_cl_len + 1);
        *src = buf;
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s", kernel_dir, TR_KERNEL_FILE);
    int rc = tr_read_file(path, KERNEL_SOURCE_MAX_BYTES, &buf, &len, why, sizeof(why));
    if (rc == TR_ERR_INTERNAL) {
        snprintf(err, errlen, "--kernel-dir: %s", why);
        return rc;
    }
    if (rc) {
        snprintf(err, errlen, "--kernel-dir: %s (accepted: a folder holding %s)", why,
                 TR_KERNEL_FILE);
        return TR_ERR_USAGE;
    }
    *src = buf;
    return 0;
}

static int is_blank(const char *text)
{
    for (; *text; text++)
        if (!isspace((unsigned char)*text))
            return 0;
    return 1;
}

void tr_cl_build_failure(const char *device, cl_int status, const char *log, cl_int log_status,
                         char *err, size_t errlen)
{
    char note[96];
    if (!log)
        snprintf(note, sizeof(note), "no build log: clGetProgramBuildInfo: %s",
                 tr_cl_error_name(log_status));
    else if (is_blank(log))
        snprintf(note, sizeof(note), "the build log was empty");
    else {
        fprintf(stderr, "--- OpenCL build log (%s) ---\n%s\n--- end of build log ---\n", device,
                log);
        snprintf(note, sizeof(note), "build log above");
    }
    snprintf(err, errlen, "clBuildProgram failed on '%s': %s (%s)", device,
             tr_cl_error_name(status), note);
}

static void build_failure(cl_program program, const struct tr_cl_device *dev, cl_int status,
                          char *err, size_t errlen)
{
    size_t size = 0;
    char *log = NULL;
    cl_int cle = clGetProgramBuildInfo(program, dev->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size);
    if (cle == CL_SUCCESS && !(log = malloc(size + 1)))
        cle = CL_OUT_OF_HOST_MEMORY;
    if (cle == CL_SUCCESS)
        cle = clGetProgramBuildInfo(program, dev->device, CL_PROGRAM_BUILD_LOG, size, log, NULL);
    if (cle == CL_SUCCESS)
        log[size] = '\0';
    tr_cl_build_failure(dev->name, status, cle == CL_SUCCESS ? log : NULL, cle, err, errlen);
    free(log);
}

enum tr_status tr_cl_build(cl_context ctx, const struct tr_cl_device *dev, const char *src,
                           const char *options, cl_program *program, int64_t *build_ns, char *err,
                           size_t errlen)
{
    cl_int cle;
    const char *sources[] = {src};
    *program = clCreateProgramWithSource(ctx, 1, sources, NULL, &cle);
    if (cle != CL_SUCCESS) {
        snprintf(err, errlen, "clCreateProgramWithSource failed on '%s': %s", dev->name,
                 tr_cl_error_name(cle));
        *program = NULL;
        return TR_ERR_DEVICE;
    }
    int64_t t0 = tr_now_ns();
    cle = clBuildProgram(*program, 1, &dev->device, options, NULL, NULL);
    *build_ns = tr_now_ns() - t0;
    if (cle != CL_SUCCESS) {
        build_failure(*program, dev, cle, err, errlen);
        clReleaseProgram(*program);
        *program = NULL;
        return TR_ERR_DEVICE;
    }
    return 0;
}

/* The program from key's saved binary, built; NULL when there is none or the driver refuses
 * it (then the file is removed, to be written again from a source build). */
static cl_program from_binary(cl_context ctx, const struct tr_cl_device *dev, const char *dir,
                              const struct tr_cl_binary_key *key, const char *options)
{
    unsigned char *bin = NULL;
    size_t len = 0;
    cl_int cle = CL_SUCCESS, status = CL_SUCCESS;
    cl_program program = NULL;
    if (tr_cl_binary_load(dir, key, &bin, &len) != 0)
        return NULL;
    const unsigned char *bins[] = {bin};
    program = clCreateProgramWithBinary(ctx, 1, &dev->device, &len, bins, &status, &cle);
    if (cle == CL_SUCCESS && status == CL_SUCCESS)
        cle = clBuildProgram(program, 1, &dev->device, options, NULL, NULL);
    free(bin);
    if (cle != CL_SUCCESS || status != CL_SUCCESS) {
        if (program)
            clReleaseProgram(program);
        tr_cl_binary_forget(dir, key);
        return NULL;
    }
    return program;
}

/* Saves program's binary for dev under key; a failure only means the next run builds too. */
static void save_binary(cl_program program, const char *dir, const struct tr_cl_binary_key *key)
{
    size_t len = 0;
    unsigned char *bin = NULL;
    /* one device per program: one size and one binary */
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof(len), &len, NULL) != CL_SUCCESS ||
        len == 0 || len > TR_CL_BINARY_MAX_BYTES || !(bin = malloc(len)))
        return;
    unsigned char *bins[] = {bin};
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL) == CL_SUCCESS)
        tr_cl_binary_save(dir, key, bin, len);
    free(bin);
}

enum tr_status tr_cl_build_cached(cl_context ctx, const struct tr_cl_device *dev, const char *src,
                                  const char *options, int use_binaries, cl_program *program,
                                  int64_t *build_ns, int *from_saved, char *err, size_t errlen)
{
    char dir[4096], platform_version[256];
    struct tr_cl_binary_key key;
    int64_t t0 = tr_now_ns();
    int saved = use_binaries && tr_cl_binary_dir(dir, sizeof(dir)) == 0;
    *from_saved = 0;
    if (saved) {
        if (clGetPlatformInfo(dev->platform, CL_PLATFORM_VERSION, sizeof(platform_version),
                              platform_version, NULL) != CL_SUCCESS)
            snprintf(platform_version, sizeof(platform_version), "?");
        platform_version[sizeof(platform_version) - 1] = '\0';
        tr_cl_binary_key_make(&key, dev, platform_version, src, options);
        if ((*program = from_binary(ctx, dev, dir, &key, options)) != NULL) {
            *from_saved = 1;
            *build_ns = tr_now_ns() - t0;
            return TR_OK;
        }
    }
    int64_t ignored;
    enum tr_status rc = tr_cl_build(ctx, dev, src, options, program, &ignored, err, errlen);
    if (rc == TR_OK && saved)
        save_binary(*program, dir, &key);
    *build_ns = tr_now_ns() - t0;
    return rc;
}
