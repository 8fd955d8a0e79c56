/*
 * tilerace OpenCL kernels: the Hardware Havoc API's exact pixel function, bit-identical to the
 * CPU path.
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
#define TR_UNROLL 5 /* independent vectors per work-item in the vector kernels */
#endif
#ifndef TR_BLOCK
#define TR_BLOCK 16 /* iterations between two looks at finished lanes in the vector kernels */
#endif
#ifndef TR_STRIP_ROWS
#define TR_STRIP_ROWS 64 /* rows of a tile per work-item in the vector kernels */
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
 * The vector kernel for CPU devices: each work-item renders a strip of TR_STRIP_ROWS rows of
 * its tile as a stream of pixels over TR_UNROLL independent vectors of VW lanes. Lane j takes
 * the strip's pixels j, j + L, j + 2L, ... (L = VW * TR_UNROLL, row-major in the strip). The
 * vectors run blocks of TR_BLOCK iterations without a branch (a lane whose pixel escaped just
 * stops counting); after each block, lanes whose pixel escaped or reached max_iter store their
 * count and move on to their next pixel, so no lane idles for long while a slow neighbour
 * finishes. While every lane is at least TR_BLOCK iterations short of max_iter, a block skips
 * the max_iter test; only the block that could cross it tests each step.
 *
 * Several vectors in flight hide the latency of the dependent multiply-add chain, which pocl
 * would not interleave by itself (it does not vectorise a per-pixel loop with an early exit).
 * What the code generator needs, as read in pocl's output (LLVM 15, AVX-512):
 * - one test per block for all vectors: a test per vector splits the block, and LLVM then
 *   emits each vector's chain on its own, one after the other;
 * - the fast block as a loop of its own, its steps not unrolled: unrolled, LLVM merges it with
 *   the tested block, or sums a block's count updates at its end and spills the masks;
 * - 2 * zr as a multiply by an opaque 2 (exact either way): zr + zr would load the adders
 *   with five operations a step against three multiplies;
 * - few vectors live across the loop (a lane's pixel is one packed integer, whether it has one
 *   is computed from it): with four more per vector, the register allocator shuffled and
 *   spilled at five vectors in flight, and four do not hide the chain's latency.
 *
 * The global work offset is the tile's origin; the global size is (1, number of strips). Tiles
 * are clipped only by the image's right and bottom edges, so the tile's extent is
 * min(origin + tile size, image size) and the arguments stay the same for every tile.
 *
 * Per pixel the arithmetic is the scalar kernel's, operation for operation, so the counts are
 * bit-identical: a refilled lane starts with z = 0, and its first update computes
 * zi = 2*0*0 + c_im and zr = 0 - 0 + c_re exactly as the scalar loop's first iteration does.
 */
