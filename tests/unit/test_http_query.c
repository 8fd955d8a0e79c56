#include <string.h>

#include "cmocka_all.h"
#include "server/query.h"

static void test_path_and_pairs(void **state)
{
    (void)state;
    struct tr_http_target t;
    char err[256];
    assert_int_equal(
        tr_http_target_parse("/api/x?width=10&&tile_w=5&flag&empty=", &t, err, sizeof(err)), 0);
    assert_string_equal(t.path, "/api/x");
    assert_int_equal(t.n_pairs, 4);
    assert_string_equal(t.pairs[0].key, "width");
    assert_string_equal(t.pairs[0].value, "10");
    assert_string_equal(t.pairs[1].key, "tile_w");
    assert_string_equal(t.pairs[2].key, "flag");
    assert_null(t.pairs[2].value);
    assert_string_equal(t.pairs[3].key, "empty");
    assert_string_equal(t.pairs[3].value, "");
    tr_http_target_free(&t);
}

static void test_decoding(void **state)
{
    (void)state;
    struct tr_http_target t;
    char err[256];
    assert_int_equal(
        tr_http_target_parse("/a%2Fb?de%76ice=opencl%3A0.1&w=1+2", &t, err, sizeof(err)), 0);
    assert_string_equal(t.path, "/a/b");
    assert_string_equal(t.pairs[0].key, "device");
    assert_string_equal(t.pairs[0].value, "opencl:0.1");
    assert_string_equal(t.pairs[1].value, "1 2");
    tr_http_target_free(&t);
    assert_int_equal(tr_http_target_parse("/", &t, err, sizeof(err)), 0);
    assert_string_equal(t.path, "/");
    assert_int_equal(t.n_pairs, 0);
    tr_http_target_free(&t);
}

static void test_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *target, *fragment;
    } bad[] = {
        {"/x?w=%zz", "'%zz' is not a valid percent-escape"},
        {"/x?w=%4", "'%4' is not a valid percent-escape"},
        {"/x?w=%", "not a valid percent-escape"},
        {"/x%g0", "not a valid percent-escape"},
        {"/x?w=%00", "byte 0x00 is not allowed"},
        {"/x?w=%0a", "byte 0x0a is not allowed"},
        {"/x?w=%ff", "byte 0xff is not allowed"},
        {"/x#frag", "byte 0x23 is not allowed"},
        {"/x?w=\x01", "byte 0x01 is not allowed"},
        {"x", "must start with '/'"},
        {"*", "must start with '/'"},
        {"http://h/x", "must start with '/'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tr_http_target t;
        char err[256] = "";
        assert_int_equal(tr_http_target_parse(bad[i].target, &t, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].fragment))
            fail_msg("%s: '%s' lacks '%s'", bad[i].target, err, bad[i].fragment);
        tr_http_target_free(&t);
    }
}

static void test_limits(void **state)
{
    (void)state;
    struct tr_http_target t;
    char err[256], target[TR_HTTP_MAX_TARGET + 2];
    /* exactly at the length limit: accepted */
    memset(target, 'a', sizeof(target));
    target[0] = '/';
    target[TR_HTTP_MAX_TARGET] = '\0';
    assert_int_equal(tr_http_target_parse(target, &t, err, sizeof(err)), 0);
    tr_http_target_free(&t);
    target[TR_HTTP_MAX_TARGET] = 'a';
    target[TR_HTTP_MAX_TARGET + 1] = '\0';
    assert_int_equal(tr_http_target_parse(target, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too long"));
    tr_http_target_free(&t);

    /* pairs: 32 fit, 33 do not */
    char many[512] = "/x?";
    for (int i = 0; i < TR_HTTP_MAX_PAIRS; i++)
        strcat(many, "a=1&");
    assert_int_equal(tr_http_target_parse(many, &t, err, sizeof(err)), 0);
    assert_int_equal(t.n_pairs, TR_HTTP_MAX_PAIRS);
    tr_http_target_free(&t);
    strcat(many, "b=2");
    assert_int_equal(tr_http_target_parse(many, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too many query parameters"));
    tr_http_target_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_and_pairs),
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
