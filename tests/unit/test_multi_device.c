/* Several devices in one run: the --device list syntax, and the scheduler over the lanes of
 * several fake backends (one ordered lane list, one clock, one stop flag, one rule). */
#include <string.h>

#include <stdatomic.h>
#include <time.h>

#include "cmocka_all.h"
#include <stdio.h>
#include <stdlib.h>

#include "core/device_spec.h"
#include "core/params.h"
#include "core/scheduler.h"
#include "core/status.h"
#include "core/tile_grid.h"
#include "frame_params.h"

/* ---- the list syntax ---- */

static void test_list_parses(void **state)
{
    (void)state;
    struct tr_device_list l;
    char err[512];
    assert_int_equal(tr_device_list_parse("cpu", 256, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.entries[0].spec.kind, TR_DEVICE_CPU);
    assert_int_equal(l.entries[0].lanes, 0);
    assert_int_equal(tr_device_entry_lanes(&l.entries[0], 7), 7);

    assert_int_equal(
        tr_device_list_parse("cpu@6,gpu@2,opencl:1.0,pocl@256", 256, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 4);
    assert_false(l.all);
    assert_string_equal(l.entries[0].text, "cpu");
    assert_int_equal(l.entries[0].lanes, 6);
    assert_int_equal(l.entries[1].spec.kind, TR_DEVICE_GPU);
    assert_int_equal(l.entries[1].lanes, 2);
    assert_int_equal(l.entries[2].spec.kind, TR_DEVICE_INDEX);
    assert_int_equal(l.entries[2].spec.platform, 1);
    assert_int_equal(l.entries[2].lanes, 0);
    assert_int_equal(tr_device_entry_lanes(&l.entries[2], 3), 3);
    assert_int_equal(l.entries[3].lanes, 256);

    assert_int_equal(tr_device_list_parse("all@2", 256, &l, err, sizeof(err)), 0);
    assert_true(l.all);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.entries[0].lanes, 2);

    /* 16 devices is the most */
    char sixteen[400] = "cpu";
    for (int i = 1; i < TR_MAX_DEVICES; i++)
        snprintf(sixteen + strlen(sixteen), sizeof(sixteen) - strlen(sixteen), ",opencl:0.%d", i);
    assert_int_equal(tr_device_list_parse(sixteen, 256, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, TR_MAX_DEVICES);
}

static void test_list_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"", "'' is not a device"},
        {"cpu,", "'cpu,' has an empty entry"},
        {",cpu", "',cpu' has an empty entry"},
        {"cpu,,pocl", "'cpu,,pocl' has an empty entry"},
        {"cpu,tpu", "'tpu' is not a device"},
        {"cpu@0", "'cpu@0': the lane count '0' is out of range (accepted range 1..256)"},
        {"cpu@257", "'cpu@257': the lane count '257' is out of range (accepted range 1..256)"},
        {"cpu@-1", "'cpu@-1': the lane count '-1' is not a whole number"},
        {"cpu@", "'cpu@': the lane count '' is not a whole number"},
        {"cpu@2@3", "the lane count '2@3' is not a whole number"},
        {"@4", "'' is not a device"},
        {"cpu,cpu@2", "names 'cpu' twice (each device at most once)"},
        {"all,cpu", "'all' already names every device (accepted: all alone)"},
        {"cpu,all", "'all' already names every device"},
        {"all,all", "names 'all' twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tr_device_list l;
        char err[512] = "";
        assert_int_equal(tr_device_list_parse(bad[i].text, 256, &l, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].message))
            fail_msg("'%s': got \"%s\", wanted \"%s\"", bad[i].text, err, bad[i].message);
        assert_null(strchr(err, '\n'));
    }
    char seventeen[400] = "cpu";
    for (int i = 1; i <= TR_MAX_DEVICES; i++)
        snprintf(seventeen + strlen(seventeen), sizeof(seventeen) - strlen(seventeen),
                 ",opencl:0.%d", i);
    struct tr_device_list l;
    char err[512];
    assert_int_equal(tr_device_list_parse(seventeen, 256, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "names more than 16 devices"));
}

