/*
 * OpenCL devices kept prepared (a context and the built program, per precision) for the runs
 * of a long-lived process, the server: the first run on a device, or a warm-up at start,
 * prepares it, and every later run on it creates only its own buffer, queues and kernels.
 * Thread-safe; a device is prepared once however many runs ask for it at the same time.
 */
#ifndef TILERACE_DEVICE_CACHE_H
#define TILERACE_DEVICE_CACHE_H

#include <stddef.h>

#include "core/params.h"
#include "core/status.h"

struct tr_device_cache;

/* An empty cache, or NULL when out of memory. */
struct tr_device_cache *tr_device_cache_new(void);
/* Frees the cache; runs still open on its devices keep theirs until they end. NULL is fine. */
void tr_device_cache_free(struct tr_device_cache *c);

/*
 * Prepares the device selector names, for each precision it can render (double needs
 * cl_khr_fp64, float correctly rounded division); label names the option in messages.
 * Returns 0 (cpu needs nothing), TR_ERR_USAGE when selector is not one, TR_ERR_DEVICE when its
 * device is missing or fails (or this build has no OpenCL), with a one-line message in err.
 */
enum tr_status tr_device_cache_warm(struct tr_device_cache *c, const char *selector,
                                    const char *label, char *err, size_t errlen);

/* Calls each() for every prepared device and precision ("opencl:0.0", the device's name,
 * "double"), in list order, until it returns nonzero; returns that, or 0. */
int tr_device_cache_each(struct tr_device_cache *c,
                         int (*each)(void *user, const char *device, const char *name,
                                     const char *precision),
                         void *user);

#ifdef TILERACE_HAVE_OPENCL
#include "core/device_spec.h"
#include "opencl/backend.h"

/*
 * The prepared device that spec (written selector) names, for precision, made now when it is
 * not yet: a reference (tr_cl_prepared_release it), and in *made_now whether this call made
 * it. Fails as tr_cl_select and tr_cl_prepare fail, with label naming the option.
 */
enum tr_status tr_device_cache_get(struct tr_device_cache *c, const struct tr_device_spec *spec,
                                   const char *selector, const char *label,
                                   enum tr_precision precision, struct tr_cl_prepared **out,
                                   int *made_now, char *err, size_t errlen);
#endif

#endif
