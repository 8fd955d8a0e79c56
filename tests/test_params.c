#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "device_spec.h"
#include "exit_codes.h"
#include "params.h"

static int set(struct tr_params *p, const char *name, const char *text, char *err)
{
    return tr_params_set_number(p, tr_num_param_by_cli(name), "--x", text, err, 256);
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
        assert_int_equal(set(&p, bad[i].name, bad[i].text, err), TR_EXIT_USAGE);
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
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), TR_EXIT_USAGE);
    assert_non_null(strstr(err, "268435456"));
    p.width = 4096;
    p.height = 4096;
    p.tile_w = p.tile_h = 1;
    assert_int_equal(tr_params_check(&p, err, sizeof(err)), TR_EXIT_USAGE);
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
    assert_int_equal(tr_params_set_mode(&p, "--mode", "parallel", err, sizeof(err)), TR_EXIT_USAGE);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_seed),
        cmocka_unit_test(test_numbers_accepted_at_bounds),
        cmocka_unit_test(test_numbers_rejected),
        cmocka_unit_test(test_pixel_and_tile_caps),
        cmocka_unit_test(test_choices),
        cmocka_unit_test(test_device_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
