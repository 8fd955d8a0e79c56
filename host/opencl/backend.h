/*
 * The OpenCL backend: a context and a built program per device (prepared once, maybe shared
 * by runs), one frame buffer per run, and per lane an in-order
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
 * A device made ready for runs of one precision: its context and its built program. Runs on
 * any thread may share it (OpenCL objects are thread-safe; each run creates its own buffer,
 * queues and kernel objects, whose arguments only it sets). Counted references: the maker
 * holds one, each run opened on it another.
 */
struct tr_cl_prepared;

/*
 * Creates a context for dev (or shares share, when not NULL) and builds the program for
 * precision, from a saved binary when one is intact (see opencl/binary_cache.h; never for a
 * kernel_dir source). Returns 0 or a status with a message in err.
 */
enum tr_status tr_cl_prepare(const struct tr_cl_device *dev, enum tr_precision precision,
                             const char *kernel_dir, cl_context share, struct tr_cl_prepared **out,
                             char *err, size_t errlen);
void tr_cl_prepared_retain(struct tr_cl_prepared *prep);
void tr_cl_prepared_release(struct tr_cl_prepared *prep);
const struct tr_cl_device *tr_cl_prepared_device(const struct tr_cl_prepared *prep);
cl_context tr_cl_prepared_context(const struct tr_cl_prepared *prep);
/* How long the program took to build, and from what: "source" or "binary". */
void tr_cl_prepared_build(const struct tr_cl_prepared *prep, int64_t *build_ns,
                          const char **build_source);

/*
 * Opens a run of p (whose precision must be prep's) on a prepared device: the frame buffer,
 * a queue, the warm-up. frame is the host frame, or NULL for a run without one (tiles are read
 * into their slots, and finish and finish_tiles do nothing); fills info's name, platform, type,
 * kernel and warm-up time (not the build's). Returns 0 or a status with a message in err.
 */
enum tr_status tr_cl_backend_open_prepared(const struct tr_params *p, struct tr_cl_prepared *prep,
                                           uint16_t *frame, struct tr_cl_backend **out,
                                           struct tr_device_info *info, char *err, size_t errlen);

/*
 * tr_cl_prepare and tr_cl_backend_open_prepared in one, for a run of its own; fills info's
 * build time and source too. Returns 0 or a status with a message in err.
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
/* What summary.device.kernel calls that kernel: "opencl-vector-double", ... Returns buf. */
const char *tr_cl_kernel_name(const struct tr_params *p, const struct tr_cl_device *dev, char *buf,
                              size_t len);

#endif
