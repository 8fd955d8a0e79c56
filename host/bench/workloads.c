#include "bench/workloads.h"

#include <stdio.h>
#include <string.h>

#include "core/options.h"
#include "core/params.h"
#include "core/status.h"
#include "core/text_escape.h"

const struct tr_bench_workload tr_bench_workloads[] = {
    {"small", 800, 600, 256, 64, 64, "tilerace run's default frame: start-up and short runs", 1, 1},
    {"default", 1920, 1080, 1000, 64, 64, "the head-to-head frame: mixed escape times", 1, 0},
    {"deep", 320, 240, 20000, 32, 32, "few pixels, many iterations: the inner loop, little else", 1,
     0},
    {"tiny-tiles", 512, 512, 64, 8, 8, "4096 tiles of little work: what each tile costs", 1, 1},
    {"large", 4096, 4096, 256, 64, 64, "a 32 MiB frame: memory and many tiles", 0, 0},
};
const size_t tr_bench_workload_count = sizeof(tr_bench_workloads) / sizeof(tr_bench_workloads[0]);

/* A whole number of the form: digits up to stop (a character, or '\0' for the end). */
static const char *number(const char *s, char stop, uint64_t max, uint32_t *out)
{
    uint64_t v = 0;
    const char *start = s;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return NULL;
        s++;
    }
    if (s == start || v == 0 || *s != stop)
        return NULL;
    *out = (uint32_t)v;
    return stop ? s + 1 : s;
}

int tr_bench_workload_parse(const char *text, struct tr_bench_workload *out, char *err,
                            size_t errlen)
{
    for (size_t i = 0; i < tr_bench_workload_count; i++) {
        if (strcmp(text, tr_bench_workloads[i].name) == 0) {
            *out = tr_bench_workloads[i];
            return 0;
        }
    }
    memset(out, 0, sizeof(*out));
    out->tile_w = out->tile_h = 64;
    const char *s = number(text, 'x', TR_MAX_SIDE, &out->width);
    s = s ? number(s, '/', TR_MAX_SIDE, &out->height) : NULL;
    const char *after_iter = s ? number(s, '/', TR_MAX_ITER, &out->max_iter) : NULL;
    if (after_iter)
        s = number(after_iter, '\0', TR_MAX_SIDE, &out->tile_w);
    else if (s)
        s = number(s, '\0', TR_MAX_ITER, &out->max_iter);
    out->tile_h = out->tile_w;
    if (!s) {
        char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
        snprintf(err, errlen,
                 "--workload: %s is not a workload (accepted: small, default, deep, tiny-tiles, "
                 "large, or WxH/ITER[/TILE] with sides 1..%u and ITER 1..%u)",
                 tr_text_quote(q, sizeof(q), text, TR_ECHO_CHARS), TR_MAX_SIDE, TR_MAX_ITER);
        return TR_ERR_USAGE;
    }
    struct tr_params p;
    tr_params_defaults(&p);
    p.width = out->width;
    p.height = out->height;
    p.tile_w = out->tile_w;
    p.tile_h = out->tile_h;
    char why[256];
    if (tr_params_check(&p, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "--workload: '%s': %s", text, why);
        return TR_ERR_USAGE;
    }
    snprintf(out->name, sizeof(out->name), "%s", text);
    return 0;
}
