/*
 * Runs without a frame (tr_run_hooks.tile_slots): each tile's counts reach on_tile packed in a
 * slot of a bounded pool. A consumer that copies each tile into a frame of its own assembles
 * the same frame as a run with a frame, on every CPU kernel, precision and mode, and on pocl.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"

#include "core/checksum.h"
#include "core/scheduler.h"
#include "core/status.h"
#include "core/tile_grid.h"
#include "cpu/kernels.h"
#include "devices/job.h"
#include "frame_params.h"
#include "golden.h"
#ifdef TILERACE_HAVE_OPENCL
#include "opencl/cache_dir.h"
#endif

#define MAX_SEEN_SLOTS 4096

/* The consumer: the frame it assembles, and every slot pointer it was handed. */
struct assembler {
    uint32_t width, height;
    uint16_t *frame;
    unsigned char *delivered; /* by task_id */
    uint64_t tiles, iterations;
    const uint16_t *seen[MAX_SEEN_SLOTS];
    size_t n_seen;
    useconds_t delay_us; /* a slow consumer: the lanes wait for slots or queue room */
};

static void assemble(void *user, const struct tr_record *rec, const uint16_t *counts)
{
    struct assembler *a = user;
    assert_non_null(counts);
    assert_int_equal(a->delivered[rec->task_id], 0);
    a->delivered[rec->task_id] = 1;
    a->tiles++;
    for (uint32_t y = 0; y < rec->tile_h; y++) {
        const uint16_t *row = counts + (size_t)y * rec->tile_w;
        memcpy(a->frame + (size_t)(rec->tile_y + y) * a->width + rec->tile_x, row,
               rec->tile_w * sizeof(uint16_t));
        for (uint32_t x = 0; x < rec->tile_w; x++)
            a->iterations += row[x];
    }
    size_t i = 0;
    while (i < a->n_seen && a->seen[i] != counts)
        i++;
    if (i == a->n_seen) {
        assert_true(a->n_seen < MAX_SEEN_SLOTS);
        a->seen[a->n_seen++] = counts;
    }
    if (a->delay_us)
        usleep(a->delay_us);
}

/* On the CPU path. */
static struct tr_params params(uint32_t w, uint32_t h, uint32_t tw, uint32_t th, uint32_t it,
                               enum tr_mode mode, uint32_t threads)
{
    struct tr_params p = frame_params(w, h, tw, th, it, mode, threads);
    snprintf(p.device, sizeof(p.device), "cpu");
    return p;
}

/* The same run with a frame: its checksum and total. */
static void run_with_frame(const struct tr_params *p, const char *isa, uint64_t *checksum,
                           uint64_t *total)
{
    struct tr_job_options jo = {0};
    struct tr_job job;
    char err[256];
    jo.cpu_isa = isa;
    assert_int_equal(tr_job_run(p, &jo, &job, err, sizeof(err)), 0);
    assert_true(job.run.complete);
    *checksum = job.run.checksum;
    *total = job.run.total_iterations;
    tr_job_free(&job);
}

/*
 * Runs p without a frame into a; checks what every such run must show, and returns the
 * status of tr_job_run (so a caller can tell a missing device). queue_tiles: the hooks'
 * output_queue_tiles (0: the default).
 */
