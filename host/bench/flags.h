/*
 * Why a bench figure cannot be taken at face value. A flagged figure is shown with its flag
 * and note, never as a plain result.
 */
#ifndef TILERACE_BENCH_FLAGS_H
#define TILERACE_BENCH_FLAGS_H

#include <stddef.h>

#include "bench/ceiling.h"

/* Runs whose min-max spread is above this fraction of their median disagree. */
#define TR_BENCH_SPREAD_LIMIT 0.20

enum tr_bench_flag {
    TR_BENCH_FLAG_ABOVE_CEILING = 1u << 0,    /* faster than the loop can go */
    TR_BENCH_FLAG_WIDE_SPREAD = 1u << 1,      /* the runs disagree */
    TR_BENCH_FLAG_CHECKSUM_DIFFERS = 1u << 2, /* not the frame the other rows rendered */
    TR_BENCH_FLAG_COUNT = 3,
};

/* "above-ceiling", "wide-spread", "checksum-differs": the JSON's and CSV's names. */
const char *tr_bench_flag_name(unsigned bit_index);
/* One sentence on what the flag means. */
const char *tr_bench_flag_note(unsigned bit_index);

struct tr_bench_result;

/*
 * Judges every result: its fraction of the ceiling of its loop (CPU path: its instruction set;
 * an OpenCL CPU device: the best one's) at its thread count, and its flags; and each
 * ceiling's own spread. Results of one workload and precision whose checksums differ are all
 * flagged. Returns how many results are flagged.
 */
size_t tr_bench_judge(struct tr_bench_result *results, size_t n, struct tr_bench_ceilings *ceil);

#endif
