/*
 * The vectorised CPU kernels against the scalar reference: every ISA this processor has, in
 * double and float, on the golden frames, odd tile shapes, tiny and huge max_iter; the
 * dispatcher and $TILERACE_CPU_ISA; the ceiling loop.
 */
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "core/checksum.h"
#include "core/status.h"
#include "core/tile_grid.h"
#include "cpu/ceiling.h"
#include "cpu/kernels.h"
#include "golden.h"

static const enum tr_precision precisions[] = {TR_PRECISION_DOUBLE, TR_PRECISION_FLOAT};

/* Renders the whole frame tile by tile with fn; returns the counts (caller frees). */
static uint16_t *render(tr_tile_fn fn, uint32_t w, uint32_t h, uint32_t max_iter, uint32_t tw,
                        uint32_t th)
{
    struct tr_tile_grid g;
    uint16_t *counts = calloc((size_t)w * h, sizeof(uint16_t));
    assert_non_null(counts);
    struct tr_frame_desc f = {w, h, max_iter};
    tr_tile_grid_init(&g, w, h, tw, th);
    for (uint64_t id = 0; id < g.tiles; id++) {
        struct tr_tile t = tr_tile_grid_tile(&g, (uint32_t)id);
        tr_tile_into_frame(fn, &f, counts, &t);
    }
    return counts;
}

static tr_tile_fn scalar_fn(enum tr_precision p)
{
    return p == TR_PRECISION_FLOAT ? tr_tile_scalar_float : tr_tile_scalar_double;
}

/* Every vector ISA the processor supports, with its tile function for p. */
static int vector_isas(enum tr_precision p, enum tr_cpu_isa *isas, tr_tile_fn *fns)
{
    int n = 0;
    for (int i = TR_CPU_ISA_SSE2; i < TR_CPU_ISA_COUNT; i++) {
        if (!tr_cpu_isa_supported((enum tr_cpu_isa)i))
            continue;
        isas[n] = (enum tr_cpu_isa)i;
        fns[n] = tr_cpu_tile_fn(isas[n], p);
        assert_non_null(fns[n]);
        n++;
    }
    return n;
}

/* The ISA's frame equals the scalar one pixel for pixel. */
static void check_same(uint32_t w, uint32_t h, uint32_t max_iter, uint32_t tw, uint32_t th)
{
    for (size_t pi = 0; pi < 2; pi++) {
        enum tr_precision p = precisions[pi];
        enum tr_cpu_isa isas[TR_CPU_ISA_COUNT];
        tr_tile_fn fns[TR_CPU_ISA_COUNT];
        int n = vector_isas(p, isas, fns);
        uint16_t *want = render(scalar_fn(p), w, h, max_iter, tw, th);
        for (int i = 0; i < n; i++) {
            uint16_t *got = render(fns[i], w, h, max_iter, tw, th);
            for (size_t k = 0; k < (size_t)w * h; k++) {
                if (got[k] != want[k])
                    fail_msg("%s: %ux%u/%u tiles %ux%u: pixel (%zu,%zu) is %u, scalar %u",
                             tr_cpu_kernel_name(isas[i], p), w, h, max_iter, tw, th, k % w, k / w,
                             got[k], want[k]);
            }
            free(got);
        }
        free(want);
    }
}

