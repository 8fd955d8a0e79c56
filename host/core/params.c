#include "core/params.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/device_spec.h"
#include "core/status.h"
#include "core/text_escape.h"
#include "core/tile_grid.h"

_Static_assert(TR_OPTION_COUNT <= 64, "the options a run was given are bits of a uint64_t");

/* Where each whole-number parameter lives in struct tr_params. */
static const size_t number_fields[TR_PARAM_NUMBERS] = {
    [TR_OPTION_WIDTH] = offsetof(struct tr_params, width),
    [TR_OPTION_HEIGHT] = offsetof(struct tr_params, height),
    [TR_OPTION_TILE_W] = offsetof(struct tr_params, tile_w),
    [TR_OPTION_TILE_H] = offsetof(struct tr_params, tile_h),
    [TR_OPTION_MAX_ITER] = offsetof(struct tr_params, max_iter),
    [TR_OPTION_TIME_LIMIT_MS] = offsetof(struct tr_params, time_limit_ms),
    [TR_OPTION_NUM_THREADS] = offsetof(struct tr_params, num_threads),
    [TR_OPTION_QUEUE_DEPTH] = offsetof(struct tr_params, queue_depth),
};

static uint32_t *field_of(struct tr_params *p, enum tr_option_id id)
{
    return (uint32_t *)((char *)p + number_fields[id]);
}

uint32_t tr_params_number(const struct tr_params *p, enum tr_option_id id)
{
    return *(const uint32_t *)((const char *)p + number_fields[id]);
}

void tr_params_defaults(struct tr_params *p)
{
    memset(p, 0, sizeof(*p));
    for (int id = 0; id < TR_PARAM_NUMBERS; id++)
        *field_of(p, (enum tr_option_id)id) = (uint32_t)tr_options[id].def;
    p->mode = (enum tr_mode)tr_options[TR_OPTION_MODE].def;
    p->precision = (enum tr_precision)tr_options[TR_OPTION_PRECISION].def;
    p->kernel = (enum tr_kernel)tr_options[TR_OPTION_KERNEL].def;
    const struct tr_option *device = &tr_options[TR_OPTION_DEVICE];
    snprintf(p->device, sizeof(p->device), "%s", device->choices[device->def].name);
}

uint32_t tr_params_usable_cpus(void)
{
    cpu_set_t allowed;
    long online;
    int n = 0;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
        n = CPU_COUNT(&allowed);
    else if ((online = sysconf(_SC_NPROCESSORS_ONLN)) > 0)
        n = online > TR_MAX_THREADS ? TR_MAX_THREADS : (int)online;
    if (n < 1)
        n = 1;
    return n > TR_MAX_THREADS ? TR_MAX_THREADS : (uint32_t)n;
}

int tr_option_device_check(enum tr_option_id id, int kind, int http, char *err, size_t errlen)
{
    if (!tr_options[id].opencl_only || kind != TR_DEVICE_CPU)
        return 0;
    /* cpu is the only selector of the CPU path */
    snprintf(err, errlen,
             "%s%s: applies to OpenCL devices only, and device cpu is the CPU path (accepted with "
             "an OpenCL device: opencl, gpu, pocl, opencl:P.D, all, or a list naming one of them)",
             http ? "" : "--", http ? tr_options[id].query : tr_options[id].name);
    return TR_ERR_USAGE;
}

