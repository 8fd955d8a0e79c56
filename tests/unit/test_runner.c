/* The scheduler and the CPU path through the job API: records, modes, time limit, golden. */
#include <string.h>

#include <stdatomic.h>
#include <time.h>

#include "cmocka_all.h"
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/checksum.h"
#include "core/clock.h"
#include "core/scheduler.h"
#include "core/status.h"
#include "core/task_record.h"
#include "core/tile_grid.h"
#include "devices/job.h"
#include "frame_params.h"
#include "golden.h"

static void check_records(const struct tr_job *job)
{
    const struct tr_params *p = &job->params;
    struct tr_tile_grid g;
    tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
    unsigned char *seen = calloc(g.tiles, 1);
    assert_non_null(seen);
    uint64_t pixels = 0;
    for (size_t i = 0; i < job->run.n_records; i++) {
        const struct tr_record *r = &job->run.records[i];
        assert_true(r->task_id < g.tiles);
        assert_int_equal(seen[r->task_id], 0);
        seen[r->task_id] = 1;
        struct tr_tile t = tr_tile_grid_tile(&g, r->task_id);
        assert_int_equal(r->tile_x, t.x);
        assert_int_equal(r->tile_y, t.y);
        assert_int_equal(r->tile_w, t.w);
        assert_int_equal(r->tile_h, t.h);
        assert_int_equal(r->pixels_computed, (uint64_t)t.w * t.h);
        pixels += r->pixels_computed;
        if (p->mode == TR_MODE_SEQUENTIAL) {
            assert_int_equal(r->thread_id, 0);
        } else if (p->mode == TR_MODE_CONCURRENT) {
            assert_int_equal(r->thread_id, r->task_id / tr_chunk_size(g.tiles, p->num_threads));
        } else if (p->mode == TR_MODE_STEAL) {
            /* stolen: rendered by another lane than its concurrent-mode one */
            uint32_t owner = r->task_id / tr_chunk_size(g.tiles, p->num_threads);
            assert_true(r->thread_id < job->run.lanes);
            assert_int_equal(r->stolen, r->thread_id != owner);
        } else {
            assert_true(r->thread_id < p->num_threads);
        }
        assert_true(r->start_ns >= 0);
        assert_true(r->duration_ns >= 0);
        assert_int_equal(r->device_time_ns, -1);
        if (p->mode != TR_MODE_STEAL)
            assert_false(r->stolen);
        if (i > 0) {
            const struct tr_record *q = &job->run.records[i - 1];
            int64_t a = q->start_ns / 1000, b = r->start_ns / 1000;
            assert_true(a < b || (a == b && q->task_id < r->task_id));
        }
    }
    if (job->run.complete)
        assert_int_equal(pixels, (uint64_t)p->width * p->height);
    free(seen);
}

/* Steal counts: per lane in steal mode (their sum the total), none in other modes. */
static void check_steals(const struct tr_run *run, enum tr_mode mode)
{
    if (mode != TR_MODE_STEAL) {
        assert_null(run->steals);
        assert_int_equal(run->steals_total, 0);
        return;
    }
    assert_non_null(run->steals);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < run->lanes; i++)
        sum += run->steals[i];
    assert_int_equal(sum, run->steals_total);
}

static atomic_int on_tile_count;
static void count_on_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    (void)user, (void)rec, (void)frame;
    atomic_fetch_add(&on_tile_count, 1);
}

static void test_records_every_mode(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC,
                                  TR_MODE_STEAL};
    const uint32_t threads[] = {1, 2, 3, 4, 7, 64};
    for (size_t m = 0; m < 4; m++) {
        for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
            struct tr_params p = frame_params(100, 70, 32, 16, 64, modes[m], threads[t]);
            struct tr_job job;
            char err[256];
            assert_int_equal(tr_job_run(&p, NULL, &job, err, sizeof(err)), 0);
            assert_int_equal(job.run.tiles_total, 4 * 5);
            assert_int_equal(job.run.n_records, 20);
            assert_true(job.run.complete);
            assert_false(job.run.time_limited);
            uint32_t lanes = modes[m] == TR_MODE_SEQUENTIAL ? 1
                             : modes[m] == TR_MODE_CONCURRENT || modes[m] == TR_MODE_STEAL
                                 ? tr_chunk_count(20, threads[t])
                                 : (threads[t] < 20 ? threads[t] : 20);
            assert_int_equal(job.run.lanes, lanes);
            check_records(&job);
            check_steals(&job.run, modes[m]);
            tr_job_free(&job);
        }
    }
}

