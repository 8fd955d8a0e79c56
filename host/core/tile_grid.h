/* Row-major tile numbering, clipping of edge tiles, and the Hardware Havoc API's chunking. */
#ifndef TILERACE_TILE_GRID_H
#define TILERACE_TILE_GRID_H

#include <stdint.h>

struct tr_tile {
    uint32_t task_id;
    uint32_t x, y; /* pixel origin */
    uint32_t w, h; /* clipped to the image */
    /* In a run without a frame (tr_run_hooks.tile_slots): where the backend writes the tile's
     * counts, packed, pixel (x, y) at slot[(y - this.y) * w + (x - this.x)]. NULL: into the
     * run's frame at the tile's place. */
    uint16_t *slot;
};

struct tr_tile_grid {
    uint32_t width, height, tile_w, tile_h;
    uint32_t cols, rows;
    uint64_t tiles;
};

void tr_tile_grid_init(struct tr_tile_grid *g, uint32_t width, uint32_t height, uint32_t tile_w,
                       uint32_t tile_h);
struct tr_tile tr_tile_grid_tile(const struct tr_tile_grid *g, uint32_t task_id);

/*
 * Static chunking as in the Hardware Havoc API: chunk = ceil(tiles / min(threads, tiles));
 * chunk i holds task_ids [i*chunk, min((i+1)*chunk, tiles)). Some thread counts leave fewer
 * chunks than threads (9 tiles, 4 threads: 3 chunks of 3); only non-empty chunks get a thread.
 */
uint32_t tr_chunk_size(uint64_t tiles, uint32_t threads);
uint32_t tr_chunk_count(uint64_t tiles, uint32_t threads);
void tr_chunk_range(uint64_t tiles, uint32_t threads, uint32_t chunk, uint32_t *first,
                    uint32_t *end);

#endif