static void test_golden_frames(void **state)
{
    (void)state;
    const char *paths[2] = {getenv("TILERACE_GOLDEN"), getenv("TILERACE_GOLDEN_FLOAT")};
    for (size_t pi = 0; pi < 2; pi++) {
        enum tr_precision p = precisions[pi];
        struct golden_row rows[32];
        int nrows = golden_load_path(paths[pi], rows, 32);
        assert_true(nrows >= 4);
        enum tr_cpu_isa isas[TR_CPU_ISA_COUNT + 1];
        tr_tile_fn fns[TR_CPU_ISA_COUNT + 1];
        int n = vector_isas(p, isas, fns);
        /* the scalar float loop is checked against the independent numpy table too */
        isas[n] = TR_CPU_ISA_SCALAR;
        fns[n++] = scalar_fn(p);
        for (int r = 0; r < nrows; r++) {
            for (int i = 0; i < n; i++) {
                /* scalar double is covered by test_runner; two tile shapes per vector ISA */
                if (isas[i] == TR_CPU_ISA_SCALAR && p == TR_PRECISION_DOUBLE)
                    continue;
                const uint32_t shapes[2][2] = {{64, 64}, {37, 23}};
                int n_shapes =
                    isas[i] == TR_CPU_ISA_SCALAR || rows[r].total_iterations > 100000000 ? 1 : 2;
                for (int s = 0; s < n_shapes; s++) {
                    uint16_t *c = render(fns[i], rows[r].width, rows[r].height, rows[r].max_iter,
                                         shapes[s][0], shapes[s][1]);
                    size_t px = (size_t)rows[r].width * rows[r].height;
                    uint64_t sum = tr_fnv1a64_counts(c, px), total = tr_sum_counts(c, px);
                    free(c);
                    if (sum != rows[r].fnv1a64 || total != rows[r].total_iterations)
                        fail_msg("%s %ux%u/%u tiles %ux%u: %016llx/%llu, want %016llx/%llu",
                                 tr_cpu_kernel_name(isas[i], p), rows[r].width, rows[r].height,
                                 rows[r].max_iter, shapes[s][0], shapes[s][1],
                                 (unsigned long long)sum, (unsigned long long)total,
                                 (unsigned long long)rows[r].fnv1a64,
                                 (unsigned long long)rows[r].total_iterations);
                }
            }
        }
    }
}

static void test_odd_tile_shapes(void **state)
{
    (void)state;
    /* shapes smaller than, equal to and not a multiple of any vector width, edge tiles */
    const uint32_t shapes[][2] = {{1, 1},   {1, 57},  {57, 1},   {13, 7},  {65, 3},
                                  {3, 65},  {2, 2},   {8, 8},    {16, 1},  {17, 33},
                                  {64, 64}, {100, 7}, {333, 1},  {1, 217}, {333, 217},
                                  {31, 29}, {7, 130}, {129, 17}, {5, 5},   {48, 48}};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        check_same(333, 217, 77, shapes[i][0], shapes[i][1]);
    /* tiny frames */
    check_same(7, 5, 100, 7, 5);
    check_same(7, 5, 100, 3, 2);
    check_same(1, 1, 1000, 1, 1);
    check_same(1, 9, 50, 1, 4);
    check_same(9, 1, 50, 4, 1);
    /* widths that are multiples of 7 and even heights put c = -2 + 0i in the frame exactly:
     * there |z|^2 stays exactly 4, the edge of the escape test */
    check_same(7, 4, 100, 7, 4);
    check_same(70, 40, 300, 16, 16);
    check_same(140, 2, 1000, 140, 2);
    /* rows wider than the kernels' stream chunk and column cache (1024) */
    check_same(1300, 6, 200, 1300, 6);
    check_same(1300, 6, 200, 1100, 2);
}

static void test_max_iter_extremes(void **state)
{
    (void)state;
    const uint32_t iters[] = {1, 2, 3, 4, 7, 8, 9, 15, 16, 17};
    for (size_t i = 0; i < sizeof(iters) / sizeof(iters[0]); i++) {
        check_same(40, 30, iters[i], 8, 8);
        check_same(7, 5, iters[i], 3, 2);
    }
    /* counts near the uint16 limit: the frame's interior reaches 65535 */
    check_same(24, 16, 65535, 8, 8);
    check_same(7, 5, 65535, 7, 5);
    check_same(7, 5, 65534, 2, 3);
}

/* A tile writes its own pixels and nothing else. */
static void test_writes_only_its_tile(void **state)
{
    (void)state;
    const uint32_t w = 50, h = 40;
    const struct tr_tile tiles[] = {{0, 13, 7, 20, 9, NULL},
                                    {0, 0, 0, 1, 1, NULL},
                                    {0, 49, 39, 1, 1, NULL},
                                    {0, 0, 39, 50, 1, NULL},
                                    {0, 49, 0, 1, 40, NULL}};
    for (size_t pi = 0; pi < 2; pi++) {
        enum tr_cpu_isa isas[TR_CPU_ISA_COUNT];
        tr_tile_fn fns[TR_CPU_ISA_COUNT];
        int n = vector_isas(precisions[pi], isas, fns);
        for (int i = 0; i < n; i++) {
            for (size_t k = 0; k < sizeof(tiles) / sizeof(tiles[0]); k++) {
                const struct tr_tile *t = &tiles[k];
                uint16_t got[50 * 40], want[50 * 40];
                for (size_t j = 0; j < w * h; j++)
                    got[j] = want[j] = 0xbeef;
                struct tr_frame_desc f = {w, h, 300};
                tr_tile_into_frame(fns[i], &f, got, t);
                tr_tile_into_frame(scalar_fn(precisions[pi]), &f, want, t);
                assert_memory_equal(got, want, sizeof(got));
            }
        }
    }
}

