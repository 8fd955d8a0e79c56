/*
 * The HTTP request target and its query: the input's first byte picks the mode (as the path
 * would) and the server's caps, the rest is the raw target ("/path?key=value&..."). It goes
 * through the server's own parser (http_query.c) and parameter rules (http_params.c).
 * Properties: a parsed target holds only printable ASCII and at most TR_HTTP_MAX_PAIRS pairs;
 * accepted parameters are within the program's limits and the caps; every error is the usage
 * status (parameters) with a one-line message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/params.h"
#include "core/status.h"
#include "core/tile_grid.h"
#include "fuzz_common.h"
#include "server/params.h"
#include "server/query.h"

static void check_printable(const char *what, const char *s)
{
    for (const char *c = s; *c; c++)
        FUZZ_CHECK(*c >= 0x20 && *c <= 0x7e, "%s holds byte 0x%02x", what, (unsigned char)*c);
}

static void check_params(const struct tr_http_target *t, enum tr_mode mode,
                         const struct tr_server_caps *caps)
{
    struct tr_params p;
    struct tr_tile_grid g;
    char err[512] = "";
    int rc = tr_http_params_parse(t, mode, caps, &p, err, sizeof(err));
    if (rc) {
        FUZZ_CHECK(rc == TR_ERR_USAGE, "params: status %d (usage expected): %s", rc, err);
        fuzz_check_message("params", err, sizeof(err));
        return;
    }
    FUZZ_CHECK(p.mode == mode, "params: the mode is not the path's");
    FUZZ_CHECK(tr_params_check(&p, err, sizeof(err)) == 0, "params: accepted, then: %s", err);
    for (int id = 0; id < TR_PARAM_NUMBERS; id++) {
        const struct tr_option *n = &tr_options[id];
        uint32_t v = tr_params_number(&p, (enum tr_option_id)id);
        FUZZ_CHECK(v >= n->min && v <= n->max, "params: %s=%u accepted (range %llu..%llu)",
                   n->query, v, (unsigned long long)n->min, (unsigned long long)n->max);
    }
    tr_tile_grid_init(&g, p.width, p.height, p.tile_w, p.tile_h);
    FUZZ_CHECK((uint64_t)p.width * p.height <= caps->pixels, "params: %ux%u above the cap", p.width,
               p.height);
    FUZZ_CHECK(g.tiles <= caps->tiles, "params: %llu tiles above the cap",
               (unsigned long long)g.tiles);
    FUZZ_CHECK(p.max_iter <= caps->max_iter && p.num_threads <= caps->num_threads,
               "params: max_iter or num_threads above the cap");
    FUZZ_CHECK(!caps->time_limit_ms ||
                   (p.time_limit_ms > 0 && p.time_limit_ms <= caps->time_limit_ms),
               "params: time_limit_ms=%u with the cap %u", p.time_limit_ms, caps->time_limit_ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC};
    struct tr_http_target t;
    struct tr_server_caps caps;
    char err[512] = "";
    if (size < 1)
        return 0;
    /* MHD hands the target over as a C string: it ends at the first NUL */
    char *raw = malloc(size);
    if (!raw)
        return 0;
    memcpy(raw, data + 1, size - 1);
    raw[size - 1] = '\0';
    enum tr_mode mode = modes[data[0] % 3];
    tr_server_caps_defaults(&caps);
    if (data[0] & 0x4) { /* a small server with no time cap */
        caps.pixels = 4096;
        caps.tiles = 16;
        caps.tile_pixels = 1024;
        caps.max_iter = 100;
        caps.time_limit_ms = 0;
        caps.num_threads = 2;
    }

    int rc = tr_http_target_parse(raw, &t, err, sizeof(err));
    if (rc) {
        FUZZ_CHECK(rc == -1, "target: return value %d", rc);
        fuzz_check_message("target", err, sizeof(err));
    } else {
        FUZZ_CHECK(t.path && t.storage, "target: no path");
        FUZZ_CHECK(t.n_pairs <= TR_HTTP_MAX_PAIRS, "target: %zu pairs", t.n_pairs);
        FUZZ_CHECK(strlen(raw) <= TR_HTTP_MAX_TARGET, "target: %zu bytes accepted", strlen(raw));
        check_printable("the path", t.path);
        for (size_t i = 0; i < t.n_pairs; i++) {
            FUZZ_CHECK(t.pairs[i].key != NULL, "target: pair %zu has no key", i);
            check_printable("a key", t.pairs[i].key);
            if (t.pairs[i].value)
                check_printable("a value", t.pairs[i].value);
        }
        check_params(&t, mode, &caps);
    }
    tr_http_target_free(&t);
    free(raw);
    return 0;
}