static void test_time_limit(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC,
                                  TR_MODE_STEAL};
    for (size_t m = 0; m < 4; m++) {
        /* far too much work for 60 ms: the black interior at 65535 iterations */
        struct tr_params p = frame_params(1024, 1024, 16, 16, 65535, modes[m], 2);
        p.time_limit_ms = 60;
        struct tr_job job;
        char err[256];
        assert_int_equal(tr_job_run(&p, NULL, &job, err, sizeof(err)), 0);
        assert_true(job.run.n_records < job.run.tiles_total);
        assert_true(job.run.time_limited);
        assert_false(job.run.complete);
        for (size_t i = 0; i < job.run.n_records; i++)
            assert_true(job.run.records[i].start_ns / 1000 < 60000);
        check_records(&job);
        /* only recorded tiles have counts, and total_iterations is their sum */
        uint64_t iterations = 0;
        for (size_t i = 0; i < job.run.n_records; i++) {
            const struct tr_record *r = &job.run.records[i];
            for (uint32_t y = r->tile_y; y < r->tile_y + r->tile_h; y++)
                for (uint32_t x = r->tile_x; x < r->tile_x + r->tile_w; x++)
                    iterations += job.frame[(size_t)y * p.width + x];
        }
        assert_true(iterations > 0);
        assert_int_equal(job.run.total_iterations, iterations);
        tr_job_free(&job);
    }
}

static void test_golden_frames(void **state)
{
    (void)state;
    struct golden_row rows[32];
    int n = golden_load(rows, 32);
    assert_true(n >= 4);
    struct {
        enum tr_mode mode;
        uint32_t threads, tw, th;
    } configs[] = {
        {TR_MODE_SEQUENTIAL, 1, 64, 64}, {TR_MODE_CONCURRENT, 2, 64, 64},
        {TR_MODE_CONCURRENT, 3, 37, 23}, {TR_MODE_CONCURRENT, 7, 100, 1},
        {TR_MODE_DYNAMIC, 2, 50, 50},    {TR_MODE_DYNAMIC, 5, 1, 129},
        {TR_MODE_STEAL, 3, 37, 23},      {TR_MODE_STEAL, 4, 16, 16},
    };
    for (int i = 0; i < n; i++) {
        for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
            /* the 458M-iteration frame once per mode keeps the sanitizer builds quick */
            if (rows[i].total_iterations > 100000000 && c % 2 == 1)
                continue;
            struct tr_params p =
                frame_params(rows[i].width, rows[i].height, configs[c].tw, configs[c].th,
                             rows[i].max_iter, configs[c].mode, configs[c].threads);
            struct tr_job job;
            char err[256];
            assert_int_equal(tr_job_run(&p, NULL, &job, err, sizeof(err)), 0);
            assert_true(job.run.complete);
            if (job.run.checksum != rows[i].fnv1a64 ||
                job.run.total_iterations != rows[i].total_iterations)
                fail_msg("%ux%u/%u mode %d threads %u tiles %ux%u: got %016llx/%llu", p.width,
                         p.height, p.max_iter, p.mode, p.num_threads, p.tile_w, p.tile_h,
                         (unsigned long long)job.run.checksum,
                         (unsigned long long)job.run.total_iterations);
            tr_job_free(&job);
        }
    }
}

/*
 * A fake device with a command queue: submit_tile queues, wait_tile "renders" the oldest
 * queued tile (each pixel gets its task_id + 1) after DEVICE_US of device time, if the
 * runner's start check, asked when the device could begin it, allows it. It checks the
 * runner's side of the contract: at most queue_depth tiles queued, waits in queue order.
 */
