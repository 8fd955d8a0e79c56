/* The bench library on made-up numbers: statistics, flags, lists, workloads, the plan and the
 * CSV export's quoting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/flags.h"
#include "bench/list.h"
#include "bench/report.h"
#include "bench/stats.h"
#include "bench/workloads.h"
#include "cmocka_all.h"
#include "core/status.h"

static void test_stats(void **state)
{
    (void)state;
    struct tr_bench_stats s;
    const double odd[] = {5, 1, 4, 2, 3};
    tr_bench_stats_of(odd, 5, &s);
    assert_true(s.median == 3 && s.min == 1 && s.max == 5);
    assert_true(fabs(s.spread - 4.0 / 3) < 1e-12);
    assert_true(s.mad == 1); /* |x - 3|: 2 1 1 0 2 */
    const double even[] = {10, 12, 11, 100};
    tr_bench_stats_of(even, 4, &s);
    assert_true(s.median == 11.5 && s.mad == 1); /* one outlier moves the MAD little */
    const double zeros[] = {0, 0};
    tr_bench_stats_of(zeros, 2, &s);
    assert_true(s.spread == 0);
    assert_int_equal(odd[0], 5); /* the samples are left as they were */
}

static void test_lists(void **state)
{
    (void)state;
    struct tr_bench_list l;
    char err[256];
    assert_int_equal(tr_bench_list_split("--device", "cpu,pocl,opencl:0.0", &l, err, sizeof(err)),
                     0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[2], "opencl:0.0");
    assert_int_equal(tr_bench_list_split("--device", "cpu,", &l, err, sizeof(err)), TR_ERR_USAGE);
    assert_string_equal(err, "--device: 'cpu,' has an empty item");
    assert_int_equal(tr_bench_list_split("--mode", "", &l, err, sizeof(err)), TR_ERR_USAGE);
    assert_int_equal(tr_bench_list_split("--mode", "dynamic,dynamic", &l, err, sizeof(err)),
                     TR_ERR_USAGE);
    assert_string_equal(err, "--mode: 'dynamic,dynamic' names 'dynamic' twice");
}

