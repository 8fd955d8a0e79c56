#include "cl_program.h"

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

static void print_build_log(cl_program program, const struct tr_cl_device *dev)
{
    size_t size = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(program, dev->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) !=
            CL_SUCCESS ||
        !(log = malloc(size + 1)))
        return;
    if (clGetProgramBuildInfo(program, dev->device, CL_PROGRAM_BUILD_LOG, size, log, NULL) ==
        CL_SUCCESS) {
        log[size] = '\0';
        fprintf(stderr, "--- OpenCL build log (%s) ---\n%s\n--- end of build log ---\n", dev->name,
                log);
    }
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
        print_build_log(*program, dev);
        snprintf(err, errlen, "clBuildProgram failed on '%s': %s (build log above)", dev->name,
                 tr_cl_error_name(cle));
        clReleaseProgram(*program);
        *program = NULL;
        return TR_EXIT_DEVICE;
    }
    return 0;
}
