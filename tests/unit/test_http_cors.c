#include <string.h>

#include "cmocka_all.h"
#include "server/cors.h"

static void test_loopback_default(void **state)
{
    (void)state;
    struct tr_cors c;
    tr_cors_init_loopback(&c);
    static const char *const ok[] = {"http://127.0.0.1:5173", "http://localhost:3000",
                                     "http://[::1]:8080",     "http://localhost",
                                     "http://LOCALHOST:1",    "http://127.0.0.1:65535"};
    static const char *const no[] = {"https://localhost:3000",
                                     "http://127.0.0.10:80",
                                     "http://localhost.evil.com",
                                     "http://evil.com",
                                     "http://localhost:0",
                                     "http://localhost:65536",
                                     "http://localhost:80/",
                                     "http://localhost:80x",
                                     "null",
                                     "",
                                     "http://127.0.0.1:*",
                                     "http://[::1]x:80"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!tr_cors_allowed(&c, ok[i]))
            fail_msg("'%s' should be allowed", ok[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (tr_cors_allowed(&c, no[i]))
            fail_msg("'%s' should be refused", no[i]);
    assert_false(tr_cors_allowed(&c, NULL));
}

static void test_configured(void **state)
{
    (void)state;
    struct tr_cors c;
    char err[256];
    memset(&c, 0, sizeof(c));
    assert_int_equal(tr_cors_add(&c, "https://app.example.com", err, sizeof(err)), 0);
    assert_int_equal(tr_cors_add(&c, "http://10.0.0.5:*", err, sizeof(err)), 0);
    assert_true(tr_cors_allowed(&c, "https://app.example.com"));
    assert_false(tr_cors_allowed(&c, "https://app.example.com:444"));
    assert_false(tr_cors_allowed(&c, "http://app.example.com"));
    assert_true(tr_cors_allowed(&c, "http://10.0.0.5:9000"));
    assert_false(tr_cors_allowed(&c, "http://localhost:3000")); /* the default is replaced */
}

static void test_rejected_entries(void **state)
{
    (void)state;
    static const struct {
        const char *origin, *why;
    } bad[] = {
        {"*", "credentials need an exact origin"},
        {"ftp://x", "does not start with http:// or https://"},
        {"http://", "has no host"},
        {"http://x/", "has text after the host"},
        {"http://x:99999", "has a port outside 1..65535"},
        {"http://x:0", "has a port outside 1..65535"},
        {"http://[::1", "unterminated IPv6"},
    };
    struct tr_cors c;
    memset(&c, 0, sizeof(c));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        assert_int_equal(tr_cors_add(&c, bad[i].origin, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].why))
            fail_msg("%s: '%s' lacks '%s'", bad[i].origin, err, bad[i].why);
    }
    assert_int_equal(c.n, 0);
    char err[256];
    for (int i = 0; i < TR_CORS_MAX_ORIGINS; i++)
        assert_int_equal(tr_cors_add(&c, "http://a", err, sizeof(err)), 0);
    assert_int_equal(tr_cors_add(&c, "http://a", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "at most 32"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_default),
        cmocka_unit_test(test_configured),
        cmocka_unit_test(test_rejected_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
