/*
 * The streaming tile renderer, written once and instantiated by each ISA file for double and
 * float (no include guard: included once per instance).
 *
 * A tile's pixels are a stream. Each vector lane holds one pixel; NV independent vectors are
 * iterated in lockstep to hide the latency of the z -> z^2 + c chain. Lanes iterate in blocks
 * of up to KSTEP steps with a sticky "active" mask and a per-lane count, so a lane that escapes
 * stops counting at its escape index; at the end of a block, lanes that escaped or reached
 * max_iter hand their (pixel, count) to an output list and are refilled with the next pixels
 * of the stream. Every lane performs the operations of pixel.h in the same order and
 * precision (no FMA), so counts are bit-identical to the scalar loop.
 *
 * The includer defines:
 *   T, I        the float type and the same-width unsigned lane integer (pixel index, count)
 *   VW, NV      lanes per vector, vectors in flight;  KSTEP  steps per block
 *   VT, IT, MT  vector, integer vector and active-mask types
 *   FN(x)       name mangler for this instance's primitives and helpers
 *   C_RE, C_IM  pixel.h's coordinate functions in this precision
 *   TILE_FN, CEILING_FN  the names of the two functions, and LINKAGE (empty or static)
 * and the primitives FN(set1), FN(add), FN(sub), FN(mul), FN(iset1), FN(all), FN(keep),
 * FN(inc), FN(bits), FN(ieq_bits), FN(expand), FN(iexpand), FN(compress), FN(clear),
 * FN(iclear), FN(set_bits), FN(istore), FN(imax), FN(ihmax) (see cpu_kernels_avx512.c for their
 * meaning).
 */

#include <stdint.h>
#include <string.h>

#define ST_CHUNK 1024u /* stream entries generated at a time */
#define ST_COLS  1024u /* tile columns whose c_re is cached */
#define ST_LIST  512u  /* finished (pixel, count) pairs buffered before writing */
#define ST_DEAD  ((I)-1)
#define ST_ALL   ((unsigned)((1ull << VW) - 1))

struct FN(stream) {
    T re[ST_CHUNK + VW], im[ST_CHUNK + VW];
    I pid[ST_CHUNK + VW]; /* offset (y - t.y) * stride + (x - t.x) in dst, or ST_DEAD */
    uint32_t next, avail; /* entries [next, avail) are not yet in a lane */
    int ended;            /* the tile's last pixel is in the buffer; padding follows it */
    uint32_t cx, cy;      /* the next pixel to generate */
    const struct tr_frame_desc *f;
    const struct tr_tile *t;
    size_t stride;
    T colre[ST_COLS];
};

/* Keeps entries [next, avail), then appends the next pixels of the tile in row-major order. */
static void FN(fill)(struct FN(stream) * s)
{
    const struct tr_tile *t = s->t;
    uint32_t n = s->avail - s->next;
    memmove(s->re, s->re + s->next, n * sizeof(T));
    memmove(s->im, s->im + s->next, n * sizeof(T));
    memmove(s->pid, s->pid + s->next, n * sizeof(I));
    while (n < ST_CHUNK && s->cy < t->y + t->h) {
        uint32_t len = t->x + t->w - s->cx;
        if (len > ST_CHUNK - n)
            len = ST_CHUNK - n;
        T ci = C_IM(s->cy, s->f->height);
        I row = (I)(s->cy - t->y) * (I)s->stride;
        for (uint32_t k = 0; k < len; k++) {
            uint32_t x = s->cx + k;
            s->re[n + k] = x - t->x < ST_COLS ? s->colre[x - t->x] : C_RE(x, s->f->width);
            s->im[n + k] = ci;
            s->pid[n + k] = row + (x - t->x);
        }
        n += len;
        s->cx += len;
        if (s->cx == t->x + t->w) {
            s->cx = t->x;
            s->cy++;
        }
    }
    s->next = 0;
    s->avail = n;
    if (s->cy == t->y + t->h) {
        /* c = 0 never escapes, so a dead lane only ever reaches max_iter */
        s->ended = 1;
        for (uint32_t k = n; k < n + VW; k++) {
            s->re[k] = 0;
            s->im[k] = 0;
            s->pid[k] = ST_DEAD;
        }
    }
}

