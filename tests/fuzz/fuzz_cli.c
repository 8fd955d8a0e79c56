/*
 * The command line: the input is an argv vector, its arguments separated by NUL bytes. The
 * first argument picks the command as main() does ("run", "serve", or options of run), and
 * the command's real option parser reads it; nothing is rendered, opened or served.
 * Properties: the parser answers go, help/version or the usage status; an error comes with a
 * one-line message; accepted options are within the program's limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "cli/serve.h"
#include "core/device_spec.h"
#include "core/params.h"
#include "core/status.h"
#include "fuzz_common.h"
#include "server/listen.h"

#define MAX_ARGS 64

static void check_run(int argc, char **argv)
{
    struct tr_run_options o;
    struct tr_device_list list;
    char err[512] = "", why[400];
    int rc = tr_cli_run_parse(argc, argv, &o, err, sizeof(err));
    if (rc == TR_CLI_RUN_HELP || rc == TR_CLI_RUN_VERSION)
        return;
    if (rc != TR_CLI_RUN_GO) {
        FUZZ_CHECK(rc == TR_ERR_USAGE, "run: status %d for bad options (usage expected): %s", rc,
                   err);
        fuzz_check_printed("run", err, sizeof(err));
        return;
    }
    FUZZ_CHECK(tr_params_check(&o.params, err, sizeof(err)) == 0, "run: accepted, then: %s", err);
    for (int id = 0; id < TR_PARAM_NUMBERS; id++) {
        const struct tr_option *n = &tr_options[id];
        uint32_t v = tr_params_number(&o.params, (enum tr_option_id)id);
        FUZZ_CHECK(v >= n->min && v <= n->max, "run: --%s %u accepted (range %llu..%llu)", n->name,
                   v, (unsigned long long)n->min, (unsigned long long)n->max);
    }
    /* --device is a list of devices ("cpu,pocl", "all@1") */
    FUZZ_CHECK(tr_device_list_parse(o.params.device, TR_MAX_THREADS, &list, why, sizeof(why)) == 0,
               "run: --device '%s' accepted, then: %s", o.params.device, why);
    FUZZ_CHECK(o.out != NULL, "run: no output path");
    FUZZ_CHECK(!o.extras.image_path || (o.extras.image_path[0] && strcmp(o.extras.image_path, "-")),
               "run: --image '%s' accepted", o.extras.image_path);
}

static void check_serve(int argc, char **argv)
{
    struct tr_serve_options o;
    char err[512] = "";
    int is_ipv6;
    int rc = tr_serve_parse(argc, argv, &o, err, sizeof(err));
    if (rc == TR_SERVE_HELP)
        return;
    if (rc != TR_SERVE_GO) {
        FUZZ_CHECK(rc == TR_ERR_USAGE, "serve: status %d for bad options (usage expected): %s", rc,
                   err);
        fuzz_check_printed("serve", err, sizeof(err));
        return;
    }
    const struct tr_server_config *c = &o.cfg;
    FUZZ_CHECK(tr_ip_literal(c->bind, &is_ipv6) == 0, "serve: --bind '%s' accepted", c->bind);
    FUZZ_CHECK(c->caps.pixels >= 1 && c->caps.pixels <= TR_MAX_PIXELS, "serve: cap-pixels %llu",
               (unsigned long long)c->caps.pixels);
    FUZZ_CHECK(c->caps.tiles >= 1 && c->caps.tiles <= TR_MAX_TILES, "serve: cap-tiles %llu",
               (unsigned long long)c->caps.tiles);
    FUZZ_CHECK(c->max_renders >= 1 && c->max_renders <= tr_options[TR_OPTION_MAX_RENDERS].max,
               "serve: max-renders %u", c->max_renders);
    FUZZ_CHECK(c->max_connections >= 1 &&
                   c->max_connections <= tr_options[TR_OPTION_MAX_CONNECTIONS].max,
               "serve: max-connections %u", c->max_connections);
    FUZZ_CHECK(c->cors.n >= 1 && c->cors.n <= TR_CORS_MAX_ORIGINS, "serve: %zu origins", c->cors.n);
    for (size_t i = 0; i < c->cors.n; i++)
        FUZZ_CHECK(strnlen(c->cors.origins[i], TR_CORS_ORIGIN_MAX + 1) <= TR_CORS_ORIGIN_MAX,
                   "serve: origin %zu is not terminated", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    argv[argc++] = "tilerace";
    if (size > 0) {
        /* n NUL bytes: n + 1 arguments, empty ones included */
        for (char *p = text; argc <= MAX_ARGS; p += strlen(p) + 1) {
            argv[argc++] = p;
            if (p + strlen(p) >= text + size)
                break;
        }
    }
    argv[argc] = NULL;

    /* the command table of main() */
    if (argc > 1 && !strcmp(argv[1], "serve"))
        check_serve(argc - 1, argv + 1);
    else if (argc > 1 && !strcmp(argv[1], "run"))
        check_run(argc - 1, argv + 1);
    else if (argc == 1 || argv[1][0] == '-')
        check_run(argc, argv);
    free(text);
    return 0;
}
