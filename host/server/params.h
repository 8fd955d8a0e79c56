/*
 * Query parameters -> struct tr_params, through the same table and setters as the command
 * line, so both reject the same values with the same words; then the server's own caps.
 */
#ifndef TILERACE_HTTP_PARAMS_H
#define TILERACE_HTTP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/params.h"
#include "server/query.h"

/* What one request may ask of this server; each at most the program's own limit. */
struct tr_server_caps {
    uint64_t pixels;      /* width * height */
    uint64_t tiles;       /* tile grid cells: bounds the answer's size */
    uint64_t tile_pixels; /* one (clipped) tile: a render stops only between tiles */
    uint32_t max_iter;
    uint32_t time_limit_ms; /* 0: no cap, and time_limit_ms=0 (no limit) is accepted */
    uint32_t num_threads;
};

void tr_server_caps_defaults(struct tr_server_caps *caps);

/*
 * Starts from the defaults, sets the mode (the path decides it), then applies each pair in
 * order: width, height, tile_w, tile_h, max_iter, time_limit_ms, num_threads, device,
 * precision, kernel. Unknown, repeated and value-less keys are errors. Returns 0, or
 * TR_ERR_USAGE with a one-line message naming the parameter, the value and the range.
 */
int tr_http_params_parse(const struct tr_http_target *t, enum tr_mode mode,
                         const struct tr_server_caps *caps, struct tr_params *p, char *err,
                         size_t errlen);

#endif