#define DEVICE_US 300
struct fake_device {
    const struct tr_params *p;
    uint16_t *frame;
    atomic_int most_queued;
    int fail_at_submit; /* fail the submit of this task_id (-1: never) */
    atomic_int closed_with_queued;
    int slow_us; /* lane 0 takes this much longer per tile (0: every lane alike) */
};
struct fake_lane {
    struct fake_device *d;
    uint32_t lane;
    struct tr_tile queue[TR_MAX_QUEUE_DEPTH];
    uint32_t head, count;
    struct tr_start_check check;
};

static int fake_open(void *self, uint32_t lane, void **ctx, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    struct fake_lane *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    l->d = self;
    l->lane = lane;
    *ctx = l;
    return 0;
}

static int fake_submit(void *ctx, const struct tr_tile *t, const struct tr_start_check *check,
                       char *err, size_t errlen)
{
    struct fake_lane *l = ctx;
    l->check = *check;
    if ((int)t->task_id == l->d->fail_at_submit) {
        snprintf(err, errlen, "device lost at tile %u", t->task_id);
        return TR_ERR_DEVICE;
    }
    assert_true(l->count < TR_MAX_QUEUE_DEPTH);
    l->queue[(l->head + l->count++) % TR_MAX_QUEUE_DEPTH] = *t;
    int most = atomic_load(&l->d->most_queued);
    while ((int)l->count > most &&
           !atomic_compare_exchange_weak(&l->d->most_queued, &most, (int)l->count))
        ;
    assert_true(l->count <= l->d->p->queue_depth);
    return 0;
}

static int fake_wait(void *ctx, struct tr_tile_times *times, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    struct fake_lane *l = ctx;
    assert_true(l->count > 0);
    struct tr_tile t = l->queue[l->head];
    l->head = (l->head + 1) % TR_MAX_QUEUE_DEPTH;
    l->count--;
    times->started = l->check.may_start(l->check.arg, &times->start_ns);
    if (!times->started)
        return 0;
    int slow = l->lane == 0 ? l->d->slow_us : 0;
    struct timespec ts = {0, (DEVICE_US + slow) * 1000L};
    nanosleep(&ts, NULL);
    for (uint32_t y = t.y; y < t.y + t.h; y++)
        for (uint32_t x = t.x; x < t.x + t.w; x++)
            l->d->frame[(size_t)y * l->d->p->width + x] = (uint16_t)(t.task_id + 1);
    times->device_ns = DEVICE_US * 1000;
    times->end_ns = l->check.now(l->check.arg);
    return 0;
}

static void fake_close(void *ctx)
{
    struct fake_lane *l = ctx;
    if (l->count)
        atomic_store(&l->d->closed_with_queued, 1);
    free(l);
}

static const struct tr_backend_ops fake_ops = {
    .lane_open = fake_open,
    .submit_tile = fake_submit,
    .wait_tile = fake_wait,
    .lane_close = fake_close,
};

static int run_fake(const struct tr_params *p, struct fake_device *d, uint16_t *frame,
                    struct tr_run *run, char *err, size_t errlen)
{
    d->p = p;
    d->frame = frame;
    atomic_init(&d->most_queued, 0);
    atomic_init(&d->closed_with_queued, 0);
    struct tr_backend b = {&fake_ops, d};
    return tr_run_tiles(p, frame, &b, NULL, run, err, errlen);
}

/* Records of one lane, in start order, do not overlap: a queued tile starts when the lane's
 * previous one ended at the earliest. */
static void check_lanes_do_not_overlap(const struct tr_run *run, uint32_t lanes)
{
    for (uint32_t lane = 0; lane < lanes; lane++) {
        int64_t end = -1;
        for (size_t i = 0; i < run->n_records; i++) {
            const struct tr_record *r = &run->records[i];
            if (r->thread_id != lane)
                continue;
            assert_true(r->start_ns >= end);
            assert_true(r->duration_ns > 0);
            assert_int_equal(r->device_time_ns, DEVICE_US * 1000);
            end = r->start_ns + r->duration_ns;
        }
    }
}

