#include <stdio.h>
#include <string.h>

#include "bench/flags.h"
#include "bench/report.h"

const char tr_bench_measured[] =
    "Measured in this process, one run at a time, with no time limit: rate = the frame's total "
    "iterations over elapsed, from the run's origin (every lane ready) to its last lane's end, "
    "as summary.elapsed_us; job = the whole render call around it (device set-up, frame "
    "allocation, render, read-back). The process's own start-up (loader, OpenCL drivers) is in "
    "neither: time 'tilerace run' from outside for that. OpenCL programs are built once per "
    "device and precision, by the first warm-up.";

/* Writes text wrapped at 79 columns, each line after the first indented by indent. */
static void wrapped(FILE *f, const char *text, int indent)
{
    int at = 0, line_start = 1;
    const char *s = text;
    while (*s) {
        size_t len = strcspn(s, " ");
        if (!line_start && at + 1 + (int)len > 79) {
            fprintf(f, "\n%*s", indent, "");
            at = indent;
            line_start = 1;
        }
        if (!line_start) {
            fputc(' ', f);
            at++;
        }
        fwrite(s, 1, len, f);
        at += (int)len;
        line_start = 0;
        s += len;
        while (*s == ' ')
            s++;
    }
    fputc('\n', f);
}

static void flag_marks(char *dst, size_t len, unsigned flags)
{
    size_t used = 0;
    dst[0] = '\0';
    for (unsigned b = 0; b < TR_BENCH_FLAG_COUNT && used < len; b++)
        if (flags & (1u << b))
            used += (size_t)snprintf(dst + used, len - used, "%s[%c]", used ? " " : "", 'a' + b);
}

static void ceiling_table(FILE *f, const struct tr_bench_report *rep)
{
    if (rep->ceilings.n == 0) {
        fprintf(f, "Ceiling: none measured (no row runs on this CPU)\n\n");
        return;
    }
    fprintf(f, "Ceiling: the same inner loop with every lane always busy, sampled before and "
               "after the rows\n");
    fprintf(f, "  %-8s %-9s %7s  %-26s %6s  %s\n", "LOOP", "PRECISION", "THREADS",
            "Giter/s median (min..max)", "spread", "flags");
    for (size_t i = 0; i < rep->ceilings.n; i++) {
        const struct tr_bench_ceiling *c = &rep->ceilings.c[i];
        char range[64], marks[32];
        snprintf(range, sizeof(range), "%.3f (%.3f..%.3f)", c->stats.median, c->stats.min,
                 c->stats.max);
        flag_marks(marks, sizeof(marks), c->flags);
        fprintf(f, "  %-8s %-9s %7u  %-26s %5.0f%%  %s\n", tr_cpu_isa_name(c->isa),
                tr_precision_name(c->precision), c->threads, range, 100 * c->stats.spread, marks);
    }
    fputc('\n', f);
}

static void result_line(FILE *f, const struct tr_bench_result *r)
{
    char kernel[64], range[64], ceiling[16] = "-", marks[32];
    if (r->failed) {
        fprintf(f, "  %-11s %-22s %-10s  FAILED: %s\n", r->c.device->selector, r->c.kernel,
                tr_mode_name(r->c.mode), r->error);
        return;
    }
    snprintf(kernel, sizeof(kernel), "%s%s", r->kernel_name, r->c.auto_pick ? " *" : "");
    snprintf(range, sizeof(range), "%.3f (%.3f..%.3f)", r->gips_stats.median, r->gips_stats.min,
             r->gips_stats.max);
    if (r->of_ceiling >= 0)
        snprintf(ceiling, sizeof(ceiling), "%.0f%%", 100 * r->of_ceiling);
    flag_marks(marks, sizeof(marks), r->flags);
    fprintf(f, "  %-11s %-22s %-10s %-25s %5.0f%% %9.1f %7.1f %7s  %s\n", r->c.device->selector,
            kernel, tr_mode_name(r->c.mode), range, 100 * r->gips_stats.spread,
            r->elapsed_stats.median, r->us_per_tile, ceiling, marks);
}

int tr_bench_write_table(FILE *f, const struct tr_bench_report *rep)
{
    const struct tr_bench_plan *plan = rep->plan;
    fprintf(f,
            "tilerace bench%s: %s, %u CPUs; %u threads (sequential: 1); %u run%s after %u "
            "warm-up%s per row\n",
            rep->quick ? " --quick" : "", rep->cpu_name, rep->cpus, rep->threads, rep->runs,
            rep->runs == 1 ? "" : "s", rep->warmup, rep->warmup == 1 ? "" : "s");
    wrapped(f, tr_bench_measured, 0);
    fputc('\n', f);
    ceiling_table(f, rep);
    for (size_t w = 0; w < plan->n_workloads; w++) {
        const struct tr_bench_workload *wl = &plan->workloads[w];
        int header = 0;
        for (unsigned p = 0; p < 2; p++) {
            for (size_t i = 0; i < rep->n_results; i++) {
                const struct tr_bench_result *r = &rep->results[i];
                if (r->c.workload != wl || r->c.precision != (enum tr_precision)p)
                    continue;
                if (!header) {
                    fprintf(f, "%s: %ux%u, max_iter %u, %ux%u tiles", wl->name, wl->width,
                            wl->height, wl->max_iter, wl->tile_w, wl->tile_h);
                    if (wl->about)
                        fprintf(f, " (%s)", wl->about);
                    fprintf(f, "\n  %-11s %-22s %-10s %-25s %6s %9s %7s %7s  %s\n", "DEVICE",
                            "KERNEL", "MODE", "Giter/s median (min..max)", "spread", "elapsed",
                            "us/tile", "ceiling", "flags");
                    header = 1;
                }
                result_line(f, r);
            }
        }
        if (header)
            fputc('\n', f);
    }
    for (size_t i = 0; i < plan->n_skipped; i++)
        fprintf(f, "skipped: %s\n", plan->skipped[i]);
    if (rep->devices->note[0])
        fprintf(f, "OpenCL: no device compared (%s)\n", rep->devices->note);
    fprintf(f, "elapsed: ms, median. *: the kernel auto runs on this processor. ceiling: the "
               "rate over the\nmedian ceiling of the same loop and threads (CPU devices).\n");
    unsigned seen = 0;
    for (size_t i = 0; i < rep->n_results; i++)
        seen |= rep->results[i].failed ? 0 : rep->results[i].flags;
    for (size_t i = 0; i < rep->ceilings.n; i++)
        seen |= rep->ceilings.c[i].flags;
    for (unsigned b = 0; b < TR_BENCH_FLAG_COUNT; b++) {
        if (!(seen & (1u << b)))
            continue;
        char line[512];
        snprintf(line, sizeof(line), "[%c] FLAGGED %s: %s.", 'a' + b, tr_bench_flag_name(b),
                 tr_bench_flag_note(b));
        wrapped(f, line, 4);
    }
    fprintf(f, "%zu rows, %zu flagged, %zu failed; %.1f s\n", rep->n_results, rep->flagged,
            rep->failed, rep->seconds);
    return ferror(f) ? -1 : 0;
}
