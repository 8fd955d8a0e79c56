#include <stddef.h>

#include "cpu/kernels.h"
#include "cpu/pixel.h"

void tr_tile_scalar_double(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                           size_t stride)
{
    for (uint32_t y = t->y; y < t->y + t->h; y++) {
        double c_im = tr_c_im(y, f->height);
        uint16_t *row = dst + (size_t)(y - t->y) * stride;
        for (uint32_t i = 0; i < t->w; i++)
            row[i] = tr_pixel_double(tr_c_re(t->x + i, f->width), c_im, f->max_iter);
    }
}

void tr_tile_scalar_float(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                          size_t stride)
{
    for (uint32_t y = t->y; y < t->y + t->h; y++) {
        float c_im = tr_c_im_f(y, f->height);
        uint16_t *row = dst + (size_t)(y - t->y) * stride;
        for (uint32_t i = 0; i < t->w; i++)
            row[i] = tr_pixel_float(tr_c_re_f(t->x + i, f->width), c_im, f->max_iter);
    }
}

/* c stays in the set, so every call runs the full loop; volatile keeps calls from merging. */
static volatile double ceiling_c_double[2] = {-0.1, 0.1};
static volatile float ceiling_c_float[2] = {-0.1f, 0.1f};

uint64_t tr_ceiling_scalar_double(uint64_t steps)
{
    uint64_t total = 0;
    while (steps > 0) {
        uint32_t n = steps < 65535 ? (uint32_t)steps : 65535;
        uint16_t got = tr_pixel_double(ceiling_c_double[0], ceiling_c_double[1], n);
        if (got != n)
            return 0;
        total += got;
        steps -= n;
    }
    return total;
}

uint64_t tr_ceiling_scalar_float(uint64_t steps)
{
    uint64_t total = 0;
    while (steps > 0) {
        uint32_t n = steps < 65535 ? (uint32_t)steps : 65535;
        uint16_t got = tr_pixel_float(ceiling_c_float[0], ceiling_c_float[1], n);
        if (got != n)
            return 0;
        total += got;
        steps -= n;
    }
    return total;
}