#define VECTOR_KERNEL(NAME, REAL, REALV, INTV, VW, LIT)                                           \
    __kernel void NAME(__global ushort *counts, uint width, uint height, uint max_iter,          \
                       uint tile_w, uint tile_h)                                                   \
    {                                                                                              \
        const uint x0 = (uint)get_global_offset(0);                                                \
        const uint ty0 = (uint)get_global_offset(1);                                               \
        const uint y0 = ty0 + (uint)(get_global_id(1) - get_global_offset(1)) * TR_STRIP_ROWS;     \
        const uint y_end = min(min(ty0 + tile_h, height), y0 + TR_STRIP_ROWS);                     \
        const int w = (int)(min(x0 + tile_w, width) - x0);                                         \
        const int L = VW * TR_UNROLL;                                                              \
        const INTV dq = (INTV)(L / w), dr = (INTV)(L % w); /* rows, columns per move of L */      \
        const INTV lane = (INTV)(0, 1, 2, 3, 4, 5, 6, 7 LANES_##VW);                               \
        const INTV maxv = (INTV)max_iter;                                                          \
        /* a lane above this count could reach max_iter within a block */                         \
        const INTV near = (INTV)((int)max_iter - TR_BLOCK);                                       \
        const INTV rows = (INTV)(int)(y_end - y0);                                                 \
        REALV zr[TR_UNROLL], zi[TR_UNROLL], cr[TR_UNROLL], ci[TR_UNROLL];                          \
        INTV n[TR_UNROLL], live[TR_UNROLL]; /* count; still iterating */                          \
        INTV pix[TR_UNROLL]; /* the lane's pixel: row << PIX_SHIFT | column, in the strip */      \
        /* n = 0 everywhere: near unless max_iter < TR_BLOCK */                                  \
        INTV near_any = (INTV)0 > near;                                                            \
        /* 2, which the compiler cannot fold: 2 * zr stays a multiply */                         \
        const REALV two = (REALV)((REAL)1 + (REAL)(width != 0u));                                  \
        _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++) {                                    \
            INTV idx = lane + (INTV)(u * VW);                                                      \
            pix[u] = (idx / (INTV)w) << PIX_SHIFT | idx % (INTV)w;                                 \
            live[u] = ACTIVE(pix[u]);                                                              \
            cr[u] = C_RE(REALV, LIT, pix[u]);                                                           \
            ci[u] = C_IM(REALV, LIT, pix[u]);                                                           \
            zr[u] = zi[u] = (REALV)LIT(0.0);                                                       \
            n[u] = (INTV)0;                                                                        \
        }                                                                                          \
        for (;;) {                                                                                 \
            if (!ANY(VW, near_any)) {                                                              \
                /* fast blocks, until a lane escapes or nears max_iter */                         \
                INTV stop;                                                                         \
                do {                                                                               \
                    _Pragma("nounroll") for (int k = 0; k < TR_BLOCK; k++) {                       \
                        _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++)                      \
                            VECTOR_STEP(REALV, LIT, u);                                            \
                    }                                                                              \
                    stop = (INTV)0;                                                                \
                    _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++)                          \
                        stop |= (ACTIVE(pix[u]) & ~live[u]) | (n[u] > near);                       \
                } while (!ANY(VW, stop));                                                          \
            } else {                                                                               \
                _Pragma("unroll") for (int k = 0; k < TR_BLOCK; k++) {                             \
                    _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++) {                        \
                        live[u] &= n[u] < maxv;                                                    \
                        VECTOR_STEP(REALV, LIT, u);                                                \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
            INTV done[TR_UNROLL], done_any = (INTV)0;                                              \
            _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++) {                                \
                done[u] = ACTIVE(pix[u]) & ~(live[u] & (n[u] < maxv));                             \
                done_any |= done[u];                                                               \
            }                                                                                      \
            if (ANY(VW, done_any)) {                                                               \
                INTV active_any = (INTV)0;                                                         \
                _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++) {                            \
                    if (ANY(VW, done[u])) {                                                        \
                        STORE_DONE(VW, done[u], n[u], pix[u]);                                     \
                        /* the lane's next pixel, L on in the strip */                             \
                        INTV c2 = COL(pix[u]) + dr;                                                \
                        INTV wrap = c2 >= (INTV)w;                                                 \
                        INTV next = (ROW(pix[u]) + dq - wrap) << PIX_SHIFT | (c2 - ((INTV)w & wrap)); \
                        pix[u] = select(pix[u], next, done[u]);                                    \
                        live[u] = select(live[u], ACTIVE(pix[u]), done[u]);                        \
                        cr[u] = select(cr[u], C_RE(REALV, LIT, pix[u]), done[u]);                       \
                        ci[u] = select(ci[u], C_IM(REALV, LIT, pix[u]), done[u]);                       \
                        zr[u] = select(zr[u], (REALV)LIT(0.0), done[u]);                           \
                        zi[u] = select(zi[u], (REALV)LIT(0.0), done[u]);                           \
                        n[u] = select(n[u], (INTV)0, done[u]);                                     \
                    }                                                                              \
                    active_any |= ACTIVE(pix[u]);                                                  \
                }                                                                                  \
                if (!ANY(VW, active_any))                                                          \
                    break;                                                                         \
            }                                                                                      \
            near_any = (INTV)0;                                                                    \
            _Pragma("unroll") for (int u = 0; u < TR_UNROLL; u++) near_any |= n[u] > near;         \
        }                                                                                          \
    }

/* A lane's pixel as one integer, row << 16 | column, in its strip (rows < 2^14 with the lanes'
 * overshoot, columns < 2^16). */
#define PIX_SHIFT 16
#define COL(p) ((p) & 0xffff)
#define ROW(p) ((p) >> PIX_SHIFT)
#define ACTIVE(p) (ROW(p) < rows) /* past the strip's last pixel: no pixel */
#define C_RE(REALV, LIT, p)                                                                        \
    (convert_##REALV(COL(p) + (int)x0) / (REALV)width * LIT(3.5) - LIT(2.5))
#define C_IM(REALV, LIT, p)                                                                        \
    (convert_##REALV(ROW(p) + (int)y0) / (REALV)height * LIT(2.0) - LIT(1.0))

/* One iteration of the scalar loop on vector u; a lane that is not live keeps its count. */
#define VECTOR_STEP(REALV, LIT, u)                                                                 \
    do {                                                                                           \
        REALV re2 = zr[u] * zr[u];                                                                 \
        REALV im2 = zi[u] * zi[u];                                                                 \
        live[u] &= ~(re2 + im2 > (REALV)LIT(4.0));                                                 \
        n[u] -= live[u]; /* live is -1: one more completed iteration */                            \
        zi[u] = two * zr[u] * zi[u] + ci[u];                                                  \
        zr[u] = re2 - im2 + cr[u];                                                                 \
    } while (0)

/* any() without branches: pocl's any() of a long8 tests the lanes one branch at a time. */
#define ANY(VW, m) ANY_##VW(m)
#define ANY_8(m) ANY_4((m).lo | (m).hi)
#define ANY_16(m) ANY_8((m).lo | (m).hi)
#define ANY_4(m) ANY_2((m).lo | (m).hi)
#define ANY_2(m) (((m).lo | (m).hi) < 0)

/* Stores the counts of the lanes flagged in done (a rare event next to an iteration). */
#define STORE_DONE(VW, done, n, pix)                                                               \
    do {                                                                                           \
        int d_[VW], n_[VW], p_[VW];                                                                \
        vstore##VW(convert_int##VW(done), 0, d_);                                                  \
        vstore##VW(convert_int##VW(n), 0, n_);                                                     \
        vstore##VW(convert_int##VW(pix), 0, p_);                                                   \
        for (int l = 0; l < VW; l++)                                                               \
            if (d_[l])                                                                             \
                counts[(size_t)(y0 + (uint)(p_[l] >> PIX_SHIFT)) * width + x0 +                    \
                       (uint)(p_[l] & 0xffff)] = (ushort)n_[l];                                    \
    } while (0)

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