static void FN(flush)(uint16_t *counts, const I *pid, const I *cnt, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (pid[i] != ST_DEAD)
            counts[pid[i]] = (uint16_t)cnt[i];
}

/* One iteration of pixel.h on every lane; lanes outside act keep their count. */
#define ST_STEP(v)                                                                                 \
    do {                                                                                           \
        VT re2 = FN(mul)(zr[v], zr[v]);                                                            \
        VT im2 = FN(mul)(zi[v], zi[v]);                                                            \
        act[v] = FN(keep)(act[v], FN(add)(re2, im2), four);                                        \
        cnt[v] = FN(inc)(cnt[v], act[v], one);                                                     \
        zi[v] = FN(add)(FN(mul)(FN(mul)(two, zr[v]), zi[v]), cim[v]);                              \
        zr[v] = FN(add)(FN(sub)(re2, im2), cre[v]);                                                \
    } while (0)

#define ST_STEP_ALL()                                                                              \
    do {                                                                                           \
        _Pragma("GCC unroll 8") for (int v_ = 0; v_ < NV; v_++) ST_STEP(v_);                       \
    } while (0)

/* GCC turns 2 * zr into zr + zr; both are exact, but the multiply balances the loop's
 * multiplies and adds across the FP pipes (4 and 4), so hide the constant from it. */
static inline VT FN(two)(void)
{
    T two = 2;
    __asm__("" : "+x"(two));
    return FN(set1)(two);
}

LINKAGE void TILE_FN(const struct tr_frame_desc *f, const struct tr_tile *t, uint16_t *dst,
                     size_t stride)
{
    struct FN(stream) s;
    I lpid[ST_LIST + VW], lcnt[ST_LIST + VW];
    uint32_t nl = 0;
    VT zr[NV], zi[NV], cre[NV], cim[NV];
    IT cnt[NV], pid[NV];
    MT act[NV];
    const VT two = FN(two)(), four = FN(set1)((T)4);
    const IT one = FN(iset1)(1), maxv = FN(iset1)((I)f->max_iter), dead = FN(iset1)(ST_DEAD);

    if (t->w == 0 || t->h == 0)
        return;
    s.f = f;
    s.t = t;
    s.stride = stride;
    s.next = s.avail = 0;
    s.ended = 0;
    s.cx = t->x;
    s.cy = t->y;
    for (uint32_t k = 0; k < t->w && k < ST_COLS; k++)
        s.colre[k] = C_RE(t->x + k, f->width);
    FN(fill)(&s);

    /* Start with dead lanes that are all "done": the first refill loads the stream. */
    for (int v = 0; v < NV; v++) {
        zr[v] = zi[v] = cre[v] = cim[v] = FN(set1)((T)0);
        cnt[v] = FN(iset1)(0);
        pid[v] = dead;
        act[v] = FN(all)();
    }
    /* every lane has at least until iterations left before max_iter */
    uint32_t until = 0;
    unsigned first = ST_ALL;
    for (;;) {
        unsigned bits[NV], any = 0, active = ST_ALL;
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) active &= FN(bits)(act[v]);
        if (active != ST_ALL || until == 0) {
            _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)
            {
                bits[v] = (~FN(bits)(act[v]) & ST_ALL) | first;
                if (until == 0)
                    bits[v] |= FN(ieq_bits)(cnt[v], maxv);
                any |= bits[v];
            }
        }
        first = 0;
        if (any) {
            if (!s.ended && s.avail - s.next < NV * VW)
                FN(fill)(&s);
            if (nl > ST_LIST - NV * VW) {
                FN(flush)(dst, lpid, lcnt, nl);
                nl = 0;
            }
            /* branch-free: a vector with no finished lane passes through unchanged */
            _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)
            {
                unsigned m = bits[v];
                unsigned k = (unsigned)__builtin_popcount(m);
                FN(compress)(lpid + nl, m, pid[v]);
                FN(compress)(lcnt + nl, m, cnt[v]);
                nl += k;
                pid[v] = FN(iexpand)(pid[v], m, s.pid + s.next);
                cre[v] = FN(expand)(cre[v], m, s.re + s.next);
                cim[v] = FN(expand)(cim[v], m, s.im + s.next);
                s.next = s.next + k < s.avail ? s.next + k : s.avail;
                zr[v] = FN(clear)(zr[v], m);
                zi[v] = FN(clear)(zi[v], m);
                cnt[v] = FN(iclear)(cnt[v], m);
                act[v] = FN(set_bits)(act[v], m);
            }
            if (s.ended && s.next == s.avail) {
                unsigned all_dead = ST_ALL;
                _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) all_dead &=
                    FN(ieq_bits)(pid[v], dead);
                if (all_dead == ST_ALL)
                    break;
            }
        }
        if (until == 0) {
            /* refills lower the counts, so until is only a bound: make it exact */
            IT most = cnt[0];
            _Pragma("GCC unroll 8") for (int v = 1; v < NV; v++) most = FN(imax)(most, cnt[v]);
            until = f->max_iter - (uint32_t)FN(ihmax)(most);
        }
        if (until >= KSTEP) {
            _Pragma("GCC unroll 16") for (int k = 0; k < KSTEP; k++) ST_STEP_ALL();
            until -= KSTEP;
        } else {
            for (uint32_t k = 0; k < until; k++)
                ST_STEP_ALL();
            until = 0;
        }
    }
    FN(flush)(dst, lpid, lcnt, nl);
}

