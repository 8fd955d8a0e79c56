/* The scheduler and the CPU path through the job API: records, modes, time limit, golden. */
#include <string.h>

#include "cmocka_all.h"
#include "golden.h"
#include "job.h"
#include "tile_grid.h"

static struct tr_params params(uint32_t w, uint32_t h, uint32_t tw, uint32_t th, uint32_t it,
                               enum tr_mode mode, uint32_t threads)
{
    struct tr_params p;
    tr_params_defaults(&p);
    p.width = w;
    p.height = h;
    p.tile_w = tw;
    p.tile_h = th;
    p.max_iter = it;
    p.mode = mode;
    p.num_threads = threads;
    p.time_limit_ms = 0;
    return p;
}

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
        } else {
            assert_true(r->thread_id < p->num_threads);
        }
        assert_true(r->start_ns >= 0);
        assert_true(r->duration_ns >= 0);
        assert_int_equal(r->device_time_ns, -1);
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

static void test_records_every_mode(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC};
    const uint32_t threads[] = {1, 2, 3, 4, 7, 64};
    for (size_t m = 0; m < 3; m++) {
        for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
            struct tr_params p = params(100, 70, 32, 16, 64, modes[m], threads[t]);
            struct tr_job job;
            char err[256];
            assert_int_equal(tr_job_run(&p, NULL, &job, err, sizeof(err)), 0);
            assert_int_equal(job.run.tiles_total, 4 * 5);
            assert_int_equal(job.run.n_records, 20);
            assert_true(job.run.complete);
            assert_false(job.run.time_limited);
            uint32_t lanes = modes[m] == TR_MODE_SEQUENTIAL   ? 1
                             : modes[m] == TR_MODE_CONCURRENT ? tr_chunk_count(20, threads[t])
                                                              : (threads[t] < 20 ? threads[t] : 20);
            assert_int_equal(job.run.lanes, lanes);
            check_records(&job);
            tr_job_free(&job);
        }
    }
}

static void test_time_limit(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC};
    for (size_t m = 0; m < 3; m++) {
        /* far too much work for 60 ms: the black interior at 65535 iterations */
        struct tr_params p = params(1024, 1024, 16, 16, 65535, modes[m], 2);
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
    };
    for (int i = 0; i < n; i++) {
        for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
            /* the 458M-iteration frame once per mode keeps the sanitizer builds quick */
            if (rows[i].total_iterations > 100000000 && c % 2 == 1)
                continue;
            struct tr_params p = params(rows[i].width, rows[i].height, configs[c].tw, configs[c].th,
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_every_mode),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_golden_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
