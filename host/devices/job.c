#include "devices/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/backend.h"
#include "opencl/device.h"
#endif
#include "devices/device_cache.h"
#include "core/clock.h"
#include "core/device_spec.h"
#include "core/status.h"
#include "cpu/backend.h"

static int run_cpu(struct tr_job *job, const struct tr_job_options *opt, char *err, size_t errlen)
{
    struct tr_cpu_backend cpu;
    int rc = opt && opt->cpu_isa ? tr_cpu_backend_init_isa(&cpu, &job->params, job->frame,
                                                           opt->cpu_isa, err, errlen)
                                 : tr_cpu_backend_init(&cpu, &job->params, job->frame, err, errlen);
    if (rc)
        return rc;
    tr_cpu_model_name(job->device.name, sizeof(job->device.name));
    snprintf(job->device.platform, sizeof(job->device.platform), "tilerace pthreads");
    snprintf(job->device.type, sizeof(job->device.type), "CPU");
    snprintf(job->device.kernel, sizeof(job->device.kernel), "%s", cpu.kernel_name);
    return tr_run_tiles(&job->params, job->frame, &cpu.base, opt ? &opt->hooks : NULL, &job->run,
                        err, errlen);
}

#ifdef TILERACE_HAVE_OPENCL
/* A device of its own for this run: only the platforms the selector needs are listed. */
static int open_own_device(struct tr_job *job, const struct tr_device_spec *spec,
                           const char *kernel_dir, const char *label, struct tr_cl_backend **cl,
                           char *err, size_t errlen)
{
    struct tr_cl_device_list list;
    const struct tr_cl_device *dev = NULL;
    const int need_fp64 = job->params.precision == TR_PRECISION_DOUBLE;
    int rc = tr_cl_list_devices_for(&list, spec, err, errlen);
    if (rc)
        return rc;
    rc = tr_cl_select(&list, spec, label, job->params.device, need_fp64, &dev, err, errlen);
    if (rc == TR_ERR_DEVICE) {
        /* the message says what exists: all of it */
        tr_cl_device_list_free(&list);
        if ((rc = tr_cl_list_devices(&list, err, errlen)) == 0)
            rc = tr_cl_select(&list, spec, label, job->params.device, need_fp64, &dev, err, errlen);
    }
    if (rc == 0)
        rc = tr_cl_backend_open(&job->params, dev, kernel_dir, job->frame, cl, &job->device, err,
                                errlen);
    tr_cl_device_list_free(&list);
    return rc;
}

/* A device the cache keeps prepared: the program is built once, by the first run on it. */
static int open_cached_device(struct tr_job *job, const struct tr_device_spec *spec,
                              struct tr_device_cache *devices, const char *label,
                              struct tr_cl_backend **cl, char *err, size_t errlen)
{
    struct tr_cl_prepared *prep = NULL;
    const char *source = "prepared";
    int made_now = 0;
    int rc = tr_device_cache_get(devices, spec, job->params.device, label, job->params.precision,
                                 &prep, &made_now, err, errlen);
    if (rc)
        return rc;
    job->device.build_ns = 0;
    if (made_now)
        tr_cl_prepared_build(prep, &job->device.build_ns, &source);
    snprintf(job->device.build_source, sizeof(job->device.build_source), "%s", source);
    rc = tr_cl_backend_open_prepared(&job->params, prep, job->frame, cl, &job->device, err, errlen);
    tr_cl_prepared_release(prep);
    return rc;
}
#endif

static int run_opencl(struct tr_job *job, const struct tr_device_spec *spec,
                      const struct tr_job_options *opt, char *err, size_t errlen)
{
    const char *label = opt && opt->device_label ? opt->device_label : "--device";
#ifndef TILERACE_HAVE_OPENCL
    (void)spec;
    snprintf(err, errlen,
             "%s: '%s' is an OpenCL device, and this tilerace was built without OpenCL "
             "(accepted: cpu)",
             label, job->params.device);
    return TR_ERR_DEVICE;
#else
    struct tr_cl_backend *cl = NULL;
    const char *kernel_dir = opt ? opt->kernel_dir : NULL;
    int rc = opt && opt->devices && !kernel_dir
                 ? open_cached_device(job, spec, opt->devices, label, &cl, err, errlen)
                 : open_own_device(job, spec, kernel_dir, label, &cl, err, errlen);
    if (rc == 0) {
        rc = tr_run_tiles(&job->params, job->frame, tr_cl_backend_base(cl),
                          opt ? &opt->hooks : NULL, &job->run, err, errlen);
        job->device.readback_ns = tr_cl_backend_readback_ns(cl);
    }
    tr_cl_backend_close(cl);
    return rc;
#endif
}

enum tr_status tr_job_run(const struct tr_params *p, const struct tr_job_options *opt,
                          struct tr_job *job, char *err, size_t errlen)
{
    struct tr_device_spec spec;
    memset(job, 0, sizeof(*job));
    int64_t start_ns = tr_now_ns();
    job->params = *p;
    snprintf(job->device.selector, sizeof(job->device.selector), "%s", p->device);
    snprintf(job->device.build_source, sizeof(job->device.build_source), "none");

    int rc = tr_params_check(p, err, errlen);
    if (rc)
        return rc;
    if (tr_device_spec_parse(p->device, &spec, err, errlen) != 0)
        return TR_ERR_USAGE;

    size_t pixels = (size_t)p->width * p->height;
    if (tr_job_frame_alloc(job, pixels) != 0) {
        snprintf(err, errlen, "out of memory: a %ux%u frame needs %zu MiB", p->width, p->height,
                 pixels * sizeof(uint16_t) >> 20);
        return TR_ERR_INTERNAL;
    }
    rc = spec.kind == TR_DEVICE_CPU ? run_cpu(job, opt, err, errlen)
                                    : run_opencl(job, &spec, opt, err, errlen);
    if (rc == 0 && job->run.n_records) {
        int64_t first = job->run.records[0].start_ns; /* records are sorted by start */
        job->device.first_tile_ns = job->run.origin_ns + first - start_ns;
    }
    return rc;
}