/*
 * The same block loop with every lane always busy: c = -0.1+0.1i stays in the set, so no
 * lane escapes and none is refilled, but each step still does the compare, the mask and the
 * count. Returns the lane-iterations done (the sum of the counts).
 */
LINKAGE uint64_t CEILING_FN(uint64_t steps)
{
    VT zr[NV], zi[NV], cre[NV], cim[NV];
    IT cnt[NV];
    MT act[NV];
    const VT two = FN(two)(), four = FN(set1)((T)4);
    const IT one = FN(iset1)(1);
    uint64_t total = 0, escaped = 0;
    for (int v = 0; v < NV; v++) {
        zr[v] = zi[v] = FN(set1)((T)0);
        cre[v] = FN(set1)((T)-0.1 - (T)0.01 * (T)v);
        cim[v] = FN(set1)((T)0.1);
        act[v] = FN(all)();
    }
    while (steps > 0) {
        /* per-lane counts stay far below 2^32 */
        uint64_t round = steps < (1u << 30) ? steps : (1u << 30);
        steps -= round;
        for (int v = 0; v < NV; v++)
            cnt[v] = FN(iset1)(0);
        for (uint64_t b = 0; b < round; b += KSTEP) {
            _Pragma("GCC unroll 16") for (int k = 0; k < KSTEP; k++) ST_STEP_ALL();
            unsigned active = ST_ALL;
            _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) active &= FN(bits)(act[v]);
            if (active != ST_ALL)
                escaped++;
        }
        for (int v = 0; v < NV; v++) {
            I c[VW];
            FN(istore)(c, cnt[v]);
            for (int j = 0; j < VW; j++)
                total += c[j];
        }
    }
    return escaped ? 0 : total;
}

#undef ST_CHUNK
#undef ST_COLS
#undef ST_LIST
#undef ST_DEAD
#undef ST_ALL
#undef ST_STEP
#undef ST_STEP_ALL
