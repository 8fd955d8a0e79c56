/* The OpenCL program: its source (built in, or --kernel-dir), build options, build log. */
#ifndef TILERACE_CL_PROGRAM_H
#define TILERACE_CL_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "opencl/common.h"
#include "opencl/device.h"

#define TR_KERNEL_FILE "mandelbrot.cl"

/*
 * Returns the kernel source: the copy embedded at build time, or DIR/mandelbrot.cl when
 * kernel_dir is set. *src is malloc'd. Returns 0, or TR_ERR_USAGE for a file that cannot be
 * read, is not a regular file (a FIFO is refused, not waited on) or is above 16 MiB.
 */
enum tr_status tr_cl_load_source(const char *kernel_dir, char **src, char *err, size_t errlen);

/*
 * Builds src for one device with options; on failure prints the whole build log to stderr
 * and returns TR_ERR_DEVICE. build_ns is the wall time of clBuildProgram.
 */
enum tr_status tr_cl_build(cl_context ctx, const struct tr_cl_device *dev, const char *src,
                           const char *options, cl_program *program, int64_t *build_ns, char *err,
                           size_t errlen);

/*
 * tr_cl_build, through the saved binaries of opencl/binary_cache.h when use_binaries is set:
 * a saved binary for this device, source and options is built instead when it is intact and
 * the driver takes it (*from_saved = 1); otherwise the source is built and its binary saved
 * for the next time. build_ns is the wall time of all of it (reading or saving the binary
 * included).
 */
enum tr_status tr_cl_build_cached(cl_context ctx, const struct tr_cl_device *dev, const char *src,
                                  const char *options, int use_binaries, cl_program *program,
                                  int64_t *build_ns, int *from_saved, char *err, size_t errlen);

/*
 * The error line for a build that returned status: prints the device's build log to stderr
 * first unless it is blank, and says which (log NULL: it could not be read, log_status says
 * why).
 */
void tr_cl_build_failure(const char *device, cl_int status, const char *log, cl_int log_status,
                         char *err, size_t errlen);

#endif