static int run_in_slots(const struct tr_params *p, const char *isa, size_t queue_tiles,
                        struct assembler *a, struct tr_job *job)
{
    struct tr_tile_grid g;
    tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
    memset(a->seen, 0, sizeof(a->seen));
    a->width = p->width;
    a->height = p->height;
    a->frame = calloc((size_t)p->width * p->height, sizeof(uint16_t));
    a->delivered = calloc(g.tiles, 1);
    a->tiles = a->iterations = 0;
    a->n_seen = 0;
    assert_non_null(a->frame);
    assert_non_null(a->delivered);
    struct tr_job_options jo = {0};
    char err[256];
    jo.cpu_isa = isa;
    jo.hooks.on_tile = assemble;
    jo.hooks.user = a;
    jo.hooks.tile_slots = 1;
    jo.hooks.output_queue_tiles = queue_tiles;
    int rc = tr_job_run(p, &jo, job, err, sizeof(err));
    if (rc)
        return rc;
    assert_null(job->frame);
    /* every record's tile was delivered once, and no other */
    assert_int_equal(a->tiles, job->run.n_records);
    for (size_t i = 0; i < job->run.n_records; i++)
        assert_int_equal(a->delivered[job->run.records[i].task_id], 1);
    /* the pool: no more distinct slots than it has, fewer than the tiles when they are many,
     * never more than the tiles and a spare a lane */
    assert_true(job->run.tile_slots >= 1);
    assert_true(job->run.tile_slots <= g.tiles + job->run.lanes);
    assert_true(a->n_seen <= job->run.tile_slots);
    /* no frame to hash: the total comes from the slots, the checksum is the consumer's */
    assert_int_equal(job->run.checksum, 0);
    assert_int_equal(job->run.total_iterations, a->iterations);
    uint64_t groups = 0;
    for (uint32_t i = 0; i < job->run.n_groups; i++)
        groups += job->run.groups[i].iterations;
    assert_int_equal(groups, a->iterations);
    return 0;
}

static void assembler_free(struct assembler *a)
{
    free(a->frame);
    free(a->delivered);
    a->frame = NULL;
    a->delivered = NULL;
}

/* The CPU kernels to try: scalar, and each vector ISA this processor has. */
static int cpu_kernels(enum tr_kernel *kernels, const char **isas)
{
    int n = 0;
    kernels[n] = TR_KERNEL_SCALAR;
    isas[n++] = NULL;
    for (int i = TR_CPU_ISA_SSE2; i < TR_CPU_ISA_COUNT; i++) {
        if (!tr_cpu_isa_supported((enum tr_cpu_isa)i))
            continue;
        kernels[n] = TR_KERNEL_VECTOR;
        isas[n++] = tr_cpu_isa_name((enum tr_cpu_isa)i);
    }
    return n;
}

static const struct golden_row *golden_find(const struct golden_row *rows, int n, uint32_t w,
                                            uint32_t h, uint32_t it)
{
    for (int i = 0; i < n; i++)
        if (rows[i].width == w && rows[i].height == h && rows[i].max_iter == it)
            return &rows[i];
    return NULL;
}

static const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC,
                                     TR_MODE_STEAL};
static const enum tr_precision precisions[] = {TR_PRECISION_DOUBLE, TR_PRECISION_FLOAT};

/* Every kernel, precision and mode on a frame that is no multiple of the tile: the assembled
 * frame is the golden one, and the one a run with a frame makes. */
static void test_assembled_frame_is_golden(void **state)
{
    (void)state;
    struct golden_row rows[2][16];
    int n_rows[2] = {golden_load(rows[0], 16),
                     golden_load_path(getenv("TILERACE_GOLDEN_FLOAT"), rows[1], 16)};
    const struct golden_row *want[2];
    for (int pi = 0; pi < 2; pi++) {
        assert_true(n_rows[pi] > 0);
        want[pi] = golden_find(rows[pi], n_rows[pi], 333, 217, 77);
        assert_non_null(want[pi]);
    }
    enum tr_kernel kernels[TR_CPU_ISA_COUNT + 1];
    const char *isas[TR_CPU_ISA_COUNT + 1];
    int n_kernels = cpu_kernels(kernels, isas);
    for (int k = 0; k < n_kernels; k++) {
        for (int pi = 0; pi < 2; pi++) {
            for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
                struct tr_params p = params(333, 217, 32, 16, 77, modes[m], 3);
                p.kernel = kernels[k];
                p.precision = precisions[pi];
                struct assembler a = {0};
                struct tr_job job;
                assert_int_equal(run_in_slots(&p, isas[k], 0, &a, &job), 0);
                assert_true(job.run.complete);
                assert_int_equal(job.run.n_records, 11 * 14);
                uint64_t sum = tr_fnv1a64_counts(a.frame, (size_t)333 * 217);
                assert_int_equal(sum, want[pi]->fnv1a64);
                assert_int_equal(job.run.total_iterations, want[pi]->total_iterations);
                uint64_t frame_sum, frame_total;
                run_with_frame(&p, isas[k], &frame_sum, &frame_total);
                assert_int_equal(sum, frame_sum);
                assert_int_equal(job.run.total_iterations, frame_total);
                tr_job_free(&job);
                assembler_free(&a);
            }
        }
    }
}

