#include "core/params.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/device_spec.h"
#include "core/status.h"
#include "core/text_escape.h"
#include "core/tile_grid.h"

#define NUM_PARAM(cli, query, lo, hi, dflt, field)                                                 \
    {                                                                                              \
        cli, query, lo, hi, dflt, offsetof(struct tr_params, field)                                \
    }

const struct tr_num_param tr_num_params[] = {
    NUM_PARAM("width", "width", 1, 65536, 800, width),
    NUM_PARAM("height", "height", 1, 65536, 600, height),
    NUM_PARAM("tile-w", "tile_w", 1, 65536, 64, tile_w),
    NUM_PARAM("tile-h", "tile_h", 1, 65536, 64, tile_h),
    NUM_PARAM("max-iter", "max_iter", 1, 65535, 256, max_iter),
    NUM_PARAM("time-limit-ms", "time_limit_ms", 0, 86400000, 2000, time_limit_ms),
    NUM_PARAM("num-threads", "num_threads", 1, 256, 4, num_threads),
    NUM_PARAM("queue-depth", "queue_depth", 1, TR_MAX_QUEUE_DEPTH, 4, queue_depth),
};
const size_t tr_num_params_count = sizeof(tr_num_params) / sizeof(tr_num_params[0]);

static uint32_t *field_of(struct tr_params *p, const struct tr_num_param *spec)
{
    return (uint32_t *)((char *)p + spec->offset);
}

void tr_params_defaults(struct tr_params *p)
{
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < tr_num_params_count; i++)
        *field_of(p, &tr_num_params[i]) = tr_num_params[i].def;
    p->mode = TR_MODE_CONCURRENT;
    p->precision = TR_PRECISION_DOUBLE;
    p->kernel = TR_KERNEL_AUTO;
    snprintf(p->device, sizeof(p->device), "cpu");
}

