#include <string.h>

#include "cmocka_all.h"
#include "core/status.h"
#include "server/params.h"

/* Parses target's query into p with caps; returns the status, message in err. */
static int parse(const char *target, const struct tr_server_caps *caps, struct tr_params *p,
                 char *err)
{
    struct tr_http_target t;
    assert_int_equal(tr_http_target_parse(target, &t, err, 512), 0);
    int rc = tr_http_params_parse(&t, TR_MODE_SEQUENTIAL, caps, p, err, 512);
    tr_http_target_free(&t);
    return rc;
}

static void test_defaults_and_values(void **state)
{
    (void)state;
    struct tr_server_caps caps;
    struct tr_params p;
    char err[512];
    tr_server_caps_defaults(&caps);
    assert_int_equal(parse("/x", &caps, &p, err), 0);
    assert_int_equal(p.width, 800);
    assert_int_equal(p.height, 600);
    assert_int_equal(p.tile_w, 64);
    assert_int_equal(p.max_iter, 256);
    assert_int_equal(p.time_limit_ms, 2000);
    assert_int_equal(p.num_threads, 4);
    assert_int_equal(p.mode, TR_MODE_SEQUENTIAL); /* from the path */
    assert_string_equal(p.device, "cpu");
    assert_int_equal(parse("/x?width=100&height=50&tile_w=7&tile_h=9&max_iter=33&time_limit_ms=5"
                           "&num_threads=3&device=cpu&precision=float&kernel=scalar",
                           &caps, &p, err),
                     0);
    assert_int_equal(p.width, 100);
    assert_int_equal(p.height, 50);
    assert_int_equal(p.tile_w, 7);
    assert_int_equal(p.tile_h, 9);
    assert_int_equal(p.max_iter, 33);
    assert_int_equal(p.time_limit_ms, 5);
    assert_int_equal(p.num_threads, 3);
    assert_int_equal(p.precision, TR_PRECISION_FLOAT);
    assert_int_equal(p.kernel, TR_KERNEL_SCALAR);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *target, *message;
    } bad[] = {
        {"/x?width=0", "width: '0' is out of range (accepted range 1..65536)"},
        {"/x?tile_w=12abc", "tile_w: '12abc' is not a whole number (accepted range 1..65536)"},
        {"/x?max_iter=-1", "max_iter: '-1' is negative (accepted range 1..65535)"},
        {"/x?width", "width: a value is missing"},
        {"/x?width=", "width: '' is not a whole number (accepted range 1..65536)"},
        {"/x?width=5&width=6", "width: given more than once (give each parameter once)"},
        {"/x?frobnicate=1", "unknown parameter 'frobnicate' (accepted: width, height, tile_w, "
                            "tile_h, max_iter, time_limit_ms, num_threads, queue_depth, device, "
                            "precision, kernel)"},
        {"/x?queue_depth=17", "queue_depth: '17' is out of range (accepted range 1..16)"},
        {"/x?mode=dynamic", "mode: is set by the path"},
        {"/x?device=tpu", "device: 'tpu' is not a device"},
        {"/x?precision=half", "precision: 'half' is not one of the accepted values"},
        {"/x?width=65536&height=65536", "width x height: 65536x65536 = 4294967296 pixels is out "
                                        "of range (accepted range 1..268435456 pixels)"},
        /* the server's caps, after the program's own ranges */
        {"/x?width=8192&height=4096", "width x height: 8192x4096 = 33554432 pixels is above "
                                      "this server's limit (accepted range 1..16777216 pixels)"},
        {"/x?width=1000&height=1000&tile_w=1&tile_h=1",
         "tile grid: 1000x1000 tiles of 1x1 = 1000000 tiles is above this server's limit "
         "(accepted range 1..65536 tiles; use larger tiles)"},
        {"/x?time_limit_ms=0", "time_limit_ms: '0' (no limit) is above this server's limit "
                               "(accepted range 1..60000)"},
        {"/x?time_limit_ms=60001",
         "time_limit_ms: '60001' is above this server's limit (accepted range 1..60000)"},
        {"/x?num_threads=65",
         "num_threads: '65' is above this server's limit (accepted range 1..64)"},
    };
    struct tr_server_caps caps;
    struct tr_params p;
    tr_server_caps_defaults(&caps);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        assert_int_equal(parse(bad[i].target, &caps, &p, err), TR_ERR_USAGE);
        if (strncmp(err, bad[i].message, strlen(bad[i].message)) != 0)
            fail_msg("%s: got '%s', want '%s'", bad[i].target, err, bad[i].message);
    }
}

