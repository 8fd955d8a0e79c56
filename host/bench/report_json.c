#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/flags.h"
#include "bench/report.h"

static cJSON *stats_json(const struct tr_bench_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "median", s->median);
    cJSON_AddNumberToObject(o, "min", s->min);
    cJSON_AddNumberToObject(o, "max", s->max);
    cJSON_AddNumberToObject(o, "spread", s->spread);
    cJSON_AddNumberToObject(o, "mad", s->mad);
    return o;
}

static cJSON *flags_json(unsigned flags)
{
    cJSON *a = cJSON_CreateArray();
    for (unsigned b = 0; b < TR_BENCH_FLAG_COUNT; b++)
        if (flags & (1u << b))
            cJSON_AddItemToArray(a, cJSON_CreateString(tr_bench_flag_name(b)));
    return a;
}

static cJSON *samples_json(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *workload_json(const struct tr_bench_workload *w)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", w->name);
    cJSON_AddNumberToObject(o, "width", w->width);
    cJSON_AddNumberToObject(o, "height", w->height);
    cJSON_AddNumberToObject(o, "max_iter", w->max_iter);
    cJSON_AddNumberToObject(o, "tile_w", w->tile_w);
    cJSON_AddNumberToObject(o, "tile_h", w->tile_h);
    if (w->about)
        cJSON_AddStringToObject(o, "about", w->about);
    else
        cJSON_AddNullToObject(o, "about");
    return o;
}

static cJSON *result_json(const struct tr_bench_result *r)
{
    cJSON *o = cJSON_CreateObject();
    char checksum[32];
    cJSON_AddStringToObject(o, "workload", r->c.workload->name);
    cJSON_AddStringToObject(o, "device", r->c.device->selector);
    cJSON_AddStringToObject(o, "kernel", r->c.kernel);
    cJSON_AddStringToObject(o, "mode", tr_mode_name(r->c.mode));
    cJSON_AddStringToObject(o, "precision", tr_precision_name(r->c.precision));
    cJSON_AddNumberToObject(o, "threads", r->c.threads);
    if (r->failed) {
        cJSON_AddStringToObject(o, "error", r->error);
        return o;
    }
    cJSON_AddStringToObject(o, "device_name", r->device_name);
    cJSON_AddStringToObject(o, "device_type", r->device_type);
    cJSON_AddStringToObject(o, "kernel_name", r->kernel_name);
    cJSON_AddBoolToObject(o, "auto_pick", r->c.auto_pick);
    cJSON_AddNumberToObject(o, "threads_used", r->threads_used);
    cJSON_AddNumberToObject(o, "queue_depth", r->queue_depth);
    cJSON_AddNumberToObject(o, "tiles", (double)r->tiles);
    cJSON_AddNumberToObject(o, "total_iterations", (double)r->total_iterations);
    snprintf(checksum, sizeof(checksum), "fnv1a64:%016" PRIx64, r->checksum);
    cJSON_AddStringToObject(o, "checksum", checksum);
    cJSON_AddNumberToObject(o, "runs", (double)r->runs);
    cJSON_AddItemToObject(o, "giga_iterations_per_s", stats_json(&r->gips_stats));
    cJSON_AddItemToObject(o, "elapsed_ms", stats_json(&r->elapsed_stats));
    cJSON_AddItemToObject(o, "job_ms", stats_json(&r->job_stats));
    cJSON_AddNumberToObject(o, "us_per_tile", r->us_per_tile);
    cJSON_AddNumberToObject(o, "imbalance", r->imbalance);
    if (r->kernel_gips >= 0)
        cJSON_AddNumberToObject(o, "kernel_giga_iterations_per_s", r->kernel_gips);
    else
        cJSON_AddNullToObject(o, "kernel_giga_iterations_per_s");
    cJSON_AddNumberToObject(o, "build_ms", r->build_ms);
    cJSON_AddNumberToObject(o, "first_tile_ms", r->first_tile_ms);
    if (r->of_ceiling >= 0) {
        cJSON_AddNumberToObject(o, "of_ceiling", r->of_ceiling);
        cJSON_AddStringToObject(o, "ceiling_loop", r->ceiling_isa);
    } else {
        cJSON_AddNullToObject(o, "of_ceiling");
        cJSON_AddNullToObject(o, "ceiling_loop");
    }
    cJSON_AddItemToObject(o, "flags", flags_json(r->flags));
    cJSON *samples = cJSON_AddObjectToObject(o, "samples");
    cJSON_AddItemToObject(samples, "giga_iterations_per_s", samples_json(r->gips, r->runs));
    cJSON_AddItemToObject(samples, "elapsed_ms", samples_json(r->elapsed_ms, r->runs));
    cJSON_AddItemToObject(samples, "job_ms", samples_json(r->job_ms, r->runs));
    return o;
}

