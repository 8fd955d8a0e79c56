#include "core/tile_grid.h"

#include <stddef.h>

void tr_tile_grid_init(struct tr_tile_grid *g, uint32_t width, uint32_t height, uint32_t tile_w,
                       uint32_t tile_h)
{
    g->width = width;
    g->height = height;
    g->tile_w = tile_w;
    g->tile_h = tile_h;
    g->cols = (uint32_t)(((uint64_t)width + tile_w - 1) / tile_w);
    g->rows = (uint32_t)(((uint64_t)height + tile_h - 1) / tile_h);
    g->tiles = (uint64_t)g->cols * g->rows;
}

struct tr_tile tr_tile_grid_tile(const struct tr_tile_grid *g, uint32_t task_id)
{
    struct tr_tile t;
    t.task_id = task_id;
    t.x = (task_id % g->cols) * g->tile_w;
    t.y = (task_id / g->cols) * g->tile_h;
    t.w = g->width - t.x < g->tile_w ? g->width - t.x : g->tile_w;
    t.h = g->height - t.y < g->tile_h ? g->height - t.y : g->tile_h;
    t.slot = NULL;
    return t;
}

uint32_t tr_chunk_size(uint64_t tiles, uint32_t threads)
{
    uint64_t t = threads < tiles ? threads : tiles;
    if (t == 0)
        return 0;
    return (uint32_t)((tiles + t - 1) / t);
}

uint32_t tr_chunk_count(uint64_t tiles, uint32_t threads)
{
    uint32_t chunk = tr_chunk_size(tiles, threads);
    return chunk ? (uint32_t)((tiles + chunk - 1) / chunk) : 0;
}

void tr_chunk_range(uint64_t tiles, uint32_t threads, uint32_t chunk, uint32_t *first,
                    uint32_t *end)
{
    uint64_t size = tr_chunk_size(tiles, threads);
    uint64_t a = (uint64_t)chunk * size;
    uint64_t b = a + size;
    *first = (uint32_t)(a < tiles ? a : tiles);
    *end = (uint32_t)(b < tiles ? b : tiles);
}
