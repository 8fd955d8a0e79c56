#include "output/summary_text.h"

#include "core/text_escape.h"

/* The table's labels are this wide. */
#define LABEL_WIDTH 11

const char *tr_duration_text(char *buf, size_t len, double seconds)
{
    if (seconds < 1.0)
        snprintf(buf, len, "%.1f ms", seconds * 1e3);
    else
        snprintf(buf, len, "%.2f s", seconds);
    return buf;
}

int tr_summary_cut_short_note(const struct tr_job *job, char *buf, size_t len)
{
    const struct tr_run *r = &job->run;
    buf[0] = '\0';
    if (r->complete)
        return 0;
    if (r->cancelled)
        snprintf(buf, len, "the run was cancelled: %zu of %llu tiles rendered, no checksum",
                 r->n_records, (unsigned long long)r->tiles_total);
    else
        snprintf(buf, len,
                 "the %llu ms time limit cut the run short: %zu of %llu tiles rendered, no "
                 "checksum (--time-limit-ms 0 lifts the limit)",
                 (unsigned long long)job->params.time_limit_ms, r->n_records,
                 (unsigned long long)r->tiles_total);
    return 1;
}

int tr_summary_text_write(FILE *f, const struct tr_job *job, const struct tr_process_time *process,
                          int json_hint)
{
    const struct tr_params *p = &job->params;
    const struct tr_run *r = &job->run;
    const struct tr_device_info *d = &job->device;
    char name[TR_QUOTE_SIZE(80)], platform[TR_QUOTE_SIZE(80)], a[32], b[32];
    double elapsed_s = (double)r->elapsed_ns / 1e9;
    double gips = elapsed_s > 0 ? (double)r->total_iterations / elapsed_s / 1e9 : 0.0;
    const int w = LABEL_WIDTH;

    /* names come from drivers: escaped, so that each stays on its line */
    uint32_t asked = 0;
    if (job->n_devices > 1) {
        /* one line per device: its part of the frame, with its own kernel */
        for (uint32_t i = 0; i < job->n_devices; i++) {
            const struct tr_device_info *e = &job->devices[i];
            const struct tr_group_run *g = &r->groups[i];
            uint64_t pixels = (uint64_t)p->width * p->height;
            tr_text_escape(name, sizeof(name), e->name, 80);
            fprintf(f, "%-*s%s: %s (%s), %s, %u lane%s: %llu tiles, %.1f%% of the frame\n", w,
                    i ? "" : "devices", e->resolved, name, e->type, e->kernel, e->lanes,
                    e->lanes == 1 ? "" : "s", (unsigned long long)g->tiles,
                    pixels ? 100.0 * (double)g->pixels / (double)pixels : 0.0);
            asked += e->lanes;
        }
    } else {
        tr_text_escape(name, sizeof(name), d->name, 80);
        tr_text_escape(platform, sizeof(platform), d->platform, 80);
        fprintf(f, "%-*s%s: %s (%s, %s)\n", w, "device", d->selector, name, d->type, platform);
        fprintf(f, "%-*s%s\n", w, "kernel", d->kernel);
        asked = job->n_devices ? job->devices[0].lanes : p->num_threads;
    }
    fprintf(f, "%-*s%s\n", w, "precision", tr_precision_name(p->precision));
    fprintf(f, "%-*s%s, %u thread%s", w, "mode", tr_mode_name(p->mode), r->lanes,
            r->lanes == 1 ? "" : "s");
    if (r->lanes != asked)
        fprintf(f, " (of %u asked)", asked);
    if (p->mode == TR_MODE_STEAL)
        fprintf(f, ", %llu steal%s", (unsigned long long)r->steals_total,
                r->steals_total == 1 ? "" : "s");
    fputc('\n', f);
    fprintf(f, "%-*s%ux%u/%u in %ux%u tiles\n", w, "frame", p->width, p->height, p->max_iter,
            p->tile_w, p->tile_h);
    fprintf(f, "%-*s%zu/%llu%s\n", w, "tiles", r->n_records, (unsigned long long)r->tiles_total,
            r->complete    ? ""
            : r->cancelled ? " (cancelled)"
                           : " (time limit reached)");
    fprintf(f, "%-*s%s\n", w, "elapsed", tr_duration_text(a, sizeof(a), elapsed_s));
    if (process && process->wall_s >= 0 && process->cpu_s >= 0)
        fprintf(f, "%-*s%s wall, %s CPU (the whole process)\n", w, "process",
                tr_duration_text(a, sizeof(a), process->wall_s),
                tr_duration_text(b, sizeof(b), process->cpu_s));
    fprintf(f, "%-*s%.3f Giga-iterations/s%s\n", w, "rate", gips,
            r->complete ? "" : " (over the tiles rendered)");
    if (r->complete)
        fprintf(f, "%-*sfnv1a64:%016llx\n", w, "checksum", (unsigned long long)r->checksum);
    else
        fprintf(f, "%-*snone: the frame is incomplete\n", w, "checksum");
    if (!r->complete) {
        if (r->cancelled)
            fprintf(f, "\nThe run was cancelled after %zu of %llu tiles.\n", r->n_records,
                    (unsigned long long)r->tiles_total);
        else
            fprintf(f,
                    "\nThe %llu ms time limit cut the run short: %zu of %llu tiles were rendered,\n"
                    "so there is no checksum and the rate covers only those tiles.\n"
                    "To render every tile: --time-limit-ms 0 (no limit), or a larger limit.\n",
                    (unsigned long long)p->time_limit_ms, r->n_records,
                    (unsigned long long)r->tiles_total);
    }
    if (json_hint)
        fprintf(f, "\nThe JSON document instead: --format json, or -o FILE to write it to a "
                   "file.\n");
    return ferror(f) ? -1 : 0;
}