static void test_caps_configurable(void **state)
{
    (void)state;
    struct tr_server_caps caps;
    struct tr_params p;
    char err[512];
    tr_server_caps_defaults(&caps);
    caps.max_iter = 1000;
    caps.time_limit_ms = 0; /* no cap: "no limit" allowed */
    assert_int_equal(parse("/x?max_iter=1000&time_limit_ms=0", &caps, &p, err), 0);
    assert_int_equal(parse("/x?max_iter=1001", &caps, &p, err), TR_ERR_USAGE);
    assert_string_equal(err, "max_iter: '1001' is above this server's limit (accepted range "
                             "1..1000)");
}

/* A value the program refuses is refused with the range this server accepts: every capped
 * parameter, below, above and beyond the program's own range. */
static void test_refusals_give_the_capped_range(void **state)
{
    (void)state;
    static const struct {
        const char *target, *message;
    } bad[] = {
        {"/x?num_threads=-1", "num_threads: '-1' is negative (accepted range 1..64)"},
        {"/x?num_threads=0", "num_threads: '0' is out of range (accepted range 1..64)"},
        {"/x?width=10&height=10&max_iter=10&time_limit_ms=100&num_threads=65",
         "num_threads: '65' is above this server's limit (accepted range 1..64)"},
        {"/x?num_threads=257", "num_threads: '257' is out of range (accepted range 1..64)"},
        {"/x?num_threads=four", "num_threads: 'four' is not a whole number (accepted range "
                                "1..64)"},
        {"/x?max_iter=-1", "max_iter: '-1' is negative (accepted range 1..1000)"},
        {"/x?max_iter=0", "max_iter: '0' is out of range (accepted range 1..1000)"},
        {"/x?max_iter=70000", "max_iter: '70000' is out of range (accepted range 1..1000)"},
        {"/x?time_limit_ms=-1", "time_limit_ms: '-1' is negative (accepted range 1..500)"},
        {"/x?time_limit_ms=86400001",
         "time_limit_ms: '86400001' is out of range (accepted range 1..500)"},
        {"/x?width=0", "width: '0' is out of range (accepted range 1..10000)"},
        {"/x?width=70000", "width: '70000' is out of range (accepted range 1..10000)"},
        {"/x?height=-1", "height: '-1' is negative (accepted range 1..10000)"},
        /* not capped: the program's range */
        {"/x?tile_w=0", "tile_w: '0' is out of range (accepted range 1..65536)"},
        {"/x?queue_depth=-1", "queue_depth: '-1' is negative (accepted range 1..16)"},
    };
    struct tr_server_caps caps;
    struct tr_params p;
    tr_server_caps_defaults(&caps);
    caps.max_iter = 1000;
    caps.time_limit_ms = 500;
    caps.pixels = 10000;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        assert_int_equal(parse(bad[i].target, &caps, &p, err), TR_ERR_USAGE);
        if (strcmp(err, bad[i].message) != 0)
            fail_msg("%s: got '%s', want '%s'", bad[i].target, err, bad[i].message);
    }
    /* a cap at or above the program's limit leaves its range; no time cap accepts 0 */
    char err[512] = "";
    tr_server_caps_defaults(&caps);
    caps.time_limit_ms = 0;
    caps.num_threads = 256;
    assert_int_equal(parse("/x?time_limit_ms=-1", &caps, &p, err), TR_ERR_USAGE);
    assert_string_equal(err, "time_limit_ms: '-1' is negative (accepted range 0..86400000)");
    assert_int_equal(parse("/x?num_threads=0", &caps, &p, err), TR_ERR_USAGE);
    assert_string_equal(err, "num_threads: '0' is out of range (accepted range 1..256)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_caps_configurable),
        cmocka_unit_test(test_refusals_give_the_capped_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
