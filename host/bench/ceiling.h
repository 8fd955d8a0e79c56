/*
 * The ceiling a bench sets its CPU rates against: the same inner loop with every lane always
 * busy (cpu/ceiling.h, what tilerace-ceiling measures), per instruction set, precision and
 * thread count the rows used, sampled before and after the rows so a machine that got busier
 * or quieter shows as spread.
 */
#ifndef TILERACE_BENCH_CEILING_H
#define TILERACE_BENCH_CEILING_H

#include <stddef.h>
#include <stdint.h>

#include "bench/stats.h"
#include "core/status.h"
#include "cpu/kernels.h"

#define TR_BENCH_MAX_CEILINGS    32
#define TR_BENCH_CEILING_SAMPLES 4

struct tr_bench_ceiling {
    enum tr_cpu_isa isa;
    enum tr_precision precision;
    uint32_t threads;
    uint64_t steps; /* per lane, for about the sample time; 0 until calibrated */
    double samples[TR_BENCH_CEILING_SAMPLES]; /* Giga-iterations/s */
    size_t n;
    struct tr_bench_stats stats;
    unsigned flags; /* bench/flags.h */
};

struct tr_bench_ceilings {
    struct tr_bench_ceiling c[TR_BENCH_MAX_CEILINGS];
    size_t n;
};

/* Asks for the ceiling of isa, precision and threads (nothing when already asked, or when the
 * table is full). */
void tr_bench_ceiling_want(struct tr_bench_ceilings *set, enum tr_cpu_isa isa,
                           enum tr_precision precision, uint32_t threads);

/* One more sample, of about ms milliseconds, of each ceiling asked for that has fewer than
 * upto. Returns 0, or a status with a one-line message in err. */
enum tr_status tr_bench_ceiling_sample(struct tr_bench_ceilings *set, unsigned ms, size_t upto,
                                       char *err, size_t errlen);

/* The ceiling of isa, precision and threads, or NULL when it was not measured. */
const struct tr_bench_ceiling *tr_bench_ceiling_find(const struct tr_bench_ceilings *set,
                                                     enum tr_cpu_isa isa,
                                                     enum tr_precision precision, uint32_t threads);

#endif
