/* Steal mode's per-lane tile ranges: the owner's order, the back half, the richest victim, and
 * owners racing thieves on many threads (every tile taken exactly once). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "cmocka_all.h"

#include "core/steal_deque.h"

static void init(struct tr_steal_deques *d, uint32_t lanes, const uint32_t *first,
                 const uint32_t *end)
{
    assert_int_equal(tr_steal_deques_init(d, lanes, first, end), 0);
}

static void test_owner_takes_its_range_in_order(void **state)
{
    (void)state;
    struct tr_steal_deques d;
    uint32_t first[] = {3}, end[] = {8};
    init(&d, 1, first, end);
    for (int64_t id = 3; id < 8; id++)
        assert_int_equal(tr_steal_deques_take(&d, 0), id);
    assert_int_equal(tr_steal_deques_take(&d, 0), -1);
    assert_int_equal(tr_steal_deques_steal(&d, 0), -1); /* nobody else to steal from */
    assert_int_equal(tr_steal_deques_next(&d, 0), -1);
    assert_int_equal(d.lane[0].steals, 0);
    tr_steal_deques_destroy(&d);
}

static void test_thief_takes_back_half(void **state)
{
    (void)state;
    struct tr_steal_deques d;
    uint32_t first[] = {0, 10}, end[] = {10, 10};
    init(&d, 2, first, end);
    /* 10 left: the thief takes [5, 10), renders 5 and keeps 6..9 as its own range */
    assert_int_equal(tr_steal_deques_next(&d, 1), 5);
    for (int64_t id = 6; id < 10; id++)
        assert_int_equal(tr_steal_deques_take(&d, 1), id);
    for (int64_t id = 0; id < 5; id++)
        assert_int_equal(tr_steal_deques_take(&d, 0), id);
    assert_int_equal(tr_steal_deques_next(&d, 0), -1);
    assert_int_equal(tr_steal_deques_next(&d, 1), -1);
    assert_int_equal(d.lane[1].steals, 1);
    assert_int_equal(d.lane[1].tiles_stolen, 5);
    tr_steal_deques_destroy(&d);

    /* an odd count: the thief gets the larger half; a last tile can be stolen too */
    uint32_t first3[] = {0, 3}, end3[] = {3, 3};
    init(&d, 2, first3, end3);
    assert_int_equal(tr_steal_deques_steal(&d, 1), 1); /* takes [1, 3) */
    assert_int_equal(tr_steal_deques_take(&d, 0), 0);
    assert_int_equal(tr_steal_deques_take(&d, 0), -1);
    assert_int_equal(tr_steal_deques_steal(&d, 0), 2); /* the last one, back again */
    assert_int_equal(tr_steal_deques_next(&d, 1), -1);
    assert_int_equal(d.lane[0].tiles_stolen, 1);
    tr_steal_deques_destroy(&d);
}

static void test_richest_victim(void **state)
{
    (void)state;
    struct tr_steal_deques d;
    uint32_t first[] = {0, 2, 7, 40}, end[] = {2, 7, 15, 40};
    init(&d, 4, first, end);
    /* lane 2 has 8 left, lane 1 has 5, lane 0 has 2: the thief takes lane 2's [11, 15) */
    assert_int_equal(tr_steal_deques_steal(&d, 3), 11);
    for (int64_t id = 12; id < 15; id++)
        assert_int_equal(tr_steal_deques_take(&d, 3), id);
    /* now lane 1 (5 left) is richer than lane 2 (4): the thief takes lane 1's [4, 7) */
    assert_int_equal(tr_steal_deques_steal(&d, 3), 4);
    assert_int_equal(d.lane[3].steals, 2);
    assert_int_equal(d.lane[3].tiles_stolen, 7);
    tr_steal_deques_destroy(&d);
}

/* Many lanes, uneven chunks, some lanes slow: each tile is taken by exactly one lane. */
#define RACE_LANES 8
#define RACE_TILES 200000
struct race {
    struct tr_steal_deques d;
    atomic_uchar *seen;
    atomic_int duplicates;
    atomic_int quit_early; /* a lane was told "no work left" while some range still had tiles */
    pthread_barrier_t start;
    int slow_lane;
};
struct race_lane {
    struct race *r;
    uint32_t index;
    uint64_t taken;
};

static void *race_main(void *arg)
{
    struct race_lane *l = arg;
    struct race *r = l->r;
    pthread_barrier_wait(&r->start);
    int64_t id;
    while ((id = tr_steal_deques_next(&r->d, l->index)) >= 0) {
        if (atomic_fetch_add(&r->seen[id], 1) != 0)
            atomic_store(&r->duplicates, 1);
        l->taken++;
        if ((int)l->index == r->slow_lane && l->taken % 64 == 0) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
    /* -1 means no tile is left to take: ranges only shrink from now on, so every range, read
     * under its lock, must be empty (tiles a steal had moved but not yet published when the
     * lane looked would show up here) */
    for (uint32_t i = 0; i < r->d.lanes; i++) {
        struct tr_steal_deque *q = &r->d.lane[i];
        pthread_mutex_lock(&q->lock);
        if (atomic_load(&q->back) > atomic_load(&q->front))
            atomic_store(&r->quit_early, 1);
        pthread_mutex_unlock(&q->lock);
    }
    return NULL;
}

static void run_race(const uint32_t *first, const uint32_t *end, int slow_lane)
{
    struct race *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->seen = calloc(RACE_TILES, sizeof(*r->seen));
    assert_non_null(r->seen);
    atomic_init(&r->duplicates, 0);
    atomic_init(&r->quit_early, 0);
    r->slow_lane = slow_lane;
    init(&r->d, RACE_LANES, first, end);
    pthread_barrier_init(&r->start, NULL, RACE_LANES);
    struct race_lane lanes[RACE_LANES];
    pthread_t threads[RACE_LANES];
    for (uint32_t i = 0; i < RACE_LANES; i++) {
        lanes[i] = (struct race_lane){r, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, race_main, &lanes[i]), 0);
    }
    uint64_t taken = 0;
    for (uint32_t i = 0; i < RACE_LANES; i++) {
        pthread_join(threads[i], NULL);
        taken += lanes[i].taken;
    }
    assert_int_equal(atomic_load(&r->duplicates), 0);
    assert_int_equal(atomic_load(&r->quit_early), 0);
    for (uint32_t id = 0; id < RACE_TILES; id++)
        assert_int_equal(atomic_load(&r->seen[id]), 1);
    assert_int_equal(taken, RACE_TILES);
    pthread_barrier_destroy(&r->start);
    tr_steal_deques_destroy(&r->d);
    free(r->seen);
    free(r);
}

