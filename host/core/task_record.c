#include "core/task_record.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static int compare_records(const void *a, const void *b)
{
    const struct tr_record *x = a, *y = b;
    int64_t sx = x->start_ns / 1000, sy = y->start_ns / 1000;
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return (x->task_id > y->task_id) - (x->task_id < y->task_id);
}

void tr_records_sort(struct tr_record *records, size_t n)
{
    if (n > 1)
        qsort(records, n, sizeof(*records), compare_records);
}

struct cJSON *tr_record_to_json(const struct tr_record *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int64_t start_us = r->start_ns / 1000, duration_us = r->duration_ns / 1000;
    int ok = cJSON_AddNumberToObject(o, "task_id", r->task_id) &&
             cJSON_AddNumberToObject(o, "thread_id", r->thread_id) &&
             cJSON_AddNumberToObject(o, "tile_x", r->tile_x) &&
             cJSON_AddNumberToObject(o, "tile_y", r->tile_y) &&
             cJSON_AddNumberToObject(o, "tile_w", r->tile_w) &&
             cJSON_AddNumberToObject(o, "tile_h", r->tile_h) &&
             cJSON_AddNumberToObject(o, "start_time_ms", (double)(start_us / 1000)) &&
             cJSON_AddNumberToObject(o, "duration_ms", (double)(duration_us / 1000)) &&
             cJSON_AddNumberToObject(o, "pixels_computed", (double)r->pixels_computed) &&
             cJSON_AddNumberToObject(o, "start_time_us", (double)start_us) &&
             cJSON_AddNumberToObject(o, "duration_us", (double)duration_us);
    if (ok && r->device_time_ns >= 0)
        ok = cJSON_AddNumberToObject(o, "device_time_us", (double)(r->device_time_ns / 1000)) !=
             NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int tr_record_write_with_counts(FILE *f, const struct tr_record *r, const uint16_t *frame,
                                uint32_t frame_width)
{
    cJSON *o = tr_record_to_json(r);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return -1;
    size_t len = strlen(text); /* ends in '}': the counts go in before it */
    int rc = fwrite(text, 1, len - 1, f) == len - 1 && fputs(",\"data\":[", f) >= 0 ? 0 : -1;
    cJSON_free(text);
    for (uint32_t y = 0; rc == 0 && y < r->tile_h; y++) {
        const uint16_t *row = frame + (size_t)(r->tile_y + y) * frame_width + r->tile_x;
        for (uint32_t x = 0; x < r->tile_w; x++) {
            if (fprintf(f, (x | y) ? ",%u" : "%u", (unsigned)row[x]) < 0) {
                rc = -1;
                break;
            }
        }
    }
    if (rc == 0 && fputs("]}", f) < 0)
        rc = -1;
    return rc;
}
