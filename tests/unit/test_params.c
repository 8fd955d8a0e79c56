#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "cli/usage.h"
#include "cmocka_all.h"
#include "core/device_spec.h"
#include "core/params.h"
#include "core/status.h"
#include "core/text_escape.h"

static int set(struct tr_params *p, const char *name, const char *text, char *err)
{
    const struct tr_option *o = tr_option_find(TR_CMD_RUN, name);
    return tr_params_set_number(p, (enum tr_option_id)(o - tr_options), "--x", text, err, 256);
}

static void test_defaults_match_seed(void **state)
{
    (void)state;
    struct tr_params p;
    tr_params_defaults(&p);
    assert_int_equal(p.width, 800);
    assert_int_equal(p.height, 600);
    assert_int_equal(p.tile_w, 64);
    assert_int_equal(p.tile_h, 64);
    assert_int_equal(p.max_iter, 256);
    assert_int_equal(p.time_limit_ms, 2000);
    assert_int_equal(p.num_threads, 4);
    assert_int_equal(p.mode, TR_MODE_CONCURRENT);
    assert_string_equal(p.device, "cpu");
}

static void test_option_device_check(void **state)
{
    (void)state;
    char err[256];
    static const enum tr_device_kind opencl[] = {TR_DEVICE_OPENCL, TR_DEVICE_GPU, TR_DEVICE_POCL,
                                                 TR_DEVICE_INDEX};
    /* what only OpenCL uses is refused on the CPU path, by name */
    assert_int_equal(
        tr_option_device_check(TR_OPTION_QUEUE_DEPTH, TR_DEVICE_CPU, 0, err, sizeof(err)),
        TR_ERR_USAGE);
    assert_non_null(strstr(err, "--queue-depth: applies to OpenCL devices only"));
    assert_non_null(strstr(err, "device cpu is the CPU path"));
    assert_int_equal(
        tr_option_device_check(TR_OPTION_KERNEL_DIR, TR_DEVICE_CPU, 0, err, sizeof(err)),
        TR_ERR_USAGE);
    assert_non_null(strstr(err, "--kernel-dir: "));
    for (size_t i = 0; i < sizeof(opencl) / sizeof(opencl[0]); i++)
        for (int id = 0; id < TR_OPTION_COUNT; id++)
            assert_int_equal(
                tr_option_device_check((enum tr_option_id)id, (int)opencl[i], 0, err, sizeof(err)),
                0);
    /* everything else means something on the CPU path too */
    for (int id = 0; id < TR_OPTION_COUNT; id++)
        if (id != TR_OPTION_QUEUE_DEPTH && id != TR_OPTION_KERNEL_DIR)
            assert_int_equal(
                tr_option_device_check((enum tr_option_id)id, TR_DEVICE_CPU, 0, err, sizeof(err)),
                0);
}

/* A list: an option is refused only when every device of the list would ignore it. */
static void test_ignored_options_of_a_device_list(void **state)
{
    (void)state;
    char err[256];
    struct tr_params p;
    const uint64_t queue_depth = UINT64_C(1) << TR_OPTION_QUEUE_DEPTH;
    static const char *cpu_only[] = {"cpu", "cpu@3"};
    static const char *with_opencl[] = {"cpu,pocl", "pocl@2,cpu", "all", "all@2", "opencl:0.0"};
    for (size_t i = 0; i < sizeof(cpu_only) / sizeof(cpu_only[0]); i++) {
        tr_params_defaults(&p);
        assert_int_equal(tr_params_set_device(&p, "--device", cpu_only[i], err, sizeof(err)), 0);
        assert_int_equal(tr_params_check_ignored(&p, queue_depth, 0, err, sizeof(err)),
                         TR_ERR_USAGE);
        assert_non_null(strstr(err, "--queue-depth: applies to OpenCL devices only"));
        assert_int_equal(tr_params_check_ignored(&p, queue_depth, 1, err, sizeof(err)),
                         TR_ERR_USAGE);
        assert_non_null(strstr(err, "queue_depth: applies to OpenCL devices only"));
        assert_null(strstr(err, "--"));
        assert_int_equal(
            tr_params_check_ignored(&p, UINT64_C(1) << TR_OPTION_WIDTH, 0, err, sizeof(err)), 0);
    }
    for (size_t i = 0; i < sizeof(with_opencl) / sizeof(with_opencl[0]); i++) {
        tr_params_defaults(&p);
        assert_int_equal(tr_params_set_device(&p, "--device", with_opencl[i], err, sizeof(err)), 0);
        assert_int_equal(tr_params_check_ignored(&p, queue_depth, 0, err, sizeof(err)), 0);
    }
}