static void test_params_check_counts_every_lane(void **state)
{
    (void)state;
    struct tr_params p;
    char err[512];
    tr_params_defaults(&p);
    p.num_threads = 128;
    assert_int_equal(tr_params_set_device(&p, "--device", "cpu,pocl", err, sizeof(err)), 0);
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), 0); /* 256 */
    p.num_threads = 129;
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), TR_ERR_USAGE);
    assert_non_null(strstr(err, "'cpu,pocl' has 258 lanes in all"));
    assert_int_equal(tr_params_set_device(&p, "--device", "cpu@1,pocl@255", err, sizeof(err)), 0);
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), 0);
    assert_int_equal(tr_params_set_device(&p, "--device", "cpu@2,pocl@255", err, sizeof(err)), 0);
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), TR_ERR_USAGE);
    /* the text is kept as given, the whole list */
    assert_int_equal(tr_params_set_device(&p, "device", "cpu@2,opencl:0.0", err, sizeof(err)), 0);
    assert_string_equal(p.device, "cpu@2,opencl:0.0");
    assert_int_equal(tr_params_set_device(&p, "device", "cpu,,pocl", err, sizeof(err)),
                     TR_ERR_USAGE);
    assert_non_null(strstr(err, "device: 'cpu,,pocl' has an empty entry"));
}

/* ---- the scheduler over several fake backends ---- */

/*
 * A fake device: renders a tile by writing task_id + 1 into every pixel, after sleep_us. With
 * own_frame, it renders into a frame of its own and makes its tiles visible only at the end
 * (finish_tiles, as an OpenCL device does); its finish would copy the whole frame, wiping
 * other devices' tiles, and must not be called in a shared run.
 */
struct fake {
    const struct tr_params *p;
    uint16_t *host, *own;
    int own_frame;
    int sleep_us;
    int fail_at; /* task_id whose render fails, or -1 */
    atomic_uint lanes_opened;
    atomic_uint tiles;
    atomic_int whole_finish_called;
    uint64_t finished_tiles;
};

static int fake_open(void *self, uint32_t lane, void **ctx, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    struct fake *f = self;
    atomic_fetch_add(&f->lanes_opened, 1);
    assert_true(lane < 256);
    *ctx = f;
    return 0;
}

static int fake_render(void *ctx, const struct tr_tile *t, int64_t *device_ns, char *err,
                       size_t errlen)
{
    struct fake *f = ctx;
    (void)device_ns;
    if ((int)t->task_id == f->fail_at) {
        snprintf(err, errlen, "fake device lost at tile %u", t->task_id);
        return TR_ERR_DEVICE;
    }
    if (f->sleep_us) {
        struct timespec ts = {0, f->sleep_us * 1000L};
        nanosleep(&ts, NULL);
    }
    uint16_t *frame = f->own_frame ? f->own : f->host;
    for (uint32_t y = t->y; y < t->y + t->h; y++)
        for (uint32_t x = t->x; x < t->x + t->w; x++)
            frame[(size_t)y * f->p->width + x] = (uint16_t)(t->task_id + 1);
    atomic_fetch_add(&f->tiles, 1);
    return 0;
}

static int fake_finish(void *self, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    struct fake *f = self;
    atomic_store(&f->whole_finish_called, 1);
    memcpy(f->host, f->own, (size_t)f->p->width * f->p->height * sizeof(uint16_t));
    return 0;
}

static int fake_finish_tiles(void *self, const struct tr_tile *tiles, size_t n, char *err,
                             size_t errlen)
{
    (void)err, (void)errlen;
    struct fake *f = self;
    for (size_t i = 0; i < n; i++) {
        const struct tr_tile *t = &tiles[i];
        for (uint32_t y = t->y; y < t->y + t->h; y++)
            memcpy(f->host + (size_t)y * f->p->width + t->x,
                   f->own + (size_t)y * f->p->width + t->x, t->w * sizeof(uint16_t));
    }
    f->finished_tiles += n;
    return 0;
}

