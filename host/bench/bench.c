#include "bench/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/flags.h"
#include "core/clock.h"
#include "cpu/backend.h"
#include "devices/device_cache.h"

/* The lanes a run of c will use: one per tile at most, and in concurrent mode one per chunk
 * of ceil(tiles / threads) tiles (the scheduler's rule). */
static uint32_t lanes_of(const struct tr_bench_case *c)
{
    uint64_t cols = (c->workload->width + c->workload->tile_w - 1) / c->workload->tile_w;
    uint64_t rows = (c->workload->height + c->workload->tile_h - 1) / c->workload->tile_h;
    uint64_t tiles = cols * rows, lanes = c->threads < tiles ? c->threads : tiles;
    if (c->mode == TR_MODE_CONCURRENT) {
        uint64_t chunk = (tiles + lanes - 1) / lanes;
        lanes = (tiles + chunk - 1) / chunk;
    }
    return (uint32_t)lanes;
}

/* The loop whose ceiling a case is set against (flags.c says the same from the result). */
static int ceiling_isa_of(const struct tr_bench_case *c, enum tr_cpu_isa *isa)
{
    char err[256];
    *isa = tr_cpu_isa_best();
    if (!c->device->cpu_path)
        return strcmp(c->device->type, "CPU") == 0;
    if (strcmp(c->kernel, "scalar") == 0)
        *isa = TR_CPU_ISA_SCALAR;
    else if (tr_cpu_isa_parse(c->kernel, isa) != 0)
        return tr_cpu_isa_choose(TR_KERNEL_VECTOR, isa, err, sizeof(err)) == 0;
    return 1;
}

enum tr_status tr_bench_run(const struct tr_bench_plan *plan, const struct tr_bench_devices *devs,
                            struct tr_bench_report *rep, tr_bench_progress_fn progress, void *user,
                            char *err, size_t errlen)
{
    int64_t start = tr_now_ns();
    enum tr_status rc;
    struct tr_bench_run_settings s = {.runs = rep->runs, .warmup = rep->warmup};
    rep->devices = devs;
    rep->plan = plan;
    tr_cpu_model_name(rep->cpu_name, sizeof(rep->cpu_name));
    rep->results = calloc(plan->n_cases ? plan->n_cases : 1, sizeof(*rep->results));
    s.devices = tr_device_cache_new();
    if (!rep->results || !s.devices) {
        tr_device_cache_free(s.devices);
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    for (size_t i = 0; i < plan->n_cases; i++) {
        enum tr_cpu_isa isa;
        if (ceiling_isa_of(&plan->cases[i], &isa))
            tr_bench_ceiling_want(&rep->ceilings, isa, plan->cases[i].precision,
                                  lanes_of(&plan->cases[i]));
    }
    if ((rc = tr_bench_ceiling_sample(&rep->ceilings, rep->ceiling_ms, 1, err, errlen)) != 0)
        goto done;
    for (size_t i = 0; i < plan->n_cases; i++) {
        struct tr_bench_result *r = &rep->results[i];
        tr_bench_measure(&plan->cases[i], &s, r);
        rep->n_results++;
        if (r->failed && rep->failed++ == 0)
            rep->failed_status = r->status;
        enum tr_cpu_isa isa;
        if (!r->failed && ceiling_isa_of(&r->c, &isa))
            tr_bench_ceiling_want(&rep->ceilings, isa, r->c.precision, r->threads_used);
        if (progress)
            progress(user, i + 1, plan->n_cases, r);
    }
    if ((rc = tr_bench_ceiling_sample(&rep->ceilings, rep->ceiling_ms, 2, err, errlen)) != 0)
        goto done;
    rep->flagged = tr_bench_judge(rep->results, rep->n_results, &rep->ceilings);
done:
    tr_device_cache_free(s.devices);
    rep->seconds = (double)(tr_now_ns() - start) / 1e9;
    return rc;
}

void tr_bench_report_free(struct tr_bench_report *rep)
{
    free(rep->results);
    rep->results = NULL;
}
