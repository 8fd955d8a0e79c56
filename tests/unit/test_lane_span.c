/* A run whose lanes are one part of a list shared with other processes (core's tr_lane_span,
 * what tilerace-mpi's ranks use): thread_id and the mode's chunks over the whole list, the
 * next-tile source, the meeting points and the time-limit flag from elsewhere. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmocka_all.h"

#include "core/params.h"
#include "core/scheduler.h"
#include "core/tile_grid.h"

struct fake_device {
    const struct tr_params *p;
    uint16_t *frame;
    int sleep_us;
    atomic_uint lanes_opened;
};

static int fake_open(void *self, uint32_t lane, void **ctx, char *err, size_t errlen)
{
    (void)lane, (void)err, (void)errlen;
    struct fake_device *d = self;
    atomic_fetch_add(&d->lanes_opened, 1);
    *ctx = d;
    return 0;
}

static int fake_render(void *ctx, const struct tr_tile *t, int64_t *device_ns, char *err,
                       size_t errlen)
{
    (void)device_ns, (void)err, (void)errlen;
    struct fake_device *d = ctx;
    if (d->sleep_us) {
        struct timespec ts = {0, d->sleep_us * 1000L};
        nanosleep(&ts, NULL);
    }
    for (uint32_t y = t->y; y < t->y + t->h; y++)
        for (uint32_t x = t->x; x < t->x + t->w; x++)
            d->frame[(size_t)y * d->p->width + x] = (uint16_t)(t->task_id + 1);
    return 0;
}

static const struct tr_backend_ops fake_ops = {.lane_open = fake_open, .render_tile = fake_render};

static void fake_device_init(struct fake_device *d, const struct tr_params *p, uint16_t *frame,
                             int sleep_us)
{
    memset(d, 0, sizeof(*d));
    d->p = p;
    d->frame = frame;
    d->sleep_us = sleep_us;
    atomic_init(&d->lanes_opened, 0);
}

/* The other processes, as this process's span sees them. */
struct cluster {
    uint32_t first_lane, all_lanes;
    int join_fails, origin_fails, set_limit_elsewhere;
    int joined, origins, origin_failed;
    uint32_t lanes_here;
    atomic_int limit_elsewhere;
    atomic_int limit_told;
    atomic_llong counter;
};

static int join(void *arg, uint32_t lanes, int failed, uint32_t *first_lane, uint32_t *all_lanes)
{
    struct cluster *c = arg;
    c->joined++;
    c->lanes_here = lanes;
    *first_lane = c->first_lane;
    *all_lanes = c->all_lanes;
    return failed || c->join_fails;
}

static int before_origin(void *arg, int failed)
{
    struct cluster *c = arg;
    c->origins++;
    c->origin_failed = failed;
    if (c->set_limit_elsewhere)
        atomic_store(&c->limit_elsewhere, 1);
    return failed || c->origin_fails;
}

static int64_t next_tile(void *arg)
{
    struct cluster *c = arg;
    return atomic_fetch_add(&c->counter, 1);
}

static void limit_passed(void *arg)
{
    struct cluster *c = arg;
    atomic_fetch_add(&c->limit_told, 1);
}

/* 64 tiles of 8x8, one device with 2 lanes here; the cluster's lanes first_lane.. of all. */
static struct tr_params frame_params(enum tr_mode mode)
{
    struct tr_params p;
    tr_params_defaults(&p);
    p.width = 64;
    p.height = 64;
    p.tile_w = 8;
    p.tile_h = 8;
    p.mode = mode;
    p.time_limit_ms = 0;
    return p;
}

static int run_part(struct tr_params *p, struct cluster *c, int with_next_tile, struct tr_run *run,
                    struct fake_device *d, uint16_t *frame)
{
    fake_device_init(d, p, frame, 0);
    struct tr_backend b = {&fake_ops, d};
    struct tr_lane_group g = {&b, 2, "cpu"};
    struct tr_lane_span span = {
        join,         before_origin,       with_next_tile ? next_tile : NULL,
        limit_passed, &c->limit_elsewhere, c};
    struct tr_run_hooks hooks;
    memset(&hooks, 0, sizeof(hooks));
    hooks.span = &span;
    char err[256];
    return tr_run_lanes(p, frame, &g, 1, &hooks, run, err, sizeof(err));
}

