#include "replay/input.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/params.h"
#include "core/status.h"
#include "core/text_escape.h"
#include "output/read_file.h"
#include "replay/json_syntax.h"

/* The largest whole number a double (and JavaScript, in the page) holds exactly: 2^53 - 1. */
#define MAX_EXACT 9007199254740991.0
/* The page draws one timeline row per lane, lanes from thread_id 0..65535. */
#define MAX_THREAD_ID 65535

/*
 * cJSON's allocations go through here: it answers NULL both for bad text and for exhausted
 * memory, and the flag tells the two apart.
 */
static void *(*backing_malloc)(size_t) = malloc;
static _Thread_local bool allocation_failed;

static void *tracked_malloc(size_t size)
{
    void *p = backing_malloc(size);
    if (!p)
        allocation_failed = true;
    return p;
}

void tr_replay_input_set_malloc(void *(*alloc)(size_t size))
{
    backing_malloc = alloc ? alloc : malloc;
}

static void install_hooks(void)
{
    cJSON_Hooks hooks = {tracked_malloc, free};
    cJSON_InitHooks(&hooks);
}

static void track_allocations(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_hooks);
    allocation_failed = false;
}

/* Reads a whole integer field in [lo, hi]; returns 0 or -1. */
static int get_uint(const cJSON *o, const char *key, double lo, double hi, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != (double)(uint64_t)v->valuedouble)
        return -1;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

struct frame_shape {
    uint64_t width, height, tile_w, tile_h, max_iter, cols, rows;
};

static int check_params(const cJSON *doc, struct frame_shape *fs, char *err, size_t errlen)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "params");
    if (!cJSON_IsObject(p) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "data")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "summary"))) {
        snprintf(err, errlen, "not a tilerace run document (no data, params or summary)");
        return -1;
    }
    if (get_uint(p, "width", 1, TR_MAX_SIDE, &fs->width) ||
        get_uint(p, "height", 1, TR_MAX_SIDE, &fs->height) ||
        get_uint(p, "tile_w", 1, TR_MAX_SIDE, &fs->tile_w) ||
        get_uint(p, "tile_h", 1, TR_MAX_SIDE, &fs->tile_h) ||
        get_uint(p, "max_iter", 1, TR_MAX_ITER, &fs->max_iter)) {
        snprintf(err, errlen,
                 "params: width, height, tile_w, tile_h or max_iter is missing or out of range");
        return -1;
    }
    /* the summary's numbers the page computes with: absent, null, or in range */
    static const struct {
        const char *key;
        double max;
        bool whole;
    } summary_numbers[] = {{"elapsed_us", MAX_EXACT, true},
                           {"threads_used", MAX_THREAD_ID + 1, true},
                           {"giga_iterations_per_s", MAX_EXACT, false}};
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "summary");
    for (size_t i = 0; i < sizeof(summary_numbers) / sizeof(summary_numbers[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, summary_numbers[i].key);
        if (!v || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
            v->valuedouble > summary_numbers[i].max ||
            (summary_numbers[i].whole && v->valuedouble != floor(v->valuedouble))) {
            snprintf(err, errlen, "summary: %s is not a %s in 0..%.0f", summary_numbers[i].key,
                     summary_numbers[i].whole ? "whole number" : "number", summary_numbers[i].max);
            return -1;
        }
    }
    fs->cols = (fs->width + fs->tile_w - 1) / fs->tile_w;
    fs->rows = (fs->height + fs->tile_h - 1) / fs->tile_h;
    /* the program's own limits: a run it could not have made is not one */
    if ((uint64_t)fs->width * fs->height > TR_MAX_PIXELS ||
        (uint64_t)fs->cols * fs->rows > TR_MAX_TILES) {
        snprintf(err, errlen,
                 "params: %llux%llu pixels in %llux%llu tiles is beyond tilerace's limits (at "
                 "most %llu pixels and %llu tiles)",
                 (unsigned long long)fs->width, (unsigned long long)fs->height,
                 (unsigned long long)fs->cols, (unsigned long long)fs->rows,
                 (unsigned long long)TR_MAX_PIXELS, (unsigned long long)TR_MAX_TILES);
        return -1;
    }
    return 0;
}

/* A string of 1..TR_DEVICE_MAXLEN-1 printable ASCII characters (the page's rule too). */
static int printable_name(const cJSON *v)
{
    if (!cJSON_IsString(v))
        return 0;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++, n++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return n >= 1 && n < TR_DEVICE_MAXLEN;
}

