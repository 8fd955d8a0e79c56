/* What a row's runs say together: median, min, max, spread and median absolute deviation. */
#ifndef TILERACE_BENCH_STATS_H
#define TILERACE_BENCH_STATS_H

#include <stddef.h>

struct tr_bench_stats {
    size_t n;
    double median, min, max;
    double spread; /* (max - min) / median: how far the runs disagree */
    double mad;    /* median of |x - median| */
};

/* The statistics of samples[0..n) (n >= 1, at most TR_MAX_BENCH_RUNS + 1); samples are not
 * changed. A median of 0 gives a spread of 0 when every sample is 0, else infinity. */
void tr_bench_stats_of(const double *samples, size_t n, struct tr_bench_stats *out);

#endif
