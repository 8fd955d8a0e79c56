#include "cmocka_all.h"
#include "core/checksum.h"
#include "cpu/pixel.h"
#include "core/tile_grid.h"

static void test_grid_and_clipping(void **state)
{
    (void)state;
    struct tr_tile_grid g;
    tr_tile_grid_init(&g, 800, 600, 64, 64);
    assert_int_equal(g.cols, 13);
    assert_int_equal(g.rows, 10);
    assert_int_equal(g.tiles, 130);
    struct tr_tile t = tr_tile_grid_tile(&g, 12); /* last column: clipped width */
    assert_int_equal(t.x, 768);
    assert_int_equal(t.y, 0);
    assert_int_equal(t.w, 32);
    assert_int_equal(t.h, 64);
    t = tr_tile_grid_tile(&g, 13); /* row-major: second row starts */
    assert_int_equal(t.x, 0);
    assert_int_equal(t.y, 64);
    t = tr_tile_grid_tile(&g, 129); /* corner: clipped both ways */
    assert_int_equal(t.x, 768);
    assert_int_equal(t.y, 576);
    assert_int_equal(t.w, 32);
    assert_int_equal(t.h, 24);

    /* the clipped tiles cover the image exactly once */
    uint64_t covered = 0;
    for (uint32_t id = 0; id < g.tiles; id++) {
        t = tr_tile_grid_tile(&g, id);
        covered += (uint64_t)t.w * t.h;
    }
    assert_int_equal(covered, 800 * 600);

    tr_tile_grid_init(&g, 5, 3, 65536, 65536); /* one tile larger than the image */
    assert_int_equal(g.tiles, 1);
    t = tr_tile_grid_tile(&g, 0);
    assert_int_equal(t.w, 5);
    assert_int_equal(t.h, 3);

    tr_tile_grid_init(&g, 65536, 4096, 1, 65536);
    assert_int_equal(g.tiles, 65536);
}

static void test_chunking(void **state)
{
    (void)state;
    uint32_t a, b;
    assert_int_equal(tr_chunk_size(130, 4), 33);
    assert_int_equal(tr_chunk_count(130, 4), 4);
    tr_chunk_range(130, 4, 3, &a, &b);
    assert_int_equal(a, 99);
    assert_int_equal(b, 130);
    /* 9 tiles on 4 threads: chunks of 3, so 3 threads */
    assert_int_equal(tr_chunk_size(9, 4), 3);
    assert_int_equal(tr_chunk_count(9, 4), 3);
    tr_chunk_range(9, 4, 2, &a, &b);
    assert_int_equal(a, 6);
    assert_int_equal(b, 9);
    /* more threads than tiles: one tile each */
    assert_int_equal(tr_chunk_size(4, 256), 1);
    assert_int_equal(tr_chunk_count(4, 256), 4);
    /* every tile in exactly one chunk */
    for (uint32_t tiles = 1; tiles < 200; tiles += 7) {
        for (uint32_t threads = 1; threads < 20; threads++) {
            uint32_t expect = 0, n = tr_chunk_count(tiles, threads);
            assert_true(n >= 1 && n <= threads);
            for (uint32_t c = 0; c < n; c++) {
                tr_chunk_range(tiles, threads, c, &a, &b);
                assert_int_equal(a, expect);
                assert_true(b > a);
                expect = b;
            }
            assert_int_equal(expect, tiles);
        }
    }
}

static void test_pixel_function(void **state)
{
    (void)state;
    /* c = -2.5 - 1i escapes at once: |z1|^2 = 7.25 */
    assert_int_equal(tr_pixel_double(tr_c_re(0, 800), tr_c_im(0, 600), 256), 1);
    /* c = 0 (x = 800*2.5/3.5 is not whole; use W=7, x=5: 5/7*3.5-2.5 = 0) never escapes */
    assert_true(tr_c_re(5, 7) == 0.0);
    assert_int_equal(tr_pixel_double(0.0, 0.0, 1000), 1000);
    assert_int_equal(tr_pixel_double(0.0, 0.0, 65535), 65535);
    /* c = 1: z = 0, 1, 2, 5: |z|^2 = 25 > 4 at i = 3 */
    assert_int_equal(tr_pixel_double(1.0, 0.0, 100), 3);
    assert_int_equal(tr_pixel_float(1.0f, 0.0f, 100), 3);
    assert_int_equal(tr_pixel_double(1.0, 0.0, 2), 2);
    /* -2 is on the boundary: |z|^2 = 4 is not > 4 */
    assert_int_equal(tr_pixel_double(-2.0, 0.0, 500), 500);
}

static void test_fnv1a64(void **state)
{
    (void)state;
    /* the published FNV-1a 64 test vectors */
    assert_true(tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, "", 0) == 0xcbf29ce484222325ULL);
    assert_true(tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, "a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, "foobar", 6) == 0x85944171f73967e8ULL);
    /* counts hash as little-endian bytes on any host */
    const uint16_t counts[3] = {0x6261, 0x0063, 0x1234};
    const unsigned char bytes[6] = {0x61, 0x62, 0x63, 0x00, 0x34, 0x12};
    assert_true(tr_fnv1a64_counts(counts, 3) == tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, bytes, 6));
    assert_int_equal(tr_sum_counts(counts, 3), 0x6261 + 0x63 + 0x1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_and_clipping),
        cmocka_unit_test(test_chunking),
        cmocka_unit_test(test_pixel_function),
        cmocka_unit_test(test_fnv1a64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
