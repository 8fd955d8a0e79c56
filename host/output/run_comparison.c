#include "output/run_comparison.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/text_escape.h"
#include "output/summary_text.h"
#include "output/text_table.h"

/* A label longer than this shows its end: the file name tells runs apart. */
#define LABEL_CHARS 40

static const cJSON *item(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void copy_text(char *dst, size_t len, const cJSON *v, const char *otherwise)
{
    snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : otherwise);
}

/* A count from the file: at most 2^53, so that converting it to uint64_t is defined. */
static double number(const cJSON *v, double otherwise)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
        return otherwise;
    return v->valuedouble < 9007199254740992.0 ? v->valuedouble : 9007199254740992.0;
}

void tr_compared_run_from_json(struct tr_compared_run *r, const cJSON *doc, const char *label)
{
    const cJSON *p = item(doc, "params"), *s = item(doc, "summary");
    const cJSON *dev = item(s, "device");
    memset(r, 0, sizeof(*r));
    r->label = label;
    copy_text(r->selector, sizeof(r->selector), item(dev, "selector"),
              cJSON_IsString(item(p, "device")) ? item(p, "device")->valuestring : "?");
    copy_text(r->device_name, sizeof(r->device_name), item(dev, "name"), "?");
    copy_text(r->kernel, sizeof(r->kernel), item(dev, "kernel"), "?");
    copy_text(r->mode, sizeof(r->mode), item(p, "mode"), "?");
    copy_text(r->precision, sizeof(r->precision), item(p, "precision"), "double");
    copy_text(r->checksum, sizeof(r->checksum), item(s, "checksum"), "");
    r->width = (uint64_t)number(item(p, "width"), 0);
    r->height = (uint64_t)number(item(p, "height"), 0);
    r->max_iter = (uint64_t)number(item(p, "max_iter"), 0);
    r->threads = (uint64_t)number(item(s, "threads_used"), number(item(p, "num_threads"), 0));
    r->tiles_done =
        (uint64_t)number(item(s, "tiles_completed"), cJSON_GetArraySize(item(doc, "data")));
    uint64_t tile_w = (uint64_t)number(item(p, "tile_w"), 1),
             tile_h = (uint64_t)number(item(p, "tile_h"), 1);
    uint64_t grid = tile_w && tile_h
                        ? ((r->width + tile_w - 1) / tile_w) * ((r->height + tile_h - 1) / tile_h)
                        : 0;
    r->tiles_total = (uint64_t)number(item(s, "tiles_total"), (double)grid);
    r->elapsed_us = number(item(s, "elapsed_us"), 0);
    r->gips = number(item(s, "giga_iterations_per_s"), 0);
    r->time_limited = cJSON_IsTrue(item(s, "time_limited"));
    r->complete = r->checksum[0] && r->tiles_done == r->tiles_total;
    const cJSON *d;
    cJSON_ArrayForEach(d, item(s, "devices"))
    {
        if (r->n_devices == TR_COMPARED_DEVICES_MAX)
            break;
        struct tr_compared_device *e = &r->devices[r->n_devices++];
        copy_text(e->selector, sizeof(e->selector), item(d, "selector"), "?");
        copy_text(e->kernel, sizeof(e->kernel), item(d, "kernel"), "?");
        e->lanes = (uint64_t)number(item(d, "lanes"), 0);
        e->tiles = (uint64_t)number(item(d, "tiles"), 0);
        e->gips = number(item(d, "giga_iterations_per_s"), 0);
        e->share = number(item(d, "frame_share"), 0);
    }
}

/* Runs render the same frame, so their checksums must agree, when these match. */
static int same_frame(const struct tr_compared_run *a, const struct tr_compared_run *b)
{
    return a->width == b->width && a->height == b->height && a->max_iter == b->max_iter &&
           strcmp(a->precision, b->precision) == 0;
}

size_t tr_compare_runs(struct tr_compared_run *runs, size_t n)
{
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        struct tr_compared_run *r = &runs[i];
        r->ratio = n && runs[0].gips > 0 ? r->gips / runs[0].gips : -1;
        r->reference = i;
        if (!r->complete) {
            r->verdict = TR_CHECKSUM_INCOMPLETE;
            continue;
        }
        r->verdict = TR_CHECKSUM_REFERENCE;
        for (size_t j = 0; j < i; j++) {
            if (runs[j].verdict == TR_CHECKSUM_REFERENCE && same_frame(&runs[j], r)) {
                r->reference = j;
                r->verdict = strcmp(runs[j].checksum, r->checksum) == 0 ? TR_CHECKSUM_AGREES
                                                                        : TR_CHECKSUM_DIFFERS;
                differ += r->verdict == TR_CHECKSUM_DIFFERS;
                break;
            }
        }
    }
    return differ;
}

