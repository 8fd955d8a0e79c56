/*
 * `tilerace bench` without its command line: runs a plan's cases (each after its warm-up,
 * several times), samples the ceiling before and after them, and judges the figures.
 * report.h writes the result as a table, JSON or CSV.
 */
#ifndef TILERACE_BENCH_BENCH_H
#define TILERACE_BENCH_BENCH_H

#include <stddef.h>

#include "bench/ceiling.h"
#include "bench/devices.h"
#include "bench/measure.h"
#include "bench/plan.h"

struct tr_bench_report {
    int quick;
    unsigned runs, warmup;
    uint32_t threads;    /* of the concurrent and dynamic runs */
    unsigned cpus;       /* the CPUs this process may use */
    unsigned ceiling_ms; /* each ceiling sample's length */
    char cpu_name[256];
    const struct tr_bench_devices *devices;
    const struct tr_bench_plan *plan;
    struct tr_bench_ceilings ceilings;
    struct tr_bench_result *results; /* one per plan case, in plan order */
    size_t n_results, flagged, failed;
    int failed_status; /* the first failed row's status */
    double seconds;    /* the whole bench */
};

/* Called after each row, outside any timed run. */
typedef void (*tr_bench_progress_fn)(void *user, size_t done, size_t total,
                                     const struct tr_bench_result *r);

/*
 * Runs every case of plan into rep (whose quick, runs, warmup, threads, cpus and ceiling_ms
 * the caller sets). A failed row is kept with its error and the others still run. Returns 0,
 * or TR_ERR_INTERNAL (out of memory) or the ceiling's failure, with a message in err.
 */
enum tr_status tr_bench_run(const struct tr_bench_plan *plan, const struct tr_bench_devices *devs,
                            struct tr_bench_report *rep, tr_bench_progress_fn progress, void *user,
                            char *err, size_t errlen);
void tr_bench_report_free(struct tr_bench_report *rep);

#endif