static void test_queued_backend(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC,
                                  TR_MODE_STEAL};
    const uint32_t depths[] = {1, 2, 5};
    for (size_t m = 0; m < 4; m++) {
        for (size_t k = 0; k < 3; k++) {
            struct tr_params p = frame_params(100, 70, 16, 16, 1, modes[m], 2);
            p.queue_depth = depths[k];
            uint16_t *frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
            assert_non_null(frame);
            struct fake_device d = {.fail_at_submit = -1};
            struct tr_run run;
            char err[256];
            assert_int_equal(run_fake(&p, &d, frame, &run, err, sizeof(err)), 0);
            assert_true(run.complete);
            assert_int_equal(run.n_records, run.tiles_total);
            assert_int_equal(atomic_load(&d.most_queued), (int)depths[k]);
            assert_int_equal(atomic_load(&d.closed_with_queued), 0);
            check_lanes_do_not_overlap(&run, run.lanes);
            /* every tile was rendered, by the tile the record names */
            for (size_t i = 0; i < run.n_records; i++) {
                const struct tr_record *r = &run.records[i];
                assert_int_equal(frame[(size_t)r->tile_y * p.width + r->tile_x], r->task_id + 1);
            }
            tr_run_free(&run);
            free(frame);
        }
    }
}

/* The limit is checked as each tile is queued and again when the device could begin it: no
 * tile begins at or after the limit, at any depth, and the tiles it cut have no record. */
static void test_queued_backend_time_limit(void **state)
{
    (void)state;
    for (uint32_t depth = 1; depth <= 16; depth *= 4) {
        struct tr_params p = frame_params(640, 640, 8, 8, 1, TR_MODE_DYNAMIC, 2);
        p.queue_depth = depth;
        p.time_limit_ms = 30;
        uint16_t *frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
        assert_non_null(frame);
        struct fake_device d = {.fail_at_submit = -1};
        struct tr_run run;
        char err[256];
        assert_int_equal(run_fake(&p, &d, frame, &run, err, sizeof(err)), 0);
        assert_true(run.time_limited);
        assert_true(run.n_records > 0 && run.n_records < run.tiles_total);
        check_lanes_do_not_overlap(&run, run.lanes);
        for (size_t i = 0; i < run.n_records; i++)
            assert_true(run.records[i].start_ns < 30000000);
        tr_run_free(&run);
        free(frame);
    }
}

/* A failed submit ends the run with its error; the lane is closed with tiles still queued,
 * which the backend must finish or drop (the OpenCL lane waits for them). */
static void test_queued_backend_failure(void **state)
{
    (void)state;
    struct tr_params p = frame_params(160, 160, 16, 16, 1, TR_MODE_SEQUENTIAL, 1);
    p.queue_depth = 3;
    uint16_t *frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
    assert_non_null(frame);
    struct fake_device d = {.fail_at_submit = 40};
    struct tr_run run;
    char err[256] = "";
    assert_int_equal(run_fake(&p, &d, frame, &run, err, sizeof(err)), TR_ERR_DEVICE);
    assert_string_equal(err, "device lost at tile 40");
    assert_int_equal(atomic_load(&d.closed_with_queued), 1);
    tr_run_free(&run);
    free(frame);
}

/* A synchronous backend whose lane 0 sleeps on every tile: the other lanes run out of their
 * own chunks early and must steal lane 0's. Each pixel gets its task_id + 1. */
struct sleepy_device {
    uint16_t *frame;
    uint32_t width;
    long lane0_sleep_ns;
    atomic_uint renders[4096]; /* by task_id */
};
struct sleepy_lane {
    struct sleepy_device *d;
    uint32_t lane;
};

static int sleepy_open(void *self, uint32_t lane, void **ctx, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    struct sleepy_lane *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    *l = (struct sleepy_lane){self, lane};
    *ctx = l;
    return 0;
}