/* Copies src into dst (len bytes), cut when longer, always terminated. */
static void copy_cut(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len)
        n = len - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The label as a table shows it: escaped, and its end when it is long (at most
 * LABEL_CHARS characters of at most 6 bytes each: fits a CELL_SIZE cell). */
static void label_text(char *dst, size_t len, const char *label)
{
    char full[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    tr_text_escape(full, sizeof(full), label, TR_ECHO_PATH_CHARS);
    size_t chars = tr_text_width(full);
    const char *tail = full;
    if (chars <= LABEL_CHARS) {
        copy_cut(dst, len, full);
        return;
    }
    /* skip whole characters until LABEL_CHARS - 3 are left */
    for (size_t skip = chars - (LABEL_CHARS - 3); skip; tail++)
        if (((unsigned char)tail[1] & 0xc0) != 0x80)
            skip--;
    copy_cut(dst, len, "...");
    copy_cut(dst + 3, len - 3, tail);
}

enum {
    COL_NUMBER,
    COL_RUN,
    COL_DEVICE,
    COL_KERNEL,
    COL_MODE,
    COL_THREADS,
    COL_FRAME,
    COL_TILES,
    COL_ELAPSED,
    COL_RATE,
    COL_RATIO,
    COL_CHECKSUM,
    COLUMNS
};
#define CELL_SIZE 256

int tr_comparison_write_text(FILE *f, const struct tr_compared_run *runs, size_t n)
{
    static const char *const head[COLUMNS] = {"#",       "run",     "device", "kernel",
                                              "mode",    "threads", "frame",  "tiles",
                                              "elapsed", "Giter/s", "ratio",  "checksum"};
    static const unsigned char right[COLUMNS] = {
        [COL_NUMBER] = 1,  [COL_THREADS] = 1, [COL_TILES] = 1,
        [COL_ELAPSED] = 1, [COL_RATE] = 1,    [COL_RATIO] = 1};
    char *text = calloc(n * COLUMNS, CELL_SIZE);
    const char **cells = calloc((n + 1) * COLUMNS, sizeof(*cells));
    char when[32];
    int rc = -1;
    if (!text || !cells)
        goto fail;
    memcpy(cells, head, sizeof(head));
    for (size_t i = 0; i < n; i++) {
        const struct tr_compared_run *r = &runs[i];
        char *cell[COLUMNS], precision[TR_QUOTE_SIZE(7)];
        for (size_t c = 0; c < COLUMNS; c++) {
            cell[c] = text + (i * COLUMNS + c) * CELL_SIZE;
            cells[(i + 1) * COLUMNS + c] = cell[c];
        }
        snprintf(cell[COL_NUMBER], CELL_SIZE, "%zu", i + 1);
        label_text(cell[COL_RUN], CELL_SIZE, r->label);
        tr_text_escape(cell[COL_DEVICE], CELL_SIZE, r->selector, 20);
        tr_text_escape(cell[COL_KERNEL], CELL_SIZE, r->kernel, 20);
        tr_text_escape(cell[COL_MODE], CELL_SIZE, r->mode, 12);
        tr_text_escape(precision, sizeof(precision), r->precision, 7);
        snprintf(cell[COL_THREADS], CELL_SIZE, "%llu", (unsigned long long)r->threads);
        /* double is the default and the Hardware Havoc API's: only float is named */
        int is_double = strcmp(r->precision, "double") == 0;
        snprintf(cell[COL_FRAME], CELL_SIZE, "%llux%llu/%llu%s%s", (unsigned long long)r->width,
                 (unsigned long long)r->height, (unsigned long long)r->max_iter,
                 is_double ? "" : " ", is_double ? "" : precision);
        snprintf(cell[COL_TILES], CELL_SIZE, "%llu/%llu%s", (unsigned long long)r->tiles_done,
                 (unsigned long long)r->tiles_total, r->complete ? "" : " (cut)");
        snprintf(cell[COL_ELAPSED], CELL_SIZE, "%s",
                 tr_duration_text(when, sizeof(when), r->elapsed_us / 1e6));
        snprintf(cell[COL_RATE], CELL_SIZE, "%.3f", r->gips);
        if (r->ratio >= 0)
            snprintf(cell[COL_RATIO], CELL_SIZE, "%.2fx", r->ratio);
        else
            snprintf(cell[COL_RATIO], CELL_SIZE, "-");
        switch (r->verdict) {
        case TR_CHECKSUM_REFERENCE:
            tr_text_escape(cell[COL_CHECKSUM], CELL_SIZE, r->checksum, 40);
            break;
        case TR_CHECKSUM_AGREES:
            snprintf(cell[COL_CHECKSUM], CELL_SIZE, "agrees with #%zu", r->reference + 1);
            break;
        case TR_CHECKSUM_DIFFERS:
            snprintf(cell[COL_CHECKSUM], CELL_SIZE, "DIFFERS from #%zu", r->reference + 1);
            break;
        case TR_CHECKSUM_INCOMPLETE:
            snprintf(cell[COL_CHECKSUM], CELL_SIZE, "none: incomplete run");
            break;
        }
    }
    if (tr_text_table_write(f, cells, n + 1, COLUMNS, right) != 0)
        goto fail;

    /* The notes: what the ratio is against, what each device is, what could not be compared. */
    char name[TR_QUOTE_SIZE(80)], selector[TR_QUOTE_SIZE(20)], first[CELL_SIZE];
    label_text(first, sizeof(first), runs[0].label);
    fputc('\n', f);
    if (runs[0].gips > 0)
        fprintf(f, "ratio: each run's rate over #1's (%s); above 1 is faster.\n", first);
    else
        fprintf(f, "ratio: none, #1 (%s) has no rate.\n", first);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && (strcmp(runs[j].selector, runs[i].selector) != 0 ||
                         strcmp(runs[j].device_name, runs[i].device_name) != 0))
            j++;
        if (j < i)
            continue; /* named already */
        tr_text_escape(selector, sizeof(selector), runs[i].selector, 20);
        tr_text_escape(name, sizeof(name), runs[i].device_name, 80);
        fprintf(f, "device %s: %s\n", selector, name);
    }
    for (size_t i = 0; i < n; i++) {
        if (!runs[i].n_devices)
            continue;
        fprintf(f, "#%zu split:", i + 1);
        for (size_t d = 0; d < runs[i].n_devices; d++) {
            const struct tr_compared_device *e = &runs[i].devices[d];
            tr_text_escape(selector, sizeof(selector), e->selector, 20);
            fprintf(f, "%s %s %.1f%% of the frame (%llu tiles, %llu lanes, %.3f Giter/s)",
                    d ? ";" : "", selector, e->share * 100, (unsigned long long)e->tiles,
                    (unsigned long long)e->lanes, e->gips);
        }
        fputc('\n', f);
    }
    size_t differ = 0, agree = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tr_compared_run *r = &runs[i];
        char label[CELL_SIZE];
        label_text(label, sizeof(label), r->label);
        if (r->verdict == TR_CHECKSUM_INCOMPLETE)
            fprintf(f,
                    "#%zu (%s) is incomplete (%llu of %llu tiles%s):\n  no checksum to "
                    "compare, and its rate covers only the tiles rendered.\n",
                    i + 1, label, (unsigned long long)r->tiles_done,
                    (unsigned long long)r->tiles_total,
                    r->time_limited ? ", the time limit cut it short" : "");
        else if (r->verdict == TR_CHECKSUM_DIFFERS) {
            char mine[TR_QUOTE_SIZE(40)], theirs[TR_QUOTE_SIZE(40)];
            tr_text_escape(mine, sizeof(mine), r->checksum, 40);
            tr_text_escape(theirs, sizeof(theirs), runs[r->reference].checksum, 40);
            fprintf(f,
                    "#%zu (%s): checksum %s DIFFERS from #%zu's %s: the same frame, other "
                    "pixels.\n",
                    i + 1, label, mine, r->reference + 1, theirs);
        }
        differ += r->verdict == TR_CHECKSUM_DIFFERS;
        agree += r->verdict == TR_CHECKSUM_AGREES;
    }
    if (!differ && agree)
        fprintf(f, "checksums: every complete run agrees with the first of its frame.\n");
    for (size_t i = 1; i < n; i++)
        if (!same_frame(&runs[0], &runs[i])) {
            fprintf(f, "frames differ: checksums are compared only between runs of one frame "
                       "(width x height/max_iter, precision).\n");
            break;
        }
    rc = ferror(f) ? -1 : 0;