static void cluster_init(struct cluster *c, uint32_t first_lane, uint32_t all_lanes)
{
    memset(c, 0, sizeof(*c));
    c->first_lane = first_lane;
    c->all_lanes = all_lanes;
    atomic_init(&c->limit_elsewhere, 0);
    atomic_init(&c->limit_told, 0);
    atomic_init(&c->counter, 0);
}

/* Lanes 3 and 4 of 8: concurrent and steal give them chunks 3 and 4 (tiles 24..39), numbered
 * 3 and 4; steal steals only between them. */
static void test_chunks_of_the_whole_list(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_CONCURRENT, TR_MODE_STEAL};
    for (size_t m = 0; m < 2; m++) {
        struct tr_params p = frame_params(modes[m]);
        uint16_t *frame = calloc(64 * 64, sizeof(uint16_t));
        struct cluster c;
        struct fake_device d;
        struct tr_run run;
        cluster_init(&c, 3, 8);
        assert_int_equal(run_part(&p, &c, 1, &run, &d, frame), 0);
        assert_int_equal(c.joined, 1);
        assert_int_equal(c.lanes_here, 2);
        assert_int_equal(c.origins, 1);
        assert_false(c.origin_failed);
        assert_int_equal(atomic_load(&c.counter), 0); /* only dynamic asks the cluster */
        assert_int_equal(run.lanes, 2);
        assert_int_equal(run.n_records, 16);
        assert_false(run.complete);
        for (size_t i = 0; i < run.n_records; i++) {
            const struct tr_record *r = &run.records[i];
            assert_true(r->task_id >= 24 && r->task_id < 40);
            assert_true(r->thread_id == 3 || r->thread_id == 4);
            assert_int_equal(r->stolen, r->thread_id != r->task_id / 8);
            if (modes[m] == TR_MODE_CONCURRENT)
                assert_int_equal(r->thread_id, r->task_id / 8);
        }
        tr_run_free(&run);
        free(frame);
    }
}

/* Sequential is the whole list's first lane: a part without it runs no lane, and still meets
 * the others at both points. */
static void test_sequential_is_the_first_lane_of_all(void **state)
{
    (void)state;
    struct tr_params p = frame_params(TR_MODE_SEQUENTIAL);
    uint16_t *frame = calloc(64 * 64, sizeof(uint16_t));
    struct cluster c;
    struct fake_device d;
    struct tr_run run;
    cluster_init(&c, 2, 4);
    assert_int_equal(run_part(&p, &c, 1, &run, &d, frame), 0);
    assert_int_equal(c.joined, 1);
    assert_int_equal(c.origins, 1);
    assert_int_equal(atomic_load(&d.lanes_opened), 0);
    assert_int_equal(run.lanes, 0);
    assert_int_equal(run.n_records, 0);
    tr_run_free(&run);

    cluster_init(&c, 0, 4);
    assert_int_equal(run_part(&p, &c, 1, &run, &d, frame), 0);
    assert_int_equal(run.lanes, 1);
    assert_int_equal(run.n_records, 64);
    assert_true(run.complete);
    for (size_t i = 0; i < run.n_records; i++)
        assert_int_equal(run.records[i].thread_id, 0);
    tr_run_free(&run);
    free(frame);
}

/* Dynamic takes the next tile from the span's source: what the others took is not here. */
static void test_dynamic_takes_the_clusters_next_tile(void **state)
{
    (void)state;
    struct tr_params p = frame_params(TR_MODE_DYNAMIC);
    uint16_t *frame = calloc(64 * 64, sizeof(uint16_t));
    struct cluster c;
    struct fake_device d;
    struct tr_run run;
    cluster_init(&c, 1, 3);
    atomic_store(&c.counter, 40); /* the other processes took 0..39 */
    assert_int_equal(run_part(&p, &c, 1, &run, &d, frame), 0);
    assert_int_equal(run.n_records, 24);
    for (size_t i = 0; i < run.n_records; i++) {
        assert_true(run.records[i].task_id >= 40);
        assert_true(run.records[i].thread_id == 1 || run.records[i].thread_id == 2);
    }
    tr_run_free(&run);
    free(frame);
}