static int sleepy_render(void *ctx, const struct tr_tile *t, int64_t *device_ns, char *err,
                         size_t errlen)
{
    (void)device_ns, (void)err, (void)errlen;
    struct sleepy_lane *l = ctx;
    if (l->lane == 0) {
        struct timespec ts = {0, l->d->lane0_sleep_ns};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&l->d->renders[t->task_id], 1);
    for (uint32_t y = t->y; y < t->y + t->h; y++)
        for (uint32_t x = t->x; x < t->x + t->w; x++)
            l->d->frame[(size_t)y * l->d->width + x] = (uint16_t)(t->task_id + 1);
    return 0;
}

static void sleepy_close(void *ctx)
{
    free(ctx);
}

static const struct tr_backend_ops sleepy_ops = {
    .lane_open = sleepy_open,
    .render_tile = sleepy_render,
    .lane_close = sleepy_close,
};

/* Every tile once, stolen ones marked (exactly those off their concurrent-mode lane), steals
 * counted, and at least one tile of the slow lane's chunk rendered by a thief. */
static void check_stealing_run(const struct tr_run *run, const struct tr_params *p,
                               const uint16_t *frame)
{
    assert_true(run->complete);
    assert_int_equal(run->n_records, run->tiles_total);
    unsigned char *seen = calloc(run->tiles_total, 1);
    assert_non_null(seen);
    uint32_t chunk = tr_chunk_size(run->tiles_total, p->num_threads);
    size_t stolen = 0, taken_from_slow = 0;
    for (size_t i = 0; i < run->n_records; i++) {
        const struct tr_record *r = &run->records[i];
        assert_int_equal(seen[r->task_id]++, 0);
        uint32_t owner = r->task_id / chunk;
        assert_int_equal(r->stolen, r->thread_id != owner);
        stolen += r->stolen != 0;
        taken_from_slow += owner == 0 && r->thread_id != 0;
        assert_int_equal(frame[(size_t)r->tile_y * p->width + r->tile_x], r->task_id + 1);
    }
    assert_true(stolen > 0);
    assert_true(taken_from_slow > 0);
    assert_non_null(run->steals);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < run->lanes; i++)
        sum += run->steals[i];
    assert_int_equal(sum, run->steals_total);
    assert_true(run->steals_total > 0);
    assert_true(run->steals_total <= stolen + run->lanes); /* a steal takes 1 tile or more */
    free(seen);
}

static void test_steal_from_slow_lane(void **state)
{
    (void)state;
    /* 64 tiles, 4 lanes of 16: lane 0 needs 16 x 2 ms, the others a few microseconds */
    struct tr_params p = frame_params(64, 64, 8, 8, 1, TR_MODE_STEAL, 4);
    struct sleepy_device *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    d->width = p.width;
    d->lane0_sleep_ns = 2000000;
    d->frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
    assert_non_null(d->frame);
    struct tr_backend b = {&sleepy_ops, d};
    struct tr_run run;
    char err[256];
    assert_int_equal(tr_run_tiles(&p, d->frame, &b, NULL, &run, err, sizeof(err)), 0);
    check_stealing_run(&run, &p, d->frame);
    for (uint32_t id = 0; id < run.tiles_total; id++)
        assert_int_equal(atomic_load(&d->renders[id]), 1);
    /* the thieves took most of lane 0's chunk: it rendered fewer than its 16 tiles */
    assert_true(run.steals[0] == 0 || run.steals_total > run.steals[0]);
    size_t lane0 = 0;
    for (size_t i = 0; i < run.n_records; i++)
        lane0 += run.records[i].thread_id == 0;
    assert_true(lane0 < 16);
    tr_run_free(&run);

    /* with the output thread: same records, same marks */
    memset(d->frame, 0, (size_t)p.width * p.height * sizeof(uint16_t));
    for (uint32_t id = 0; id < 4096; id++)
        atomic_store(&d->renders[id], 0);
    struct tr_run_hooks hooks = {.on_tile = count_on_tile, .user = NULL, .want_counts = 1};
    atomic_store(&on_tile_count, 0);
    assert_int_equal(tr_run_tiles(&p, d->frame, &b, &hooks, &run, err, sizeof(err)), 0);
    check_stealing_run(&run, &p, d->frame);
    assert_int_equal(atomic_load(&on_tile_count), (int)run.tiles_total);
    tr_run_free(&run);
    free(d->frame);
    free(d);
}