fail:
    free(cells);
    free(text);
    return rc;
}

static cJSON *run_json(const struct tr_compared_run *r)
{
    static const char *const verdicts[] = {"reference", "agrees", "differs", "incomplete"};
    cJSON *o = cJSON_CreateObject(), *dev = cJSON_CreateObject();
    if (!o || !dev || !cJSON_AddItemToObject(o, "label", cJSON_CreateString(r->label)) ||
        !cJSON_AddItemToObject(o, "device", dev)) {
        cJSON_Delete(dev);
        cJSON_Delete(o);
        return NULL;
    }
    int ok = cJSON_AddStringToObject(dev, "selector", r->selector) &&
             cJSON_AddStringToObject(dev, "name", r->device_name) &&
             cJSON_AddStringToObject(dev, "kernel", r->kernel) &&
             cJSON_AddStringToObject(o, "mode", r->mode) &&
             cJSON_AddNumberToObject(o, "threads", (double)r->threads) &&
             cJSON_AddNumberToObject(o, "width", (double)r->width) &&
             cJSON_AddNumberToObject(o, "height", (double)r->height) &&
             cJSON_AddNumberToObject(o, "max_iter", (double)r->max_iter) &&
             cJSON_AddStringToObject(o, "precision", r->precision) &&
             cJSON_AddNumberToObject(o, "tiles_completed", (double)r->tiles_done) &&
             cJSON_AddNumberToObject(o, "tiles_total", (double)r->tiles_total) &&
             cJSON_AddBoolToObject(o, "complete", r->complete) &&
             cJSON_AddNumberToObject(o, "elapsed_us", r->elapsed_us) &&
             cJSON_AddNumberToObject(o, "giga_iterations_per_s", r->gips) &&
             (r->ratio >= 0 ? cJSON_AddNumberToObject(o, "ratio", r->ratio)
                            : cJSON_AddNullToObject(o, "ratio")) &&
             (r->checksum[0] ? cJSON_AddStringToObject(o, "checksum", r->checksum)
                             : cJSON_AddNullToObject(o, "checksum")) &&
             cJSON_AddStringToObject(o, "checksum_verdict", verdicts[r->verdict]) &&
             (r->verdict == TR_CHECKSUM_INCOMPLETE
                  ? cJSON_AddNullToObject(o, "checksum_reference")
                  : cJSON_AddNumberToObject(o, "checksum_reference", (double)r->reference));
    cJSON *devices = ok && r->n_devices ? cJSON_AddArrayToObject(o, "devices") : NULL;
    for (size_t d = 0; ok && d < r->n_devices; d++) {
        const struct tr_compared_device *e = &r->devices[d];
        cJSON *one = cJSON_CreateObject();
        ok = devices && one && cJSON_AddItemToArray(devices, one) &&
             cJSON_AddStringToObject(one, "selector", e->selector) &&
             cJSON_AddStringToObject(one, "kernel", e->kernel) &&
             cJSON_AddNumberToObject(one, "lanes", (double)e->lanes) &&
             cJSON_AddNumberToObject(one, "tiles", (double)e->tiles) &&
             cJSON_AddNumberToObject(one, "giga_iterations_per_s", e->gips) &&
             cJSON_AddNumberToObject(one, "frame_share", e->share);
        if (!ok && one && !devices)
            cJSON_Delete(one);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int tr_comparison_write_json(FILE *f, const struct tr_compared_run *runs, size_t n)
{
    cJSON *doc = cJSON_CreateObject(), *list = cJSON_CreateArray();
    int agree = 1, rc = -1;
    if (!doc || !list || !cJSON_AddItemToObject(doc, "runs", list)) {
        cJSON_Delete(list);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *r = run_json(&runs[i]);
        if (!r || !cJSON_AddItemToArray(list, r)) {
            cJSON_Delete(r);
            goto done;
        }
        agree &= runs[i].verdict != TR_CHECKSUM_DIFFERS;
    }
    if (!cJSON_AddStringToObject(doc, "ratio_to", "first") ||
        !cJSON_AddBoolToObject(doc, "checksums_agree", agree))
        goto done;
    char *text = cJSON_PrintUnformatted(doc);
    if (text) {
        rc = fputs(text, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
        cJSON_free(text);
    }
done:
    cJSON_Delete(doc);
    return rc;
}