static void test_usable_cpus_follow_the_affinity_mask(void **state)
{
    (void)state;
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
    uint32_t n = tr_params_usable_cpus();
    assert_true(n >= 1 && n <= TR_MAX_THREADS);
    assert_int_equal(n, CPU_COUNT(&all) > TR_MAX_THREADS ? TR_MAX_THREADS : CPU_COUNT(&all));
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    assert_int_equal(tr_params_usable_cpus(), 1);
    assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

static void test_repeatable_options_are_the_counted_lists(void **state)
{
    (void)state;
    for (int id = 0; id < TR_OPTION_COUNT; id++) {
        int want =
            id == TR_OPTION_ALLOW_ORIGIN || id == TR_OPTION_ALLOW_HOST || id == TR_OPTION_WARM;
        assert_int_equal(tr_option_repeatable(&tr_options[id]), want);
    }
}

static void test_numbers_accepted_at_bounds(void **state)
{
    (void)state;
    struct tr_params p;
    char err[256];
    tr_params_defaults(&p);
    assert_int_equal(set(&p, "width", "1", err), 0);
    assert_int_equal(p.width, 1);
    assert_int_equal(set(&p, "width", "65536", err), 0);
    assert_int_equal(p.width, 65536);
    assert_int_equal(set(&p, "time-limit-ms", "0", err), 0);
    assert_int_equal(p.time_limit_ms, 0);
    assert_int_equal(set(&p, "max-iter", "65535", err), 0);
    assert_int_equal(set(&p, "num-threads", "256", err), 0);
}

static void test_numbers_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text, *why;
    } bad[] = {
        {"width", "0", "out of range"},
        {"width", "65537", "out of range"},
        {"width", "12abc", "not a whole number"},
        {"width", "", "not a whole number"},
        {"width", "-5", "negative"},
        {"width", " 5", "not a whole number"},
        {"width", "+5", "not a whole number"},
        {"width", "5.0", "not a whole number"},
        {"max-iter", "65536", "out of range"},
        {"max-iter", "0", "out of range"},
        {"num-threads", "257", "out of range"},
        {"time-limit-ms", "86400001", "out of range"},
        {"tile-h", "99999999999999999999999", "out of range"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tr_params p;
        char err[256], want[64];
        tr_params_defaults(&p);
        assert_int_equal(set(&p, bad[i].name, bad[i].text, err), TR_ERR_USAGE);
        assert_non_null(strstr(err, "--x"));
        assert_non_null(strstr(err, bad[i].why));
        snprintf(want, sizeof(want), "'%s'", bad[i].text);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, "accepted range"));
        /* the field keeps its default */
        struct tr_params d;
        tr_params_defaults(&d);
        assert_memory_equal(&p, &d, sizeof(p));
    }
}

static void test_pixel_and_tile_caps(void **state)
{
    (void)state;
    struct tr_params p;
    char err[256];
    tr_params_defaults(&p);
    p.width = 65536;
    p.height = 4096;
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), 0);
    p.height = 4097;
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), TR_ERR_USAGE);
    assert_non_null(strstr(err, "268435456"));
    p.width = 4096;
    p.height = 4096;
    p.tile_w = p.tile_h = 1;
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), TR_ERR_USAGE);
    assert_non_null(strstr(err, "tiles"));
    p.tile_w = 4;
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), 0);
}

static void test_choices(void **state)
{
    (void)state;
    struct tr_params p;
    char err[256];
    tr_params_defaults(&p);
    assert_int_equal(tr_params_set_mode(&p, "--mode", "sequential", err, sizeof(err)), 0);
    assert_int_equal(p.mode, TR_MODE_SEQUENTIAL);
    assert_int_equal(tr_params_set_mode(&p, "--mode", "parallel", err, sizeof(err)), TR_ERR_USAGE);
    assert_non_null(strstr(err, "sequential, concurrent, dynamic"));
    assert_int_equal(p.mode, TR_MODE_SEQUENTIAL);
}

