/* One rendered tile: what it was, who rendered it, when and for how long. */
#ifndef TILERACE_TASK_RECORD_H
#define TILERACE_TASK_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;

struct tr_record {
    uint32_t task_id, thread_id;
    uint32_t tile_x, tile_y, tile_w, tile_h; /* clipped size actually rendered */
    uint64_t pixels_computed;
    int64_t start_ns;       /* since the run's origin (host monotonic clock) */
    int64_t duration_ns;    /* host clock, enqueue to completion on OpenCL */
    int64_t device_time_ns; /* OpenCL profiling time of the kernel; -1 on the CPU path */
};

/* Sorts by start_time_us, then task_id: the order of the output. */
void tr_records_sort(struct tr_record *records, size_t n);

/* The record as JSON: the seed's nine fields, then the microsecond fields. */
struct cJSON *tr_record_to_json(const struct tr_record *r);

#endif
