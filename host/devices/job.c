#include "devices/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/backend.h"
#include "opencl/device.h"
#endif
#include "core/clock.h"
#include "core/device_spec.h"
#include "core/status.h"
#include "cpu/backend.h"

static int run_cpu(struct tr_job *job, const struct tr_job_options *opt, char *err, size_t errlen)
{
    struct tr_cpu_backend cpu;
    int rc = tr_cpu_backend_init(&cpu, &job->params, job->frame, err, errlen);
    if (rc)
        return rc;
    tr_cpu_model_name(job->device.name, sizeof(job->device.name));
    snprintf(job->device.platform, sizeof(job->device.platform), "tilerace pthreads");
    snprintf(job->device.type, sizeof(job->device.type), "CPU");
    snprintf(job->device.kernel, sizeof(job->device.kernel), "%s", cpu.kernel_name);
    return tr_run_tiles(&job->params, job->frame, &cpu.base, opt ? &opt->hooks : NULL, &job->run,
                        err, errlen);
}

static int run_opencl(struct tr_job *job, const struct tr_device_spec *spec,
                      const struct tr_job_options *opt, char *err, size_t errlen)
{
#ifndef TILERACE_HAVE_OPENCL
    (void)spec;
    snprintf(err, errlen,
             "%s: '%s' is an OpenCL device, and this tilerace was built without OpenCL "
             "(accepted: cpu)",
             opt && opt->device_label ? opt->device_label : "--device", job->params.device);
    return TR_ERR_DEVICE;
#else
    struct tr_cl_device_list list;
    const struct tr_cl_device *dev = NULL;
    struct tr_cl_backend *cl = NULL;
    int rc = tr_cl_list_devices(&list, err, errlen);
    if (rc)
        return rc;
    rc = tr_cl_select(&list, spec, opt && opt->device_label ? opt->device_label : "--device",
                      job->params.device, job->params.precision == TR_PRECISION_DOUBLE, &dev, err,
                      errlen);
    if (rc == 0)
        rc = tr_cl_backend_open(&job->params, dev, opt ? opt->kernel_dir : NULL, job->frame, &cl,
                                &job->device, err, errlen);
    if (rc == 0) {
        rc = tr_run_tiles(&job->params, job->frame, tr_cl_backend_base(cl),
                          opt ? &opt->hooks : NULL, &job->run, err, errlen);
        job->device.readback_ns = tr_cl_backend_readback_ns(cl);
    }
    tr_cl_backend_close(cl);
    tr_cl_device_list_free(&list);
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
