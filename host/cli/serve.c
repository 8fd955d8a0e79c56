#include "cli/serve.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "core/clock.h"
#include "cli/exit_codes.h"
#include "core/device_spec.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "server/listen.h"
#include "server/server.h"

#define CANCEL_GRACE_MS 5000 /* after the deadline, for renders to reach their next tile */

/* Sets the number option id; the parser has checked its range. */
static void set_number(struct tr_serve_options *o, enum tr_option_id id, uint64_t v)
{
    struct tr_server_config *c = &o->cfg;
    switch (id) {
    case TR_OPTION_PORT:
        c->port = (uint16_t)v;
        break;
    case TR_OPTION_CAP_PIXELS:
        c->caps.pixels = v;
        break;
    case TR_OPTION_CAP_TILES:
        c->caps.tiles = v;
        break;
    case TR_OPTION_CAP_TILE_PIXELS:
        c->caps.tile_pixels = v;
        break;
    case TR_OPTION_CAP_MAX_ITER:
        c->caps.max_iter = (uint32_t)v;
        break;
    case TR_OPTION_CAP_TIME_LIMIT_MS:
        c->caps.time_limit_ms = (uint32_t)v;
        break;
    case TR_OPTION_CAP_NUM_THREADS:
        c->caps.num_threads = (uint32_t)v;
        break;
    case TR_OPTION_MAX_RENDERS:
        c->max_renders = (uint32_t)v;
        break;
    case TR_OPTION_MAX_QUEUED:
        c->max_queued = (uint32_t)v;
        break;
    case TR_OPTION_MAX_CONNECTIONS:
        c->max_connections = (uint32_t)v;
        break;
    case TR_OPTION_REQUEST_TIMEOUT_MS:
        c->request_timeout_ms = (uint32_t)v;
        break;
    case TR_OPTION_SHUTDOWN_TIMEOUT_MS:
        o->shutdown_timeout_ms = (uint32_t)v;
        break;
    default:
        break;
    }
}

/* --warm's value: selectors separated by commas, each checked now (preparing them waits
 * for tr_server_start). */