static const struct tr_backend_ops direct_ops = {.lane_open = fake_open,
                                                 .render_tile = fake_render};
static const struct tr_backend_ops copying_ops = {.lane_open = fake_open,
                                                  .render_tile = fake_render,
                                                  .finish = fake_finish,
                                                  .finish_tiles = fake_finish_tiles};

/* The default max_iter and lanes. */
static struct tr_params params(uint32_t w, uint32_t h, uint32_t tw, uint32_t th, enum tr_mode mode)
{
    struct tr_params d;
    tr_params_defaults(&d);
    return frame_params(w, h, tw, th, d.max_iter, mode, d.num_threads);
}

static void fake_init(struct fake *f, const struct tr_params *p, uint16_t *host, int own_frame)
{
    memset(f, 0, sizeof(*f));
    f->p = p;
    f->host = host;
    f->own_frame = own_frame;
    f->fail_at = -1;
    if (own_frame) {
        f->own = calloc((size_t)p->width * p->height, sizeof(uint16_t));
        assert_non_null(f->own);
    }
    atomic_init(&f->lanes_opened, 0);
    atomic_init(&f->tiles, 0);
    atomic_init(&f->whole_finish_called, 0);
}

/* Checks a complete run over groups: every tile once, lanes in order, the mode's rule. */
static void check_run(const struct tr_params *p, const struct tr_run *run,
                      const struct tr_lane_group *groups, uint32_t n_groups, const uint16_t *frame)
{
    struct tr_tile_grid g;
    tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
    uint32_t all = 0, owner[64];
    for (uint32_t k = 0; k < n_groups; k++)
        for (uint32_t i = 0; i < groups[k].lanes; i++)
            owner[all++] = k;
    uint32_t used = tr_lane_count(p->mode, g.tiles, all);
    assert_int_equal(run->lanes, used);
    assert_true(run->complete);
    assert_int_equal(run->n_records, g.tiles);
    unsigned char *seen = calloc(g.tiles, 1);
    assert_non_null(seen);
    uint64_t tiles[TR_MAX_DEVICES] = {0};
    for (size_t i = 0; i < run->n_records; i++) {
        const struct tr_record *r = &run->records[i];
        assert_int_equal(seen[r->task_id]++, 0);
        assert_true(r->thread_id < used);
        /* thread_id numbers the ordered list: its device is the one that owns that place */
        assert_int_equal(r->device_index, owner[r->thread_id]);
        assert_string_equal(r->device, groups[r->device_index].name);
        tiles[r->device_index]++;
        if (p->mode == TR_MODE_SEQUENTIAL)
            assert_int_equal(r->thread_id, 0);
        else if (p->mode == TR_MODE_CONCURRENT)
            assert_int_equal(r->thread_id, r->task_id / tr_chunk_size(g.tiles, all));
        /* a stolen tile left its chunk of all the devices' lanes */
        assert_int_equal(r->stolen, p->mode == TR_MODE_STEAL &&
                                        r->thread_id != r->task_id / tr_chunk_size(g.tiles, all));
    }
    /* every pixel holds its tile's mark: each device's tiles reached the host frame */
    for (uint32_t id = 0; id < g.tiles; id++) {
        struct tr_tile t = tr_tile_grid_tile(&g, id);
        for (uint32_t y = t.y; y < t.y + t.h; y++)
            for (uint32_t x = t.x; x < t.x + t.w; x++)
                if (frame[(size_t)y * p->width + x] != id + 1)
                    fail_msg("pixel %u,%u: %u, tile %u", x, y, frame[(size_t)y * p->width + x], id);
    }
    assert_int_equal(run->n_groups, n_groups);
    uint64_t sum_tiles = 0, sum_iterations = 0;
    for (uint32_t k = 0; k < n_groups; k++) {
        assert_int_equal(run->groups[k].tiles, tiles[k]);
        sum_tiles += run->groups[k].tiles;
        sum_iterations += run->groups[k].iterations;
    }
    assert_int_equal(sum_tiles, g.tiles);
    assert_int_equal(sum_iterations, run->total_iterations);
    free(seen);
}

