/* Tile renderers for the CPU path. Each writes counts for one clipped tile into the frame. */
#ifndef TILERACE_CPU_KERNELS_H
#define TILERACE_CPU_KERNELS_H

#include <stdint.h>

#include "tile_grid.h"

struct tr_frame_desc {
    uint16_t *counts; /* width * height, row-major */
    uint32_t width, height, max_iter;
};

typedef void (*tr_tile_fn)(const struct tr_frame_desc *f, const struct tr_tile *t);

/* The seed-equivalent scalar loops: the baseline and the reference. */
void tr_tile_scalar_double(const struct tr_frame_desc *f, const struct tr_tile *t);
void tr_tile_scalar_float(const struct tr_frame_desc *f, const struct tr_tile *t);

#endif
