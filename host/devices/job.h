/* Runs a job on the device its parameters name: the one place that joins the CPU and OpenCL
 * backends. */
#ifndef TILERACE_DEVICES_JOB_H
#define TILERACE_DEVICES_JOB_H

#include <stddef.h>

#include "core/job.h"

/* Returns 0 or an exit code with a one-line message in err. job is always safe to free. */
int tr_job_run(const struct tr_params *p, const struct tr_job_options *opt, struct tr_job *job,
               char *err, size_t errlen);

#endif
