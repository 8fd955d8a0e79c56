#include "core/job.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

int tr_job_frame_alloc(struct tr_job *job, size_t pixels)
{
    size_t bytes = pixels * sizeof(uint16_t);
    job->frame_mapped = 0;
    if (bytes < HUGE_PAGE_BYTES) {
        job->frame = calloc(pixels ? pixels : 1, sizeof(uint16_t));
        return job->frame ? 0 : -1;
    }
    /* One huge page more than the frame, to start on a boundary; anonymous memory comes
     * zeroed. The ends outside the frame go back at once. */
    size_t span = (bytes + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
    size_t mapped = span + HUGE_PAGE_BYTES;
    void *map = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return -1;
    uintptr_t start = ((uintptr_t)map + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    size_t head = start - (uintptr_t)map, tail = mapped - head - span;
    if (head)
        munmap(map, head);
    if (tail)
        munmap((void *)(start + span), tail);
    madvise((void *)start, span, MADV_HUGEPAGE); /* advice: without it, base pages */
    job->frame = (uint16_t *)start;
    job->frame_mapped = span;
    return 0;
}

void tr_job_free(struct tr_job *job)
{
    tr_run_free(&job->run);
    if (job->frame_mapped)
        munmap(job->frame, job->frame_mapped);
    else
        free(job->frame);
    job->frame = NULL;
    job->frame_mapped = 0;
}