static void test_lanes_of_several_devices(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC,
                                  TR_MODE_STEAL};
    const uint32_t splits[][3] = {{1, 1, 0}, {2, 1, 0}, {1, 3, 0}, {2, 2, 2}, {1, 1, 5}};
    const uint32_t tiles[][2] = {{16, 16}, {7, 33}, {100, 1}, {200, 200}};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        for (size_t s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
            for (size_t t = 0; t < sizeof(tiles) / sizeof(tiles[0]); t++) {
                struct tr_params p = params(100, 70, tiles[t][0], tiles[t][1], modes[m]);
                uint16_t *frame = calloc(100 * 70, sizeof(uint16_t));
                assert_non_null(frame);
                struct fake f[3];
                struct tr_backend b[3];
                struct tr_lane_group groups[3];
                static const char *names[] = {"cpu", "opencl:0.0", "opencl:1.0"};
                uint32_t n = splits[s][2] ? 3 : 2;
                for (uint32_t k = 0; k < n; k++) {
                    fake_init(&f[k], &p, frame, k > 0); /* devices after the first copy */
                    b[k] = (struct tr_backend){k > 0 ? &copying_ops : &direct_ops, &f[k]};
                    groups[k] = (struct tr_lane_group){&b[k], splits[s][k], names[k]};
                }
                struct tr_run run;
                char err[256];
                assert_int_equal(tr_run_lanes(&p, frame, groups, n, NULL, &run, err, sizeof(err)),
                                 0);
                check_run(&p, &run, groups, n, frame);
                for (uint32_t k = 1; k < n; k++) {
                    assert_int_equal(atomic_load(&f[k].whole_finish_called), 0);
                    assert_int_equal(f[k].finished_tiles, run.groups[k].tiles);
                }
                for (uint32_t k = 0; k < n; k++)
                    free(f[k].own);
                tr_run_free(&run);
                free(frame);
            }
        }
    }
}

/* One device alone through tr_run_lanes is tr_run_tiles: its finish copies the whole frame. */
static void test_one_device_keeps_its_whole_frame_copy(void **state)
{
    (void)state;
    struct tr_params p = params(64, 48, 16, 16, TR_MODE_DYNAMIC);
    p.num_threads = 3;
    uint16_t *frame = calloc(64 * 48, sizeof(uint16_t));
    struct fake f;
    fake_init(&f, &p, frame, 1);
    struct tr_backend b = {&copying_ops, &f};
    struct tr_run run;
    char err[256];
    assert_int_equal(tr_run_tiles(&p, frame, &b, NULL, &run, err, sizeof(err)), 0);
    assert_int_equal(atomic_load(&f.whole_finish_called), 1);
    assert_int_equal(f.finished_tiles, 0);
    assert_int_equal(run.n_groups, 1);
    assert_int_equal(run.groups[0].tiles, run.n_records);
    assert_int_equal(run.groups[0].lanes, 3);
    assert_null(run.records[0].device); /* no name given: records carry none */
    free(f.own);
    tr_run_free(&run);
    free(frame);
}

/* A device failing mid-run stops every lane of every device; the run reports its error. */
static void test_one_device_failing_ends_the_run(void **state)
{
    (void)state;
    struct tr_params p = params(200, 200, 8, 8, TR_MODE_DYNAMIC);
    uint16_t *frame = calloc(200 * 200, sizeof(uint16_t));
    struct fake f[2];
    struct tr_backend b[2];
    fake_init(&f[0], &p, frame, 0);
    fake_init(&f[1], &p, frame, 1);
    f[1].fail_at = 40;
    f[0].sleep_us = 200;
    b[0] = (struct tr_backend){&direct_ops, &f[0]};
    b[1] = (struct tr_backend){&copying_ops, &f[1]};
    struct tr_lane_group groups[2] = {{&b[0], 2, "cpu"}, {&b[1], 2, "opencl:0.0"}};
    struct tr_run run;
    char err[256] = "";
    assert_int_equal(tr_run_lanes(&p, frame, groups, 2, NULL, &run, err, sizeof(err)),
                     TR_ERR_DEVICE);
    assert_string_equal(err, "fake device lost at tile 40");
    assert_null(run.records);
    /* the others stopped well before the frame's 625 tiles */
    assert_true(atomic_load(&f[0].tiles) + atomic_load(&f[1].tiles) < 625);
    free(f[1].own);
    tr_run_free(&run);
    free(frame);
}

