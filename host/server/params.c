#include "server/params.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "core/tile_grid.h"

#define ACCEPTED                                                                                   \
    "width, height, tile_w, tile_h, max_iter, time_limit_ms, num_threads, queue_depth, device, "   \
    "precision, kernel"

void tr_server_caps_defaults(struct tr_server_caps *caps)
{
    caps->pixels = 16777216;     /* 4096 x 4096: a 32 MiB frame */
    caps->tiles = 65536;         /* about 13 MB of JSON records */
    caps->tile_pixels = 1048576; /* 1024 x 1024: a disconnect or the limit stops within a tile */
    caps->max_iter = 65535;
    caps->time_limit_ms = 60000;
    caps->num_threads = 64;
}

/* Echoes a key the way the setters echo values: short and without control bytes. */
static void quote_key(char *dst, size_t dstlen, const char *key)
{
    if (strlen(key) > 40)
        snprintf(dst, dstlen, "'%.40s...'", key);
    else
        snprintf(dst, dstlen, "'%s'", key);
}

static int check_caps(const struct tr_params *p, const struct tr_server_caps *caps, unsigned given,
                      char *err, size_t errlen);

static int apply_pair(struct tr_params *p, const struct tr_query_pair *pair, char *err,
                      size_t errlen)
{
    const struct tr_num_param *num = tr_num_param_by_query(pair->key);
    const char *k = pair->key;
    char q[64];
    int known = num || !strcmp(k, "device") || !strcmp(k, "precision") || !strcmp(k, "kernel");
    if (!known) {
        quote_key(q, sizeof(q), k);
        if (!strcmp(k, "mode"))
            snprintf(err, errlen,
                     "mode: is set by the path, not the query (/api/compute/sequential, "
                     "/api/compute/concurrent, /api/compute/dynamic)");
        else
            snprintf(err, errlen, "unknown parameter %s (accepted: " ACCEPTED ")", q);
        return TR_ERR_USAGE;
    }
    if (!pair->value) {
        snprintf(err, errlen, "%s: a value is missing", k);
        return TR_ERR_USAGE;
    }
    if (num)
        return tr_params_set_number(p, num, k, pair->value, err, errlen);
    if (!strcmp(k, "device"))
        return tr_params_set_device(p, k, pair->value, err, errlen);
    if (!strcmp(k, "precision"))
        return tr_params_set_precision(p, k, pair->value, err, errlen);
    return tr_params_set_kernel(p, k, pair->value, err, errlen);
}

int tr_http_params_parse(const struct tr_http_target *t, enum tr_mode mode,
                         const struct tr_server_caps *caps, struct tr_params *p, char *err,
                         size_t errlen)
{
    int rc;
    unsigned given = 0; /* bit i: tr_num_params[i] came in the query */
    tr_params_defaults(p);
    p->mode = mode;
    for (size_t i = 0; i < t->n_pairs; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(t->pairs[i].key, t->pairs[j].key)) {
                const char *k = t->pairs[i].key;
                snprintf(err, errlen, "%.40s%s: given more than once (give each parameter once)", k,
                         strlen(k) > 40 ? "..." : "");
                return TR_ERR_USAGE;
            }
        }
        if ((rc = apply_pair(p, &t->pairs[i], err, errlen)) != 0)
            return rc;
        const struct tr_num_param *num = tr_num_param_by_query(t->pairs[i].key);
        if (num)
            given |= 1u << (num - tr_num_params);
    }
    if ((rc = tr_params_check(p, err, errlen)) != 0)
        return rc;
    return check_caps(p, caps, given, err, errlen);
}

/* " (the default)" when the request left the parameter out: the client never typed it. */
static const char *origin_of(unsigned given, const char *query_name)
{
    const struct tr_num_param *num = tr_num_param_by_query(query_name);
    return given & (1u << (num - tr_num_params)) ? "" : " (the default)";
}

static int check_caps(const struct tr_params *p, const struct tr_server_caps *caps, unsigned given,
                      char *err, size_t errlen)
{
    uint64_t pixels = (uint64_t)p->width * p->height;
    struct tr_tile_grid g;
    tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
    if (pixels > caps->pixels) {
        snprintf(err, errlen,
                 "width x height: %ux%u = %llu pixels is above this server's limit (accepted "
                 "range 1..%llu pixels)",
                 p->width, p->height, (unsigned long long)pixels, (unsigned long long)caps->pixels);
    } else if (g.tiles > caps->tiles) {
        snprintf(err, errlen,
                 "tile grid: %ux%u tiles of %ux%u = %llu tiles is above this server's limit "
                 "(accepted range 1..%llu tiles; use larger tiles)",
                 g.cols, g.rows, p->tile_w, p->tile_h, (unsigned long long)g.tiles,
                 (unsigned long long)caps->tiles);
    } else if ((uint64_t)(p->tile_w < p->width ? p->tile_w : p->width) *
                   (p->tile_h < p->height ? p->tile_h : p->height) >
               caps->tile_pixels) {
        snprintf(err, errlen,
                 "tile_w x tile_h: %ux%u is above this server's limit of %llu pixels per tile "
                 "(a render stops only between tiles; use smaller tiles)",
                 p->tile_w, p->tile_h, (unsigned long long)caps->tile_pixels);
    } else if (p->max_iter > caps->max_iter) {
        snprintf(err, errlen,
                 "max_iter: '%u'%s is above this server's limit (accepted range 1..%u)",
                 p->max_iter, origin_of(given, "max_iter"), caps->max_iter);
    } else if (caps->time_limit_ms &&
               (p->time_limit_ms == 0 || p->time_limit_ms > caps->time_limit_ms)) {
        snprintf(err, errlen,
                 "time_limit_ms: '%u'%s%s is above this server's limit (accepted range 1..%u)",
                 p->time_limit_ms, p->time_limit_ms ? "" : " (no limit)",
                 origin_of(given, "time_limit_ms"), caps->time_limit_ms);
    } else if (p->num_threads > caps->num_threads) {
        snprintf(err, errlen,
                 "num_threads: '%u'%s is above this server's limit (accepted range 1..%u)",
                 p->num_threads, origin_of(given, "num_threads"), caps->num_threads);
    } else {
        return 0;
    }
    return TR_ERR_USAGE;
}
