#include "core/job.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/pages.h"

int tr_job_frame_alloc(struct tr_job *job, size_t pixels)
{
    job->frame = tr_pages_alloc(pixels * sizeof(uint16_t), &job->frame_mapped);
    return job->frame ? 0 : -1;
}

void tr_job_free(struct tr_job *job)
{
    tr_run_free(&job->run);
    tr_pages_free(job->frame, job->frame_mapped);
    job->frame = NULL;
    job->frame_mapped = 0;
}
