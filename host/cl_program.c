#include "cl_program.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "exit_codes.h"

extern const char tr_kernel_mandelbrot_cl[];
extern const size_t tr_kernel_mandelbrot_cl_len;

int tr_cl_load_source(const char *kernel_dir, char **src, char *err, size_t errlen)
{
    char path[4096];
    FILE *f = NULL;
    char *buf = NULL;
    long len;

    *src = NULL;
    if (!kernel_dir) {
        buf = malloc(tr_kernel_mandelbrot_cl_len + 1);
        if (!buf) {
            snprintf(err, errlen, "out of memory");
            return TR_EXIT_FAILURE;
        }
        memcpy(buf, tr_kernel_mandelbrot_cl, tr_kernel_mandelbrot_cl_len + 1);
        *src = buf;
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s", kernel_dir, TR_KERNEL_FILE);
    f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail;
    if (len > (1L << 24)) {
        errno = EFBIG;
        goto fail;
    }
    buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        goto fail;
    buf[len] = '\0';
    fclose(f);
    *src = buf;
    return 0;
fail:
    snprintf(err, errlen, "--kernel-dir: '%s' cannot be read: %s (accepted: a folder holding %s)",
             path, errno ? strerror(errno) : "read error", TR_KERNEL_FILE);
    free(buf);
    if (f)
        fclose(f);
    return TR_EXIT_USAGE;
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

int tr_cl_build(cl_context ctx, const struct tr_cl_device *dev, const char *src,
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
        return TR_EXIT_DEVICE;
    }
    int64_t t0 = tr_now_ns();
    cle = clBuildProgram(*program, 1, &dev->device, options, NULL, NULL);
    *build_ns = tr_now_ns() - t0;
    if (cle != CL_SUCCESS) {
        build_failure(*program, dev, cle, err, errlen);
        clReleaseProgram(*program);
        *program = NULL;
        return TR_EXIT_DEVICE;
    }
    return 0;
}
