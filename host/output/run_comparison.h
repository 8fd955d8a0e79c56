/*
 * `tilerace compare`: runs side by side (device, kernel, mode, frame, tiles, time, rate), each
 * rate as a ratio to the first run's, whether the checksums of runs that render the same
 * frame agree, and for a run of several devices how they split the frame.
 */
#ifndef TILERACE_RUN_COMPARISON_H
#define TILERACE_RUN_COMPARISON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

/* How a run's checksum compares with the first complete run of the same frame. */
enum tr_checksum_verdict {
    TR_CHECKSUM_REFERENCE,  /* the first complete run of its frame */
    TR_CHECKSUM_AGREES,     /* the same as its reference */
    TR_CHECKSUM_DIFFERS,    /* not the same: one of the two is wrong */
    TR_CHECKSUM_INCOMPLETE, /* the run did not render every tile: nothing to compare */
};

/* One device's part of a run of several devices (summary.devices). */
struct tr_compared_device {
    char selector[64], kernel[48];
    uint64_t lanes, tiles;
    double gips, share; /* its own rate over the run's elapsed time; its share of the frame */
};

#define TR_COMPARED_DEVICES_MAX 16

struct tr_compared_run {
    const char *label; /* the file as given */
    /* from the run document; text as it was there (escape it to print) */
    char selector[64], device_name[256], kernel[48], mode[16], precision[8];
    char checksum[64]; /* "" when the document's is null */
    uint64_t width, height, max_iter, threads, tiles_done, tiles_total;
    double elapsed_us, gips;
    int complete, time_limited;
    struct tr_compared_device devices[TR_COMPARED_DEVICES_MAX]; /* several devices: each one */
    size_t n_devices;                                           /* 0: a one-device run */
    /* from tr_compare_runs */
    double ratio; /* gips over the first run's; < 0 when it has no rate */
    enum tr_checksum_verdict verdict;
    size_t reference; /* the run whose checksum this one was compared with */
};

/* Fills r from a run document (checked by replay/input.h's reader) labelled label. */
void tr_compared_run_from_json(struct tr_compared_run *r, const struct cJSON *doc,
                               const char *label);

/* Works out the ratios and verdicts of runs[0..n). Returns the number of runs whose
 * checksum differs from its reference. */
size_t tr_compare_runs(struct tr_compared_run *runs, size_t n);

/* The table and the notes under it. Returns 0, or -1 when writing or allocation failed. */
int tr_comparison_write_text(FILE *f, const struct tr_compared_run *runs, size_t n);
/* The same as one line of JSON. Returns 0, or -1. */
int tr_comparison_write_json(FILE *f, const struct tr_compared_run *runs, size_t n);

#endif
