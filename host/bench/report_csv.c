#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench/flags.h"
#include "bench/report.h"

/* A field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void field(FILE *f, const char *text, int last)
{
    if (strpbrk(text, ",\"\r\n")) {
        fputc('"', f);
        for (const char *s = text; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(text, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

static void number(FILE *f, double v)
{
    fprintf(f, "%.6g,", v);
}

static const char header[] =
    "workload,width,height,max_iter,tile_w,tile_h,device,device_name,kernel,kernel_name,mode,"
    "precision,threads_used,tiles,total_iterations,checksum,runs,gips_median,gips_min,gips_max,"
    "gips_spread,elapsed_ms_median,elapsed_ms_min,elapsed_ms_max,job_ms_median,us_per_tile,"
    "imbalance,of_ceiling,flags,error\r\n";

int tr_bench_write_csv(FILE *f, const struct tr_bench_report *rep)
{
    fputs(header, f);
    for (size_t i = 0; i < rep->n_results; i++) {
        const struct tr_bench_result *r = &rep->results[i];
        const struct tr_bench_workload *w = r->c.workload;
        char flags[96] = "";
        field(f, w->name, 0);
        fprintf(f, "%u,%u,%u,%u,%u,", w->width, w->height, w->max_iter, w->tile_w, w->tile_h);
        field(f, r->c.device->selector, 0);
        field(f, r->failed ? r->c.device->name : r->device_name, 0);
        field(f, r->c.kernel, 0);
        field(f, r->kernel_name, 0);
        fprintf(f, "%s,%s,", tr_mode_name(r->c.mode), tr_precision_name(r->c.precision));
        if (r->failed) {
            fputs(",,,,,,,,,,,,,,,,,", f);
            field(f, r->error, 1);
            continue;
        }
        fprintf(f, "%u,%" PRIu64 ",%" PRIu64 ",fnv1a64:%016" PRIx64 ",%zu,", r->threads_used,
                r->tiles, r->total_iterations, r->checksum, r->runs);
        number(f, r->gips_stats.median);
        number(f, r->gips_stats.min);
        number(f, r->gips_stats.max);
        number(f, r->gips_stats.spread);
        number(f, r->elapsed_stats.median);
        number(f, r->elapsed_stats.min);
        number(f, r->elapsed_stats.max);
        number(f, r->job_stats.median);
        number(f, r->us_per_tile);
        number(f, r->imbalance);
        if (r->of_ceiling >= 0)
            number(f, r->of_ceiling);
        else
            fputc(',', f);
        for (unsigned b = 0; b < TR_BENCH_FLAG_COUNT; b++)
            if (r->flags & (1u << b))
                snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s",
                         flags[0] ? " " : "", tr_bench_flag_name(b));
        field(f, flags, 0);
        field(f, "", 1);
    }
    return ferror(f) ? -1 : 0;
}
