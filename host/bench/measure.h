/* One row of a bench: a case run after its warm-up, several times, through the job API. */
#ifndef TILERACE_BENCH_MEASURE_H
#define TILERACE_BENCH_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "bench/plan.h"
#include "bench/stats.h"
#include "core/options.h"

struct tr_device_cache;

struct tr_bench_result {
    struct tr_bench_case c;
    int failed; /* a run failed: error says why, and nothing else is set */
    char error[512];
    int status; /* the failed run's status */
    char device_name[256], device_type[16], kernel_name[48];
    uint32_t threads_used, queue_depth;
    uint64_t tiles, total_iterations, checksum;
    int checksum_varies; /* runs of this row rendered different frames */
    size_t runs;
    double gips[TR_MAX_BENCH_RUNS];       /* total iterations / elapsed */
    double elapsed_ms[TR_MAX_BENCH_RUNS]; /* the run's origin to its last lane's end */
    double job_ms[TR_MAX_BENCH_RUNS];     /* the whole tr_job_run call */
    struct tr_bench_stats gips_stats, elapsed_stats, job_stats;
    double us_per_tile;      /* median elapsed over tiles */
    double imbalance;        /* median over runs: busiest lane's busy time over the mean */
    double kernel_gips;      /* OpenCL: iterations over the summed kernel times; < 0: none */
    double build_ms;         /* the first run's program build (OpenCL), 0 on the CPU path */
    double first_tile_ms;    /* median time from the job's start to its first tile */
    double of_ceiling;       /* median rate over the ceiling's median; < 0: no ceiling */
    const char *ceiling_isa; /* the loop of that ceiling */
    unsigned flags;          /* bench/flags.h */
};

struct tr_bench_run_settings {
    unsigned runs, warmup;
    struct tr_device_cache *devices; /* OpenCL devices kept prepared across runs */
};

/* Measures case c into r (r->failed and r->error when a run fails). Nothing else is printed
 * or written while a run is timed. */
void tr_bench_measure(const struct tr_bench_case *c, const struct tr_bench_run_settings *s,
                      struct tr_bench_result *r);

#endif
