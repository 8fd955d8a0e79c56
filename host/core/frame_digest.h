/*
 * The frame's checksum and iteration total, computed while later tiles still render: a row
 * of tiles is hashed (FNV-1a, in pixel order) and summed as soon as it and every row above it
 * are whole, which the lanes' per-tile done flags tell. What no whole row covered is summed at
 * the end. The result equals tr_fnv1a64_counts and tr_sum_counts over the whole frame,
 * whatever order the tiles finish in.
 */
#ifndef TILERACE_FRAME_DIGEST_H
#define TILERACE_FRAME_DIGEST_H

#include <stdint.h>

#include "core/tile_grid.h"

struct tr_frame_digest {
    const struct tr_tile_grid *grid;
    const uint16_t *frame;
    uint32_t rows_hashed;
    uint32_t next_col; /* tiles of the next row known to be done */
    uint64_t checksum; /* of the rows hashed so far */
    uint64_t total_iterations;
};

/* grid and frame must outlive the digest. */
void tr_frame_digest_init(struct tr_frame_digest *d, const struct tr_tile_grid *grid,
                          const uint16_t *frame);
/*
 * Hashes every row of tiles that has become whole. done[task_id] is set (with release order,
 * after the tile's counts are in the frame) by whoever rendered the tile.
 */
void tr_frame_digest_advance(struct tr_frame_digest *d, const unsigned char *done);
/* Once no tile will change any more: adds the counts of the rows not hashed to the total.
 * Returns 1 when every row was hashed: checksum is the whole frame's. */
int tr_frame_digest_finish(struct tr_frame_digest *d);

#endif