/* A tile written where it is told: packed (stride t.w) or with a row stride of its own, each
 * pixel where the frame has it, nothing outside the tile's rows and columns. */
static void test_writes_to_its_destination(void **state)
{
    (void)state;
    const uint32_t w = 203, h = 77, max_iter = 400;
    const struct tr_tile tiles[] = {{0, 13, 7, 64, 33, NULL},
                                    {0, 0, 0, 1, 1, NULL},
                                    {0, 200, 70, 3, 7, NULL},
                                    {0, 0, 40, 203, 5, NULL},
                                    {0, 150, 0, 53, 77, NULL}};
    const struct tr_frame_desc f = {w, h, max_iter};
    for (size_t pi = 0; pi < 2; pi++) {
        tr_tile_fn fns[TR_CPU_ISA_COUNT + 1];
        enum tr_cpu_isa isas[TR_CPU_ISA_COUNT];
        int n = vector_isas(precisions[pi], isas, fns);
        fns[n++] = scalar_fn(precisions[pi]);
        uint16_t *frame = calloc((size_t)w * h, sizeof(uint16_t));
        assert_non_null(frame);
        for (size_t k = 0; k < sizeof(tiles) / sizeof(tiles[0]); k++)
            tr_tile_into_frame(scalar_fn(precisions[pi]), &f, frame, &tiles[k]);
        for (int i = 0; i < n; i++) {
            for (size_t k = 0; k < sizeof(tiles) / sizeof(tiles[0]); k++) {
                const struct tr_tile *t = &tiles[k];
                for (size_t pad = 0; pad < 6; pad += 5) { /* packed, then 5 spare per row */
                    size_t stride = t->w + pad, cells = stride * t->h + 2 * 16;
                    uint16_t *buf = malloc(cells * sizeof(uint16_t));
                    assert_non_null(buf);
                    for (size_t j = 0; j < cells; j++)
                        buf[j] = 0xbeef;
                    fns[i](&f, t, buf + 16, stride);
                    for (size_t j = 0; j < cells; j++) {
                        size_t at = j - 16, y = at / stride, x = at % stride;
                        uint16_t want = j >= 16 && y < t->h && x < t->w
                                            ? frame[(t->y + y) * w + t->x + x]
                                            : 0xbeef;
                        assert_int_equal(buf[j], want);
                    }
                    free(buf);
                }
            }
        }
        free(frame);
    }
}

