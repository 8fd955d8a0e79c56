/* The parameters of a test run: a frame, its tiles, max_iter, the mode and lanes, no time
 * limit, every other field its default. */
#ifndef TILERACE_TEST_FRAME_PARAMS_H
#define TILERACE_TEST_FRAME_PARAMS_H

#include <stdint.h>

#include "core/params.h"

static inline struct tr_params frame_params(uint32_t w, uint32_t h, uint32_t tw, uint32_t th,
                                            uint32_t it, enum tr_mode mode, uint32_t threads)
{
    struct tr_params p;
    tr_params_defaults(&p);
    p.width = w;
    p.height = h;
    p.tile_w = tw;
    p.tile_h = th;
    p.max_iter = it;
    p.mode = mode;
    p.num_threads = threads;
    p.time_limit_ms = 0;
    return p;
}

#endif
