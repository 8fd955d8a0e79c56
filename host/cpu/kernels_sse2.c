/*
 * SSE2 instances of the streaming renderer: the x86-64 baseline, no extra flags. SSE2 has no
 * variable permute, so refills and drains go lane by lane through memory; they are rare next
 * to the iterations.
 */
#include <emmintrin.h>

#include "cpu/kernels.h"
#include "cpu/pixel.h"

/* ---- double: 2 lanes, counts and pixel indices in 64-bit lanes ---- */

static inline __m128i d_lanes(unsigned m)
{
    return _mm_set_epi64x(m & 2 ? -1 : 0, m & 1 ? -1 : 0);
}
/* act & !(mag > 4): exactly the scalar test (a NaN does not escape there either); the AND
 * keeps a lane that escaped inactive for the rest of the block */
static inline __m128d d_keep(__m128d act, __m128d mag, __m128d four)
{
    return _mm_and_pd(act, _mm_cmpngt_pd(mag, four));
}
/* active lanes are all-ones, i.e. -1 */
static inline __m128i d_inc(__m128i cnt, __m128d act, __m128i one)
{
    (void)one;
    return _mm_sub_epi64(cnt, _mm_castpd_si128(act));
}
static inline __m128d d_set1(double x)
{
    return _mm_set1_pd(x);
}
static inline __m128d d_add(__m128d a, __m128d b)
{
    return _mm_add_pd(a, b);
}
static inline __m128d d_sub(__m128d a, __m128d b)
{
    return _mm_sub_pd(a, b);
}
static inline __m128d d_mul(__m128d a, __m128d b)
{
    return _mm_mul_pd(a, b);
}
static inline __m128i d_iset1(uint64_t x)
{
    return _mm_set1_epi64x((long long)x);
}
static inline __m128d d_all(void)
{
    return _mm_castsi128_pd(_mm_set1_epi32(-1));
}
static inline unsigned d_bits(__m128d m)
{
    return (unsigned)_mm_movemask_pd(m);
}
static inline unsigned d_ieq_bits(__m128i a, __m128i b)
{
    /* no 64-bit compare in SSE2: both 32-bit halves must match */
    __m128i e = _mm_cmpeq_epi32(a, b);
    e = _mm_and_si128(e, _mm_shuffle_epi32(e, _MM_SHUFFLE(2, 3, 0, 1)));
    return (unsigned)_mm_movemask_pd(_mm_castsi128_pd(e));
}
static inline __m128d d_expand(__m128d old, unsigned m, const double *src)
{
    double v[2];
    unsigned k = 0;
    _mm_storeu_pd(v, old);
    for (int j = 0; j < 2; j++)
        if (m >> j & 1)
            v[j] = src[k++];
    return _mm_loadu_pd(v);
}
static inline __m128i d_iexpand(__m128i old, unsigned m, const uint64_t *src)
{
    uint64_t v[2];
    unsigned k = 0;
    _mm_storeu_si128((__m128i *)v, old);
    for (int j = 0; j < 2; j++)
        if (m >> j & 1)
            v[j] = src[k++];
    return _mm_loadu_si128((const __m128i *)v);
}
static inline void d_compress(uint64_t *dst, unsigned m, __m128i v)
{
    uint64_t a[2];
    unsigned k = 0;
    _mm_storeu_si128((__m128i *)a, v);
    for (int j = 0; j < 2; j++)
        if (m >> j & 1)
            dst[k++] = a[j];
}
static inline __m128d d_clear(__m128d v, unsigned m)
{
    return _mm_andnot_pd(_mm_castsi128_pd(d_lanes(m)), v);
}
static inline __m128i d_iclear(__m128i v, unsigned m)
{
    return _mm_andnot_si128(d_lanes(m), v);
}
static inline __m128d d_set_bits(__m128d act, unsigned m)
{
    return _mm_or_pd(act, _mm_castsi128_pd(d_lanes(m)));
}
static inline void d_istore(uint64_t *dst, __m128i v)
{
    _mm_storeu_si128((__m128i *)dst, v);
}
/* no 64-bit compare in SSE2: go through memory (rare: once per deadline) */
static inline __m128i d_imax(__m128i a, __m128i b)
{
    uint64_t x[2], y[2];
    d_istore(x, a);
    d_istore(y, b);
    for (int j = 0; j < 2; j++)
        x[j] = y[j] > x[j] ? y[j] : x[j];
    return _mm_loadu_si128((const __m128i *)x);
}
static inline uint64_t d_ihmax(__m128i v)
{
    uint64_t c[2];
    d_istore(c, v);
    return c[0] > c[1] ? c[0] : c[1];
}

