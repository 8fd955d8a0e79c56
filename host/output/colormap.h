/*
 * The colours of --image and of the replay page (web/replay.html has the same functions in
 * JavaScript; both take their palette from output/palette.tsv at build time): a smooth
 * palette over the iteration count, black where a point never escaped,
 * and a hatch for tiles the time limit left unrendered. Integer arithmetic only, so every
 * machine, browser and device produces the same bytes from the same counts.
 */
#ifndef TILERACE_COLORMAP_H
#define TILERACE_COLORMAP_H

#include <stdint.h>

/* The colour of count (0..max_iter) in a frame rendered with max_iter (1..65535). */
void tr_colormap_rgb(uint32_t count, uint32_t max_iter, uint8_t rgb[3]);

/* Fills lut with max_iter + 1 colours (3 bytes each), lut[3*count]: the same as above. */
void tr_colormap_table(uint32_t max_iter, uint8_t *lut);

/* The colour of pixel (x, y) of an unrendered tile: diagonal stripes, 8 pixels wide. */
void tr_hatch_rgb(uint32_t x, uint32_t y, uint8_t rgb[3]);

#endif