/* A queued device (depth 3) whose lane 0 is slow: stolen tiles go through the same start
 * checks, and a lane's tiles stay in the order it took them (records never overlap). */
static void test_steal_queued_slow_lane(void **state)
{
    (void)state;
    struct tr_params p = frame_params(96, 96, 8, 8, 1, TR_MODE_STEAL, 3);
    p.queue_depth = 3;
    uint16_t *frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
    assert_non_null(frame);
    struct fake_device d = {.fail_at_submit = -1, .slow_us = 3000};
    struct tr_run run;
    char err[256];
    assert_int_equal(run_fake(&p, &d, frame, &run, err, sizeof(err)), 0);
    check_stealing_run(&run, &p, frame);
    check_lanes_do_not_overlap(&run, run.lanes);
    assert_int_equal(atomic_load(&d.closed_with_queued), 0);
    tr_run_free(&run);

    /* and under a time limit: nothing starts at or after it, stolen or not */
    struct tr_params q = frame_params(640, 640, 8, 8, 1, TR_MODE_STEAL, 3);
    q.queue_depth = 3;
    q.time_limit_ms = 30;
    uint16_t *big = calloc((size_t)q.width * q.height, sizeof(uint16_t));
    assert_non_null(big);
    struct fake_device e = {.fail_at_submit = -1, .slow_us = 3000};
    assert_int_equal(run_fake(&q, &e, big, &run, err, sizeof(err)), 0);
    assert_true(run.time_limited);
    check_lanes_do_not_overlap(&run, run.lanes);
    for (size_t i = 0; i < run.n_records; i++)
        assert_true(run.records[i].start_ns < 30000000);
    tr_run_free(&run);
    free(big);
    free(frame);
}

/* A synchronous backend that notes which threads rendered. */
#define OUTPUT_TILES 3000
struct noting_device {
    uint16_t *frame;
    uint32_t width;
    pthread_t renderer[OUTPUT_TILES];
    atomic_int on_tile_calls;
    atomic_int on_tile_in_lane, counts_missing;
    unsigned char called[OUTPUT_TILES];
    pthread_t caller; /* the thread that runs tr_run_tiles */
    int output_nice;  /* of the thread other than the caller's that delivered tiles */
};

static int noting_open(void *self, uint32_t lane, void **ctx, char *err, size_t errlen)
{
    (void)lane, (void)err, (void)errlen;
    *ctx = self;
    return 0;
}

static int noting_render(void *ctx, const struct tr_tile *t, int64_t *device_ns, char *err,
                         size_t errlen)
{
    (void)device_ns, (void)err, (void)errlen;
    struct noting_device *d = ctx;
    d->renderer[t->task_id] = pthread_self();
    for (uint32_t y = t->y; y < t->y + t->h; y++)
        for (uint32_t x = t->x; x < t->x + t->w; x++)
            d->frame[(size_t)y * d->width + x] = (uint16_t)(t->task_id * 7 + x);
    return 0;
}

static const struct tr_backend_ops noting_ops = {
    .lane_open = noting_open,
    .render_tile = noting_render,
};

/* A slow consumer: each tile takes it a while, so the lanes outrun it and fill the queue. */
static void slow_on_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    struct noting_device *d = user;
    if (pthread_equal(d->renderer[rec->task_id], pthread_self()))
        atomic_store(&d->on_tile_in_lane, 1);
    if (frame[(size_t)rec->tile_y * d->width + rec->tile_x] !=
        (uint16_t)(rec->task_id * 7 + rec->tile_x))
        atomic_store(&d->counts_missing, 1);
    d->called[rec->task_id]++;
    atomic_fetch_add(&d->on_tile_calls, 1);
    if (!pthread_equal(d->caller, pthread_self()))
        d->output_nice = getpriority(PRIO_PROCESS, (id_t)gettid());
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
}

