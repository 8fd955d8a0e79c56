#include "output/colormap.h"

#include <stddef.h>

/* Palette stops on a 0..65536 scale, from output/palette.tsv (which the build checks: the
 * first at 0, rising, the last at 65536, where it wraps to the first colour). */
static const struct {
    uint32_t pos;
    uint8_t rgb[3];
} stops[] = {
#include "palette_stops.h"
};

static uint64_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

void tr_colormap_rgb(uint32_t count, uint32_t max_iter, uint8_t rgb[3])
{
    if (count >= max_iter) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    /* sqrt(count / max_iter) on 0..65535: spreads the many low counts over the palette. */
    uint32_t s = (uint32_t)isqrt64(((uint64_t)count << 32) / max_iter);
    size_t i = 0;
    while (s >= stops[i + 1].pos)
        i++;
    uint32_t p0 = stops[i].pos, p1 = stops[i + 1].pos, span = p1 - p0;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)(((uint64_t)stops[i].rgb[c] * (p1 - s) +
                            (uint64_t)stops[i + 1].rgb[c] * (s - p0) + span / 2) /
                           span);
}

void tr_colormap_table(uint32_t max_iter, uint8_t *lut)
{
    for (uint32_t c = 0; c <= max_iter; c++)
        tr_colormap_rgb(c, max_iter, lut + 3 * (uint64_t)c);
}

void tr_hatch_rgb(uint32_t x, uint32_t y, uint8_t rgb[3])
{
    uint8_t v = (((uint64_t)x + y) >> 3) & 1 ? 96 : 48;
    rgb[0] = rgb[1] = rgb[2] = v;
}