static void test_device_syntax(void **state)
{
    (void)state;
    struct tr_device_spec s;
    char err[256];
    assert_int_equal(tr_device_spec_parse("cpu", &s, err, sizeof(err)), 0);
    assert_int_equal(s.kind, TR_DEVICE_CPU);
    assert_int_equal(tr_device_spec_parse("pocl", &s, err, sizeof(err)), 0);
    assert_int_equal(s.kind, TR_DEVICE_POCL);
    assert_int_equal(tr_device_spec_parse("opencl:1.2", &s, err, sizeof(err)), 0);
    assert_int_equal(s.kind, TR_DEVICE_INDEX);
    assert_int_equal(s.platform, 1);
    assert_int_equal(s.device, 2);
    const char *bad[] = {"",          "tpu",         "opencl:",      "opencl:1",      "opencl:1.",
                         "opencl:.1", "opencl:-1.0", "opencl:1.2.3", "opencl:1000.0", "CPU"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tr_device_spec_parse(bad[i], &s, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "accepted"));
    }
}

/* Whether s is one line of valid UTF-8 with no control characters. */
static int one_clean_line(const char *s)
{
    if (tr_utf8_valid_prefix(s, strlen(s)) != strlen(s))
        return 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f || (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f))
            return 0;
    return 1;
}

static void test_escape_control_and_invalid_bytes(void **state)
{
    (void)state;
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    assert_string_equal(tr_text_quote(q, sizeof(q), "a\nb\tc\rd", 40), "'a\\nb\\tc\\rd'");
    assert_string_equal(tr_text_quote(q, sizeof(q), "\x01\x1f\x7f", 40), "'\\x01\\x1f\\x7f'");
    assert_string_equal(tr_text_quote(q, sizeof(q), "back\\slash", 40), "'back\\\\slash'");
    /* not UTF-8: a lone continuation byte, a cut sequence, an overlong '/', a surrogate,
     * beyond U+10FFFF */
    assert_string_equal(
        tr_text_quote(q, sizeof(q), "\x80|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80", 40),
        "'\\x80|\\xc3|\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80'");
    /* valid but line-breaking or reordering: C1 controls, U+2028, a bidi override */
    assert_string_equal(
        tr_text_quote(q, sizeof(q), "\xc2\x85|\xc2\x9b|\xe2\x80\xa8|\xe2\x80\xae", 40),
        "'\\u0085|\\u009b|\\u2028|\\u202e'");
    /* printable UTF-8 passes as it is */
    assert_string_equal(
        tr_text_quote(q, sizeof(q), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 40),
        "'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'");
    assert_string_equal(tr_text_escape(q, sizeof(q), "x\ny", 40), "x\\ny");
}

static void test_escape_cuts_at_characters(void **state)
{
    (void)state;
    char long_text[200] = "", q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    for (int i = 0; i < 50; i++)
        strcat(long_text, "\xc3\xa9"); /* 50 two-byte characters */
    tr_text_quote(q, sizeof(q), long_text, 40);
    assert_int_equal(strlen(q), 1 + 40 * 2 + 3 + 1); /* 40 whole characters, "...", quotes */
    assert_string_equal(q + strlen(q) - 4, "...'");
    assert_true(one_clean_line(q));
    /* 40 newlines: 40 escapes, one line */
    char newlines[100];
    memset(newlines, '\n', 80);
    newlines[80] = '\0';
    tr_text_quote(q, sizeof(q), newlines, 40);
    assert_int_equal(strlen(q), 1 + 40 * 2 + 3 + 1);
    assert_true(one_clean_line(q));
    /* a small buffer cuts between escapes and still closes the quote */
    char small[12];
    assert_string_equal(tr_text_quote(small, sizeof(small), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 40),
                        "'\xc3\xa9\xc3\xa9\xc3\xa9...'");
    assert_string_equal(tr_text_quote(small, sizeof(small), "\n\n\n\n\n", 40), "'\\n\\n\\n...'");
    /* exactly max_chars: no "..." */
    assert_string_equal(tr_text_quote(q, sizeof(q), "abc", 3), "'abc'");
    assert_string_equal(tr_text_quote(q, sizeof(q), "abcd", 3), "'abc...'");
    assert_string_equal(tr_text_quote(q, sizeof(q), NULL, 3), "''");
}

static void test_print_line_keeps_one_line(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    char line[256];
    tr_text_print_line(f, "tilerace: ", "a\nb\xff 'c\\d'");
    rewind(f);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "tilerace: a\\nb\\xff 'c\\d'\n"); /* backslashes stay */
    assert_null(fgets(line, sizeof(line), f));
    fclose(f);
}

