#include "output/json_document.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

struct cJSON *tr_json_params(const struct tr_params *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = 1;
    for (int id = 0; id < TR_PARAM_NUMBERS && ok; id++)
        ok = cJSON_AddNumberToObject(o, tr_options[id].query,
                                     tr_params_number(p, (enum tr_option_id)id)) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "mode", tr_mode_name(p->mode)) &&
         cJSON_AddStringToObject(o, "device", p->device) &&
         cJSON_AddStringToObject(o, "precision", tr_precision_name(p->precision)) &&
         cJSON_AddStringToObject(o, "kernel", tr_kernel_name(p->kernel));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *device_json(const struct tr_device_info *d)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok =
        cJSON_AddStringToObject(o, "selector", d->selector) &&
        cJSON_AddStringToObject(o, "name", d->name) &&
        cJSON_AddStringToObject(o, "platform", d->platform) &&
        cJSON_AddStringToObject(o, "type", d->type) &&
        cJSON_AddStringToObject(o, "kernel", d->kernel) &&
        cJSON_AddNumberToObject(o, "build_time_us", (double)(d->build_ns / 1000)) &&
        cJSON_AddStringToObject(o, "build_source", d->build_source[0] ? d->build_source : "none") &&
        cJSON_AddNumberToObject(o, "warmup_time_us", (double)(d->warmup_ns / 1000)) &&
        cJSON_AddNumberToObject(o, "readback_time_us", (double)(d->readback_ns / 1000)) &&
        cJSON_AddNumberToObject(o, "time_to_first_tile_us", (double)(d->first_tile_ns / 1000));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* One device's share of a run of several: what it was given and what it did. */
