/* The lanes' hand-over to the output thread: order, back-pressure only when full, many
 * producers; and the frame digest computed from tiles as they finish. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmocka_all.h"
#include "core/checksum.h"
#include "core/frame_digest.h"
#include "core/tile_grid.h"
#include "core/tile_queue.h"

static void test_order_and_end(void **state)
{
    (void)state;
    struct tr_tile_queue q;
    assert_int_equal(tr_tile_queue_init(&q, 8), 0);
    uint32_t got[8];
    int ended = 1;
    assert_int_equal(tr_tile_queue_pop(&q, got, 8, 0, &ended), 0);
    assert_int_equal(ended, 0);
    for (uint32_t round = 0; round < 5; round++) { /* wraps around the ring */
        for (uint32_t i = 0; i < 6; i++)
            assert_int_equal(tr_tile_queue_push(&q, round * 10 + i), 0); /* room: no wait */
        assert_int_equal(tr_tile_queue_pop(&q, got, 4, 0, &ended), 4);
        assert_int_equal(tr_tile_queue_pop(&q, got + 4, 8, 0, &ended), 2);
        for (uint32_t i = 0; i < 6; i++)
            assert_int_equal(got[i], round * 10 + i);
    }
    assert_int_equal(tr_tile_queue_push(&q, 99), 0);
    tr_tile_queue_close(&q);
    assert_int_equal(tr_tile_queue_pop(&q, got, 8, 1000000, &ended), 1);
    assert_int_equal(got[0], 99);
    assert_int_equal(ended, 1);
    assert_int_equal(tr_tile_queue_pop(&q, got, 8, 1000000, &ended), 0);
    assert_int_equal(ended, 1);
    tr_tile_queue_destroy(&q);
}

struct producer {
    struct tr_tile_queue *q;
    uint32_t first, count;
    atomic_uint pushed;
    int64_t waited_ns;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (uint32_t i = 0; i < p->count; i++) {
        p->waited_ns += tr_tile_queue_push(p->q, p->first + i);
        atomic_store(&p->pushed, i + 1);
    }
    return NULL;
}

static void test_waits_only_when_full(void **state)
{
    (void)state;
    struct tr_tile_queue q;
    assert_int_equal(tr_tile_queue_init(&q, 4), 0);
    struct producer p = {.q = &q, .first = 0, .count = 5};
    atomic_init(&p.pushed, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    /* The fifth push finds the ring full: it must still be waiting for room. */
    while (atomic_load(&p.pushed) < 4)
        sched_yield();
    struct timespec pause = {0, 20 * 1000000};
    nanosleep(&pause, NULL);
    assert_int_equal(atomic_load(&p.pushed), 4);
    uint32_t got[8];
    int ended;
    assert_int_equal(tr_tile_queue_pop(&q, got, 1, 0, &ended), 1);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&p.pushed), 5);
    assert_true(p.waited_ns > 0); /* the wait was measured */
    assert_int_equal(tr_tile_queue_pop(&q, got + 1, 8, 0, &ended), 4);
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(got[i], i);
    tr_tile_queue_destroy(&q);
}

#define PRODUCERS    4
#define PER_PRODUCER 20000

static void test_many_producers(void **state)
{
    (void)state;
    struct tr_tile_queue q;
    assert_int_equal(tr_tile_queue_init(&q, 16), 0);
    struct producer p[PRODUCERS];
    pthread_t t[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        p[i] = (struct producer){.q = &q, .first = i * PER_PRODUCER, .count = PER_PRODUCER};
        atomic_init(&p[i].pushed, 0);
        assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
    }
    unsigned char *seen = calloc(PRODUCERS * PER_PRODUCER, 1);
    uint32_t next[PRODUCERS] = {0};
    assert_non_null(seen);
    size_t total = 0;
    int ended = 0;
    uint32_t got[5];
    while (total < PRODUCERS * PER_PRODUCER) {
        size_t n = tr_tile_queue_pop(&q, got, 5, 1000000, &ended);
        for (size_t k = 0; k < n; k++) {
            uint32_t id = got[k], who = id / PER_PRODUCER;
            assert_int_equal(seen[id], 0);
            seen[id] = 1;
            assert_int_equal(id, who * PER_PRODUCER + next[who]); /* each producer's order */
            next[who]++;
        }
        total += n;
    }
    for (uint32_t i = 0; i < PRODUCERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    tr_tile_queue_close(&q);
    assert_int_equal(tr_tile_queue_pop(&q, got, 5, 0, &ended), 0);
    assert_int_equal(ended, 1);
    free(seen);
    tr_tile_queue_destroy(&q);
}

/* A reproducible pseudo-random sequence (xorshift). */
static uint32_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 32);
}

/* Frames of made-up counts whose tiles finish in a random order; some runs stop early
 * (time limit), leaving the unrendered tiles' counts 0 as a real run does. */
static void test_digest_matches_whole_frame(void **state)
{
    (void)state;
    const uint32_t sizes[][4] = {
        {37, 23, 8, 5}, {64, 64, 64, 64}, {100, 7, 9, 9}, {5, 40, 1, 3}, {1, 1, 4, 4}};
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (int partial = 0; partial < 2; partial++) {
            struct tr_tile_grid g;
            tr_tile_grid_init(&g, sizes[k][0], sizes[k][1], sizes[k][2], sizes[k][3]);
            size_t pixels = (size_t)g.width * g.height;
            uint16_t *full = malloc(pixels * sizeof(uint16_t));
            uint16_t *frame = calloc(pixels, sizeof(uint16_t));
            uint32_t *order = malloc(g.tiles * sizeof(uint32_t));
            assert_non_null(full);
            assert_non_null(frame);
            assert_non_null(order);
            for (size_t i = 0; i < pixels; i++)
                full[i] = (uint16_t)next_random(&seed);
            for (uint32_t i = 0; i < g.tiles; i++)
                order[i] = i;
            for (uint32_t i = (uint32_t)g.tiles; i > 1; i--) {
                uint32_t j = next_random(&seed) % i, tmp = order[i - 1];
                order[i - 1] = order[j];
                order[j] = tmp;
            }
            uint32_t finished = partial ? (uint32_t)(g.tiles / 2) : (uint32_t)g.tiles;
            unsigned char *done = calloc(g.tiles, 1);
            assert_non_null(done);
            struct tr_frame_digest d;
            tr_frame_digest_init(&d, &g, frame);
            for (uint32_t i = 0; i < finished; i++) {
                struct tr_tile t = tr_tile_grid_tile(&g, order[i]);
                for (uint32_t y = t.y; y < t.y + t.h; y++)
                    memcpy(frame + (size_t)y * g.width + t.x, full + (size_t)y * g.width + t.x,
                           t.w * sizeof(uint16_t));
                done[order[i]] = 1;
                if (next_random(&seed) % 3 == 0) /* the output thread looks now and then */
                    tr_frame_digest_advance(&d, done);
            }
            tr_frame_digest_advance(&d, done);
            int whole = tr_frame_digest_finish(&d);
            assert_int_equal(d.total_iterations, tr_sum_counts(frame, pixels));
            if (finished == g.tiles) {
                assert_true(whole);
                assert_int_equal(d.checksum, tr_fnv1a64_counts(frame, pixels));
                assert_int_equal(d.checksum, tr_fnv1a64_counts(full, pixels));
            } else {
                assert_false(whole);
            }
            free(done);
            free(order);
            free(frame);
            free(full);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_end),
        cmocka_unit_test(test_waits_only_when_full),
        cmocka_unit_test(test_many_producers),
        cmocka_unit_test(test_digest_matches_whole_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