static void test_many_threads_every_tile_once(void **state)
{
    (void)state;
    uint32_t first[RACE_LANES], end[RACE_LANES];
    /* all work on lane 0: the other lanes live on stealing, and steal from each other */
    for (uint32_t i = 0; i < RACE_LANES; i++)
        first[i] = end[i] = RACE_TILES;
    first[0] = 0;
    run_race(first, end, -1);
    run_race(first, end, 0);
    /* equal chunks, one slow lane */
    for (uint32_t i = 0; i < RACE_LANES; i++) {
        first[i] = RACE_TILES / RACE_LANES * i;
        end[i] = i + 1 == RACE_LANES ? RACE_TILES : RACE_TILES / RACE_LANES * (i + 1);
    }
    run_race(first, end, 3);
}

/* A lane that looks for work while a steal has tiles in neither range waits for them: it must
 * not conclude that the work is over. Lane 0 has [0, 3); lane 1 steals [1, 3) and, while
 * those tiles are in transit, lane 0 takes its last tile and lane 2 looks for work. */
struct transit {
    struct tr_steal_deques *d;
    atomic_int calls; /* the hook acts for the first steal only (the looker steals too) */
    pthread_t looker;
    atomic_int looker_done;
    int64_t looker_got;
};

static void *looker_main(void *arg)
{
    struct transit *t = arg;
    t->looker_got = tr_steal_deques_next(t->d, 2);
    atomic_store(&t->looker_done, 1);
    return NULL;
}

static void while_in_transit(void *arg)
{
    struct transit *t = arg;
    if (atomic_fetch_add(&t->calls, 1) != 0)
        return;
    assert_int_equal(tr_steal_deques_take(t->d, 0), 0); /* lane 0's last tile */
    assert_int_equal(pthread_create(&t->looker, NULL, looker_main, t), 0);
    /* give the looker time to scan while the stolen tiles are in no range */
    for (int i = 0; i < 200 && !atomic_load(&t->looker_done); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static void test_no_end_of_work_while_a_steal_is_in_transit(void **state)
{
    (void)state;
    struct tr_steal_deques d;
    uint32_t first[] = {0, 3, 3}, end[] = {3, 3, 3};
    init(&d, 3, first, end);
    struct transit t = {.d = &d};
    atomic_init(&t.looker_done, 0);
    atomic_init(&t.calls, 0);
    d.in_transit_hook = while_in_transit;
    d.in_transit_arg = &t;
    assert_int_equal(tr_steal_deques_steal(&d, 1), 1); /* takes [1, 3), keeps 2 for others */
    pthread_join(t.looker, NULL);
    d.in_transit_hook = NULL;
    assert_int_equal(t.looker_got, 2); /* not -1: tile 2 was still to come */
    assert_int_equal(tr_steal_deques_next(&d, 1), -1);
    tr_steal_deques_destroy(&d);
}

/* An owner and a thief race for a last tile, again and again: exactly one gets it. */
struct duel {
    struct tr_steal_deques *d;
    pthread_barrier_t *start;
    uint32_t lane;
    int64_t got;
};

static void *duel_main(void *arg)
{
    struct duel *x = arg;
    pthread_barrier_wait(x->start);
    x->got = x->lane == 0 ? tr_steal_deques_take(x->d, 0) : tr_steal_deques_steal(x->d, x->lane);
    return NULL;
}

static void test_owner_and_thieves_race_for_the_last_tile(void **state)
{
    (void)state;
    enum { THIEVES = 3, ROUNDS = 300 };
    for (int round = 0; round < ROUNDS; round++) {
        struct tr_steal_deques d;
        uint32_t first[THIEVES + 1] = {7, 9, 9, 9}, end[THIEVES + 1] = {8, 9, 9, 9};
        init(&d, THIEVES + 1, first, end);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THIEVES + 1);
        struct duel x[THIEVES + 1];
        pthread_t t[THIEVES + 1];
        for (uint32_t i = 0; i <= THIEVES; i++) {
            x[i] = (struct duel){&d, &start, i, -2};
            assert_int_equal(pthread_create(&t[i], NULL, duel_main, &x[i]), 0);
        }
        int winners = 0;
        for (uint32_t i = 0; i <= THIEVES; i++) {
            pthread_join(t[i], NULL);
            if (x[i].got == 7)
                winners++;
            else
                assert_int_equal(x[i].got, -1);
        }
        assert_int_equal(winners, 1);
        pthread_barrier_destroy(&start);
        tr_steal_deques_destroy(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_takes_its_range_in_order),
        cmocka_unit_test(test_thief_takes_back_half),
        cmocka_unit_test(test_richest_victim),
        cmocka_unit_test(test_many_threads_every_tile_once),
        cmocka_unit_test(test_no_end_of_work_while_a_steal_is_in_transit),
        cmocka_unit_test(test_owner_and_thieves_race_for_the_last_tile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