#define T     double
#define I     uint64_t
#define VW    2
#define NV    4
#define KSTEP 8
#define VT    __m128d
#define IT    __m128i
#define MT    __m128d
#define FN(x) d_##x
#define C_RE  tr_c_re
#define C_IM  tr_c_im
#define LINKAGE
#define TILE_FN    tr_tile_sse2_double
#define CEILING_FN tr_ceiling_sse2_double
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
#undef LINKAGE
#undef TILE_FN
#undef CEILING_FN

/* ---- float: 4 lanes, counts and pixel indices in 32-bit lanes ---- */

static inline __m128i f_lanes(unsigned m)
{
    const __m128i sel = _mm_set_epi32(8, 4, 2, 1);
    return _mm_cmpeq_epi32(_mm_and_si128(_mm_set1_epi32((int)m), sel), sel);
}
static inline __m128 f_keep(__m128 act, __m128 mag, __m128 four)
{
    return _mm_and_ps(act, _mm_cmpngt_ps(mag, four));
}
static inline __m128i f_inc(__m128i cnt, __m128 act, __m128i one)
{
    (void)one;
    return _mm_sub_epi32(cnt, _mm_castps_si128(act));
}
static inline __m128 f_set1(float x)
{
    return _mm_set1_ps(x);
}
static inline __m128 f_add(__m128 a, __m128 b)
{
    return _mm_add_ps(a, b);
}
static inline __m128 f_sub(__m128 a, __m128 b)
{
    return _mm_sub_ps(a, b);
}
static inline __m128 f_mul(__m128 a, __m128 b)
{
    return _mm_mul_ps(a, b);
}
static inline __m128i f_iset1(uint32_t x)
{
    return _mm_set1_epi32((int)x);
}
static inline __m128 f_all(void)
{
    return _mm_castsi128_ps(_mm_set1_epi32(-1));
}
static inline unsigned f_bits(__m128 m)
{
    return (unsigned)_mm_movemask_ps(m);
}
static inline unsigned f_ieq_bits(__m128i a, __m128i b)
{
    return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(a, b)));
}
static inline __m128 f_expand(__m128 old, unsigned m, const float *src)
{
    float v[4];
    unsigned k = 0;
    _mm_storeu_ps(v, old);
    for (int j = 0; j < 4; j++)
        if (m >> j & 1)
            v[j] = src[k++];
    return _mm_loadu_ps(v);
}
static inline __m128i f_iexpand(__m128i old, unsigned m, const uint32_t *src)
{
    uint32_t v[4];
    unsigned k = 0;
    _mm_storeu_si128((__m128i *)v, old);
    for (int j = 0; j < 4; j++)
        if (m >> j & 1)
            v[j] = src[k++];
    return _mm_loadu_si128((const __m128i *)v);
}
static inline void f_compress(uint32_t *dst, unsigned m, __m128i v)
{
    uint32_t a[4];
    unsigned k = 0;
    _mm_storeu_si128((__m128i *)a, v);
    for (int j = 0; j < 4; j++)
        if (m >> j & 1)
            dst[k++] = a[j];
}
static inline __m128 f_clear(__m128 v, unsigned m)
{
    return _mm_andnot_ps(_mm_castsi128_ps(f_lanes(m)), v);
}
static inline __m128i f_iclear(__m128i v, unsigned m)
{
    return _mm_andnot_si128(f_lanes(m), v);
}
static inline __m128 f_set_bits(__m128 act, unsigned m)
{
    return _mm_or_ps(act, _mm_castsi128_ps(f_lanes(m)));
}
static inline void f_istore(uint32_t *dst, __m128i v)
{
    _mm_storeu_si128((__m128i *)dst, v);
}
/* counts are below 2^16, so the signed compare is enough */
static inline __m128i f_imax(__m128i a, __m128i b)
{
    __m128i gt = _mm_cmpgt_epi32(b, a);
    return _mm_or_si128(_mm_and_si128(gt, b), _mm_andnot_si128(gt, a));
}
static inline uint32_t f_ihmax(__m128i v)
{
    uint32_t c[4], m = 0;
    f_istore(c, v);
    for (int j = 0; j < 4; j++)
        m = c[j] > m ? c[j] : m;
    return m;
}

#define T     float
#define I     uint32_t
#define VW    4
#define NV    4
#define KSTEP 8
#define VT    __m128
#define IT    __m128i
#define MT    __m128
#define FN(x) f_##x
#define C_RE  tr_c_re_f
#define C_IM  tr_c_im_f
#define LINKAGE
#define TILE_FN    tr_tile_sse2_float
#define CEILING_FN tr_ceiling_sse2_float
#include "cpu/stream_kernel.h"