static void test_output_thread(void **state)
{
    (void)state;
    struct tr_params p = frame_params(OUTPUT_TILES, 2, 1, 2, 1, TR_MODE_DYNAMIC, 2);
    struct noting_device *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    d->width = p.width;
    d->frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
    assert_non_null(d->frame);
    atomic_init(&d->on_tile_calls, 0);
    atomic_init(&d->on_tile_in_lane, 0);
    atomic_init(&d->counts_missing, 0);
    d->caller = pthread_self();
    struct tr_backend b = {&noting_ops, d};
    struct tr_run_hooks hooks = {
        .on_tile = slow_on_tile, .user = d, .want_counts = 1, .output_queue_tiles = 64};
    struct tr_run run;
    char err[256];
    assert_int_equal(tr_run_tiles(&p, d->frame, &b, &hooks, &run, err, sizeof(err)), 0);
    assert_true(run.complete);
    assert_int_equal(atomic_load(&d->on_tile_calls), OUTPUT_TILES);
    for (uint32_t i = 0; i < OUTPUT_TILES; i++)
        assert_int_equal(d->called[i], 1);
    assert_int_equal(atomic_load(&d->on_tile_in_lane), 0); /* never in a lane */
    assert_int_equal(atomic_load(&d->counts_missing), 0);
    assert_true(run.had_consumer);
    assert_true(run.output_wait_ns > 0); /* 3000 slow tiles overfill a queue of 64 */
    /* the output thread yields the CPUs to the lanes (the caller's thread finishes the rest) */
    assert_int_equal(d->output_nice, 19);
    size_t pixels = (size_t)p.width * p.height;
    assert_int_equal(run.checksum, tr_fnv1a64_counts(d->frame, pixels));
    assert_int_equal(run.total_iterations, tr_sum_counts(d->frame, pixels));
    tr_run_free(&run);

    /* Without a consumer nothing waits, and the digest is the same. */
    memset(d->frame, 0, pixels * sizeof(uint16_t));
    assert_int_equal(tr_run_tiles(&p, d->frame, &b, NULL, &run, err, sizeof(err)), 0);
    assert_false(run.had_consumer);
    assert_int_equal(run.output_wait_ns, 0);
    assert_int_equal(run.checksum, tr_fnv1a64_counts(d->frame, pixels));
    tr_run_free(&run);
    free(d->frame);
    free(d);
}

/* A backend whose tile counts reach the frame only in read_wait, which must run outside the
 * lanes and before anyone reads the counts. */
struct pending_read {
    struct tr_tile tile;
    pthread_t lane;
};

struct late_device {
    uint16_t *frame;
    uint32_t width;
    int fail_read_of; /* task_id whose read fails, or -1 */
    atomic_int waits_in_lane, waits;
    atomic_int counts_missing;
};

static int late_render(void *ctx, const struct tr_tile *t, int64_t *device_ns, char *err,
                       size_t errlen)
{
    (void)ctx, (void)t, (void)device_ns, (void)err, (void)errlen;
    return 0; /* the counts stay "on the device" until read */
}

static int late_read_start(void *ctx, const struct tr_tile *t, void **pending, char *err,
                           size_t errlen)
{
    (void)ctx, (void)err, (void)errlen;
    struct pending_read *r = malloc(sizeof(*r));
    assert_non_null(r);
    r->tile = *t;
    r->lane = pthread_self();
    *pending = r;
    return 0;
}

static int late_read_wait(void *self, void *pending, char *err, size_t errlen)
{
    struct late_device *d = self;
    struct pending_read *r = pending;
    struct tr_tile t = r->tile;
    atomic_fetch_add(&d->waits, 1);
    if (pthread_equal(r->lane, pthread_self()))
        atomic_store(&d->waits_in_lane, 1);
    free(r);
    if ((int)t.task_id == d->fail_read_of) {
        snprintf(err, errlen, "read of tile %u failed", t.task_id);
        return TR_ERR_DEVICE;
    }
    for (uint32_t y = t.y; y < t.y + t.h; y++)
        for (uint32_t x = t.x; x < t.x + t.w; x++)
            d->frame[(size_t)y * d->width + x] = (uint16_t)(t.task_id + y);
    return 0;
}

