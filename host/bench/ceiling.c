#include "bench/ceiling.h"

#include <string.h>

#include "cpu/ceiling.h"

void tr_bench_ceiling_want(struct tr_bench_ceilings *set, enum tr_cpu_isa isa,
                           enum tr_precision precision, uint32_t threads)
{
    if (tr_bench_ceiling_find(set, isa, precision, threads) || set->n == TR_BENCH_MAX_CEILINGS)
        return;
    struct tr_bench_ceiling *c = &set->c[set->n++];
    memset(c, 0, sizeof(*c));
    c->isa = isa;
    c->precision = precision;
    c->threads = threads;
}

/* Steps per lane that take about ms milliseconds (the loop's rate per lane does not depend on
 * how many threads run it, one per CPU). */
static enum tr_status calibrate(struct tr_bench_ceiling *c, unsigned ms, char *err, size_t errlen)
{
    struct tr_ceiling_result r;
    uint64_t n = 1u << 12;
    for (;;) {
        enum tr_status rc = tr_cpu_ceiling(c->isa, c->precision, 1, n, &r, err, errlen);
        if (rc)
            return rc;
        if (r.elapsed_ns >= 10000000 || n >= (1ull << 40))
            break;
        n *= 4;
    }
    double per_ms = (double)n / ((double)r.elapsed_ns / 1e6);
    c->steps = (uint64_t)(per_ms * ms) + 1;
    return 0;
}

enum tr_status tr_bench_ceiling_sample(struct tr_bench_ceilings *set, unsigned ms, size_t upto,
                                       char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++) {
        struct tr_bench_ceiling *c = &set->c[i];
        struct tr_ceiling_result r;
        enum tr_status rc;
        if (c->n >= upto || c->n == TR_BENCH_CEILING_SAMPLES)
            continue;
        if (!c->steps && (rc = calibrate(c, ms, err, errlen)) != 0)
            return rc;
        if ((rc = tr_cpu_ceiling(c->isa, c->precision, c->threads, c->steps, &r, err, errlen)))
            return rc;
        c->samples[c->n++] = r.giga_iterations_per_s;
        tr_bench_stats_of(c->samples, c->n, &c->stats);
    }
    return 0;
}

const struct tr_bench_ceiling *tr_bench_ceiling_find(const struct tr_bench_ceilings *set,
                                                     enum tr_cpu_isa isa,
                                                     enum tr_precision precision, uint32_t threads)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->c[i].isa == isa && set->c[i].precision == precision &&
            set->c[i].threads == threads)
            return &set->c[i];
    return NULL;
}