/* A record's shape, and its data when it has one. */
static int check_record(const cJSON *r, const struct frame_shape *fs, size_t index, char *err,
                        size_t errlen)
{
    static const struct {
        const char *name;
        double max;
    } fields[] = {{"tile_x", MAX_EXACT},        {"tile_y", MAX_EXACT},
                  {"tile_w", MAX_EXACT},        {"tile_h", MAX_EXACT},
                  {"thread_id", MAX_THREAD_ID}, {"pixels_computed", MAX_EXACT},
                  {"start_time_us", MAX_EXACT}, {"duration_us", MAX_EXACT}};
    uint64_t id = 0, v[sizeof(fields) / sizeof(fields[0])] = {0};
    if (!cJSON_IsObject(r) || get_uint(r, "task_id", 0, (double)(fs->cols * fs->rows - 1), &id)) {
        snprintf(err, errlen, "record %zu: no task_id within the frame's tile grid", index);
        return -1;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (get_uint(r, fields[i].name, 0, fields[i].max, &v[i])) {
            snprintf(err, errlen,
                     "record %zu (task_id %llu): %s is missing or not a count in 0..%.0f", index,
                     (unsigned long long)id, fields[i].name, fields[i].max);
            return -1;
        }
    }
    uint64_t x = v[0], y = v[1], w = v[2], h = v[3];
    if (x != (id % fs->cols) * fs->tile_w || y != (id / fs->cols) * fs->tile_h || w == 0 ||
        h == 0 || x + w > fs->width || y + h > fs->height) {
        snprintf(err, errlen, "record %zu (task_id %llu): the tile is not where its task_id says",
                 index, (unsigned long long)id);
        return -1;
    }
    /* the device that rendered it, a label on the page's timeline */
    const cJSON *device = cJSON_GetObjectItemCaseSensitive(r, "device");
    if (device && !printable_name(device)) {
        snprintf(err, errlen,
                 "record %zu (task_id %llu): device must be a device's name of 1..%d printable "
                 "ASCII characters",
                 index, (unsigned long long)id, TR_DEVICE_MAXLEN - 1);
        return -1;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(r, "data");
    if (!data)
        return 0;
    if (!cJSON_IsArray(data) || (uint64_t)cJSON_GetArraySize(data) != w * h) {
        snprintf(err, errlen,
                 "record %zu (task_id %llu): data must hold tile_w*tile_h = %llu counts", index,
                 (unsigned long long)id, (unsigned long long)(w * h));
        return -1;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, data)
    {
        if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > (double)fs->max_iter ||
            c->valuedouble != (double)(int)c->valuedouble) {
            snprintf(err, errlen,
                     "record %zu (task_id %llu): data holds a value that is not a "
                     "count in 0..max_iter",
                     index, (unsigned long long)id);
            return -1;
        }
    }
    return 0;
}

static int check_document(const cJSON *doc, char *err, size_t errlen)
{
    struct frame_shape fs;
    if (check_params(doc, &fs, err, errlen))
        return -1;
    size_t i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "data"))
    {
        if (check_record(r, &fs, i++, err, errlen))
            return -1;
    }
    return 0;
}

static int only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
            return 0;
    return 1;
}

/* Gives each record of doc (already checked) the "data" of the tile line with its task_id. */
static int merge_tile_lines(cJSON *doc, cJSON *tiles, char *err, size_t errlen)
{
    struct frame_shape fs;
    cJSON *r, *t;
    check_params(doc, &fs, err, errlen);
    cJSON **by_id = calloc(fs.cols * fs.rows, sizeof(*by_id));
    if (!by_id) {
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "data"))
    {
        by_id[(uint64_t)cJSON_GetObjectItemCaseSensitive(r, "task_id")->valuedouble] = r;
    }
    int rc = 0;
    cJSON_ArrayForEach(t, tiles)
    {
        uint64_t id;
        if (get_uint(t, "task_id", 0, (double)(fs.cols * fs.rows - 1), &id) || !by_id[id]) {
            snprintf(err, errlen,
                     "a tile line's task_id is not among the final document's records");
            rc = TR_ERR_USAGE;
            break;
        }
        cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(t, "data");
        if (cJSON_GetObjectItemCaseSensitive(by_id[id], "data")) {
            cJSON_Delete(data);
        } else if (!cJSON_AddItemToObject(by_id[id], "data", data)) {
            cJSON_Delete(data);
            snprintf(err, errlen, "out of memory");
            rc = TR_ERR_INTERNAL;
            break;
        }
    }
    free(by_id);
    return rc;
}

/* Where at lies in text: 1-based line, and column in characters. */
static void locate(const char *text, const char *at, size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            ++*line;
            *column = 1;
        } else if (((unsigned char)*p & 0xc0) != 0x80) { /* not a UTF-8 continuation byte */
            ++*column;
        }
    }
}

static int error_at(const char *text, const char *at, const char *what, char *err, size_t errlen)
{
    size_t line, column;
    locate(text, at, &line, &column);
    snprintf(err, errlen, "line %zu, column %zu: %s", line, column, what);
    return TR_ERR_USAGE;
}

static int out_of_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return TR_ERR_INTERNAL;
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* The end of the line that starts at p. */
static const char *line_end(const char *p, const char *end)
{
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    return eol ? eol : end;
}

/*
 * Parses [from, end) of text as one JSON value into *value. The syntax is checked first
 * (unless the caller has) so that an error is placed exactly, and nothing cJSON would let
 * through (a leading zero, a raw control character in a string) passes.
 */