/* A failure anywhere, told at either meeting point: nothing is rendered here, and the part
 * still meets the others at the origin. */
static void test_failure_elsewhere_renders_nothing(void **state)
{
    (void)state;
    for (int at_origin = 0; at_origin < 2; at_origin++) {
        struct tr_params p = frame_params(TR_MODE_CONCURRENT);
        uint16_t *frame = calloc(64 * 64, sizeof(uint16_t));
        struct cluster c;
        struct fake_device d;
        struct tr_run run;
        cluster_init(&c, 0, 4);
        c.join_fails = !at_origin;
        c.origin_fails = at_origin;
        assert_int_equal(run_part(&p, &c, 1, &run, &d, frame), 0);
        assert_int_equal(c.origins, 1);
        assert_int_equal(c.origin_failed, !at_origin);
        assert_int_equal(run.n_records, 0);
        for (size_t i = 0; i < 64 * 64; i++)
            assert_int_equal(frame[i], 0);
        tr_run_free(&run);
        free(frame);
    }
}

/* The limit seen elsewhere stops this part before its next tile; the limit passing here is
 * told to the others once. */
static void test_time_limit_flag_both_ways(void **state)
{
    (void)state;
    struct tr_params p = frame_params(TR_MODE_DYNAMIC);
    p.time_limit_ms = 60000;
    uint16_t *frame = calloc(64 * 64, sizeof(uint16_t));
    struct cluster c;
    struct fake_device d;
    struct tr_run run;
    cluster_init(&c, 0, 2);
    c.set_limit_elsewhere = 1;
    assert_int_equal(run_part(&p, &c, 1, &run, &d, frame), 0);
    assert_int_equal(run.n_records, 0);
    assert_true(run.time_limited);
    assert_int_equal(atomic_load(&c.limit_told), 0);
    tr_run_free(&run);

    /* slow tiles: the limit passes here, and the others hear it exactly once */
    p.time_limit_ms = 20;
    cluster_init(&c, 0, 2);
    struct tr_params slow = p;
    slow.tile_w = slow.tile_h = 1;
    memset(frame, 0, 64 * 64 * sizeof(uint16_t));
    struct fake_device sd;
    fake_device_init(&sd, &slow, frame, 500);
    {
        struct tr_backend b = {&fake_ops, &sd};
        struct tr_lane_group g = {&b, 2, "cpu"};
        struct tr_lane_span span = {join,         before_origin,      NULL,
                                    limit_passed, &c.limit_elsewhere, &c};
        struct tr_run_hooks hooks;
        memset(&hooks, 0, sizeof(hooks));
        hooks.span = &span;
        char err[256];
        assert_int_equal(tr_run_lanes(&slow, frame, &g, 1, &hooks, &run, err, sizeof(err)), 0);
    }
    assert_true(run.time_limited);
    assert_int_equal(atomic_load(&c.limit_told), 1);
    for (size_t i = 0; i < run.n_records; i++)
        assert_true(run.records[i].start_ns < 20 * 1000000LL);
    tr_run_free(&run);
    free(frame);
}

/* What the run's consumer saw of the output thread it was called from. */
struct helper_seen {
    pthread_t caller;
    cpu_set_t mask;
    int calls;   /* from the output thread */
    int differs; /* a call whose thread's CPUs were not the first call's */
};

static void note_helper(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    (void)rec, (void)frame;
    struct helper_seen *h = user;
    if (pthread_equal(pthread_self(), h->caller))
        return; /* a tile the output thread had not reached when the lanes ended */
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof(mask), &mask) != 0)
        h->differs = 1;
    else if (h->calls == 0)
        h->mask = mask;
    else if (!CPU_EQUAL(&mask, &h->mask))
        h->differs = 1;
    h->calls++;
}

