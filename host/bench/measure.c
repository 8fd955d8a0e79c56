#include "bench/measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/job.h"
#include "devices/job.h"

/* The busiest lane's busy time (the sum of its tiles' durations) over the mean of the lanes
 * that rendered. */
static double imbalance_of(const struct tr_run *run)
{
    int64_t busy[TR_MAX_THREADS] = {0};
    unsigned char seen[TR_MAX_THREADS] = {0};
    int64_t total = 0, most = 0;
    uint32_t lanes = 0;
    for (size_t i = 0; i < run->n_records; i++) {
        uint32_t t = run->records[i].thread_id;
        if (t >= TR_MAX_THREADS)
            continue;
        lanes += !seen[t];
        seen[t] = 1;
        busy[t] += run->records[i].duration_ns;
        total += run->records[i].duration_ns;
    }
    for (uint32_t t = 0; t < TR_MAX_THREADS; t++)
        if (busy[t] > most)
            most = busy[t];
    return lanes && total > 0 ? (double)most * lanes / (double)total : 1.0;
}

/* OpenCL: iterations over the summed kernel times; -1 without them. */
static double kernel_rate_of(const struct tr_run *run)
{
    int64_t kernel_ns = 0;
    for (size_t i = 0; i < run->n_records; i++) {
        if (run->records[i].device_time_ns < 0)
            return -1;
        kernel_ns += run->records[i].device_time_ns;
    }
    return kernel_ns > 0 ? (double)run->total_iterations / (double)kernel_ns : -1;
}

static double median_of(const double *v, size_t n)
{
    struct tr_bench_stats st;
    tr_bench_stats_of(v, n, &st);
    return st.median;
}

void tr_bench_measure(const struct tr_bench_case *c, const struct tr_bench_run_settings *s,
                      struct tr_bench_result *r)
{
    struct tr_params p;
    struct tr_job_options opt;
    double imbalance[TR_MAX_BENCH_RUNS], kernel[TR_MAX_BENCH_RUNS], first[TR_MAX_BENCH_RUNS];
    size_t with_kernel = 0;
    memset(r, 0, sizeof(*r));
    memset(&opt, 0, sizeof(opt));
    r->c = *c;
    r->of_ceiling = -1;
    r->kernel_gips = -1;
    tr_bench_case_params(c, &p, &opt.cpu_isa);
    opt.devices = s->devices;
    opt.hooks.pin_lanes = 1; /* one run at a time, as on the command line */
    unsigned total = s->warmup + s->runs;
    for (unsigned i = 0; i < total; i++) {
        struct tr_job job;
        char err[sizeof(r->error)];
        int64_t t0 = tr_now_ns();
        int rc = tr_job_run(&p, &opt, &job, err, sizeof(err));
        int64_t job_ns = tr_now_ns() - t0;
        if (rc == 0 && !job.run.complete) {
            snprintf(err, sizeof(err), "the run left %llu of %llu tiles unrendered",
                     (unsigned long long)(job.run.tiles_total - job.run.n_records),
                     (unsigned long long)job.run.tiles_total);
            rc = TR_ERR_INTERNAL;
        }
        if (rc) {
            r->failed = 1;
            r->status = rc;
            snprintf(r->error, sizeof(r->error), "%s", err);
            tr_job_free(&job);
            return;
        }
        if (i == 0) {
            snprintf(r->device_name, sizeof(r->device_name), "%s", job.device.name);
            snprintf(r->device_type, sizeof(r->device_type), "%s", job.device.type);
            snprintf(r->kernel_name, sizeof(r->kernel_name), "%s", job.device.kernel);
            r->threads_used = job.run.lanes;
            r->queue_depth = p.queue_depth;
            r->tiles = job.run.tiles_total;
            r->total_iterations = job.run.total_iterations;
            r->checksum = job.run.checksum;
            r->build_ms = (double)job.device.build_ns / 1e6;
        } else if (job.run.checksum != r->checksum) {
            r->checksum_varies = 1;
        }
        if (i >= s->warmup) {
            size_t k = r->runs++;
            double elapsed_ns = job.run.elapsed_ns > 0 ? (double)job.run.elapsed_ns : 1;
            r->gips[k] = (double)job.run.total_iterations / elapsed_ns;
            r->elapsed_ms[k] = elapsed_ns / 1e6;
            r->job_ms[k] = (double)job_ns / 1e6;
            imbalance[k] = imbalance_of(&job.run);
            first[k] = (double)job.device.first_tile_ns / 1e6;
            double kr = kernel_rate_of(&job.run);
            if (kr >= 0)
                kernel[with_kernel++] = kr;
        }
        tr_job_free(&job);
    }
    tr_bench_stats_of(r->gips, r->runs, &r->gips_stats);
    tr_bench_stats_of(r->elapsed_ms, r->runs, &r->elapsed_stats);
    tr_bench_stats_of(r->job_ms, r->runs, &r->job_stats);
    r->us_per_tile = r->tiles ? r->elapsed_stats.median * 1000 / (double)r->tiles : 0;
    r->imbalance = median_of(imbalance, r->runs);
    r->first_tile_ms = median_of(first, r->runs);
    if (with_kernel == r->runs)
        r->kernel_gips = median_of(kernel, with_kernel);
}
