#include <stddef.h>

#include "cpu_kernels.h"
#include "pixel.h"

void tr_tile_scalar_double(const struct tr_frame_desc *f, const struct tr_tile *t)
{
    for (uint32_t y = t->y; y < t->y + t->h; y++) {
        double c_im = tr_c_im(y, f->height);
        uint16_t *row = f->counts + (size_t)y * f->width;
        for (uint32_t x = t->x; x < t->x + t->w; x++)
            row[x] = tr_pixel_double(tr_c_re(x, f->width), c_im, f->max_iter);
    }
}

void tr_tile_scalar_float(const struct tr_frame_desc *f, const struct tr_tile *t)
{
    for (uint32_t y = t->y; y < t->y + t->h; y++) {
        float c_im = tr_c_im_f(y, f->height);
        uint16_t *row = f->counts + (size_t)y * f->width;
        for (uint32_t x = t->x; x < t->x + t->w; x++)
            row[x] = tr_pixel_float(tr_c_re_f(x, f->width), c_im, f->max_iter);
    }
}
