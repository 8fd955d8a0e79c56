#include "core/job.h"

#include <stdlib.h>

void tr_job_free(struct tr_job *job)
{
    tr_run_free(&job->run);
    free(job->frame);
    job->frame = NULL;
}
