/*
 * AVX-512 instances of the streaming renderer (compiled with -mavx512f -mavx512dq; called only
 * when the processor has both). Mask registers make the sticky compare and the masked count
 * one instruction each, and expand/compress refill and drain lanes without a lookup table.
 */
#include <immintrin.h>

#include "cpu/kernels.h"
#include "cpu/pixel.h"

/* ---- double: 8 lanes, counts and pixel indices in 64-bit lanes ---- */

/* act & !(mag > 4): exactly the scalar test (a NaN does not escape there either); the AND
 * keeps a lane that escaped inactive for the rest of the block */
static inline __mmask8 d_keep(__mmask8 act, __m512d mag, __m512d four)
{
    return _mm512_mask_cmp_pd_mask(act, mag, four, _CMP_NGT_UQ);
}
/* cnt + 1 in the lanes of act */
static inline __m512i d_inc(__m512i cnt, __mmask8 act, __m512i one)
{
    return _mm512_mask_add_epi64(cnt, act, cnt, one);
}
static inline __m512d d_set1(double x)
{
    return _mm512_set1_pd(x);
}
static inline __m512d d_add(__m512d a, __m512d b)
{
    return _mm512_add_pd(a, b);
}
static inline __m512d d_sub(__m512d a, __m512d b)
{
    return _mm512_sub_pd(a, b);
}
static inline __m512d d_mul(__m512d a, __m512d b)
{
    return _mm512_mul_pd(a, b);
}
static inline __m512i d_iset1(uint64_t x)
{
    return _mm512_set1_epi64((long long)x);
}
static inline __mmask8 d_all(void)
{
    return 0xff;
}
/* a mask as a bitmask of lanes, and lane-wise equality as one */
static inline unsigned d_bits(__mmask8 m)
{
    return m;
}
static inline unsigned d_ieq_bits(__m512i a, __m512i b)
{
    return _mm512_cmpeq_epu64_mask(a, b);
}
/* lanes in m take src[0], src[1], ... in lane order; the others keep old */
static inline __m512d d_expand(__m512d old, unsigned m, const double *src)
{
    return _mm512_mask_expand_pd(old, (__mmask8)m, _mm512_loadu_pd(src));
}
static inline __m512i d_iexpand(__m512i old, unsigned m, const uint64_t *src)
{
    return _mm512_mask_expand_epi64(old, (__mmask8)m, _mm512_loadu_si512(src));
}
/* dst[0..popcount(m)) = the lanes in m, in lane order; writes 8 entries */
static inline void d_compress(uint64_t *dst, unsigned m, __m512i v)
{
    _mm512_storeu_si512(dst, _mm512_maskz_compress_epi64((__mmask8)m, v));
}
/* zero the lanes in m; set_bits: make them active */
static inline __m512d d_clear(__m512d v, unsigned m)
{
    return _mm512_maskz_mov_pd((__mmask8)~m, v);
}
static inline __m512i d_iclear(__m512i v, unsigned m)
{
    return _mm512_maskz_mov_epi64((__mmask8)~m, v);
}
static inline __mmask8 d_set_bits(__mmask8 act, unsigned m)
{
    return (__mmask8)(act | m);
}
static inline void d_istore(uint64_t *dst, __m512i v)
{
    _mm512_storeu_si512(dst, v);
}
/* lane-wise max, and the max over the lanes */
static inline __m512i d_imax(__m512i a, __m512i b)
{
    return _mm512_max_epu64(a, b);
}
static inline uint64_t d_ihmax(__m512i v)
{
    return _mm512_reduce_max_epu64(v);
}

#define T       double
#define I       uint64_t
#define VW      8
#define NV      7
#define KSTEP   8
#define VT      __m512d
#define IT      __m512i
#define MT      __mmask8
#define FN(x)   d_##x
#define C_RE    tr_c_re
#define C_IM    tr_c_im
#define TILE_FN tr_tile_avx512_double
#define LINKAGE
#define CEILING_FN tr_ceiling_avx512_double
#include "cpu/stream_kernel.h"
#undef T
#undef I
#undef VW
#undef NV
#undef KSTEP
#undef VT
#undef IT
#undef MT
#undef FN
#undef C_RE
#undef C_IM
#undef TILE_FN
#undef CEILING_FN
#undef LINKAGE

/* ---- float: 16 lanes, counts and pixel indices in 32-bit lanes ---- */

static inline __mmask16 f_keep(__mmask16 act, __m512 mag, __m512 four)
{
    return _mm512_mask_cmp_ps_mask(act, mag, four, _CMP_NGT_UQ);
}
static inline __m512i f_inc(__m512i cnt, __mmask16 act, __m512i one)
{
    return _mm512_mask_add_epi32(cnt, act, cnt, one);
}
static inline __m512 f_set1(float x)
{
    return _mm512_set1_ps(x);
}
static inline __m512 f_add(__m512 a, __m512 b)
{
    return _mm512_add_ps(a, b);
}
static inline __m512 f_sub(__m512 a, __m512 b)
{
    return _mm512_sub_ps(a, b);
}
static inline __m512 f_mul(__m512 a, __m512 b)
{
    return _mm512_mul_ps(a, b);
}
static inline __m512i f_iset1(uint32_t x)
{
    return _mm512_set1_epi32((int)x);
}
static inline __mmask16 f_all(void)
{
    return 0xffff;
}
static inline unsigned f_bits(__mmask16 m)
{
    return m;
}
static inline unsigned f_ieq_bits(__m512i a, __m512i b)
{
    return _mm512_cmpeq_epu32_mask(a, b);
}
static inline __m512 f_expand(__m512 old, unsigned m, const float *src)
{
    return _mm512_mask_expand_ps(old, (__mmask16)m, _mm512_loadu_ps(src));
}
static inline __m512i f_iexpand(__m512i old, unsigned m, const uint32_t *src)
{
    return _mm512_mask_expand_epi32(old, (__mmask16)m, _mm512_loadu_si512(src));
}
static inline void f_compress(uint32_t *dst, unsigned m, __m512i v)
{
    _mm512_storeu_si512(dst, _mm512_maskz_compress_epi32((__mmask16)m, v));
}
static inline __m512 f_clear(__m512 v, unsigned m)
{
    return _mm512_maskz_mov_ps((__mmask16)~m, v);
}
static inline __m512i f_iclear(__m512i v, unsigned m)
{
    return _mm512_maskz_mov_epi32((__mmask16)~m, v);
}
static inline __mmask16 f_set_bits(__mmask16 act, unsigned m)
{
    return (__mmask16)(act | m);
}
static inline void f_istore(uint32_t *dst, __m512i v)
{
    _mm512_storeu_si512(dst, v);
}
static inline __m512i f_imax(__m512i a, __m512i b)
{
    return _mm512_max_epu32(a, b);
}
static inline uint32_t f_ihmax(__m512i v)
{
    return _mm512_reduce_max_epu32(v);
}

#define T       float
#define I       uint32_t
#define VW      16
#define NV      7
#define KSTEP   8
#define VT      __m512
#define IT      __m512i
#define MT      __mmask16
#define FN(x)   f_##x
#define C_RE    tr_c_re_f
#define C_IM    tr_c_im_f
#define TILE_FN tr_tile_avx512_float
#define LINKAGE
#define CEILING_FN tr_ceiling_avx512_float
#include "cpu/stream_kernel.h"