static void late_on_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    struct late_device *d = user;
    if (frame[(size_t)rec->tile_y * d->width + rec->tile_x] !=
        (uint16_t)(rec->task_id + rec->tile_y))
        atomic_store(&d->counts_missing, 1);
}

static const struct tr_backend_ops late_ops = {
    .lane_open = noting_open,
    .render_tile = late_render,
    .read_tile_start = late_read_start,
    .read_wait = late_read_wait,
};

static void test_reads_waited_outside_lanes(void **state)
{
    (void)state;
    for (int fail = 0; fail < 2; fail++) {
        struct tr_params p = frame_params(200, 90, 16, 8, 1, TR_MODE_DYNAMIC, 2);
        struct late_device d = {.width = p.width, .fail_read_of = fail ? 37 : -1};
        size_t pixels = (size_t)p.width * p.height;
        d.frame = calloc(pixels, sizeof(uint16_t));
        assert_non_null(d.frame);
        atomic_init(&d.waits, 0);
        atomic_init(&d.waits_in_lane, 0);
        atomic_init(&d.counts_missing, 0);
        struct tr_backend b = {&late_ops, &d};
        struct tr_run_hooks hooks = {.on_tile = late_on_tile, .user = &d, .want_counts = 1};
        struct tr_run run;
        char err[256];
        int rc = tr_run_tiles(&p, d.frame, &b, &hooks, &run, err, sizeof(err));
        assert_int_equal(atomic_load(&d.waits_in_lane), 0);
        assert_int_equal(atomic_load(&d.counts_missing), 0);
        if (fail) {
            assert_int_equal(rc, TR_ERR_DEVICE);
            assert_string_equal(err, "read of tile 37 failed");
        } else {
            assert_int_equal(rc, 0);
            assert_true(run.complete);
            assert_int_equal(atomic_load(&d.waits), (int)run.tiles_total);
            assert_int_equal(run.checksum, tr_fnv1a64_counts(d.frame, pixels));
            assert_int_equal(run.total_iterations, tr_sum_counts(d.frame, pixels));
            tr_run_free(&run);
        }
        free(d.frame);
    }
}

/* The record's text written directly is cJSON's, byte for byte. */
static void test_record_text_is_cjson(void **state)
{
    (void)state;
    const int64_t times[] = {
        0, 999, 1000, 123456789, 999999999999999LL, 1000000000000000LL, 4611686018427387904LL};
    for (size_t a = 0; a < 7; a++) {
        for (size_t b = 0; b < 7; b++) {
            for (int dev = -1; dev < 7; dev++) {
                struct tr_record r = {.task_id = (uint32_t)(a * 31 + b),
                                      .thread_id = (uint32_t)b,
                                      .tile_x = 4294967295u,
                                      .tile_y = 64,
                                      .tile_w = 1,
                                      .tile_h = 65535,
                                      .pixels_computed = (uint64_t)times[b] / 1000 + 1,
                                      .start_ns = times[a],
                                      .duration_ns = times[b],
                                      .device_time_ns = dev < 0 ? -1 : times[dev]};
                cJSON *o = tr_record_to_json(&r);
                char *expected = cJSON_PrintUnformatted(o);
                char *written = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&written, &len);
                assert_non_null(f);
                assert_int_equal(tr_record_write(f, &r), 0);
                assert_int_equal(fclose(f), 0);
                assert_string_equal(written, expected);
                free(written);
                cJSON_free(expected);
                cJSON_Delete(o);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_every_mode),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_golden_frames),
        cmocka_unit_test(test_queued_backend),
        cmocka_unit_test(test_queued_backend_time_limit),
        cmocka_unit_test(test_queued_backend_failure),
        cmocka_unit_test(test_steal_from_slow_lane),
        cmocka_unit_test(test_steal_queued_slow_lane),
        cmocka_unit_test(test_output_thread),
        cmocka_unit_test(test_reads_waited_outside_lanes),
        cmocka_unit_test(test_record_text_is_cjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
