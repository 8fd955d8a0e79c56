/* The option parsers of `tilerace run` and `tilerace serve` (where the build has the server),
 * called without running anything. */
#include <stdio.h>
#include <string.h>

#include "cli/run.h"
#include "cmocka_all.h"
#include "core/status.h"
#ifdef TILERACE_HAVE_SERVER
#include "cli/serve.h"
#endif

#define ARGC(argv) ((int)(sizeof(argv) / sizeof(argv[0])) - 1)

static void test_run_options_parsed(void **state)
{
    (void)state;
    char *argv[] = {"tilerace", "--width", "64", "--mode", "dynamic", "-o", "x.json", NULL};
    struct tr_run_options o;
    char err[512] = "";
    assert_int_equal(tr_cli_run_parse(ARGC(argv), argv, &o, err, sizeof(err)), TR_CLI_RUN_GO);
    assert_int_equal(o.params.width, 64);
    assert_int_equal(o.params.height, 600);
    assert_int_equal(o.params.mode, TR_MODE_DYNAMIC);
    assert_string_equal(o.out, "x.json");
    assert_null(o.kernel_dir);
}

static void test_run_first_of_help_and_error_wins(void **state)
{
    (void)state;
    char *version_first[] = {"tilerace", "--version", "--bogus", NULL};
    char *error_first[] = {"tilerace", "--bogus", "--help", NULL};
    struct tr_run_options o;
    char err[512] = "";
    assert_int_equal(tr_cli_run_parse(ARGC(version_first), version_first, &o, err, sizeof(err)),
                     TR_CLI_RUN_VERSION);
    assert_int_equal(tr_cli_run_parse(ARGC(error_first), error_first, &o, err, sizeof(err)),
                     TR_ERR_USAGE);
    assert_string_equal(err, "unknown option '--bogus' (see tilerace --help)");
}

/* A parse that stopped inside a cluster of short options ("-Vh") leaves nothing behind for
 * the next one. */
static void test_parsers_run_again(void **state)
{
    (void)state;
    char *cluster[] = {"tilerace", "-Vh", NULL};
    char *width[] = {"tilerace", "--width", "10", NULL};
    struct tr_run_options o;
    char err[512] = "";
    assert_int_equal(tr_cli_run_parse(ARGC(cluster), cluster, &o, err, sizeof(err)),
                     TR_CLI_RUN_VERSION);
    assert_int_equal(tr_cli_run_parse(ARGC(width), width, &o, err, sizeof(err)), TR_CLI_RUN_GO);
    assert_int_equal(o.params.width, 10);
#ifdef TILERACE_HAVE_SERVER
    char *serve_cluster[] = {"serve", "-hh", NULL};
    char *serve_port[] = {"serve", "--port", "0", NULL};
    struct tr_serve_options so;
    assert_int_equal(tr_serve_parse(ARGC(serve_cluster), serve_cluster, &so, err, sizeof(err)),
                     TR_SERVE_HELP);
    assert_int_equal(tr_serve_parse(ARGC(serve_port), serve_port, &so, err, sizeof(err)),
                     TR_SERVE_GO);
    assert_int_equal(so.cfg.port, 0);
#endif
}

#ifdef TILERACE_HAVE_SERVER
static void test_serve_options_parsed(void **state)
{
    (void)state;
    char *argv[] = {"serve",
                    "--allow-origin",
                    "http://a.example:*",
                    "--cap-pixels",
                    "100",
                    "--bind",
                    "::1",
                    "--max-queued",
                    "0",
                    NULL};
    struct tr_serve_options o;
    char err[512] = "";
    assert_int_equal(tr_serve_parse(ARGC(argv), argv, &o, err, sizeof(err)), TR_SERVE_GO);
    assert_int_equal(o.cfg.cors.n, 1);
    assert_string_equal(o.cfg.cors.origins[0], "http://a.example:*");
    assert_int_equal(o.cfg.caps.pixels, 100);
    assert_string_equal(o.cfg.bind, "::1");
    assert_int_equal(o.cfg.max_queued, 0);
    assert_int_equal(o.shutdown_timeout_ms, 10000);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_options_parsed),
        cmocka_unit_test(test_run_first_of_help_and_error_wins),
        cmocka_unit_test(test_parsers_run_again),
#ifdef TILERACE_HAVE_SERVER
        cmocka_unit_test(test_serve_options_parsed),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
