/*
 * tilerace OpenCL kernels: the seed's exact pixel function, bit-identical to the CPU path.
 *
 * One NDRange per tile; the global work offset is the tile's origin, so the kernel arguments
 * stay the same for every tile of a run and are set once per lane.
 *
 * FP_CONTRACT OFF: a*b+c must never become an FMA, or counts differ from the reference.
 * The host never passes -cl-fast-relaxed-math or -cl-mad-enable. Float kernels are built with
 * -cl-fp32-correctly-rounded-divide-sqrt so that x / width rounds exactly as on the CPU.
 */
#pragma OPENCL FP_CONTRACT OFF

#ifndef TR_UNROLL
#define TR_UNROLL 4 /* independent vectors per work-item in the vector kernels */
#endif

/* One pixel per work-item: the GPU kernel, and the scalar baseline on CPU devices. */
#define SCALAR_KERNEL(NAME, REAL, LIT)                                                           \
    __kernel void NAME(__global ushort *counts, uint width, uint height, uint max_iter)          \
    {                                                                                              \
        uint x = (uint)get_global_id(0);                                                           \
        uint y = (uint)get_global_id(1);                                                           \
        REAL c_re = (REAL)x / (REAL)width * LIT(3.5) - LIT(2.5);                                   \
        REAL c_im = (REAL)y / (REAL)height * LIT(2.0) - LIT(1.0);                                  \
        REAL zr = LIT(0.0), zi = LIT(0.0);                                                         \
        uint i = 0;                                                                                \
        for (; i < max_iter; i++) {                                                                \
            REAL re2 = zr * zr;                                                                    \
            REAL im2 = zi * zi;                                                                    \
            if (re2 + im2 > LIT(4.0))                                                              \
                break;                                                                             \
            zi = LIT(2.0) * zr * zi + c_im;                                                        \
            zr = re2 - im2 + c_re;                                                                 \
        }                                                                                          \
        counts[(size_t)y * width + x] = (ushort)i;                                                 \
    }

/*
 * Row segments for CPU devices: work-item k of a tile renders TR_UNROLL vectors of VW pixels
 * starting at x0 + k*VW*TR_UNROLL, where x0 = get_global_offset(0). The global size in
 * dimension 0 is ceil(tile width / (VW*TR_UNROLL)); the tile ends at min(x0 + tile_w, width)
 * because tiles are only ever clipped by the image's right edge. Lanes that escape are masked;
 * the loop ends when every lane of every vector is done. Several vectors in flight hide the
 * latency of the dependent multiply-add chain, which pocl will not interleave by itself.
 */
#define VECTOR_KERNEL(NAME, REAL, REALV, INTV, VW, LIT)                                           \
    __kernel void NAME(__global ushort *counts, uint width, uint height, uint max_iter,          \
                       uint tile_w)                                                                \
    {                                                                                              \
        const uint x0 = (uint)get_global_offset(0);                                                \
        const uint seg = (uint)(get_global_id(0) - get_global_offset(0));                          \
        const uint y = (uint)get_global_id(1);                                                     \
        const uint x_end = min(x0 + tile_w, width);                                                \
        const uint first = x0 + seg * (VW * TR_UNROLL);                                            \
        const REAL c_im = (REAL)y / (REAL)height * LIT(2.0) - LIT(1.0);                            \
        REALV c_re[TR_UNROLL], zr[TR_UNROLL], zi[TR_UNROLL];                                       \
        INTV live[TR_UNROLL], n[TR_UNROLL];                                                        \
        INTV lane = (INTV)(0, 1, 2, 3, 4, 5, 6, 7 LANES_##VW);                                     \
        for (int u = 0; u < TR_UNROLL; u++) {                                                      \
            INTV x = (INTV)(first + u * VW) + lane;                                                \
            c_re[u] = convert_##REALV(x) / (REAL)width * LIT(3.5) - LIT(2.5);                      \
            zr[u] = (REALV)LIT(0.0);                                                               \
            zi[u] = (REALV)LIT(0.0);                                                               \
            live[u] = x < (INTV)x_end; /* -1 where the pixel belongs to the tile */               \
            n[u] = (INTV)0;                                                                        \
        }                                                                                          \
        for (uint i = 0; i < max_iter; i++) {                                                      \
            int any_live = 0;                                                                      \
            for (int u = 0; u < TR_UNROLL; u++) {                                                  \
                REALV re2 = zr[u] * zr[u];                                                         \
                REALV im2 = zi[u] * zi[u];                                                         \
                live[u] &= ~(re2 + im2 > (REALV)LIT(4.0));                                         \
                zi[u] = LIT(2.0) * zr[u] * zi[u] + c_im;                                           \
                zr[u] = re2 - im2 + c_re[u];                                                       \
                n[u] -= live[u]; /* live is -1: one more completed iteration */                    \
                any_live |= any(live[u]);                                                          \
            }                                                                                      \
            if (!any_live)                                                                         \
                break;                                                                             \
        }                                                                                          \
        __global ushort *row = counts + (size_t)y * width;                                         \
        for (int u = 0; u < TR_UNROLL; u++) {                                                      \
            uint x = first + u * VW;                                                               \
            ushort##VW c = convert_ushort##VW(n[u]);                                               \
            if (x + VW <= x_end) {                                                                 \
                vstore##VW(c, 0, row + x);                                                         \
            } else {                                                                               \
                ushort part[VW];                                                                   \
                vstore##VW(c, 0, part);                                                            \
                for (uint l = 0; x + l < x_end; l++)                                               \
                    row[x + l] = part[l];                                                          \
            }                                                                                      \
        }                                                                                          \
    }

#define LANES_8
#define LANES_16 , 8, 9, 10, 11, 12, 13, 14, 15

#define LIT_F(v) v##f
#define LIT_D(v) v

SCALAR_KERNEL(mandelbrot_scalar_float, float, LIT_F)
VECTOR_KERNEL(mandelbrot_vector_float, float, float16, int16, 16, LIT_F)

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
SCALAR_KERNEL(mandelbrot_scalar_double, double, LIT_D)
VECTOR_KERNEL(mandelbrot_vector_double, double, double8, long8, 8, LIT_D)
#endif