static void test_echoed_values_are_escaped(void **state)
{
    (void)state;
    struct tr_params p;
    char err[512], text[200] = "";
    tr_params_defaults(&p);
    for (int i = 0; i < 40; i++)
        strcat(text, "x\n");
    assert_int_equal(tr_params_set_device(&p, "--device", text, err, sizeof(err)), TR_ERR_USAGE);
    assert_true(one_clean_line(err));
    assert_non_null(strstr(err, "'x\\nx\\n"));
    assert_int_equal(tr_params_set_device(&p, "--device", "x\ny", err, sizeof(err)), TR_ERR_USAGE);
    assert_non_null(strstr(err, "--device: 'x\\ny' is not a device"));
    assert_int_equal(tr_params_set_mode(&p, "--mode", "a\x01\x7f\xff", err, sizeof(err)),
                     TR_ERR_USAGE);
    assert_non_null(strstr(err, "--mode: 'a\\x01\\x7f\\xff' is not one of"));
    /* 41 two-byte characters: cut after the 40th, not inside it */
    text[0] = '\0';
    for (int i = 0; i < 41; i++)
        strcat(text, "\xc3\xa9");
    assert_int_equal(set(&p, "width", text, err), TR_ERR_USAGE);
    assert_true(one_clean_line(err));
    assert_non_null(strstr(err, "\xc3\xa9...' is not a whole number"));
    struct tr_device_spec spec;
    assert_int_equal(tr_device_spec_parse("op\x1b[2J", &spec, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'op\\x1b[2J' is not a device"));
}

/* Runs getopt_long over args as a command would and names the option it refuses. */
static const char *refused(int argc, char **argv, const char *shortopts, char *name, size_t len)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"width", required_argument, NULL, 1000},
                                             {"quiet", no_argument, NULL, 1001},
                                             {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 0; /* glibc: start over */
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
        if (c == '?' || c == ':')
            return tr_usage_refused_option(name, len, argc, argv);
    return NULL;
}

static void test_refused_option_is_named(void **state)
{
    (void)state;
    char name[64];
    char *a[] = {"/path/to/tilerace", "-\xc3\xa9", NULL};
    assert_string_equal(refused(2, a, "+:ho:", name, sizeof(name)), "-\xc3\xa9");
    char *b[] = {"/path/to/tilerace", "--quiet", "-\xc3\xa9", NULL};
    assert_string_equal(refused(3, b, "+:ho:", name, sizeof(name)), "-\xc3\xa9");
    char *c[] = {"tilerace", "a.json", "-\xff", "-o", "x", NULL}; /* permuting, as replay */
    assert_string_equal(refused(5, c, ":ho:", name, sizeof(name)), "-\\xff");
    char *d[] = {"tilerace", "-x", NULL};
    assert_string_equal(refused(2, d, "+:ho:", name, sizeof(name)), "-x");
    char *e[] = {"tilerace", "--frob\nnicate", NULL};
    assert_string_equal(refused(2, e, "+:ho:", name, sizeof(name)), "--frob\\nnicate");
    char *f[] = {"tilerace", "--width", NULL};
    assert_string_equal(refused(2, f, "+:ho:", name, sizeof(name)), "--width");
    char *g[] = {"tilerace", "--quiet", "-o", NULL};
    assert_string_equal(refused(3, g, "+:ho:", name, sizeof(name)), "-o");
    char *h[] = {"tilerace", "--out", NULL};
    assert_string_equal(refused(2, h, "+:ho:", name, sizeof(name)), "--out");
    char *i[] = {"tilerace", "-\x01", NULL};
    assert_string_equal(refused(2, i, "+:ho:", name, sizeof(name)), "-\\x01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_seed),
        cmocka_unit_test(test_numbers_accepted_at_bounds),
        cmocka_unit_test(test_numbers_rejected),
        cmocka_unit_test(test_pixel_and_tile_caps),
        cmocka_unit_test(test_choices),
        cmocka_unit_test(test_device_syntax),
        cmocka_unit_test(test_escape_control_and_invalid_bytes),
        cmocka_unit_test(test_escape_cuts_at_characters),
        cmocka_unit_test(test_print_line_keeps_one_line),
        cmocka_unit_test(test_echoed_values_are_escaped),
        cmocka_unit_test(test_refused_option_is_named),
        cmocka_unit_test(test_option_device_check),
        cmocka_unit_test(test_ignored_options_of_a_device_list),
        cmocka_unit_test(test_usable_cpus_follow_the_affinity_mask),
        cmocka_unit_test(test_repeatable_options_are_the_counted_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