int tr_params_check_ignored(const struct tr_params *p, uint64_t given, int http, char *err,
                            size_t errlen)
{
    struct tr_device_list list;
    if (tr_device_list_parse(p->device, TR_MAX_THREADS, &list, err, errlen) != 0)
        return TR_ERR_USAGE;
    int kind = list.all ? TR_DEVICE_OPENCL : TR_DEVICE_CPU; /* all: OpenCL devices too */
    for (uint32_t d = 0; d < list.count; d++)
        if (list.entries[d].spec.kind != TR_DEVICE_CPU)
            kind = (int)list.entries[d].spec.kind;
    for (int i = 0; i < TR_OPTION_COUNT; i++)
        if ((given >> i & 1) &&
            tr_option_device_check((enum tr_option_id)i, kind, http, err, errlen) != 0)
            return TR_ERR_USAGE;
    return 0;
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

int tr_params_set_number(struct tr_params *p, enum tr_option_id id, const char *label,
                         const char *text, char *err, size_t errlen)
{
    uint64_t v;
    const struct tr_option *o = &tr_options[id];
    int rc = tr_parse_number(label, text, o->min, o->max, &v, err, errlen);
    if (rc == 0)
        *field_of(p, id) = (uint32_t)v;
    return rc;
}

int tr_parse_choice(const struct tr_option *o, const char *label, const char *text, int *index,
                    char *err, size_t errlen)
{
    char q[QUOTED_SIZE], list[128] = "";
    size_t count = tr_option_choice_count(o);
    for (size_t i = 0; i < count; i++) {
        if (text && strcmp(text, o->choices[i].name) == 0) {
            *index = (int)i;
            return 0;
        }
    }
    for (size_t i = 0; i < count; i++) {
        strncat(list, o->choices[i].name, sizeof(list) - strlen(list) - 1);
        if (i + 1 < count)
            strncat(list, ", ", sizeof(list) - strlen(list) - 1);
    }
    quote_value(q, sizeof(q), text ? text : "");
    snprintf(err, errlen, "%s: %s is not one of the accepted values (%s)", label, q, list);
    return TR_ERR_USAGE;
}

int tr_params_set_mode(struct tr_params *p, const char *label, const char *text, char *err,
                       size_t errlen)
{
    int v;
    int rc = tr_parse_choice(&tr_options[TR_OPTION_MODE], label, text, &v, err, errlen);
    if (rc == 0)
        p->mode = (enum tr_mode)v;
    return rc;
}

int tr_params_set_precision(struct tr_params *p, const char *label, const char *text, char *err,
                            size_t errlen)
{
    int v;
    int rc = tr_parse_choice(&tr_options[TR_OPTION_PRECISION], label, text, &v, err, errlen);
    if (rc == 0)
        p->precision = (enum tr_precision)v;
    return rc;
}

int tr_params_set_kernel(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen)
{
    int v;
    int rc = tr_parse_choice(&tr_options[TR_OPTION_KERNEL], label, text, &v, err, errlen);
    if (rc == 0)
        p->kernel = (enum tr_kernel)v;
    return rc;
}

int tr_params_set_device(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen)
{
    struct tr_device_list list;
    char msg[QUOTED_SIZE * 2 + 200], q[QUOTED_SIZE];
    if (text && strlen(text) >= sizeof(p->device)) {
        quote_value(q, sizeof(q), text);
        snprintf(err, errlen,
                 "%s: %s is too long (accepted: at most %zu characters of cpu, opencl, gpu, "
                 "pocl, opencl:P.D or all, comma-separated)",
                 label, q, sizeof(p->device) - 1);
        return TR_ERR_USAGE;
    }
    if (tr_device_list_parse(text, TR_MAX_THREADS, &list, msg, sizeof(msg)) != 0) {
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
    /* A list's lanes together (all is counted once it is expanded) */
    struct tr_device_list list;
    char why[QUOTED_SIZE * 2 + 200];
    if (tr_device_list_parse(p->device, TR_MAX_THREADS, &list, why, sizeof(why)) == 0 &&
        list.count > 1) {
        uint32_t lanes = tr_device_list_lanes(&list, p->num_threads);
        if (lanes > TR_MAX_THREADS) {
            char q[QUOTED_SIZE];
            quote_value(q, sizeof(q), p->device);
            snprintf(err, errlen,
                     "device: %s has %u lanes in all, out of range (accepted range 1..%d; give "
                     "fewer with @N or num_threads)",
                     q, lanes, TR_MAX_THREADS);
            return TR_ERR_USAGE;
        }
    }
    return 0;
}

int tr_params_set(struct tr_params *p, enum tr_option_id id, const char *label, const char *text,
                  char *err, size_t errlen)
{
    if (id < TR_PARAM_NUMBERS)
        return tr_params_set_number(p, id, label, text, err, errlen);
    switch (id) {
    case TR_OPTION_MODE:
        return tr_params_set_mode(p, label, text, err, errlen);
    case TR_OPTION_DEVICE:
        return tr_params_set_device(p, label, text, err, errlen);
    case TR_OPTION_PRECISION:
        return tr_params_set_precision(p, label, text, err, errlen);
    case TR_OPTION_KERNEL:
        return tr_params_set_kernel(p, label, text, err, errlen);
    default:
        snprintf(err, errlen, "%s: not a run parameter", label);
        return TR_ERR_INTERNAL;
    }
}

const char *tr_mode_name(enum tr_mode m)
{
    return tr_options[TR_OPTION_MODE].choices[m].name;
}

const char *tr_precision_name(enum tr_precision p)
{
    return tr_options[TR_OPTION_PRECISION].choices[p].name;
}

const char *tr_kernel_name(enum tr_kernel k)
{
    return tr_options[TR_OPTION_KERNEL].choices[k].name;
}
