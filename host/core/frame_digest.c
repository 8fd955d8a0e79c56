#include "core/frame_digest.h"

#include "core/checksum.h"

void tr_frame_digest_init(struct tr_frame_digest *d, const struct tr_tile_grid *grid,
                          const uint16_t *frame)
{
    d->grid = grid;
    d->frame = frame;
    d->rows_hashed = 0;
    d->next_col = 0;
    d->checksum = TR_FNV1A64_OFFSET;
    d->total_iterations = 0;
}

/* Pixel rows [y0, y1) of tile row `row`. */
static void row_span(const struct tr_tile_grid *g, uint32_t row, uint32_t *y0, uint32_t *y1)
{
    *y0 = row * g->tile_h;
    *y1 = *y0 + g->tile_h < g->height ? *y0 + g->tile_h : g->height;
}

void tr_frame_digest_advance(struct tr_frame_digest *d, const unsigned char *done)
{
    const struct tr_tile_grid *g = d->grid;
    while (d->rows_hashed < g->rows) {
        const unsigned char *row_done = done + (size_t)d->rows_hashed * g->cols;
        while (d->next_col < g->cols && __atomic_load_n(&row_done[d->next_col], __ATOMIC_ACQUIRE))
            d->next_col++;
        if (d->next_col < g->cols)
            return;
        uint32_t y0, y1;
        row_span(g, d->rows_hashed, &y0, &y1);
        const uint16_t *counts = d->frame + (size_t)y0 * g->width;
        size_t n = (size_t)(y1 - y0) * g->width;
        d->checksum = tr_fnv1a64_counts_from(d->checksum, counts, n);
        d->total_iterations += tr_sum_counts(counts, n);
        d->rows_hashed++;
        d->next_col = 0;
    }
}

int tr_frame_digest_finish(struct tr_frame_digest *d)
{
    const struct tr_tile_grid *g = d->grid;
    if (d->rows_hashed < g->rows) {
        uint32_t y0, y1;
        row_span(g, d->rows_hashed, &y0, &y1);
        d->total_iterations +=
            tr_sum_counts(d->frame + (size_t)y0 * g->width, (size_t)(g->height - y0) * g->width);
    }
    return d->rows_hashed == g->rows;
}
