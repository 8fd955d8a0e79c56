/*
 * What rank 0 accepts as a tile in another rank's message: only a whole tile of the frame's
 * grid, with its own task_id and clipped size, its counts within the message; never one that
 * would write outside the frame, whatever the header says.
 */
#include <stdint.h>
#include <string.h>

#include "cmocka_all.h"

#include "mpi/tile_relay.h"

static struct tr_mpi_relay relay(uint32_t width, uint32_t height, uint32_t tile_w, uint32_t tile_h)
{
    struct tr_mpi_relay r;
    memset(&r, 0, sizeof(r));
    r.width = width;
    r.height = height;
    r.tile_w = tile_w;
    r.tile_h = tile_h;
    return r;
}

static struct tr_relay_tile_head head(uint32_t id, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    struct tr_relay_tile_head t;
    memset(&t, 0, sizeof(t));
    t.record.task_id = id;
    t.record.tile_x = x;
    t.record.tile_y = y;
    t.record.tile_w = w;
    t.record.tile_h = h;
    return t;
}

/* The bytes of a tile of w x h counts with its header. */
static size_t length(uint32_t w, uint32_t h)
{
    return sizeof(struct tr_relay_tile_head) + (size_t)w * h * sizeof(uint16_t);
}

static void test_grid_tiles(void **state)
{
    (void)state;
    /* 100x70 in 32x32 tiles: 4 columns, 3 rows, the last column 4 wide, the last row 6 high */
    struct tr_mpi_relay r = relay(100, 70, 32, 32);
    struct tr_relay_tile_head t = head(0, 0, 0, 32, 32);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, length(32, 32)), length(32, 32));
    /* more bytes after it: the next tile's */
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, 3 * length(32, 32)), length(32, 32));
    t = head(3, 96, 0, 4, 32);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, length(4, 32)), length(4, 32));
    t = head(11, 96, 64, 4, 6);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, length(4, 6)), length(4, 6));
}

static void test_not_a_grid_tile(void **state)
{
    (void)state;
    struct tr_mpi_relay r = relay(100, 70, 32, 32);
    const struct tr_relay_tile_head bad[] = {
        head(1, 0, 0, 32, 32),   /* another tile's task_id */
        head(0, 1, 0, 32, 32),   /* off the grid */
        head(0, 0, 16, 32, 32),  /* off the grid */
        head(3, 96, 0, 32, 32),  /* not clipped: would run 28 counts past each row */
        head(3, 96, 0, 3, 32),   /* clipped too far */
        head(11, 96, 64, 4, 32), /* 26 rows past the frame */
        head(12, 128, 0, 4, 32), /* outside the frame */
        head(0, 0, 0, 0, 32),    /* empty */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tr_mpi_relay_tile_length(&r, &bad[i], 1u << 20), 0);
}

/* A tile larger than the frame is clipped to it; a header that claims a width between the
 * frame's and the tile's must not pass through an unsigned subtraction's wrap. */
static void test_tile_larger_than_the_frame(void **state)
{
    (void)state;
    struct tr_mpi_relay r = relay(100, 100, 65536, 65536);
    struct tr_relay_tile_head t = head(0, 0, 0, 100, 100);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, length(100, 100)), length(100, 100));
    t = head(0, 0, 0, 200, 100);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, 1u << 20), 0);
    t = head(0, 0, 0, 100, 65536);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, SIZE_MAX / 2), 0);
}

static void test_counts_beyond_the_message(void **state)
{
    (void)state;
    struct tr_mpi_relay r = relay(64, 64, 16, 16);
    struct tr_relay_tile_head t = head(5, 16, 16, 16, 16);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, length(16, 16) - 1), 0);
    assert_int_equal(tr_mpi_relay_tile_length(&r, &t, sizeof(t)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_tiles),
        cmocka_unit_test(test_not_a_grid_tile),
        cmocka_unit_test(test_tile_larger_than_the_frame),
        cmocka_unit_test(test_counts_beyond_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
