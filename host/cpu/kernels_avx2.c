/*
 * AVX2 instances of the streaming renderer (compiled with -mavx2, never -mfma; called only
 * when the processor has AVX2). Masks are vectors of all-ones lanes; expand and compress are
 * permutes from lookup tables built once.
 */
#include <immintrin.h>
#include <pthread.h>

#include "cpu/kernels.h"
#include "cpu/pixel.h"

/* For each lane bitmask m: expand[m] sends source element popcount(m & below(lane)) to each
 * lane of m; compress[m] gathers the lanes of m to the front. Indices of 32-bit elements. */
static uint8_t lut_f_expand[256][8], lut_f_compress[256][8];
static uint8_t lut_d_expand[16][8], lut_d_compress[16][8];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

static void lut_init(void)
{
    for (unsigned m = 0; m < 256; m++) {
        unsigned k = 0;
        for (unsigned j = 0; j < 8; j++) {
            lut_f_expand[m][j] = (uint8_t)__builtin_popcount(m & ((1u << j) - 1));
            lut_f_compress[m][j] = 0;
            if (m >> j & 1)
                lut_f_compress[m][k++] = (uint8_t)j;
        }
    }
    for (unsigned m = 0; m < 16; m++) {
        unsigned k = 0;
        for (unsigned j = 0; j < 4; j++) {
            unsigned s = (unsigned)__builtin_popcount(m & ((1u << j) - 1));
            lut_d_expand[m][2 * j] = (uint8_t)(2 * s);
            lut_d_expand[m][2 * j + 1] = (uint8_t)(2 * s + 1);
            lut_d_compress[m][2 * j] = lut_d_compress[m][2 * j + 1] = 0;
        }
        for (unsigned j = 0; j < 4; j++) {
            if (m >> j & 1) {
                lut_d_compress[m][2 * k] = (uint8_t)(2 * j);
                lut_d_compress[m][2 * k + 1] = (uint8_t)(2 * j + 1);
                k++;
            }
        }
    }
}

static inline __m256i lut_load(const uint8_t *row)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)row));
}

/* ---- double: 4 lanes, counts and pixel indices in 64-bit lanes ---- */

static inline __m256i d_lanes(unsigned m)
{
    const __m256i sel = _mm256_set_epi64x(8, 4, 2, 1);
    return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_set1_epi64x(m), sel), sel);
}
/* act & !(mag > 4): exactly the scalar test (a NaN does not escape there either); the AND
 * keeps a lane that escaped inactive for the rest of the block */
static inline __m256d d_keep(__m256d act, __m256d mag, __m256d four)
{
    return _mm256_and_pd(act, _mm256_cmp_pd(mag, four, _CMP_NGT_UQ));
}
/* active lanes are all-ones, i.e. -1 */
static inline __m256i d_inc(__m256i cnt, __m256d act, __m256i one)
{
    (void)one;
    return _mm256_sub_epi64(cnt, _mm256_castpd_si256(act));
}
static inline __m256d d_set1(double x)
{
    return _mm256_set1_pd(x);
}
static inline __m256d d_add(__m256d a, __m256d b)
{
    return _mm256_add_pd(a, b);
}
static inline __m256d d_sub(__m256d a, __m256d b)
{
    return _mm256_sub_pd(a, b);
}
static inline __m256d d_mul(__m256d a, __m256d b)
{
    return _mm256_mul_pd(a, b);
}
static inline __m256i d_iset1(uint64_t x)
{
    return _mm256_set1_epi64x((long long)x);
}
static inline __m256d d_all(void)
{
    return _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
}
static inline unsigned d_bits(__m256d m)
{
    return (unsigned)_mm256_movemask_pd(m);
}
static inline unsigned d_ieq_bits(__m256i a, __m256i b)
{
    return (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(a, b)));
}
static inline __m256d d_expand(__m256d old, unsigned m, const double *src)
{
    __m256 v =
        _mm256_permutevar8x32_ps(_mm256_castpd_ps(_mm256_loadu_pd(src)), lut_load(lut_d_expand[m]));
    return _mm256_blendv_pd(old, _mm256_castps_pd(v), _mm256_castsi256_pd(d_lanes(m)));
}
static inline __m256i d_iexpand(__m256i old, unsigned m, const uint64_t *src)
{
    __m256i v = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)src),
                                            lut_load(lut_d_expand[m]));
    return _mm256_blendv_epi8(old, v, d_lanes(m));
}
static inline void d_compress(uint64_t *dst, unsigned m, __m256i v)
{
    _mm256_storeu_si256((__m256i *)dst,
                        _mm256_permutevar8x32_epi32(v, lut_load(lut_d_compress[m])));
}
static inline __m256d d_clear(__m256d v, unsigned m)
{
    return _mm256_andnot_pd(_mm256_castsi256_pd(d_lanes(m)), v);
}
static inline __m256i d_iclear(__m256i v, unsigned m)
{
    return _mm256_andnot_si256(d_lanes(m), v);
}
static inline __m256d d_set_bits(__m256d act, unsigned m)
{
    return _mm256_or_pd(act, _mm256_castsi256_pd(d_lanes(m)));
}
static inline void d_istore(uint64_t *dst, __m256i v)
{
    _mm256_storeu_si256((__m256i *)dst, v);
}
/* counts are below 2^16, so the signed compare is enough */
static inline __m256i d_imax(__m256i a, __m256i b)
{
    return _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(b, a));
}
static inline uint64_t d_ihmax(__m256i v)
{
    uint64_t c[4], m = 0;
    d_istore(c, v);
    for (int j = 0; j < 4; j++)
        m = c[j] > m ? c[j] : m;
    return m;
}

