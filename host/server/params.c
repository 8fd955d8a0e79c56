#include "server/params.h"

#include <stdio.h>
#include <string.h>

#include "core/device_spec.h"
#include "core/status.h"
#include "core/text_escape.h"
#include "core/tile_grid.h"

_Static_assert(TR_OPTION_COUNT <= 64, "a query's options are bits of a uint64_t");

/* The defaults of serve's --cap-* options. */
void tr_server_caps_defaults(struct tr_server_caps *caps)
{
    caps->pixels = tr_options[TR_OPTION_CAP_PIXELS].def;
    caps->tiles = tr_options[TR_OPTION_CAP_TILES].def;
    caps->tile_pixels = tr_options[TR_OPTION_CAP_TILE_PIXELS].def;
    caps->max_iter = (uint32_t)tr_options[TR_OPTION_CAP_MAX_ITER].def;
    caps->time_limit_ms = (uint32_t)tr_options[TR_OPTION_CAP_TIME_LIMIT_MS].def;
    caps->num_threads = (uint32_t)tr_options[TR_OPTION_CAP_NUM_THREADS].def;
}

/* Echoes a key the way the setters echo values: short and without control bytes. */
static void quote_key(char *dst, size_t dstlen, const char *key)
{
    if (strlen(key) > 40)
        snprintf(dst, dstlen, "'%.40s...'", key);
    else
        snprintf(dst, dstlen, "'%s'", key);
}

static int check_caps(const struct tr_params *p, const struct tr_server_caps *caps, uint64_t given,
                      char *err, size_t errlen);

/* "width, height, ...": every query parameter, in the option table's order. */
static void accepted_names(char *dst, size_t dstlen)
{
    size_t used = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < TR_OPTION_COUNT && used < dstlen; i++)
        if (tr_options[i].query)
            used += (size_t)snprintf(dst + used, dstlen - used, "%s%s", used ? ", " : "",
                                     tr_options[i].query);
}

/*
 * The range a number parameter has on this server: the program's, narrowed by the caps
 * (width and height by the pixel cap, as the other side may be 1; time_limit_ms=0, no limit,
 * is refused under a time cap). Returns whether a cap narrows it.
 */
static int capped_range(enum tr_option_id id, const struct tr_server_caps *caps, uint64_t *min,
                        uint64_t *max)
{
    uint64_t cap = 0;
    *min = tr_options[id].min;
    *max = tr_options[id].max;
    switch (id) {
    case TR_OPTION_WIDTH:
    case TR_OPTION_HEIGHT:
        cap = caps->pixels;
        break;
    case TR_OPTION_MAX_ITER:
        cap = caps->max_iter;
        break;
    case TR_OPTION_TIME_LIMIT_MS:
        if (caps->time_limit_ms) {
            cap = caps->time_limit_ms;
            *min = 1;
        }
        break;
    case TR_OPTION_NUM_THREADS:
        cap = caps->num_threads;
        break;
    default:
        break;
    }
    if (cap && cap < *max)
        *max = cap;
    return *min != tr_options[id].min || *max != tr_options[id].max;
}

static int apply_pair(struct tr_params *p, const struct tr_query_pair *pair,
                      const struct tr_server_caps *caps, char *err, size_t errlen)
{
    const struct tr_option *o = tr_option_by_query(pair->key);
    const char *k = pair->key;
    char q[64], names[256];
    if (!o) {
        quote_key(q, sizeof(q), k);
        accepted_names(names, sizeof(names));
        if (!strcmp(k, "mode"))
            snprintf(err, errlen,
                     "mode: is set by the path, not the query (/api/compute/sequential, "
                     "/api/compute/concurrent, /api/compute/dynamic, /api/compute/steal)");
        else
            snprintf(err, errlen, "unknown parameter %s (accepted: %s)", q, names);
        return TR_ERR_USAGE;
    }
    if (!pair->value) {
        snprintf(err, errlen, "%s: a value is missing", k);
        return TR_ERR_USAGE;
    }
    const enum tr_option_id id = (enum tr_option_id)(o - tr_options);
    int rc = tr_params_set(p, id, k, pair->value, err, errlen);
    uint64_t min, max, v;
    char capped[256];
    /* a value the program refuses is refused with the range this server accepts (one that
     * only a cap refuses gets check_caps' message, which says so) */
    if (rc == TR_ERR_USAGE && o->type == TR_VALUE_NUMBER && capped_range(id, caps, &min, &max) &&
        tr_parse_number(k, pair->value, min, max, &v, capped, sizeof(capped)) != 0)
        snprintf(err, errlen, "%s", capped);
    return rc;
}

int tr_http_params_parse(const struct tr_http_target *t, enum tr_mode mode,
                         const struct tr_server_caps *caps, struct tr_params *p, char *err,
                         size_t errlen)
{
    int rc;
    uint64_t given = 0; /* bit i: option i came in the query */
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
        if ((rc = apply_pair(p, &t->pairs[i], caps, err, errlen)) != 0)
            return rc;
        given |= UINT64_C(1) << (tr_option_by_query(t->pairs[i].key) - tr_options);
    }
    if ((rc = tr_params_check(p, err, errlen)) != 0 ||
        (rc = tr_params_check_ignored(p, given, 1, err, errlen)) != 0)
        return rc;
    return check_caps(p, caps, given, err, errlen);
}

/* " (the default)" when the request left the parameter out: the client never typed it. */
static const char *origin_of(uint64_t given, enum tr_option_id id)
{
    return given & (UINT64_C(1) << id) ? "" : " (the default)";
}

/* The lanes of every device a list names together (a server's cap on threads covers them);
 * all, whose devices are known only once it is expanded, counts as the most it can be. */
static uint32_t list_lanes(const struct tr_params *p)
{
    struct tr_device_list list;
    char why[400];
    if (tr_device_list_parse(p->device, TR_MAX_THREADS, &list, why, sizeof(why)) != 0)
        return p->num_threads;
    uint32_t lanes = tr_device_list_lanes(&list, p->num_threads);
    return list.all ? lanes * TR_MAX_DEVICES : lanes;
}

static int check_caps(const struct tr_params *p, const struct tr_server_caps *caps, uint64_t given,
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
                 p->max_iter, origin_of(given, TR_OPTION_MAX_ITER), caps->max_iter);
    } else if (caps->time_limit_ms &&
               (p->time_limit_ms == 0 || p->time_limit_ms > caps->time_limit_ms)) {
        snprintf(err, errlen,
                 "time_limit_ms: '%u'%s%s is above this server's limit (accepted range 1..%u)",
                 p->time_limit_ms, p->time_limit_ms ? "" : " (no limit)",
                 origin_of(given, TR_OPTION_TIME_LIMIT_MS), caps->time_limit_ms);
    } else if (p->num_threads > caps->num_threads) {
        snprintf(err, errlen,
                 "num_threads: '%u'%s is above this server's limit (accepted range 1..%u)",
                 p->num_threads, origin_of(given, TR_OPTION_NUM_THREADS), caps->num_threads);
    } else if (list_lanes(p) > caps->num_threads) {
        char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
        tr_text_quote(q, sizeof(q), p->device, TR_ECHO_CHARS);
        snprintf(err, errlen,
                 "device: %s has %u lanes in all, above this server's limit (accepted range "
                 "1..%u lanes)",
                 q, list_lanes(p), caps->num_threads);
    } else {
        return 0;
    }
    return TR_ERR_USAGE;
}