/* The pool's size: a slot for each tile a lane, the queue and the output thread may hold;
 * a slow consumer sees no more distinct slots than that, and still gets every tile right. */
static void test_pool_is_bounded(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        struct tr_params p = params(200, 150, 16, 8, 64, modes[m], 3);
        struct tr_tile_grid g;
        tr_tile_grid_init(&g, p.width, p.height, p.tile_w, p.tile_h);
        uint32_t lanes = tr_lane_count(p.mode, g.tiles, 3);
        struct assembler a = {0};
        a.delay_us = 100;
        struct tr_job job;
        assert_int_equal(run_in_slots(&p, NULL, 2, &a, &job), 0);
        assert_true(job.run.complete);
        assert_int_equal(job.run.lanes, lanes);
        assert_int_equal(job.run.tile_slots, lanes + 2 + 2);
        assert_true(a.n_seen <= lanes + 4);
        uint64_t frame_sum, frame_total;
        run_with_frame(&p, NULL, &frame_sum, &frame_total);
        assert_int_equal(tr_fnv1a64_counts(a.frame, (size_t)p.width * p.height), frame_sum);
        tr_job_free(&job);
        assembler_free(&a);
    }
    /* the default queue: still far fewer slots than tiles */
    struct tr_params p = params(640, 480, 16, 16, 32, TR_MODE_DYNAMIC, 2);
    struct assembler a = {0};
    struct tr_job job;
    assert_int_equal(run_in_slots(&p, NULL, 0, &a, &job), 0);
    assert_true(job.run.complete);
    assert_true(job.run.tile_slots < 40 * 30 / 4);
    assert_true(a.n_seen <= job.run.tile_slots);
    tr_job_free(&job);
    assembler_free(&a);
}

/* A time limit cuts the run: the tiles that finished are delivered, the others never took a
 * slot for good, and the run ends. */
static void test_time_limited_run(void **state)
{
    (void)state;
    struct tr_params p = params(1024, 768, 32, 32, 20000, TR_MODE_DYNAMIC, 2);
    p.time_limit_ms = 20;
    struct assembler a = {0};
    struct tr_job job;
    assert_int_equal(run_in_slots(&p, NULL, 0, &a, &job), 0);
    assert_false(job.run.complete);
    assert_true(job.run.time_limited);
    assert_true(job.run.n_records < job.run.tiles_total);
    tr_job_free(&job);
    assembler_free(&a);
}

/* The scheduler refuses a run without a frame that has nobody to hand the tiles to. */
static void test_needs_a_consumer(void **state)
{
    (void)state;
    struct tr_params p = params(64, 64, 16, 16, 16, TR_MODE_DYNAMIC, 2);
    struct tr_job_options jo = {0};
    struct tr_job job;
    char err[256] = "";
    jo.hooks.tile_slots = 1;
    assert_int_equal(tr_job_run(&p, &jo, &job, err, sizeof(err)), TR_ERR_INTERNAL);
    assert_non_null(strstr(err, "tile consumer"));
    tr_job_free(&job);
}

#ifdef TILERACE_HAVE_OPENCL
/* pocl: each tile is read into its slot, never the whole frame. */
/* The run in slots on pocl; skips the test where pocl cannot run, unless
 * TILERACE_REQUIRE_OPENCL=1 makes that a failure. */