static cJSON *device_share_json(const struct tr_job *job, uint32_t i)
{
    const struct tr_device_info *d = &job->devices[i];
    const struct tr_run *r = &job->run;
    const struct tr_group_run *g = &r->groups[i];
    double busy_s = (double)g->busy_ns / 1e9, elapsed_s = (double)r->elapsed_ns / 1e9;
    uint64_t pixels = (uint64_t)job->params.width * job->params.height;
    cJSON *o = cJSON_CreateObject();
    int ok =
        o && cJSON_AddStringToObject(o, "selector", d->resolved) &&
        cJSON_AddStringToObject(o, "given_as", d->selector) &&
        cJSON_AddStringToObject(o, "name", d->name) &&
        cJSON_AddStringToObject(o, "type", d->type) &&
        cJSON_AddStringToObject(o, "kernel", d->kernel) &&
        cJSON_AddNumberToObject(o, "lanes", d->lanes) &&
        cJSON_AddNumberToObject(o, "lanes_used", g->lanes) &&
        cJSON_AddNumberToObject(o, "tiles", (double)g->tiles) &&
        cJSON_AddNumberToObject(o, "pixels", (double)g->pixels) &&
        cJSON_AddNumberToObject(o, "iterations", (double)g->iterations) &&
        cJSON_AddNumberToObject(o, "busy_us", (double)(g->busy_ns / 1000)) &&
        /* over the run's elapsed time, so the devices' rates add up to the run's */
        cJSON_AddNumberToObject(o, "giga_iterations_per_s",
                                elapsed_s > 0 ? (double)g->iterations / elapsed_s / 1e9 : 0.0) &&
        cJSON_AddNumberToObject(o, "busy_giga_iterations_per_s",
                                busy_s > 0 ? (double)g->iterations / busy_s / 1e9 : 0.0) &&
        cJSON_AddNumberToObject(o, "frame_share",
                                pixels ? (double)g->pixels / (double)pixels : 0.0) &&
        cJSON_AddNumberToObject(o, "build_time_us", (double)(d->build_ns / 1000)) &&
        cJSON_AddNumberToObject(o, "warmup_time_us", (double)(d->warmup_ns / 1000)) &&
        cJSON_AddNumberToObject(o, "readback_time_us", (double)(d->readback_ns / 1000));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* A run across processes: summary.ranks, each rank's host, devices, lanes, tiles and rate.
 * Returns 1, or 0 when out of memory. */
static int add_ranks(cJSON *summary, const struct tr_job *job)
{
    if (!cJSON_AddNumberToObject(summary, "gather_us", (double)(job->gather_ns / 1000)))
        return 0;
    cJSON *list = cJSON_AddArrayToObject(summary, "ranks");
    double elapsed_s = (double)job->run.elapsed_ns / 1e9;
    for (uint32_t i = 0; list && i < job->n_ranks; i++) {
        const struct tr_rank_info *k = &job->ranks[i];
        cJSON *o = cJSON_CreateObject();
        cJSON *devices = o ? cJSON_AddArrayToObject(o, "devices") : NULL;
        int ok = devices && cJSON_AddItemToArray(list, o);
        if (!ok) {
            cJSON_Delete(o);
            return 0;
        }
        for (uint32_t d = 0; ok && d < k->n_devices; d++)
            ok = cJSON_AddItemToArray(
                devices, cJSON_CreateString(job->devices[k->first_device + d].resolved));
        /* over the run's elapsed time, so the ranks' rates add up to the run's */
        ok = ok && cJSON_AddNumberToObject(o, "rank", i) &&
             cJSON_AddStringToObject(o, "host", k->host) &&
             cJSON_AddStringToObject(o, "device_list", k->devices) &&
             cJSON_AddNumberToObject(o, "lanes", k->lanes) &&
             cJSON_AddNumberToObject(o, "tiles", (double)k->tiles) &&
             cJSON_AddNumberToObject(o, "pixels", (double)k->pixels) &&
             cJSON_AddNumberToObject(o, "total_iterations", (double)k->iterations) &&
             cJSON_AddNumberToObject(o, "elapsed_us", (double)(k->elapsed_ns / 1000)) &&
             cJSON_AddNumberToObject(o, "sent_bytes", (double)k->sent_bytes) &&
             cJSON_AddNumberToObject(o, "send_us", (double)(k->send_ns / 1000)) &&
             cJSON_AddNumberToObject(o, "max_rss_kib", (double)k->max_rss_kib) &&
             cJSON_AddNumberToObject(o, "giga_iterations_per_s",
                                     elapsed_s > 0 ? (double)k->iterations / elapsed_s / 1e9 : 0.0);
        if (!ok)
            return 0;
    }
    return list != NULL;
}

struct cJSON *tr_json_summary(const struct tr_job *job)
{
    const struct tr_run *r = &job->run;
    char checksum[32];
    cJSON *o = cJSON_CreateObject();
    cJSON *dev = device_json(&job->device);
    if (!o || !dev) {
        cJSON_Delete(o);
        cJSON_Delete(dev);
        return NULL;
    }
    double elapsed_s = (double)r->elapsed_ns / 1e9;
    double gips = elapsed_s > 0 ? (double)r->total_iterations / elapsed_s / 1e9 : 0.0;
    snprintf(checksum, sizeof(checksum), "fnv1a64:%016llx", (unsigned long long)r->checksum);
    int ok = cJSON_AddNumberToObject(o, "tiles_total", (double)r->tiles_total) &&
             cJSON_AddNumberToObject(o, "tiles_completed", (double)r->n_records) &&
             cJSON_AddBoolToObject(o, "time_limited", r->time_limited) &&
             cJSON_AddBoolToObject(o, "cancelled", r->cancelled) &&
             cJSON_AddNumberToObject(o, "elapsed_us", (double)(r->elapsed_ns / 1000)) &&
             cJSON_AddNumberToObject(o, "total_iterations", (double)r->total_iterations) &&
             (r->complete ? cJSON_AddStringToObject(o, "checksum", checksum)
                          : cJSON_AddNullToObject(o, "checksum")) &&
             cJSON_AddNumberToObject(o, "giga_iterations_per_s", gips) &&
             cJSON_AddNumberToObject(o, "threads_used", r->lanes);
    /* Only a run that fed a consumer (--stream, the progress bar, an event stream) can have
     * waited on one; other documents keep their fields. */
    if (ok && r->had_consumer)
        ok = cJSON_AddNumberToObject(o, "output_wait_us", (double)(r->output_wait_ns / 1000)) !=
             NULL;
    /* Steal mode: each lane's successful steals, by thread_id, and their sum. */
    if (ok && r->steals) {
        cJSON *steals = cJSON_AddArrayToObject(o, "steals");
        for (uint32_t i = 0; steals && i < r->lanes && ok; i++)
            ok = cJSON_AddItemToArray(steals, cJSON_CreateNumber((double)r->steals[i]));
        ok = ok && steals && cJSON_AddNumberToObject(o, "steals_total", (double)r->steals_total);
    }
    if (!ok || !cJSON_AddItemToObject(o, "device", dev)) {
        cJSON_Delete(dev);
        cJSON_Delete(o);
        return NULL;
    }
    /* A run of several devices also lists each one's share; summary.device is its first. */
    if (job->n_devices > 1) {
        cJSON *list = cJSON_AddArrayToObject(o, "devices");
        for (uint32_t i = 0; list && i < job->n_devices; i++) {
            cJSON *d = device_share_json(job, i);
            if (!d || !cJSON_AddItemToArray(list, d)) {
                cJSON_Delete(d);
                list = NULL;
            }
        }
        if (!list) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    if (job->n_ranks && !add_ranks(o, job)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

void tr_json_message(const struct tr_job *job, char *buf, size_t len)
{
    static const char *const done[] = {
        "Sequential tasks executed successfully", "Concurrent tasks executed successfully",
        "Dynamic tasks executed successfully", "Steal tasks executed successfully"};
    const struct tr_run *r = &job->run;
    if (r->complete)
        snprintf(buf, len, "%s", done[job->params.mode]);
    else
        snprintf(buf, len, "Completed %zu/%llu tiles (%s)", r->n_records,
                 (unsigned long long)r->tiles_total,
                 r->cancelled ? "cancelled" : "time limit reached");
}

/* Prints item without its tree staying around; returns 0 or -1. */
static int write_item(FILE *f, cJSON *item)
{
    if (!item)
        return -1;
    char *text = cJSON_PrintUnformatted(item);
    cJSON_Delete(item);
    if (!text)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    cJSON_free(text);
    return rc;
}

int tr_json_write_document(FILE *f, const struct tr_job *job)
{
    return tr_json_write_document_flags(f, job, 0);
}

int tr_json_write_document_flags(FILE *f, const struct tr_job *job, unsigned flags)
{
    char message[128];
    const char *nl = flags & TR_JSON_ONE_LINE ? "" : "\n";
    if (fputs("{\"success\":true,\"data\":[", f) < 0)
        return -1;
    for (size_t i = 0; i < job->run.n_records; i++) {
        const struct tr_record *r = &job->run.records[i];
        if ((i && fputc(',', f) == EOF) || fputs(nl, f) < 0)
            return -1;
        if ((flags & TR_JSON_RECORD_COUNTS) && job->frame) { /* a run without a frame: none */
            if (tr_record_write_with_counts(f, r, job->frame, job->params.width) != 0)
                return -1;
        } else if (tr_record_write(f, r) != 0) {
            return -1;
        }
    }
    tr_json_message(job, message, sizeof(message));
    if (fputs(nl, f) < 0 || fputs("],\"params\":", f) < 0 ||
        write_item(f, tr_json_params(&job->params)) || fputs(",\"message\":", f) < 0 ||
        write_item(f, cJSON_CreateString(message)) || fputs(",\"summary\":", f) < 0 ||
        write_item(f, tr_json_summary(job)) || fputs("}\n", f) < 0)
        return -1;
    return 0;
}
