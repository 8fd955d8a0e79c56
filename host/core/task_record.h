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
    int64_t start_ns; /* since the run's origin (host monotonic clock) */
    int64_t
        duration_ns; /* host clock; on OpenCL from the start check to the first sight of its end */
    int64_t device_time_ns; /* OpenCL profiling time of the kernel; -1 on the CPU path */
    /* The resolved selector of the device that rendered it ("cpu", "opencl:0.0"), owned by
     * the run's job; NULL: the record has no device field. */
    const char *device;
    uint32_t device_index; /* its place in the run's device list */
    /* Steal mode: rendered by another lane than the one whose Hardware Havoc chunk held it
     * (thread_id differs from concurrent mode's). Written as "stolen":true, only when set:
     * other records, and every record of other modes, have no such field. */
    int stolen;
    /* A run across processes (MPI ranks): the rank that rendered it and its host name,
     * written as "rank" and "host" after "device". NULL host: neither field. */
    uint32_t rank;
    const char *host;
};

/* Sorts by start_time_us, then task_id: the order of the output. */
void tr_records_sort(struct tr_record *records, size_t n);

/* The record as JSON: the Hardware Havoc API's nine fields, then the microsecond fields, the
 * device and, for a stolen tile, "stolen". */
struct cJSON *tr_record_to_json(const struct tr_record *r);

/* Room for any record tr_record_format writes, with its terminating NUL. */
#define TR_RECORD_TEXT_MAX 512
/*
 * The same JSON text as cJSON prints for tr_record_to_json, written straight into buf (at
 * least TR_RECORD_TEXT_MAX bytes) without allocating. Returns its length, or -1 for a value
 * cJSON would print in another form (1e15 or more), which tr_record_write hands to cJSON.
 */
int tr_record_format(const struct tr_record *r, char *buf, size_t len);

/*
 * Writes the record with its tile's iteration counts as "data" (row-major, tile_w*tile_h
 * numbers, taken from frame whose rows are frame_width long): the Hardware Havoc API's
 * TileUpdate, used by --stream, --record-pixels and the server's event stream. The counts are
 * printed directly, not as a cJSON array, so a huge tile costs no per-number allocation.
 * Returns 0 or -1.
 */
#include <stdio.h>
int tr_record_write_with_counts(FILE *f, const struct tr_record *r, const uint16_t *frame,
                                uint32_t frame_width);
/* The record alone, as tr_record_to_json prints it. Returns 0 or -1. */
int tr_record_write(FILE *f, const struct tr_record *r);

#endif