/* One clock and one rule: with a slow device and a fast one, no tile starts at the limit. */
static void test_time_limit_across_devices(void **state)
{
    (void)state;
    const enum tr_mode modes[] = {TR_MODE_CONCURRENT, TR_MODE_DYNAMIC, TR_MODE_STEAL};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        struct tr_params p = params(400, 400, 8, 8, modes[m]);
        p.time_limit_ms = 30;
        uint16_t *frame = calloc(400 * 400, sizeof(uint16_t));
        struct fake f[2];
        struct tr_backend b[2];
        fake_init(&f[0], &p, frame, 0);
        fake_init(&f[1], &p, frame, 1);
        f[0].sleep_us = 100;
        f[1].sleep_us = 2000;
        b[0] = (struct tr_backend){&direct_ops, &f[0]};
        b[1] = (struct tr_backend){&copying_ops, &f[1]};
        struct tr_lane_group groups[2] = {{&b[0], 1, "cpu"}, {&b[1], 2, "opencl:0.0"}};
        struct tr_run run;
        char err[256];
        assert_int_equal(tr_run_lanes(&p, frame, groups, 2, NULL, &run, err, sizeof(err)), 0);
        assert_true(run.time_limited);
        assert_true(run.n_records < run.tiles_total);
        assert_true(run.groups[0].tiles > 0 && run.groups[1].tiles > 0);
        for (size_t i = 0; i < run.n_records; i++)
            assert_true(run.records[i].start_ns < 30 * 1000000LL);
        /* only recorded tiles reached the frame */
        uint64_t marked = 0;
        for (size_t i = 0; i < (size_t)400 * 400; i++)
            marked += frame[i] != 0;
        assert_int_equal(marked, run.n_records * 64);
        free(f[1].own);
        tr_run_free(&run);
        free(frame);
    }
}

/* A backend that keeps its frame until a whole-frame finish cannot share a run. */
static void test_whole_frame_backend_cannot_share(void **state)
{
    (void)state;
    static const struct tr_backend_ops whole_only = {
        .lane_open = fake_open, .render_tile = fake_render, .finish = fake_finish};
    struct tr_params p = params(32, 32, 16, 16, TR_MODE_DYNAMIC);
    uint16_t *frame = calloc(32 * 32, sizeof(uint16_t));
    struct fake f[2];
    fake_init(&f[0], &p, frame, 0);
    fake_init(&f[1], &p, frame, 1);
    struct tr_backend b[2] = {{&direct_ops, &f[0]}, {&whole_only, &f[1]}};
    struct tr_lane_group groups[2] = {{&b[0], 1, "cpu"}, {&b[1], 1, "x"}};
    struct tr_run run;
    char err[256];
    assert_int_equal(tr_run_lanes(&p, frame, groups, 2, NULL, &run, err, sizeof(err)),
                     TR_ERR_INTERNAL);
    assert_int_equal(atomic_load(&f[0].lanes_opened), 0);
    free(f[1].own);
    free(frame);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_parses),
        cmocka_unit_test(test_list_refuses),
        cmocka_unit_test(test_params_check_counts_every_lane),
        cmocka_unit_test(test_lanes_of_several_devices),
        cmocka_unit_test(test_one_device_keeps_its_whole_frame_copy),
        cmocka_unit_test(test_one_device_failing_ends_the_run),
        cmocka_unit_test(test_time_limit_across_devices),
        cmocka_unit_test(test_whole_frame_backend_cannot_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
