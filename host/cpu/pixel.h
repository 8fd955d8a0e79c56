/*
 * The exact pixel function of the Hardware Havoc API. Compiled with -ffp-contract=off so that
 * no multiply-add is fused: every platform then produces bit-identical counts.
 */
#ifndef TILERACE_PIXEL_H
#define TILERACE_PIXEL_H

#include <stdint.h>

static inline double tr_c_re(uint32_t x, uint32_t width)
{
    return (double)x / (double)width * 3.5 - 2.5;
}

static inline double tr_c_im(uint32_t y, uint32_t height)
{
    return (double)y / (double)height * 2.0 - 1.0;
}

static inline uint16_t tr_pixel_double(double c_re, double c_im, uint32_t max_iter)
{
    double zr = 0.0, zi = 0.0;
    for (uint32_t i = 0; i < max_iter; i++) {
        double re2 = zr * zr;
        double im2 = zi * zi;
        if (re2 + im2 > 4.0)
            return (uint16_t)i;
        zi = 2.0 * zr * zi + c_im;
        zr = re2 - im2 + c_re;
    }
    return (uint16_t)max_iter;
}

/* The same formulas in single precision (--precision float). */
static inline float tr_c_re_f(uint32_t x, uint32_t width)
{
    return (float)x / (float)width * 3.5f - 2.5f;
}

static inline float tr_c_im_f(uint32_t y, uint32_t height)
{
    return (float)y / (float)height * 2.0f - 1.0f;
}

static inline uint16_t tr_pixel_float(float c_re, float c_im, uint32_t max_iter)
{
    float zr = 0.0f, zi = 0.0f;
    for (uint32_t i = 0; i < max_iter; i++) {
        float re2 = zr * zr;
        float im2 = zi * zi;
        if (re2 + im2 > 4.0f)
            return (uint16_t)i;
        zi = 2.0f * zr * zi + c_im;
        zr = re2 - im2 + c_re;
    }
    return (uint16_t)max_iter;
}

#endif