int tr_parse_u64(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    if (!text || !*text)
        return -1;
    for (const char *s = text; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Values are echoed short, escaped and quoted, so one hostile value cannot flood or split a
 * log line. */
#define QUOTED_SIZE TR_QUOTE_SIZE(TR_ECHO_CHARS)

static void quote_value(char *dst, size_t dstlen, const char *text)
{
    tr_text_quote(dst, dstlen, text, TR_ECHO_CHARS);
}

int tr_parse_number(const char *label, const char *text, uint64_t min, uint64_t max, uint64_t *out,
                    char *err, size_t errlen)
{
    uint64_t v;
    char q[QUOTED_SIZE];
    const char *why = NULL;
    int rc = tr_parse_u64(text, &v);
    if (rc == -1)
        why = (text && text[0] == '-') ? "is negative" : "is not a whole number";
    else if (rc == -2 || v > max || v < min)
        why = "is out of range";
    if (why) {
        quote_value(q, sizeof(q), text ? text : "");
        snprintf(err, errlen, "%s: %s %s (accepted range %llu..%llu)", label, q, why,
                 (unsigned long long)min, (unsigned long long)max);
        return TR_ERR_USAGE;
    }
    *out = v;
    return 0;
}

int tr_params_set_number(struct tr_params *p, const struct tr_num_param *spec, const char *label,
                         const char *text, char *err, size_t errlen)
{
    uint64_t v;
    int rc = tr_parse_number(label, text, spec->min, spec->max, &v, err, errlen);
    if (rc == 0)
        *field_of(p, spec) = (uint32_t)v;
    return rc;
}

static int set_choice(int *field, const char *const *names, int count, const char *label,
                      const char *text, char *err, size_t errlen)
{
    char q[QUOTED_SIZE], list[128] = "";
    for (int i = 0; i < count; i++) {
        if (text && strcmp(text, names[i]) == 0) {
            *field = i;
            return 0;
        }
    }
    for (int i = 0; i < count; i++) {
        strncat(list, names[i], sizeof(list) - strlen(list) - 1);
        if (i + 1 < count)
            strncat(list, ", ", sizeof(list) - strlen(list) - 1);
    }
    quote_value(q, sizeof(q), text ? text : "");
    snprintf(err, errlen, "%s: %s is not one of the accepted values (%s)", label, q, list);
    return TR_ERR_USAGE;
}

static const char *const mode_names[] = {"sequential", "concurrent", "dynamic"};
static const char *const precision_names[] = {"double", "float"};
static const char *const kernel_names[] = {"auto", "scalar", "vector"};

int tr_params_set_mode(struct tr_params *p, const char *label, const char *text, char *err,
                       size_t errlen)
{
    int v = (int)p->mode;
    int rc = set_choice(&v, mode_names, 3, label, text, err, errlen);
    p->mode = (enum tr_mode)v;
    return rc;
}

int tr_params_set_precision(struct tr_params *p, const char *label, const char *text, char *err,
                            size_t errlen)
{
    int v = (int)p->precision;
    int rc = set_choice(&v, precision_names, 2, label, text, err, errlen);
    p->precision = (enum tr_precision)v;
    return rc;
}

int tr_params_set_kernel(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen)
{
    int v = (int)p->kernel;
    int rc = set_choice(&v, kernel_names, 3, label, text, err, errlen);
    p->kernel = (enum tr_kernel)v;
    return rc;
}

int tr_params_set_device(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen)
{
    struct tr_device_spec spec;
    char msg[QUOTED_SIZE + 160], q[QUOTED_SIZE];
    if (text && strlen(text) >= TR_DEVICE_MAXLEN) {
        quote_value(q, sizeof(q), text);
        snprintf(err, errlen,
                 "%s: %s is too long (accepted: cpu, opencl, gpu, pocl, "
                 "opencl:P.D with P and D 0..999)",
                 label, q);
        return TR_ERR_USAGE;
    }
    if (tr_device_spec_parse(text, &spec, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "%s: %s", label, msg);
        return TR_ERR_USAGE;
    }
    snprintf(p->device, sizeof(p->device), "%s", text);
    return 0;
}

int tr_params_check(const struct tr_params *p, char *err, size_t errlen)
{
    uint64_t pixels = (uint64_t)p->width * p->height;
    if (pixels > TR_MAX_PIXELS) {
        snprintf(err, errlen,
                 "width x height: %ux%u = %llu pixels is out of range (accepted range 1..%llu "
                 "pixels)",
                 p->width, p->height, (unsigned long long)pixels,
                 (unsigned long long)TR_MAX_PIXELS);
        return TR_ERR_USAGE;
    }
    struct tr_tile_grid g;
    tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
    if (g.tiles > TR_MAX_TILES) {
        snprintf(err, errlen,
                 "tile grid: %ux%u tiles of %ux%u = %llu tiles is out of range (accepted range "
                 "1..%llu tiles; use larger tiles)",
                 g.cols, g.rows, p->tile_w, p->tile_h, (unsigned long long)g.tiles,
                 (unsigned long long)TR_MAX_TILES);
        return TR_ERR_USAGE;
    }
    return 0;
}

const struct tr_num_param *tr_num_param_by_cli(const char *name)
{
    for (size_t i = 0; i < tr_num_params_count; i++)
        if (strcmp(tr_num_params[i].cli_name, name) == 0)
            return &tr_num_params[i];
    return NULL;
}

const struct tr_num_param *tr_num_param_by_query(const char *name)
{
    for (size_t i = 0; i < tr_num_params_count; i++)
        if (strcmp(tr_num_params[i].query_name, name) == 0)
            return &tr_num_params[i];
    return NULL;
}

const char *tr_mode_name(enum tr_mode m)
{
    return mode_names[m];
}

const char *tr_precision_name(enum tr_precision p)
{
    return precision_names[p];
}

const char *tr_kernel_name(enum tr_kernel k)
{
    return kernel_names[k];
}