/* One lane of a run across processes, 64 tiles of 0.5 ms (several of the output thread's
 * periods), with these hooks and a span of its own. */
static void run_one_slow_lane(struct tr_run_hooks *hooks)
{
    struct tr_params p = frame_params(TR_MODE_DYNAMIC);
    uint16_t *frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
    assert_non_null(frame);
    struct cluster c;
    cluster_init(&c, 0, 1);
    struct fake_device d;
    fake_device_init(&d, &p, frame, 500);
    struct tr_backend b = {&fake_ops, &d};
    struct tr_lane_group g = {&b, 1, "cpu"};
    struct tr_lane_span span = {join, before_origin, NULL, limit_passed, &c.limit_elsewhere, &c};
    hooks->span = &span;
    struct tr_run run;
    char err[256];
    assert_int_equal(tr_run_lanes(&p, frame, &g, 1, hooks, &run, err, sizeof(err)), 0);
    assert_true(run.complete);
    hooks->span = NULL;
    tr_run_free(&run);
    free(frame);
}

/* The one lane pinned from first; what the output thread's calls saw of its CPUs. */
static void run_seen_by_helper(uint32_t first, const cpu_set_t *helper_cpus,
                               struct helper_seen *seen)
{
    memset(seen, 0, sizeof(*seen));
    seen->caller = pthread_self();
    struct tr_run_hooks hooks;
    memset(&hooks, 0, sizeof(hooks));
    hooks.pin_lanes = 1;
    hooks.pin_first = first;
    hooks.helper_cpus = helper_cpus;
    hooks.on_tile = note_helper;
    hooks.user = seen;
    run_one_slow_lane(&hooks);
}

/* helper_cpus: the output thread keeps to them (here the one lane's CPU, fewer than the
 * process's on a host of two CPUs or more); without them it may use any of the process's. */
static void test_output_thread_keeps_to_helper_cpus(void **state)
{
    (void)state;
    cpu_set_t allowed;
    assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
    for (uint32_t first = 0; first < 3; first++) {
        struct tr_run_hooks pins;
        memset(&pins, 0, sizeof(pins));
        pins.pin_lanes = 1;
        pins.pin_first = first;
        cpu_set_t lane_cpu;
        assert_int_equal(tr_lane_cpus(&pins, 1, &lane_cpu), 0);
        assert_int_equal(CPU_COUNT(&lane_cpu), 1);
        struct helper_seen seen;
        run_seen_by_helper(first, &lane_cpu, &seen);
        assert_true(seen.calls > 0);
        assert_false(seen.differs);
        assert_true(CPU_EQUAL(&seen.mask, &lane_cpu));
        run_seen_by_helper(first, NULL, &seen);
        assert_true(seen.calls > 0);
        assert_false(seen.differs);
        assert_true(CPU_EQUAL(&seen.mask, &allowed));
    }
}

static void count_poll(void *user)
{
    atomic_fetch_add((atomic_int *)user, 1);
}

/* A run across processes hashes nothing while it lasts; one whose outputs only poll (the
 * server watching its client) still gets its polls from the output thread. */
static void test_a_poll_alone_keeps_the_output_thread(void **state)
{
    (void)state;
    atomic_int polls;
    atomic_init(&polls, 0);
    struct tr_run_hooks hooks;
    memset(&hooks, 0, sizeof(hooks));
    hooks.poll = count_poll;
    hooks.user = &polls;
    run_one_slow_lane(&hooks);
    assert_true(atomic_load(&polls) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_poll_alone_keeps_the_output_thread),
        cmocka_unit_test(test_output_thread_keeps_to_helper_cpus),
        cmocka_unit_test(test_chunks_of_the_whole_list),
        cmocka_unit_test(test_sequential_is_the_first_lane_of_all),
        cmocka_unit_test(test_dynamic_takes_the_clusters_next_tile),
        cmocka_unit_test(test_failure_elsewhere_renders_nothing),
        cmocka_unit_test(test_time_limit_flag_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