#define T          double
#define I          uint64_t
#define VW         4
#define NV         5
#define KSTEP      8
#define VT         __m256d
#define IT         __m256i
#define MT         __m256d
#define FN(x)      d_##x
#define C_RE       tr_c_re
#define C_IM       tr_c_im
#define TILE_FN    avx2_tile_double
#define LINKAGE    static
#define CEILING_FN avx2_ceiling_double
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

/* ---- float: 8 lanes, counts and pixel indices in 32-bit lanes ---- */

static inline __m256i f_lanes(unsigned m)
{
    const __m256i sel = _mm256_set_epi32(128, 64, 32, 16, 8, 4, 2, 1);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), sel), sel);
}
static inline __m256 f_keep(__m256 act, __m256 mag, __m256 four)
{
    return _mm256_and_ps(act, _mm256_cmp_ps(mag, four, _CMP_NGT_UQ));
}
static inline __m256i f_inc(__m256i cnt, __m256 act, __m256i one)
{
    (void)one;
    return _mm256_sub_epi32(cnt, _mm256_castps_si256(act));
}
static inline __m256 f_set1(float x)
{
    return _mm256_set1_ps(x);
}
static inline __m256 f_add(__m256 a, __m256 b)
{
    return _mm256_add_ps(a, b);
}
static inline __m256 f_sub(__m256 a, __m256 b)
{
    return _mm256_sub_ps(a, b);
}
static inline __m256 f_mul(__m256 a, __m256 b)
{
    return _mm256_mul_ps(a, b);
}
static inline __m256i f_iset1(uint32_t x)
{
    return _mm256_set1_epi32((int)x);
}
static inline __m256 f_all(void)
{
    return _mm256_castsi256_ps(_mm256_set1_epi32(-1));
}
static inline unsigned f_bits(__m256 m)
{
    return (unsigned)_mm256_movemask_ps(m);
}
static inline unsigned f_ieq_bits(__m256i a, __m256i b)
{
    return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b)));
}
static inline __m256 f_expand(__m256 old, unsigned m, const float *src)
{
    __m256 v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(src), lut_load(lut_f_expand[m]));
    return _mm256_blendv_ps(old, v, _mm256_castsi256_ps(f_lanes(m)));
}
static inline __m256i f_iexpand(__m256i old, unsigned m, const uint32_t *src)
{
    __m256i v = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)src),
                                            lut_load(lut_f_expand[m]));
    return _mm256_blendv_epi8(old, v, f_lanes(m));
}
static inline void f_compress(uint32_t *dst, unsigned m, __m256i v)
{
    _mm256_storeu_si256((__m256i *)dst,
                        _mm256_permutevar8x32_epi32(v, lut_load(lut_f_compress[m])));
}
static inline __m256 f_clear(__m256 v, unsigned m)
{
    return _mm256_andnot_ps(_mm256_castsi256_ps(f_lanes(m)), v);
}
static inline __m256i f_iclear(__m256i v, unsigned m)
{
    return _mm256_andnot_si256(f_lanes(m), v);
}
static inline __m256 f_set_bits(__m256 act, unsigned m)
{
    return _mm256_or_ps(act, _mm256_castsi256_ps(f_lanes(m)));
}
static inline void f_istore(uint32_t *dst, __m256i v)
{
    _mm256_storeu_si256((__m256i *)dst, v);
}
static inline __m256i f_imax(__m256i a, __m256i b)
{
    return _mm256_max_epu32(a, b);
}
static inline uint32_t f_ihmax(__m256i v)
{
    uint32_t c[8], m = 0;
    f_istore(c, v);
    for (int j = 0; j < 8; j++)
        m = c[j] > m ? c[j] : m;
    return m;
}

#define T          float
#define I          uint32_t
#define VW         8
#define NV         5
#define KSTEP      8
#define VT         __m256
#define IT         __m256i
#define MT         __m256
#define FN(x)      f_##x
#define C_RE       tr_c_re_f
#define C_IM       tr_c_im_f
#define TILE_FN    avx2_tile_float
#define LINKAGE    static
#define CEILING_FN avx2_ceiling_float
#include "cpu/stream_kernel.h"

/* The lookup tables are built once, before the first use in any thread. */
void tr_tile_avx2_double(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                         size_t stride)
{
    pthread_once(&lut_once, lut_init);
    avx2_tile_double(f, t, dst, stride);
}

void tr_tile_avx2_float(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                        size_t stride)
{
    pthread_once(&lut_once, lut_init);
    avx2_tile_float(f, t, dst, stride);
}

uint64_t tr_ceiling_avx2_double(uint64_t steps)
{
    return avx2_ceiling_double(steps);
}

uint64_t tr_ceiling_avx2_float(uint64_t steps)
{
    return avx2_ceiling_float(steps);
}
