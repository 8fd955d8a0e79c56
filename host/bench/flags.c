#include "bench/flags.h"

#include <string.h>

#include "bench/measure.h"

static const char *const names[TR_BENCH_FLAG_COUNT] = {
    "above-ceiling",
    "wide-spread",
    "checksum-differs",
};

static const char *const notes[TR_BENCH_FLAG_COUNT] = {
    "the rate is above the ceiling's median, the most this loop can do on these threads: the "
    "machine was busier while the ceiling ran than during the row, so neither can be trusted",
    "the runs' min-max spread is above 20% of their median: the machine was disturbed, so the "
    "median cannot be trusted",
    "the frame's checksum is not the one the other rows of this workload and precision "
    "rendered (or changed between runs): a wrong result, not a slow one",
};

const char *tr_bench_flag_name(unsigned bit_index)
{
    return bit_index < TR_BENCH_FLAG_COUNT ? names[bit_index] : "?";
}

const char *tr_bench_flag_note(unsigned bit_index)
{
    return bit_index < TR_BENCH_FLAG_COUNT ? notes[bit_index] : "?";
}

/* The ceiling a result's rate is set against: its own loop on the CPU path, the best
 * instruction set's for an OpenCL device on this CPU; none for other devices. */
static const struct tr_bench_ceiling *ceiling_of(const struct tr_bench_result *r,
                                                 const struct tr_bench_ceilings *ceil)
{
    enum tr_cpu_isa isa = tr_cpu_isa_best();
    if (r->c.device->cpu_path) {
        /* "avx512-double": the instruction set that ran is the kernel name's first word */
        char word[16];
        size_t len = strcspn(r->kernel_name, "-");
        if (len >= sizeof(word))
            return NULL;
        memcpy(word, r->kernel_name, len);
        word[len] = '\0';
        if (tr_cpu_isa_parse(word, &isa) != 0)
            return NULL;
    } else if (strcmp(r->c.device->type, "CPU") != 0) {
        return NULL;
    }
    return tr_bench_ceiling_find(ceil, isa, r->c.precision, r->threads_used);
}

size_t tr_bench_judge(struct tr_bench_result *results, size_t n, struct tr_bench_ceilings *ceil)
{
    size_t flagged = 0;
    for (size_t i = 0; i < ceil->n; i++) {
        struct tr_bench_ceiling *c = &ceil->c[i];
        c->flags = c->stats.spread > TR_BENCH_SPREAD_LIMIT ? TR_BENCH_FLAG_WIDE_SPREAD : 0;
    }
    for (size_t i = 0; i < n; i++) {
        struct tr_bench_result *r = &results[i];
        if (r->failed)
            continue;
        r->flags = 0;
        const struct tr_bench_ceiling *c = ceiling_of(r, ceil);
        if (c && c->stats.median > 0) {
            r->of_ceiling = r->gips_stats.median / c->stats.median;
            r->ceiling_isa = tr_cpu_isa_name(c->isa);
            if (r->of_ceiling > 1.0)
                r->flags |= TR_BENCH_FLAG_ABOVE_CEILING;
        }
        if (r->gips_stats.spread > TR_BENCH_SPREAD_LIMIT)
            r->flags |= TR_BENCH_FLAG_WIDE_SPREAD;
        if (r->checksum_varies)
            r->flags |= TR_BENCH_FLAG_CHECKSUM_DIFFERS;
        /* the frame most rows of this workload and precision rendered is the right one */
        size_t same = 0, rows = 0;
        for (size_t j = 0; j < n; j++) {
            const struct tr_bench_result *o = &results[j];
            if (o->failed || o->c.workload != r->c.workload || o->c.precision != r->c.precision)
                continue;
            rows++;
            same += o->checksum == r->checksum;
        }
        if (2 * same <= rows && rows > 1)
            r->flags |= TR_BENCH_FLAG_CHECKSUM_DIFFERS;
        flagged += r->flags != 0;
    }
    return flagged;
}