static cJSON *report_json(const struct tr_bench_report *rep, const char *version)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "tilerace_version", version);
    cJSON_AddBoolToObject(doc, "quick", rep->quick);
    cJSON_AddStringToObject(doc, "measured", tr_bench_measured);
    cJSON *host = cJSON_AddObjectToObject(doc, "host");
    cJSON_AddStringToObject(host, "cpu", rep->cpu_name);
    cJSON_AddNumberToObject(host, "cpus", rep->cpus);
    cJSON *settings = cJSON_AddObjectToObject(doc, "settings");
    cJSON_AddNumberToObject(settings, "runs", rep->runs);
    cJSON_AddNumberToObject(settings, "warmup", rep->warmup);
    cJSON_AddNumberToObject(settings, "threads", rep->threads);
    cJSON_AddNumberToObject(settings, "time_limit_ms", 0);
    cJSON_AddNumberToObject(settings, "ceiling_sample_ms", rep->ceiling_ms);
    cJSON_AddNumberToObject(settings, "spread_limit", TR_BENCH_SPREAD_LIMIT);

    cJSON *devices = cJSON_AddArrayToObject(doc, "devices");
    for (size_t i = 0; i < rep->devices->n; i++) {
        const struct tr_bench_device *d = &rep->devices->d[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "selector", d->selector);
        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "type", d->type);
        cJSON_AddBoolToObject(o, "fp64", d->fp64);
        cJSON_AddItemToArray(devices, o);
    }
    cJSON *workloads = cJSON_AddArrayToObject(doc, "workloads");
    for (size_t i = 0; i < rep->plan->n_workloads; i++)
        cJSON_AddItemToArray(workloads, workload_json(&rep->plan->workloads[i]));
    cJSON *ceiling = cJSON_AddArrayToObject(doc, "ceiling");
    for (size_t i = 0; i < rep->ceilings.n; i++) {
        const struct tr_bench_ceiling *c = &rep->ceilings.c[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "loop", tr_cpu_isa_name(c->isa));
        cJSON_AddStringToObject(o, "precision", tr_precision_name(c->precision));
        cJSON_AddNumberToObject(o, "threads", c->threads);
        cJSON_AddItemToObject(o, "giga_iterations_per_s", stats_json(&c->stats));
        cJSON_AddItemToObject(o, "samples", samples_json(c->samples, c->n));
        cJSON_AddItemToObject(o, "flags", flags_json(c->flags));
        cJSON_AddItemToArray(ceiling, o);
    }
    cJSON *results = cJSON_AddArrayToObject(doc, "results");
    for (size_t i = 0; i < rep->n_results; i++)
        cJSON_AddItemToArray(results, result_json(&rep->results[i]));
    cJSON *skipped = cJSON_AddArrayToObject(doc, "skipped");
    for (size_t i = 0; i < rep->plan->n_skipped; i++)
        cJSON_AddItemToArray(skipped, cJSON_CreateString(rep->plan->skipped[i]));
    if (rep->devices->note[0])
        cJSON_AddStringToObject(doc, "opencl_note", rep->devices->note);
    else
        cJSON_AddNullToObject(doc, "opencl_note");
    cJSON *notes = cJSON_AddObjectToObject(doc, "flag_notes");
    for (unsigned b = 0; b < TR_BENCH_FLAG_COUNT; b++)
        cJSON_AddStringToObject(notes, tr_bench_flag_name(b), tr_bench_flag_note(b));
    cJSON *summary = cJSON_AddObjectToObject(doc, "summary");
    cJSON_AddNumberToObject(summary, "rows", (double)rep->n_results);
    cJSON_AddNumberToObject(summary, "flagged", (double)rep->flagged);
    cJSON_AddNumberToObject(summary, "failed", (double)rep->failed);
    cJSON_AddNumberToObject(summary, "seconds", rep->seconds);
    return doc;
}

int tr_bench_write_json(FILE *f, const struct tr_bench_report *rep, const char *version)
{
    cJSON *doc = report_json(rep, version);
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!text)
        return -2;
    int rc = fputs(text, f) < 0 || fputc('\n', f) == EOF || ferror(f) ? -1 : 0;
    cJSON_free(text);
    return rc;
}
