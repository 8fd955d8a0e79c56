#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_runner.h"
#include "device_spec.h"
#include "exit_codes.h"

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

int tr_job_run(const struct tr_params *p, const struct tr_job_options *opt, struct tr_job *job,
               char *err, size_t errlen)
{
    struct tr_device_spec spec;
    memset(job, 0, sizeof(*job));
    job->params = *p;
    snprintf(job->device.selector, sizeof(job->device.selector), "%s", p->device);

    int rc = tr_params_check(p, err, errlen);
    if (rc)
        return rc;
    if (tr_device_spec_parse(p->device, &spec, err, errlen) != 0)
        return TR_EXIT_USAGE;

    size_t pixels = (size_t)p->width * p->height;
    job->frame = calloc(pixels, sizeof(uint16_t));
    if (!job->frame) {
        snprintf(err, errlen, "out of memory: a %ux%u frame needs %zu MiB", p->width, p->height,
                 pixels * sizeof(uint16_t) >> 20);
        return TR_EXIT_FAILURE;
    }
    if (spec.kind == TR_DEVICE_CPU)
        return run_cpu(job, opt, err, errlen);
    snprintf(err, errlen, "--device: '%s' is not available in this build (accepted: cpu)",
             p->device);
    return TR_EXIT_USAGE;
}

void tr_job_free(struct tr_job *job)
{
    tr_run_free(&job->run);
    free(job->frame);
    job->frame = NULL;
}