static void test_workloads(void **state)
{
    (void)state;
    struct tr_bench_workload w;
    char err[512];
    assert_int_equal(tr_bench_workload_parse("default", &w, err, sizeof(err)), 0);
    assert_true(w.width == 1920 && w.height == 1080 && w.max_iter == 1000 && w.about);
    assert_int_equal(tr_bench_workload_parse("1024x768/500", &w, err, sizeof(err)), 0);
    assert_true(w.width == 1024 && w.height == 768 && w.max_iter == 500 && w.tile_w == 64);
    assert_null(w.about);
    assert_string_equal(w.name, "1024x768/500");
    assert_int_equal(tr_bench_workload_parse("100x50/20/8", &w, err, sizeof(err)), 0);
    assert_true(w.tile_w == 8 && w.tile_h == 8);
    static const char *const bad[] = {"",          "x",      "10x10",     "10x10/",
                                      "10x/5",     "0x5/5",  "5x5/0",     "5x5/65536",
                                      "65537x5/5", "5x5/5/", "5x5/5/8/8", "5x5/5x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (tr_bench_workload_parse(bad[i], &w, err, sizeof(err)) != TR_ERR_USAGE)
            fail_msg("'%s' was taken as a workload", bad[i]);
    /* every named workload is documented in the help's table */
    for (size_t i = 0; i < tr_bench_workload_count; i++)
        assert_true(tr_bench_workloads[i].about != NULL);
}

static struct tr_bench_workload frame = {"f", 64, 64, 100, 8, 8, NULL, 1, 1};
static struct tr_bench_device cpu = {"cpu", "host", "CPU", 1, 1};
static struct tr_bench_device gpu = {"gpu", "card", "GPU", 0, 1};

static void result(struct tr_bench_result *r, const struct tr_bench_device *d,
                   const char *kernel_name, double rate, double spread, uint64_t checksum)
{
    memset(r, 0, sizeof(*r));
    r->c.workload = &frame;
    r->c.device = d;
    r->c.precision = TR_PRECISION_DOUBLE;
    snprintf(r->kernel_name, sizeof(r->kernel_name), "%s", kernel_name);
    r->threads_used = 2;
    r->runs = 3;
    r->gips[0] = rate * (1 - spread / 2);
    r->gips[1] = rate;
    r->gips[2] = rate * (1 + spread / 2);
    tr_bench_stats_of(r->gips, 3, &r->gips_stats);
    r->checksum = checksum;
    r->of_ceiling = -1;
}

static void test_judge(void **state)
{
    (void)state;
    struct tr_bench_ceilings ceil;
    struct tr_bench_result r[4];
    memset(&ceil, 0, sizeof(ceil));
    tr_bench_ceiling_want(&ceil, TR_CPU_ISA_SCALAR, TR_PRECISION_DOUBLE, 2);
    ceil.c[0].samples[0] = ceil.c[0].samples[1] = 1.0;
    ceil.c[0].n = 2;
    tr_bench_stats_of(ceil.c[0].samples, 2, &ceil.c[0].stats);

    result(&r[0], &cpu, "scalar-double", 0.5, 0.1, 7);        /* plain: half the ceiling */
    result(&r[1], &cpu, "scalar-double", 1.2, 0.1, 7);        /* faster than the loop can go */
    result(&r[2], &gpu, "opencl-scalar-double", 9.0, 0.5, 7); /* no ceiling; runs disagree */
    result(&r[3], &cpu, "scalar-double", 0.4, 0.0, 8);        /* another frame */
    assert_int_equal(tr_bench_judge(r, 4, &ceil), 3);
    assert_int_equal(r[0].flags, 0);
    assert_true(fabs(r[0].of_ceiling - 0.5) < 1e-12);
    assert_string_equal(r[0].ceiling_isa, "scalar");
    assert_int_equal(r[1].flags, TR_BENCH_FLAG_ABOVE_CEILING);
    assert_int_equal(r[2].flags, TR_BENCH_FLAG_WIDE_SPREAD);
    assert_true(r[2].of_ceiling < 0);
    assert_int_equal(r[3].flags, TR_BENCH_FLAG_CHECKSUM_DIFFERS);

    /* two rows that disagree: neither frame is known right, both are flagged */
    result(&r[0], &cpu, "scalar-double", 0.5, 0.0, 1);
    result(&r[1], &cpu, "scalar-double", 0.5, 0.0, 2);
    assert_int_equal(tr_bench_judge(r, 2, &ceil), 2);
    assert_int_equal(r[0].flags & r[1].flags, TR_BENCH_FLAG_CHECKSUM_DIFFERS);
    /* a ceiling whose samples disagree is flagged itself */
    ceil.c[0].samples[1] = 2.0;
    tr_bench_stats_of(ceil.c[0].samples, 2, &ceil.c[0].stats);
    tr_bench_judge(r, 2, &ceil);
    assert_int_equal(ceil.c[0].flags, TR_BENCH_FLAG_WIDE_SPREAD);
    for (unsigned b = 0; b < TR_BENCH_FLAG_COUNT; b++)
        assert_true(strlen(tr_bench_flag_note(b)) > 20);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    struct tr_bench_plan plan;
    struct tr_bench_devices devs;
    struct tr_bench_report rep;
    struct tr_bench_result r;
    struct tr_bench_device odd = {"opencl:0.0", "Acme \"Turbo\", rev 2", "CPU", 0, 1};
    memset(&plan, 0, sizeof(plan));
    memset(&devs, 0, sizeof(devs));
    memset(&rep, 0, sizeof(rep));
    result(&r, &odd, "opencl-vector-double", 1, 0, 3);
    snprintf(r.device_name, sizeof(r.device_name), "%s", odd.name);
    r.of_ceiling = -1;
    rep.plan = &plan;
    rep.devices = &devs;
    rep.results = &r;
    rep.n_results = 1;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(tr_bench_write_csv(f, &rep), 0);
    fclose(f);
    assert_non_null(strstr(text, ",\"Acme \"\"Turbo\"\", rev 2\","));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats),       cmocka_unit_test(test_lists),
        cmocka_unit_test(test_workloads),   cmocka_unit_test(test_judge),
        cmocka_unit_test(test_csv_quoting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
