/* The scheduler's pinning: with pin_lanes, lane i runs on the (pin_first + i)-th CPU this
 * process may use, round-robin; seen from inside each lane with sched_getcpu. */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "cmocka_all.h"
#include <stdlib.h>

#include "core/params.h"
#include "core/scheduler.h"
#include "core/status.h"

#define LANES 3

/* Where each lane's thread was when it opened its device (after it was pinned). */
struct seen {
    atomic_int cpu[LANES];
};

static int seen_open(void *self, uint32_t lane, void **lane_ctx, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    struct seen *s = self;
    atomic_store(&s->cpu[lane], sched_getcpu());
    *lane_ctx = s;
    return 0;
}

static int seen_render(void *lane_ctx, const struct tr_tile *tile, int64_t *device_time_ns,
                       char *err, size_t errlen)
{
    (void)lane_ctx, (void)tile, (void)device_time_ns, (void)err, (void)errlen;
    return 0;
}

static const struct tr_backend_ops seen_ops = {.lane_open = seen_open, .render_tile = seen_render};

/* The k-th CPU (0-based) of set. */
static int nth_allowed(const cpu_set_t *set, int k)
{
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set) && k-- == 0)
            return cpu;
    return -1;
}

static void test_lanes_start_at_pin_first(void **state)
{
    (void)state;
    cpu_set_t allowed;
    assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
    int n_cpus = CPU_COUNT(&allowed);
    struct tr_params p;
    tr_params_defaults(&p);
    p.width = 48; /* one tile per lane */
    p.height = 16;
    p.tile_w = 16;
    p.tile_h = 16;
    p.mode = TR_MODE_CONCURRENT;
    p.num_threads = LANES;
    p.time_limit_ms = 0;
    uint16_t *frame = calloc((size_t)p.width * p.height, sizeof(uint16_t));
    assert_non_null(frame);
    /* past the CPUs too: the numbering wraps around */
    const uint32_t firsts[] = {0, 1, 2, 5, 255};
    for (size_t f = 0; f < sizeof(firsts) / sizeof(firsts[0]); f++) {
        struct seen s;
        for (int i = 0; i < LANES; i++)
            atomic_init(&s.cpu[i], -1);
        struct tr_backend b = {&seen_ops, &s};
        struct tr_run_hooks hooks;
        memset(&hooks, 0, sizeof(hooks));
        hooks.pin_lanes = 1;
        hooks.pin_first = firsts[f];
        struct tr_run run;
        char err[256];
        assert_int_equal(tr_run_tiles(&p, frame, &b, &hooks, &run, err, sizeof(err)), 0);
        assert_int_equal(run.lanes, LANES);
        cpu_set_t seen_cpus, lane_cpus;
        CPU_ZERO(&seen_cpus);
        for (int i = 0; i < LANES; i++) {
            assert_int_equal(
                atomic_load(&s.cpu[i]),
                nth_allowed(&allowed, (int)((firsts[f] + (uint32_t)i) % (uint32_t)n_cpus)));
            CPU_SET(atomic_load(&s.cpu[i]), &seen_cpus);
        }
        /* tr_lane_cpus says the same CPUs */
        assert_int_equal(tr_lane_cpus(&hooks, LANES, &lane_cpus), 0);
        assert_true(CPU_EQUAL(&lane_cpus, &seen_cpus));
        tr_run_free(&run);
    }
    free(frame);
}

/* No pinned lanes, or none at all: no CPUs. */
static void test_lane_cpus_of_unpinned_lanes(void **state)
{
    (void)state;
    struct tr_run_hooks hooks;
    memset(&hooks, 0, sizeof(hooks));
    cpu_set_t cpus;
    assert_int_equal(tr_lane_cpus(&hooks, 2, &cpus), -1);
    assert_int_equal(CPU_COUNT(&cpus), 0);
    hooks.pin_lanes = 1;
    assert_int_equal(tr_lane_cpus(&hooks, 0, &cpus), -1);
    assert_int_equal(CPU_COUNT(&cpus), 0);
    assert_int_equal(tr_lane_cpus(NULL, 2, &cpus), -1);
    assert_int_equal(tr_lane_cpus(&hooks, 1, &cpus), 0);
    assert_int_equal(CPU_COUNT(&cpus), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes_start_at_pin_first),
        cmocka_unit_test(test_lane_cpus_of_unpinned_lanes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