static void run_on_pocl(const struct tr_params *p, struct assembler *a, struct tr_job *job)
{
    int rc = run_in_slots(p, NULL, 0, a, job);
    if (rc == TR_ERR_DEVICE) {
        const char *require = getenv("TILERACE_REQUIRE_OPENCL");
        assembler_free(a);
        tr_job_free(job);
        if (require && strcmp(require, "1") == 0)
            fail_msg("TILERACE_REQUIRE_OPENCL=1 and pocl cannot run here");
        skip();
    }
    assert_int_equal(rc, 0);
}

static void test_opencl_slots(void **state)
{
    (void)state;
    struct golden_row rows[16];
    int n_rows = golden_load(rows, 16);
    assert_true(n_rows > 0);
    const struct golden_row *want = golden_find(rows, n_rows, 333, 217, 77);
    assert_non_null(want);
    for (int pi = 0; pi < 2; pi++) {
        for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
            struct tr_params p = params(333, 217, 32, 16, 77, modes[m], 2);
            snprintf(p.device, sizeof(p.device), "pocl");
            p.precision = precisions[pi];
            p.queue_depth = 2;
            struct assembler a = {0};
            struct tr_job job;
            run_on_pocl(&p, &a, &job);
            assert_true(job.run.complete);
            assert_non_null(strstr(job.device.kernel, "opencl"));
            assert_int_equal(job.device.readback_ns, 0); /* no whole-frame read */
            uint64_t sum = tr_fnv1a64_counts(a.frame, (size_t)333 * 217);
            if (p.precision == TR_PRECISION_DOUBLE) {
                assert_int_equal(sum, want->fnv1a64);
                assert_int_equal(job.run.total_iterations, want->total_iterations);
            }
            struct tr_job framed;
            char err[256];
            assert_int_equal(tr_job_run(&p, NULL, &framed, err, sizeof(err)), 0);
            assert_int_equal(sum, framed.run.checksum);
            assert_int_equal(job.run.total_iterations, framed.run.total_iterations);
            tr_job_free(&framed);
            tr_job_free(&job);
            assembler_free(&a);
        }
    }
}

/* Lanes that queue 4 tiles each and a grid of fewer tiles than that: each lane takes a slot
 * before it learns whether a tile is left, and still finds one. */
static void test_opencl_slots_small_grid(void **state)
{
    (void)state;
    const uint32_t widths[] = {64, 128, 320};
    for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
        for (uint32_t lanes = 1; lanes <= 2; lanes++) {
            struct tr_params p = params(widths[i], 64, 64, 64, 50, TR_MODE_DYNAMIC, lanes);
            snprintf(p.device, sizeof(p.device), "pocl");
            p.queue_depth = 4;
            struct assembler a = {0};
            struct tr_job job;
            run_on_pocl(&p, &a, &job);
            assert_true(job.run.complete);
            struct tr_job framed;
            char err[256];
            assert_int_equal(tr_job_run(&p, NULL, &framed, err, sizeof(err)), 0);
            assert_int_equal(tr_fnv1a64_counts(a.frame, (size_t)widths[i] * 64),
                             framed.run.checksum);
            tr_job_free(&framed);
            tr_job_free(&job);
            assembler_free(&a);
        }
    }
}
#endif

int main(void)
{
#ifdef TILERACE_HAVE_OPENCL
    tr_cl_prepare_environment(); /* before any thread, as main() does */
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assembled_frame_is_golden),
        cmocka_unit_test(test_pool_is_bounded),
        cmocka_unit_test(test_time_limited_run),
        cmocka_unit_test(test_needs_a_consumer),
#ifdef TILERACE_HAVE_OPENCL
        cmocka_unit_test(test_opencl_slots),
        cmocka_unit_test(test_opencl_slots_small_grid),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