static int add_warm(struct tr_server_config *c, const char *value, char *err, size_t errlen)
{
    char why[400], q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    struct tr_device_spec spec;
    const char *p = value;
    do {
        size_t len = strcspn(p, ",");
        char one[TR_DEVICE_MAXLEN];
        if (len >= sizeof(one)) {
            tr_text_quote(q, sizeof(q), p, TR_ECHO_CHARS);
            snprintf(err, errlen,
                     "--warm: %s is not a device (accepted: opencl, gpu, pocl, "
                     "opencl:P.D)",
                     q);
            return TR_EXIT_USAGE;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        if (tr_device_spec_parse(one, &spec, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "--warm: %s", why);
            return TR_EXIT_USAGE;
        }
        if (c->n_warm == TR_MAX_WARM) {
            snprintf(err, errlen, "--warm: '%s' is one too many (at most %d devices)", one,
                     TR_MAX_WARM);
            return TR_EXIT_USAGE;
        }
        snprintf(c->warm[c->n_warm++], sizeof(c->warm[0]), "%s", one);
        p += len;
    } while (*p++ == ',');
    return 0;
}

int tr_serve_parse(int argc, char **argv, struct tr_serve_options *o, char *err, size_t errlen)
{
    struct tr_cli_parser ps;
    char label[48], why[400];
    int origins_given = 0, is_ipv6, id, rc = 0;
    uint64_t v;

    tr_server_config_defaults(&o->cfg);
    o->shutdown_timeout_ms = (uint32_t)tr_options[TR_OPTION_SHUTDOWN_TIMEOUT_MS].def;
    tr_cli_parser_init(&ps, TR_CMD_SERVE, 0, "tilerace serve --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, errlen)) != TR_CLI_END) {
        if (id == TR_CLI_ERROR)
            return TR_EXIT_USAGE;
        const struct tr_option *opt = &tr_options[id];
        snprintf(label, sizeof(label), "--%s", opt->name);
        switch (id) {
        case TR_OPTION_BIND:
            if (tr_ip_literal(optarg, &is_ipv6) != 0 || strlen(optarg) >= sizeof(o->cfg.bind)) {
                snprintf(err, errlen,
                         "--bind: '%.60s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, ::1, "
                         "0.0.0.0)",
                         optarg);
                rc = TR_EXIT_USAGE;
            } else {
                snprintf(o->cfg.bind, sizeof(o->cfg.bind), "%s", optarg);
            }
            break;
        case TR_OPTION_ALLOW_ORIGIN:
            if (!origins_given) /* the first one replaces the loopback default */
                o->cfg.cors.n = 0;
            origins_given = 1;
            if (tr_cors_add(&o->cfg.cors, optarg, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "--allow-origin: %s", why);
                rc = TR_EXIT_USAGE;
            }
            break;
        case TR_OPTION_ALLOW_HOST:
            if (tr_host_allow(&o->cfg.hosts, optarg, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "--allow-host: %s", why);
                rc = TR_EXIT_USAGE;
            }
            break;
        case TR_OPTION_LOG_REQUESTS:
            o->cfg.log_requests = 1;
            break;
        case TR_OPTION_WARM:
            rc = add_warm(&o->cfg, optarg, err, errlen);
            break;
        case TR_OPTION_HELP:
            return TR_SERVE_HELP;
        default:
            rc = tr_parse_number(label, optarg, opt->min, opt->max, &v, err, errlen);
            if (rc == 0)
                set_number(o, (enum tr_option_id)id, v);
            break;
        }
        if (rc)
            return rc;
    }
    if ((rc = tr_cli_no_operands(&ps, err, errlen)) != 0)
        return rc;
    return TR_SERVE_GO;
}

/* Waits up to ms for the requests in progress, or until another signal; 1 when all ended. */
static int wait_idle(struct tr_server *srv, const sigset_t *signals, int64_t ms)
{
    int64_t deadline = tr_deadline_ns(ms);
    struct timespec tick = {0, 20 * 1000000};
    while (tr_server_busy(srv)) {
        if (tr_now_ns() >= deadline)
            return 0;
        int sig = sigtimedwait(signals, NULL, &tick);
        if (sig > 0) {
            fprintf(stderr, "tilerace serve: %s again: not waiting any longer\n", strsignal(sig));
            return 0;
        }
    }
    return 1;
}

int tr_serve_main(int argc, char **argv)
{
    struct tr_serve_options o;
    struct tr_server *srv = NULL;
    sigset_t signals;
    char err[512];
    int sig = 0;
    int rc = tr_serve_parse(argc, argv, &o, err, sizeof(err));
    if (rc == TR_SERVE_HELP) {
        tr_help_command(stdout, tr_cli_command_of(TR_CMD_SERVE));
        return TR_EXIT_OK;
    }
    if (rc != TR_SERVE_GO)
        return tr_cli_fail(rc, "%s", err);

    /* Blocked before any thread starts, so that only sigwait() here sees them. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((rc = tr_server_start(&o.cfg, &srv, err, sizeof(err))) != 0)
        return tr_cli_fail(rc, "serve: %s", err);
    printf("tilerace serve: listening on %s\n", tr_server_url(srv));
    fflush(stdout);

    sigwait(&signals, &sig);
    tr_server_quiesce(srv);
    fprintf(stderr,
            "tilerace serve: %s: stopped accepting connections; waiting up to %u ms for %u "
            "requests in progress\n",
            strsignal(sig), o.shutdown_timeout_ms, tr_server_busy(srv));
    if (!wait_idle(srv, &signals, o.shutdown_timeout_ms)) {
        fprintf(stderr, "tilerace serve: cancelling %u requests still in progress\n",
                tr_server_busy(srv));
        tr_server_cancel_all(srv);
        wait_idle(srv, &signals, CANCEL_GRACE_MS);
    }
    tr_server_free(srv);
    fprintf(stderr, "tilerace serve: stopped\n");
    return TR_EXIT_OK;
}
