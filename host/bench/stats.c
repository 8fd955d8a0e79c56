#include "bench/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"

#define MAX_SAMPLES (TR_MAX_BENCH_RUNS + 1)

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void tr_bench_stats_of(const double *samples, size_t n, struct tr_bench_stats *out)
{
    double v[MAX_SAMPLES];
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return;
    if (n > MAX_SAMPLES)
        n = MAX_SAMPLES;
    memcpy(v, samples, n * sizeof(*v));
    qsort(v, n, sizeof(*v), by_value);
    out->n = n;
    out->min = v[0];
    out->max = v[n - 1];
    out->median = median_sorted(v, n);
    if (out->median > 0)
        out->spread = (out->max - out->min) / out->median;
    else
        out->spread = out->max == out->min ? 0 : INFINITY;
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - out->median);
    qsort(v, n, sizeof(*v), by_value);
    out->mad = median_sorted(v, n);
}
