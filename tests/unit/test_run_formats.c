/* The run's other formats and the comparison of runs, on made-up jobs and runs: CSV cells from
 * the record fields, the summary's lines for a complete and a cut run, the table's alignment,
 * and compare's ratios, verdicts and labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/job.h"
#include "output/records_csv.h"
#include "output/run_comparison.h"
#include "output/summary_text.h"
#include "output/text_table.h"

/* What write(f) printed, NUL-terminated; free it. */
static char *text_of(FILE *f)
{
    long n = ftell(f);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static struct tr_record records[2] = {
    {.task_id = 0,
     .thread_id = 0,
     .tile_x = 0,
     .tile_y = 0,
     .tile_w = 4,
     .tile_h = 3,
     .pixels_computed = 12,
     .start_ns = 1999999,
     .duration_ns = 2500999,
     .device_time_ns = -1},
    {.task_id = 1,
     .thread_id = 1,
     .tile_x = 4,
     .tile_y = 0,
     .tile_w = 1,
     .tile_h = 3,
     .pixels_computed = 3,
     .start_ns = 12345678,
     .duration_ns = 999,
     .device_time_ns = 7000,
     .device = "opencl:0.0",
     .stolen = 1},
};

static void make_job(struct tr_job *job, int complete)
{
    memset(job, 0, sizeof(*job));
    tr_params_defaults(&job->params);
    job->params.width = 5;
    job->params.height = 3;
    job->params.tile_w = 4;
    job->params.tile_h = 3;
    job->params.time_limit_ms = 2000;
    job->params.num_threads = 4;
    job->run.records = records;
    job->run.n_records = complete ? 2 : 1;
    job->run.tiles_total = 2;
    job->run.lanes = 2;
    job->run.elapsed_ns = 20000000;
    job->run.total_iterations = 40000000;
    job->run.complete = complete;
    job->run.time_limited = !complete;
    job->run.checksum = 0x0123456789abcdefULL;
    snprintf(job->device.selector, sizeof(job->device.selector), "cpu");
    snprintf(job->device.name, sizeof(job->device.name), "A CPU\nwith a newline");
    snprintf(job->device.platform, sizeof(job->device.platform), "tilerace pthreads");
    snprintf(job->device.type, sizeof(job->device.type), "CPU");
    snprintf(job->device.kernel, sizeof(job->device.kernel), "scalar-double");
}

static void test_csv_cells(void **state)
{
    (void)state;
    struct tr_job job;
    make_job(&job, 1);
    FILE *f = tmpfile();
    assert_int_equal(tr_records_csv_write(f, &job), 0);
    char *s = text_of(f);
    assert_string_equal(s, "task_id,thread_id,tile_x,tile_y,tile_w,tile_h,start_time_ms,"
                           "duration_ms,pixels_computed,start_time_us,duration_us,"
                           "device_time_us,device,stolen\n"
                           "0,0,0,0,4,3,1,2,12,1999,2500,,,false\n"
                           "1,1,4,0,1,3,12,0,3,12345,0,7,opencl:0.0,true\n");
    free(s);
}

/* A run across ranks: rank and host after device, the host quoted where CSV needs it. */
static void test_csv_rank_and_host(void **state)
{
    (void)state;
    struct tr_job job;
    struct tr_rank_info ranks[3];
    struct tr_record rec[3] = {records[0], records[1], records[1]};
    memset(ranks, 0, sizeof(ranks));
    make_job(&job, 1);
    job.ranks = ranks;
    job.n_ranks = 3;
    job.run.records = rec;
    job.run.n_records = 3;
    rec[0].host = "node-a";
    rec[1].rank = 1;
    rec[1].host = "rack 2, \"b\"";
    rec[2].task_id = 2;
    rec[2].rank = 2;
    rec[2].host = "line\nbreak";
    FILE *f = tmpfile();
    assert_int_equal(tr_records_csv_write(f, &job), 0);
    char *s = text_of(f);
    assert_string_equal(s, "task_id,thread_id,tile_x,tile_y,tile_w,tile_h,start_time_ms,"
                           "duration_ms,pixels_computed,start_time_us,duration_us,"
                           "device_time_us,device,rank,host,stolen\n"
                           "0,0,0,0,4,3,1,2,12,1999,2500,,,0,node-a,false\n"
                           "1,1,4,0,1,3,12,0,3,12345,0,7,opencl:0.0,1,\"rack 2, \"\"b\"\"\",true\n"
                           "2,1,4,0,1,3,12,0,3,12345,0,7,opencl:0.0,2,\"line\nbreak\",true\n");
    free(s);
}

static void test_summary_complete(void **state)
{
    (void)state;
    struct tr_job job;
    struct tr_process_time pt = {.wall_s = 1.5, .cpu_s = 0.25};
    make_job(&job, 1);
    FILE *f = tmpfile();
    assert_int_equal(tr_summary_text_write(f, &job, &pt, 0), 0);
    char *s = text_of(f);
    assert_non_null(strstr(s, "device     cpu: A CPU\\nwith a newline (CPU, tilerace pthreads)\n"));
    assert_non_null(strstr(s, "mode       concurrent, 2 threads (of 4 asked)\n"));
    assert_non_null(strstr(s, "frame      5x3/256 in 4x3 tiles\n"));
    assert_non_null(strstr(s, "tiles      2/2\n"));
    assert_non_null(strstr(s, "elapsed    20.0 ms\n"));
    assert_non_null(strstr(s, "process    1.50 s wall, 250.0 ms CPU"));
    assert_non_null(strstr(s, "rate       2.000 Giga-iterations/s\n"));
    assert_non_null(strstr(s, "checksum   fnv1a64:0123456789abcdef\n"));
    assert_null(strstr(s, "time limit"));
    assert_null(strstr(s, "--format json"));
    free(s);
    char note[200];
    assert_int_equal(tr_summary_cut_short_note(&job, note, sizeof(note)), 0);
    assert_string_equal(note, "");
}

static void test_summary_cut_short(void **state)
{
    (void)state;
    struct tr_job job;
    struct tr_process_time unknown = {.wall_s = -1, .cpu_s = -1};
    make_job(&job, 0);
    FILE *f = tmpfile();
    assert_int_equal(tr_summary_text_write(f, &job, &unknown, 1), 0);
    char *s = text_of(f);
    assert_non_null(strstr(s, "tiles      1/2 (time limit reached)\n"));
    assert_non_null(strstr(s, "checksum   none"));
    assert_null(strstr(s, "fnv1a64"));
    assert_null(strstr(s, "process"));
    assert_non_null(strstr(s, "The 2000 ms time limit cut the run short: 1 of 2 tiles"));
    assert_non_null(strstr(s, "--time-limit-ms 0"));
    assert_non_null(strstr(s, "--format json"));
    free(s);
    char note[200];
    assert_int_equal(tr_summary_cut_short_note(&job, note, sizeof(note)), 1);
    assert_string_equal(note, "the 2000 ms time limit cut the run short: 1 of 2 tiles rendered, "
                              "no checksum (--time-limit-ms 0 lifts the limit)");
}

static void test_table_alignment(void **state)
{
    (void)state;
    const char *cells[] = {"a", "number", "last",  "\xc3\xa9t\xc3\xa9", "7", "x",
                           "b", "12345",  "longer"};
    const unsigned char right[] = {0, 1, 0};
    FILE *f = tmpfile();
    assert_int_equal(tr_text_table_write(f, cells, 3, 3, right), 0);
    char *s = text_of(f);
    assert_string_equal(s, "a    number  last\n"
                           "\xc3\xa9t\xc3\xa9       7  x\n"
                           "b     12345  longer\n");
    free(s);
}

static struct tr_compared_run run(const char *label, uint64_t width, const char *precision,
                                  const char *checksum, double gips)
{
    struct tr_compared_run r;
    memset(&r, 0, sizeof(r));
    r.label = label;
    r.width = width;
    r.height = 10;
    r.max_iter = 100;
    snprintf(r.precision, sizeof(r.precision), "%s", precision);
    snprintf(r.checksum, sizeof(r.checksum), "%s", checksum);
    r.tiles_total = 4;
    r.tiles_done = checksum[0] ? 4 : 2;
    r.complete = checksum[0] != 0;
    r.gips = gips;
    return r;
}

static void test_compare_verdicts(void **state)
{
    (void)state;
    struct tr_compared_run runs[] = {
        run("cut", 10, "double", "", 1.0),        run("a", 10, "double", "fnv1a64:1", 2.0),
        run("b", 10, "double", "fnv1a64:1", 4.0), run("c", 10, "double", "fnv1a64:2", 1.0),
        run("f", 10, "float", "fnv1a64:3", 8.0),  run("w", 20, "double", "fnv1a64:1", 0.5),
    };
    size_t n = sizeof(runs) / sizeof(runs[0]);
    assert_int_equal(tr_compare_runs(runs, n), 1);
    assert_int_equal(runs[0].verdict, TR_CHECKSUM_INCOMPLETE);
    assert_int_equal(runs[1].verdict, TR_CHECKSUM_REFERENCE);
    assert_int_equal(runs[2].verdict, TR_CHECKSUM_AGREES);
    assert_int_equal(runs[2].reference, 1);
    assert_int_equal(runs[3].verdict, TR_CHECKSUM_DIFFERS);
    assert_int_equal(runs[3].reference, 1);
    /* another precision or size is another frame: its own reference */
    assert_int_equal(runs[4].verdict, TR_CHECKSUM_REFERENCE);
    assert_int_equal(runs[5].verdict, TR_CHECKSUM_REFERENCE);
    /* ratios to the first run, even an incomplete one */
    assert_true(runs[0].ratio == 1.0 && runs[2].ratio == 4.0 && runs[5].ratio == 0.5);

    FILE *f = tmpfile();
    assert_int_equal(tr_comparison_write_text(f, runs, n), 0);
    char *s = text_of(f);
    assert_non_null(strstr(s, "DIFFERS from #2"));
    assert_non_null(strstr(s, "agrees with #2"));
    assert_non_null(strstr(s, "none: incomplete run"));
    assert_non_null(strstr(s, "4.00x"));
    assert_non_null(strstr(s, "10x10/100 float"));
    assert_non_null(strstr(s, "frames differ"));
    free(s);

    runs[0].gips = 0; /* no rate to divide by */
    tr_compare_runs(runs, n);
    assert_true(runs[1].ratio < 0);
}

static void test_compare_long_label(void **state)
{
    (void)state;
    /* 50 characters, two of them two bytes long: the table shows the last 37 after "..." */
    const char *label = "\xc3\xa9\xc3\xa9/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/run\n.json";
    struct tr_compared_run r = run(label, 10, "double", "fnv1a64:1", 1.0);
    tr_compare_runs(&r, 1);
    FILE *f = tmpfile();
    assert_int_equal(tr_comparison_write_text(f, &r, 1), 0);
    char *s = text_of(f);
    const char *row = strchr(s, '\n') + 1;
    assert_memory_equal(row, "1  ...", 6);
    assert_non_null(strstr(row, "aaaa/run\\n.json  "));
    assert_null(strstr(row, "\xc3\xa9"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_cells),          cmocka_unit_test(test_csv_rank_and_host),
        cmocka_unit_test(test_summary_complete),   cmocka_unit_test(test_summary_cut_short),
        cmocka_unit_test(test_table_alignment),    cmocka_unit_test(test_compare_verdicts),
        cmocka_unit_test(test_compare_long_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
