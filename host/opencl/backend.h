/*
 * The OpenCL backend: one context and one frame buffer per run, and per lane an in-order
 * queue (profiling on) and its own kernel object, whose arguments are set once. Each tile is
 * one NDRange with the tile's origin as the global work offset; the frame is read back once.
 */
#ifndef TILERACE_CL_RUNNER_H
#define TILERACE_CL_RUNNER_H

#include <stdint.h>

#include "core/job.h"
#include "core/params.h"
#include "core/scheduler.h"
#include "core/status.h"
#include "opencl/device.h"

struct tr_cl_backend;

/*
 * Creates the context, the frame buffer and builds the program for dev; fills info's name,
 * platform, type, kernel and build time. Returns 0 or a status with a message in err.
 */
enum tr_status tr_cl_backend_open(const struct tr_params *p, const struct tr_cl_device *dev,
                                  const char *kernel_dir, uint16_t *frame,
                                  struct tr_cl_backend **out, struct tr_device_info *info,
                                  char *err, size_t errlen);
const struct tr_backend *tr_cl_backend_base(const struct tr_cl_backend *b);
int64_t tr_cl_backend_readback_ns(const struct tr_cl_backend *b);
void tr_cl_backend_close(struct tr_cl_backend *b);

/* Which kernel variant a run uses on dev ("vector" on CPU devices, "scalar" on GPUs). */
int tr_cl_use_vector_kernel(const struct tr_params *p, const struct tr_cl_device *dev);

#endif
