#include <stdio.h>
#include <string.h>

#include "cmocka_all.h"
#include "server/host_check.h"

static void check(const struct tr_host_check *h, const char *bind, unsigned port,
                  const char *const *hosts, size_t n, int want)
{
    for (size_t i = 0; i < n; i++)
        if (tr_host_allowed(h, bind, (uint16_t)port, hosts[i]) != want)
            fail_msg("bind %s port %u, Host '%s': should be %s", bind, port, hosts[i],
                     want ? "allowed" : "refused");
}

static void test_loopback_names_only(void **state)
{
    (void)state;
    struct tr_host_check h;
    memset(&h, 0, sizeof(h));
    static const char *const ok[] = {"localhost:8405", "127.0.0.1:8405", "[::1]:8405",
                                     "LocalHost:8405"};
    static const char *const no[] = {"evil.example:8405",
                                     "evil.example",
                                     "localhost",
                                     "localhost:80",
                                     "localhost:8406",
                                     "localhost.:8405",
                                     "127.0.0.1.evil.example:8405",
                                     "localhost.evil.example:8405",
                                     "127.0.0.2:8405",
                                     "[::2]:8405",
                                     "[::1:8405",
                                     "localhost:8405x",
                                     "localhost:08405x",
                                     "localhost:",
                                     ":8405",
                                     "",
                                     "local host:8405",
                                     "localhost:8405/path",
                                     "user@localhost:8405",
                                     "localhost:99999"};
    check(&h, "127.0.0.1", 8405, ok, sizeof(ok) / sizeof(ok[0]), 1);
    check(&h, "127.0.0.1", 8405, no, sizeof(no) / sizeof(no[0]), 0);
    check(&h, "::1", 8405, ok, sizeof(ok) / sizeof(ok[0]), 1);
    /* no Host at all: an HTTP/1.0 client, never a browser */
    assert_true(tr_host_allowed(&h, "127.0.0.1", 8405, NULL));
    /* port 80 may be left out */
    assert_true(tr_host_allowed(&h, "127.0.0.1", 80, "localhost"));
    assert_true(tr_host_allowed(&h, "127.0.0.1", 80, "localhost:80"));
    /* its own loopback address */
    assert_true(tr_host_allowed(&h, "127.0.0.2", 8405, "127.0.0.2:8405"));
    assert_false(tr_host_allowed(&h, "127.0.0.2", 8405, "127.0.0.3:8405"));
}

static void test_allowed_names(void **state)
{
    (void)state;
    struct tr_host_check h;
    char err[400];
    memset(&h, 0, sizeof(h));
    assert_int_equal(tr_host_allow(&h, "App.Example", err, sizeof(err)), 0);
    assert_int_equal(tr_host_allow(&h, " b.example , 10.0.0.5,[fe80::1]", err, sizeof(err)), 0);
    assert_int_equal(h.n, 4);
    static const char *const ok[] = {"app.example",   "app.example:443", "APP.EXAMPLE:8405",
                                     "b.example:1",   "10.0.0.5:8405",   "[fe80::1]:8405",
                                     "localhost:8405"};
    static const char *const no[] = {"c.example:8405", "app.example.evil:8405", "10.0.0.6:8405",
                                     "localhost:1"};
    check(&h, "127.0.0.1", 8405, ok, sizeof(ok) / sizeof(ok[0]), 1);
    check(&h, "127.0.0.1", 8405, no, sizeof(no) / sizeof(no[0]), 0);
    /* on another address the names given are checked too */
    check(&h, "0.0.0.0", 8405, ok, sizeof(ok) / sizeof(ok[0]), 1);
    check(&h, "0.0.0.0", 8405, no, sizeof(no) / sizeof(no[0]), 0);
    assert_int_equal(tr_host_allow(&h, "*", err, sizeof(err)), 0);
    assert_true(tr_host_allowed(&h, "127.0.0.1", 8405, "anything.example:1"));
}

static void test_other_address_without_names(void **state)
{
    (void)state;
    struct tr_host_check h;
    memset(&h, 0, sizeof(h));
    assert_true(tr_host_allowed(&h, "0.0.0.0", 8405, "evil.example:8405"));
    assert_true(tr_host_allowed(&h, "192.168.1.5", 8405, "nas.local:8405"));
    assert_false(tr_host_allowed(&h, "::1", 8405, "evil.example:8405"));
    assert_true(tr_host_is_loopback("127.1.2.3"));
    assert_true(tr_host_is_loopback("::1"));
    assert_true(tr_host_is_loopback("::ffff:127.0.0.1"));
    assert_false(tr_host_is_loopback("0.0.0.0"));
    assert_false(tr_host_is_loopback("::"));
}

static void test_bad_names(void **state)
{
    (void)state;
    struct tr_host_check h;
    char err[400], long_name[300], many[400];
    static const struct {
        const char *list, *why;
    } bad[] = {
        {"", "'' is an empty name"},
        {"a.example,,b.example", "'' is an empty name"},
        {"a.example,", "'' is an empty name"},
        {"a_b.example", "'a_b.example' is not a host name"},
        {"-a.example", "is not a host name"},
        {"a-.example", "is not a host name"},
        {"a..example", "is not a host name"},
        {"a.example.", "is not a host name"},
        {"[::g]", "is not a host name"},
        {"::1", "'::1' is an IPv6 address without brackets"},
        {"a.example:80", "'a.example:80' is a name with a port"},
        {"http://a.example", "'http://a.example' is a URL, not a name"},
        {"a example", "is not a host name"},
        {"*.example", "is not a host name"},
    };
    memset(&h, 0, sizeof(h));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tr_host_allow(&h, bad[i].list, err, sizeof(err)) != -1)
            fail_msg("'%s' should be refused", bad[i].list);
        if (!strstr(err, bad[i].why) || !strstr(err, "accepted:"))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].list, err, bad[i].why);
        assert_int_equal(h.n, 0); /* unchanged: nothing of a bad list is kept */
    }
    memset(long_name, 'a', 254);
    long_name[254] = '\0';
    assert_int_equal(tr_host_allow(&h, long_name, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 253 bytes"));
    long_name[63] = '\0'; /* a 63-byte label is fine, 64 is not */
    assert_int_equal(tr_host_allow(&h, long_name, err, sizeof(err)), 0);
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    assert_int_equal(tr_host_allow(&h, long_name, err, sizeof(err)), -1);
    memset(&h, 0, sizeof(h));
    many[0] = '\0';
    for (int i = 0; i < 33; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sh%d.example", i ? "," : "",
                 i);
    assert_int_equal(tr_host_allow(&h, many, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 32 names (accepted: at most 32)"));
    assert_int_equal(h.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_names_only),
        cmocka_unit_test(test_allowed_names),
        cmocka_unit_test(test_other_address_without_names),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