static int parse_value(const char *text, const char *from, const char *end, bool checked,
                       cJSON **value, char *err, size_t errlen)
{
    const char *why = NULL, *stop = NULL;
    const char *at = checked ? NULL : tr_json_syntax_error(from, end, &why);
    char what[128];
    *value = NULL;
    if (at) {
        snprintf(what, sizeof(what), "not valid JSON (%s)", why);
        return error_at(text, at, what, err, errlen);
    }
    *value = cJSON_ParseWithLengthOpts(from, (size_t)(end - from), &stop, 0);
    if (allocation_failed) {
        cJSON_Delete(*value);
        *value = NULL;
        return out_of_memory(err, errlen);
    }
    if (!*value) /* the one valid JSON cJSON refuses: half a surrogate pair, no text */
        return error_at(text, stop, "not valid JSON (a \\u escape of half a surrogate pair)", err,
                        errlen);
    return 0;
}

/* Whether text is --stream NDJSON: its first line that is not blank is a JSON value. */
static bool is_ndjson(const char *text, const char *end)
{
    const char *start = skip_space(text, end);
    return tr_json_syntax_error(start, line_end(start, end), NULL) == NULL;
}

enum tr_status tr_replay_parse_run(const char *text, size_t len, cJSON **doc, char *err,
                                   size_t errlen)
{
    const char *end = text + len, *p = text;
    cJSON *tiles = NULL, *last = NULL;
    size_t last_line = 0;
    int rc;
    *doc = NULL;

    track_allocations();
    if (only_space(text, end)) {
        snprintf(err, errlen, "the file is empty");
        return TR_ERR_USAGE;
    }
    /* the page shows the run's text: it must be text */
    size_t valid = tr_utf8_valid_prefix(text, len);
    if (valid < len) {
        char what[80];
        snprintf(what, sizeof(what), "byte 0x%02x is not UTF-8 (accepted: UTF-8 text)",
                 (unsigned char)text[valid]);
        return error_at(text, text + valid, what, err, errlen);
    }
    bool one_value = tr_json_syntax_error(text, end, NULL) == NULL;
    if (one_value || !is_ndjson(text, end)) {
        /* one document (or a broken one: its error placed in the whole text) */
        if ((rc = parse_value(text, text, end, one_value, &last, err, errlen)) != 0)
            return rc;
        if (check_document(last, err, errlen)) {
            cJSON_Delete(last);
            return TR_ERR_USAGE;
        }
        *doc = last;
        return 0;
    }
    /* NDJSON (--stream): tile lines, then the document. */
    if (!(tiles = cJSON_CreateArray())) {
        rc = out_of_memory(err, errlen);
        goto fail;
    }
    for (size_t line = 1; p < end; line++, p++) {
        const char *eol = line_end(p, end);
        if (only_space(p, eol)) {
            if (eol == end)
                break;
            p = eol;
            continue;
        }
        cJSON *v;
        if ((rc = parse_value(text, p, eol, false, &v, err, errlen)) != 0)
            goto fail;
        if (last) {
            if (!cJSON_IsObject(last) || !cJSON_GetObjectItemCaseSensitive(last, "data") ||
                cJSON_GetObjectItemCaseSensitive(last, "summary")) {
                snprintf(err, errlen, "line %zu: not a tile line (a record with data)", last_line);
                cJSON_Delete(v);
                rc = TR_ERR_USAGE;
                goto fail;
            }
            cJSON_AddItemToArray(tiles, last);
        }
        last = v;
        last_line = line;
        if (eol == end)
            break;
        p = eol;
    }
    rc = TR_ERR_USAGE;
    if (!last || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(last, "summary"))) {
        snprintf(err, errlen, "no run document at the end (a --stream cut short?)");
        goto fail;
    }
    if (check_document(last, err, errlen) || (rc = merge_tile_lines(last, tiles, err, errlen)))
        goto fail;
    rc = TR_ERR_USAGE;
    if (check_document(last, err, errlen)) /* now with the tiles' data */
        goto fail;
    *doc = last;
    last = NULL;
    rc = 0;
fail:
    cJSON_Delete(last);
    cJSON_Delete(tiles);
    return rc;
}

enum tr_status tr_replay_read_run(const char *path, size_t max_bytes, cJSON **doc, char *err,
                                  size_t errlen)
{
    char why[320], quoted[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    char *buf = NULL;
    size_t len = 0;
    *doc = NULL;
    int rc = tr_read_file(path, max_bytes, &buf, &len, err, errlen);
    if (rc == TR_ERR_USAGE) { /* too large */
        size_t used = strlen(err);
        snprintf(err + used, errlen - used,
                 " (raise it with --max-input-mb, accepted range %llu..%llu)",
                 (unsigned long long)tr_options[TR_OPTION_MAX_INPUT_MB].min,
                 (unsigned long long)tr_options[TR_OPTION_MAX_INPUT_MB].max);
    }
    if (rc)
        return rc;
    rc = tr_replay_parse_run(buf, len, doc, why, sizeof(why));
    tr_text_quote(quoted, sizeof(quoted), path, TR_ECHO_PATH_CHARS);
    if (rc == TR_ERR_INTERNAL)
        snprintf(err, errlen, "%s: out of memory reading a %zu-byte run", quoted, len);
    else if (rc)
        snprintf(err, errlen, "%s is not a tilerace run: %s", quoted, why);
    free(buf);
    return rc;
}
