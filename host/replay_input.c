#include "replay_input.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exit_codes.h"
#include "params.h"

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
    if (get_uint(p, "width", 1, 65536, &fs->width) ||
        get_uint(p, "height", 1, 65536, &fs->height) ||
        get_uint(p, "tile_w", 1, 65536, &fs->tile_w) ||
        get_uint(p, "tile_h", 1, 65536, &fs->tile_h) ||
        get_uint(p, "max_iter", 1, 65535, &fs->max_iter)) {
        snprintf(err, errlen,
                 "params: width, height, tile_w, tile_h or max_iter is missing or out of range");
        return -1;
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

/* A record's shape, and its data when it has one. */
static int check_record(const cJSON *r, const struct frame_shape *fs, size_t index, char *err,
                        size_t errlen)
{
    static const char *const fields[] = {"tile_x",        "tile_y",     "tile_w",
                                         "tile_h",        "thread_id",  "pixels_computed",
                                         "start_time_us", "duration_us"};
    uint64_t id = 0, v[sizeof(fields) / sizeof(fields[0])] = {0};
    if (!cJSON_IsObject(r) || get_uint(r, "task_id", 0, (double)(fs->cols * fs->rows - 1), &id)) {
        snprintf(err, errlen, "record %zu: no task_id within the frame's tile grid", index);
        return -1;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (get_uint(r, fields[i], 0, 9007199254740991.0, &v[i])) {
            snprintf(err, errlen, "record %zu (task_id %llu): %s is missing or not a count", index,
                     (unsigned long long)id, fields[i]);
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
        return TR_EXIT_FAILURE;
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
            rc = TR_EXIT_USAGE;
            break;
        }
        cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(t, "data");
        if (!cJSON_GetObjectItemCaseSensitive(by_id[id], "data"))
            cJSON_AddItemToObject(by_id[id], "data", data);
        else
            cJSON_Delete(data);
    }
    free(by_id);
    return rc;
}

int tr_replay_parse_run(const char *text, size_t len, cJSON **doc, char *err, size_t errlen)
{
    const char *end = text + len, *p = text, *stop = NULL;
    cJSON *first = NULL, *tiles = NULL, *last = NULL;
    size_t last_line = 0;
    int rc = TR_EXIT_USAGE;
    *doc = NULL;

    if (only_space(text, end)) {
        snprintf(err, errlen, "the file is empty");
        return TR_EXIT_USAGE;
    }
    first = cJSON_ParseWithLengthOpts(p, len, &stop, 0);
    if (first && only_space(stop, end)) {
        if (check_document(first, err, errlen))
            goto fail;
        *doc = first; /* one document */
        return 0;
    }
    /* NDJSON (--stream): tile lines, then the document. */
    if (!(tiles = cJSON_CreateArray())) {
        rc = TR_EXIT_FAILURE;
        goto fail;
    }
    for (size_t line = 1; p < end; line++, p++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (only_space(p, eol)) {
            if (eol == end)
                break;
            p = eol;
            continue;
        }
        cJSON *v = cJSON_ParseWithLengthOpts(p, (size_t)(eol - p), &stop, 0);
        if (!v || !only_space(stop, eol)) {
            snprintf(err, errlen, "line %zu: not valid JSON", line);
            cJSON_Delete(v);
            goto fail;
        }
        if (last) {
            if (!cJSON_IsObject(last) || !cJSON_GetObjectItemCaseSensitive(last, "data") ||
                cJSON_GetObjectItemCaseSensitive(last, "summary")) {
                snprintf(err, errlen, "line %zu: not a tile line (a record with data)", last_line);
                cJSON_Delete(v);
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
    if (!last || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(last, "summary"))) {
        snprintf(err, errlen, "no run document at the end (a --stream cut short?)");
        goto fail;
    }
    if (check_document(last, err, errlen) || (rc = merge_tile_lines(last, tiles, err, errlen)))
        goto fail;
    rc = TR_EXIT_USAGE;
    if (check_document(last, err, errlen)) /* now with the tiles' data */
        goto fail;
    *doc = last;
    last = NULL;
    rc = 0;
fail:
    cJSON_Delete(last);
    cJSON_Delete(tiles);
    cJSON_Delete(first);
    return rc;
}

int tr_replay_read_run(const char *path, cJSON **doc, char *err, size_t errlen)
{
    char why[320];
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = TR_EXIT_IO;
    *doc = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "'%s' cannot be read: %s", path, strerror(errno));
        return TR_EXIT_IO;
    }
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                snprintf(err, errlen, "'%s': out of memory", path);
                rc = TR_EXIT_FAILURE;
                goto cleanup;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "'%s' cannot be read: %s", path, strerror(errno));
        goto cleanup;
    }
    buf[len] = '\0';
    rc = tr_replay_parse_run(buf, len, doc, why, sizeof(why));
    if (rc)
        snprintf(err, errlen, "'%s' is not a tilerace run: %s", path, why);
cleanup:
    free(buf);
    fclose(f);
    return rc;
}
