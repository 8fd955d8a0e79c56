/* Runs a job on the device its parameters name: the one place that joins the CPU and OpenCL
 * backends. */
#ifndef TILERACE_DEVICES_JOB_H
#define TILERACE_DEVICES_JOB_H

#include <stddef.h>

#include "core/job.h"
#include "core/status.h"

/* Returns 0 or a status with a one-line message in err. job is always safe to free. */
enum tr_status tr_job_run(const struct tr_params *p, const struct tr_job_options *opt,
                          struct tr_job *job, char *err, size_t errlen);

#endif