static void test_dispatch(void **state)
{
    (void)state;
    enum tr_cpu_isa isa;
    char err[256];
    for (int i = 0; i < TR_CPU_ISA_COUNT; i++) {
        assert_int_equal(tr_cpu_isa_parse(tr_cpu_isa_name((enum tr_cpu_isa)i), &isa), 0);
        assert_int_equal(isa, i);
    }
    assert_int_equal(tr_cpu_isa_parse("avx", &isa), -1);
    assert_int_equal(tr_cpu_isa_parse("AVX2", &isa), -1);
    assert_int_equal(tr_cpu_isa_parse("", &isa), -1);
    assert_true(tr_cpu_isa_supported(TR_CPU_ISA_SCALAR));
    assert_true(tr_cpu_isa_supported(tr_cpu_isa_best()));
    assert_string_equal(tr_cpu_kernel_name(TR_CPU_ISA_AVX512, TR_PRECISION_DOUBLE),
                        "avx512-double");
    assert_string_equal(tr_cpu_kernel_name(TR_CPU_ISA_SCALAR, TR_PRECISION_FLOAT), "scalar-float");
    assert_ptr_equal(tr_cpu_tile_fn(TR_CPU_ISA_SCALAR, TR_PRECISION_DOUBLE), tr_tile_scalar_double);

    /* no override: vector and auto take the best ISA, scalar the scalar loop */
    assert_int_equal(unsetenv("TILERACE_CPU_ISA"), 0);
    assert_int_equal(tr_cpu_isa_choose(TR_KERNEL_AUTO, &isa, err, sizeof(err)), 0);
    assert_int_equal(isa, tr_cpu_isa_best());
    assert_int_equal(tr_cpu_isa_choose(TR_KERNEL_VECTOR, &isa, err, sizeof(err)), 0);
    assert_int_equal(isa, tr_cpu_isa_best());
    assert_int_equal(tr_cpu_isa_choose(TR_KERNEL_SCALAR, &isa, err, sizeof(err)), 0);
    assert_int_equal(isa, TR_CPU_ISA_SCALAR);

    /* the override picks any supported ISA; --kernel scalar still means scalar */
    for (int i = 0; i < TR_CPU_ISA_COUNT; i++) {
        const char *name = tr_cpu_isa_name((enum tr_cpu_isa)i);
        assert_int_equal(setenv("TILERACE_CPU_ISA", name, 1), 0);
        int rc = tr_cpu_isa_choose(TR_KERNEL_VECTOR, &isa, err, sizeof(err));
        if (tr_cpu_isa_supported((enum tr_cpu_isa)i)) {
            assert_int_equal(rc, 0);
            assert_int_equal(isa, i);
            assert_int_equal(tr_cpu_isa_choose(TR_KERNEL_SCALAR, &isa, err, sizeof(err)), 0);
            assert_int_equal(isa, TR_CPU_ISA_SCALAR);
        } else {
            assert_int_equal(rc, TR_ERR_DEVICE);
            assert_non_null(strstr(err, "is not supported by this processor"));
        }
    }
    assert_int_equal(setenv("TILERACE_CPU_ISA", "avx", 1), 0);
    assert_int_equal(tr_cpu_isa_choose(TR_KERNEL_SCALAR, &isa, err, sizeof(err)), TR_ERR_USAGE);
    assert_string_equal(err, "TILERACE_CPU_ISA: 'avx' is not one of the accepted values "
                             "(avx512, avx2, sse2, scalar)");
    assert_int_equal(unsetenv("TILERACE_CPU_ISA"), 0);
}

static void test_ceiling(void **state)
{
    (void)state;
    struct tr_ceiling_result r;
    char err[256];
    for (int i = 0; i < TR_CPU_ISA_COUNT; i++) {
        if (!tr_cpu_isa_supported((enum tr_cpu_isa)i))
            continue;
        for (size_t pi = 0; pi < 2; pi++) {
            assert_int_equal(
                tr_cpu_ceiling((enum tr_cpu_isa)i, precisions[pi], 2, 1000, &r, err, sizeof(err)),
                0);
            assert_int_equal(r.isa, i);
            assert_int_equal(r.precision, precisions[pi]);
            assert_int_equal(r.threads, 2);
            /* every lane of both threads ran at least the 1000 steps asked */
            assert_true(r.iterations >= 2 * 1000);
            assert_true(r.elapsed_ns > 0);
            assert_true(r.giga_iterations_per_s > 0);
        }
    }
    /* the scalar loop runs exactly the steps asked, one pixel at a time */
    assert_int_equal(tr_ceiling_scalar_double(70000), 70000);
    assert_int_equal(tr_ceiling_scalar_float(3), 3);
    assert_int_equal(
        tr_cpu_ceiling(TR_CPU_ISA_SCALAR, TR_PRECISION_DOUBLE, 0, 10, &r, err, sizeof(err)),
        TR_ERR_USAGE);
    assert_int_equal(
        tr_cpu_ceiling(TR_CPU_ISA_SCALAR, TR_PRECISION_DOUBLE, 257, 10, &r, err, sizeof(err)),
        TR_ERR_USAGE);
    assert_int_equal(
        tr_cpu_ceiling(TR_CPU_ISA_SCALAR, TR_PRECISION_DOUBLE, 1, 0, &r, err, sizeof(err)),
        TR_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_frames),
        cmocka_unit_test(test_odd_tile_shapes),
        cmocka_unit_test(test_max_iter_extremes),
        cmocka_unit_test(test_writes_only_its_tile),
        cmocka_unit_test(test_writes_to_its_destination),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
