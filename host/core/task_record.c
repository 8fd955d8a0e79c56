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
    if (ok && r->device)
        ok = cJSON_AddStringToObject(o, "device", r->device) != NULL;
    if (ok && r->host)
        ok = cJSON_AddNumberToObject(o, "rank", r->rank) != NULL &&
             cJSON_AddStringToObject(o, "host", r->host) != NULL;
    if (ok && r->stolen)
        ok = cJSON_AddTrueToObject(o, "stolen") != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* cJSON prints an integral number below 1e15 as its digits; larger ones in other forms. */
#define PLAIN_DIGITS_BELOW 1000000000000000LL
/* The longest device name tr_record_format writes itself. */
#define TR_RECORD_DEVICE_MAX 64

/* Writes v's decimal digits at p; returns the end. */
static char *put_int(char *p, int64_t v)
{
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = digits[--n];
    return p;
}

static int plain(int64_t v)
{
    return v > -PLAIN_DIGITS_BELOW && v < PLAIN_DIGITS_BELOW;
}

static char *put_field(char *p, const char *key, size_t key_len, int64_t v)
{
    memcpy(p, key, key_len);
    return put_int(p + key_len, v);
}

#define PUT(p, key, v) put_field(p, key, sizeof(key) - 1, v)

int tr_record_format(const struct tr_record *r, char *buf, size_t len)
{
    int64_t start_us = r->start_ns / 1000, duration_us = r->duration_ns / 1000;
    int64_t device_us = r->device_time_ns >= 0 ? r->device_time_ns / 1000 : 0;
    /* a host name may need escaping: cJSON writes the records of a run across processes */
    if (len < TR_RECORD_TEXT_MAX || r->host || r->pixels_computed >= (uint64_t)PLAIN_DIGITS_BELOW ||
        !plain(start_us) || !plain(duration_us) || !plain(device_us))
        return -1;
    char *p = buf;
    p = PUT(p, "{\"task_id\":", r->task_id);
    p = PUT(p, ",\"thread_id\":", r->thread_id);
    p = PUT(p, ",\"tile_x\":", r->tile_x);
    p = PUT(p, ",\"tile_y\":", r->tile_y);
    p = PUT(p, ",\"tile_w\":", r->tile_w);
    p = PUT(p, ",\"tile_h\":", r->tile_h);
    p = PUT(p, ",\"start_time_ms\":", start_us / 1000);
    p = PUT(p, ",\"duration_ms\":", duration_us / 1000);
    p = PUT(p, ",\"pixels_computed\":", (int64_t)r->pixels_computed);
    p = PUT(p, ",\"start_time_us\":", start_us);
    p = PUT(p, ",\"duration_us\":", duration_us);
    if (r->device_time_ns >= 0)
        p = PUT(p, ",\"device_time_us\":", device_us);
    if (r->device) {
        /* a selector is plain ASCII with nothing to escape; anything else goes to cJSON */
        size_t n = strlen(r->device);
        if (n > TR_RECORD_DEVICE_MAX || strpbrk(r->device, "\"\\") != NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)r->device[i] < 0x20 || (unsigned char)r->device[i] > 0x7e)
                return -1;
        memcpy(p, ",\"device\":\"", 11);
        memcpy(p + 11, r->device, n);
        p += 11 + n;
        *p++ = '"';
    }
    if (r->stolen) {
        static const char stolen[] = ",\"stolen\":true";
        memcpy(p, stolen, sizeof(stolen) - 1);
        p += sizeof(stolen) - 1;
    }
    *p++ = '}';
    *p = '\0';
    return (int)(p - buf);
}

int tr_record_write(FILE *f, const struct tr_record *r)
{
    char text[TR_RECORD_TEXT_MAX];
    int len = tr_record_format(r, text, sizeof(text));
    if (len >= 0)
        return fwrite(text, 1, (size_t)len, f) == (size_t)len ? 0 : -1;
    cJSON *o = tr_record_to_json(r);
    char *printed = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!printed)
        return -1;
    int rc = fputs(printed, f) < 0 ? -1 : 0;
    cJSON_free(printed);
    return rc;
}

/* Counts go out through this buffer: a number is at most 6 bytes with its comma. */
#define COUNTS_CHUNK 16384

int tr_record_write_with_counts(FILE *f, const struct tr_record *r, const uint16_t *frame,
                                uint32_t frame_width)
{
    char text[TR_RECORD_TEXT_MAX], *printed = NULL;
    const char *head = text;
    int len = tr_record_format(r, text, sizeof(text));
    if (len < 0) {
        cJSON *o = tr_record_to_json(r);
        printed = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!printed)
            return -1;
        head = printed;
        len = (int)strlen(printed);
    }
    /* the record ends in '}': the counts go in before it */
    int rc = fwrite(head, 1, (size_t)len - 1, f) == (size_t)len - 1 && fputs(",\"data\":[", f) >= 0
                 ? 0
                 : -1;
    cJSON_free(printed);
    char chunk[COUNTS_CHUNK];
    size_t used = 0;
    for (uint32_t y = 0; rc == 0 && y < r->tile_h; y++) {
        const uint16_t *row = frame + (size_t)(r->tile_y + y) * frame_width + r->tile_x;
        for (uint32_t x = 0; x < r->tile_w; x++) {
            if (used > sizeof(chunk) - 8) {
                if (fwrite(chunk, 1, used, f) != used) {
                    rc = -1;
                    break;
                }
                used = 0;
            }
            if (x | y)
                chunk[used++] = ',';
            used = (size_t)(put_int(chunk + used, row[x]) - chunk);
        }
    }
    if (rc == 0 && used && fwrite(chunk, 1, used, f) != used)
        rc = -1;
    if (rc == 0 && fputs("]}", f) < 0)
        rc = -1;
    return rc;
}
