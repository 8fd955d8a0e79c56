/* Tile renderers for the CPU path. Each writes the counts of one clipped tile where it is told:
 * into the frame, or into a buffer of the tile's own. */
#ifndef TILERACE_CPU_KERNELS_H
#define TILERACE_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/params.h"
#include "core/status.h"
#include "core/tile_grid.h"

/* The frame a tile belongs to: a pixel's c comes from its place in the whole frame. */
struct tr_frame_desc {
    uint32_t width, height, max_iter;
};

/*
 * Renders tile t of frame f: pixel (x, y) of the tile goes to dst[(y - t->y) * stride +
 * (x - t->x)]. Into a frame of width counts: dst = frame + t->y * width + t->x, stride width
 * (tr_tile_into_frame); into a packed buffer of the tile's own: stride t->w.
 */
typedef void (*tr_tile_fn)(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                           size_t stride);

/* Renders tile t with fn into frame (f->width * f->height counts, row-major). */
static inline void tr_tile_into_frame(tr_tile_fn fn, const struct tr_frame_desc *f, uint16_t *frame,
                                      const struct tr_tile *t)
{
    fn(f, t, frame + (size_t)t->y * f->width + t->x, f->width);
}

/* Runs the kernel's inner loop on lanes that never escape for at least `steps` iterations
 * each; returns the lane-iterations done (0 if a lane escaped, which would be a bug). */
typedef uint64_t (*tr_ceiling_fn)(uint64_t steps);

/* The scalar loops, one pixel at a time: the baseline and the reference. */
void tr_tile_scalar_double(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                           size_t stride);
void tr_tile_scalar_float(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                          size_t stride);
uint64_t tr_ceiling_scalar_double(uint64_t steps);
uint64_t tr_ceiling_scalar_float(uint64_t steps);

/*
 * Vectorised streaming renderers, bit-identical to the scalar loops. Each ISA's file is
 * compiled with that ISA's flags: call them only where tr_cpu_isa_supported() says so.
 */
void tr_tile_avx512_double(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                           size_t stride);
void tr_tile_avx512_float(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                          size_t stride);
void tr_tile_avx2_double(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                         size_t stride);
void tr_tile_avx2_float(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                        size_t stride);
void tr_tile_sse2_double(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                         size_t stride);
void tr_tile_sse2_float(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                        size_t stride);
uint64_t tr_ceiling_avx512_double(uint64_t steps);
uint64_t tr_ceiling_avx512_float(uint64_t steps);
uint64_t tr_ceiling_avx2_double(uint64_t steps);
uint64_t tr_ceiling_avx2_float(uint64_t steps);
uint64_t tr_ceiling_sse2_double(uint64_t steps);
uint64_t tr_ceiling_sse2_float(uint64_t steps);

/* Instruction sets, best last. */
enum tr_cpu_isa { TR_CPU_ISA_SCALAR, TR_CPU_ISA_SSE2, TR_CPU_ISA_AVX2, TR_CPU_ISA_AVX512 };
#define TR_CPU_ISA_COUNT 4

const char *tr_cpu_isa_name(enum tr_cpu_isa isa); /* "avx512", "avx2", "sse2", "scalar" */
int tr_cpu_isa_parse(const char *text, enum tr_cpu_isa *isa); /* 0, or -1 if unknown */
int tr_cpu_isa_supported(enum tr_cpu_isa isa);                /* by this build and this processor */
enum tr_cpu_isa tr_cpu_isa_best(void);

/* "avx512-double", "scalar-float", ...: summary.device.kernel */
const char *tr_cpu_kernel_name(enum tr_cpu_isa isa, enum tr_precision precision);

tr_tile_fn tr_cpu_tile_fn(enum tr_cpu_isa isa, enum tr_precision precision);
tr_ceiling_fn tr_cpu_ceiling_fn(enum tr_cpu_isa isa, enum tr_precision precision);

/*
 * The ISA for a kernel choice: scalar for TR_KERNEL_SCALAR, else the best supported one, or
 * the one $TILERACE_CPU_ISA names. Returns 0, TR_ERR_USAGE for an unknown name or
 * TR_ERR_DEVICE for an ISA this processor lacks, with a one-line message in err.
 */
enum tr_status tr_cpu_isa_choose(enum tr_kernel kernel, enum tr_cpu_isa *isa, char *err,
                                 size_t errlen);

#endif
