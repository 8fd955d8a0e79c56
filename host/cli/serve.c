#include "cli/serve.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/exit_codes.h"
#include "cli/usage.h"
#include "core/clock.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "server/listen.h"
#include "server/server.h"

#define CANCEL_GRACE_MS 5000 /* after the deadline, for renders to reach their next tile */

enum {
    OPT_BIND = 1000,
    OPT_PORT,
    OPT_ALLOW_ORIGIN,
    OPT_ALLOW_HOST,
    OPT_CAP_PIXELS,
    OPT_CAP_TILES,
    OPT_CAP_TILE_PIXELS,
    OPT_CAP_MAX_ITER,
    OPT_CAP_TIME_LIMIT,
    OPT_CAP_THREADS,
    OPT_MAX_RENDERS,
    OPT_MAX_QUEUED,
    OPT_MAX_CONNECTIONS,
    OPT_REQUEST_TIMEOUT,
    OPT_SHUTDOWN_TIMEOUT,
    OPT_LOG_REQUESTS,
};

/* Prints msg and returns the exit code for status. */
static int fail(enum tr_status status, const char *msg)
{
    tr_text_print_line(stderr, "tilerace: ", msg);
    return tr_exit_code(status);
}

static const struct {
    int id;
    const char *name;
    uint64_t min, max;
} numbers[] = {
    {OPT_PORT, "port", 0, 65535},
    {OPT_CAP_PIXELS, "cap-pixels", 1, TR_MAX_PIXELS},
    {OPT_CAP_TILES, "cap-tiles", 1, TR_MAX_TILES},
    {OPT_CAP_TILE_PIXELS, "cap-tile-pixels", 1, TR_MAX_PIXELS},
    {OPT_CAP_MAX_ITER, "cap-max-iter", 1, 65535},
    {OPT_CAP_TIME_LIMIT, "cap-time-limit-ms", 0, 86400000},
    {OPT_CAP_THREADS, "cap-num-threads", 1, 256},
    {OPT_MAX_RENDERS, "max-renders", 1, 256},
    {OPT_MAX_QUEUED, "max-queued", 0, 4096},
    {OPT_MAX_CONNECTIONS, "max-connections", 1, 65536},
    {OPT_REQUEST_TIMEOUT, "request-timeout-ms", 100, 3600000},
    {OPT_SHUTDOWN_TIMEOUT, "shutdown-timeout-ms", 0, 3600000},
};

static int set_option(struct tr_serve_options *o, int id, uint64_t v)
{
    struct tr_server_config *c = &o->cfg;
    switch (id) {
    case OPT_PORT:
        c->port = (uint16_t)v;
        break;
    case OPT_CAP_PIXELS:
        c->caps.pixels = v;
        break;
    case OPT_CAP_TILES:
        c->caps.tiles = v;
        break;
    case OPT_CAP_TILE_PIXELS:
        c->caps.tile_pixels = v;
        break;
    case OPT_CAP_MAX_ITER:
        c->caps.max_iter = (uint32_t)v;
        break;
    case OPT_CAP_TIME_LIMIT:
        c->caps.time_limit_ms = (uint32_t)v;
        break;
    case OPT_CAP_THREADS:
        c->caps.num_threads = (uint32_t)v;
        break;
    case OPT_MAX_RENDERS:
        c->max_renders = (uint32_t)v;
        break;
    case OPT_MAX_QUEUED:
        c->max_queued = (uint32_t)v;
        break;
    case OPT_MAX_CONNECTIONS:
        c->max_connections = (uint32_t)v;
        break;
    case OPT_REQUEST_TIMEOUT:
        c->request_timeout_ms = (uint32_t)v;
        break;
    case OPT_SHUTDOWN_TIMEOUT:
        o->shutdown_timeout_ms = (uint32_t)v;
        break;
    default:
        return -1;
    }
    return 0;
}

int tr_serve_parse(int argc, char **argv, struct tr_serve_options *o, char *err, size_t errlen)
{
    static const struct option fixed[] = {
        {"bind", required_argument, NULL, OPT_BIND},
        {"allow-origin", required_argument, NULL, OPT_ALLOW_ORIGIN},
        {"allow-host", required_argument, NULL, OPT_ALLOW_HOST},
        {"log-requests", no_argument, NULL, OPT_LOG_REQUESTS},
        {"help", no_argument, NULL, 'h'},
    };
    struct option
        longopts[sizeof(fixed) / sizeof(fixed[0]) + sizeof(numbers) / sizeof(numbers[0]) + 1];
    size_t n = 0;
    char label[48];
    int origins_given = 0, is_ipv6, c, rc = 0;
    uint64_t v;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        longopts[n++] = (struct option){numbers[i].name, required_argument, NULL, numbers[i].id};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        longopts[n++] = fixed[i];
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    tr_server_config_defaults(&o->cfg);
    o->shutdown_timeout_ms = 10000;
    opterr = 0;
    optind = 0; /* 0, not 1: glibc and musl then reset getopt fully, so this may run again */
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        const char *name = argv[optind - 1];
        rc = 0;
        switch (c) {
        case OPT_BIND:
            if (tr_ip_literal(optarg, &is_ipv6) != 0 || strlen(optarg) >= sizeof(o->cfg.bind)) {
                snprintf(err, errlen,
                         "--bind: '%.60s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, ::1, "
                         "0.0.0.0)",
                         optarg);
                rc = TR_ERR_USAGE;
            } else {
                snprintf(o->cfg.bind, sizeof(o->cfg.bind), "%s", optarg);
            }
            break;
        case OPT_ALLOW_ORIGIN: {
            char why[400];
            if (!origins_given) /* the first one replaces the loopback default */
                o->cfg.cors.n = 0;
            origins_given = 1;
            if (tr_cors_add(&o->cfg.cors, optarg, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "--allow-origin: %s", why);
                rc = TR_ERR_USAGE;
            }
            break;
        }
        case OPT_ALLOW_HOST: {
            char why[400];
            if (tr_host_allow(&o->cfg.hosts, optarg, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "--allow-host: %s", why);
                rc = TR_ERR_USAGE;
            }
            break;
        }
        case OPT_LOG_REQUESTS:
            o->cfg.log_requests = 1;
            break;
        case 'h':
            return TR_SERVE_HELP;
        case ':':
            snprintf(err, errlen, "%.60s: a value is missing (see tilerace serve --help)", name);
            rc = TR_ERR_USAGE;
            break;
        case '?': {
            char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
            snprintf(err, errlen, "unknown option '%s' (see tilerace serve --help)",
                     tr_usage_refused_option(q, sizeof(q), argc, argv));
            rc = TR_ERR_USAGE;
            break;
        }
        default:
            for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
                if (numbers[i].id != c)
                    continue;
                snprintf(label, sizeof(label), "--%s", numbers[i].name);
                rc =
                    tr_parse_number(label, optarg, numbers[i].min, numbers[i].max, &v, err, errlen);
                if (rc == 0)
                    set_option(o, c, v);
            }
            break;
        }
        if (rc)
            return rc;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%.60s' (see tilerace serve --help)",
                 argv[optind]);
        return TR_ERR_USAGE;
    }
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
        tr_usage_serve(stdout);
        return TR_EXIT_OK;
    }
    if (rc != TR_SERVE_GO)
        return fail(rc, err);

    /* Blocked before any thread starts, so that only sigwait() here sees them. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((rc = tr_server_start(&o.cfg, &srv, err, sizeof(err))) != 0) {
        char msg[600];
        snprintf(msg, sizeof(msg), "serve: %s", err);
        return fail(rc, msg);
    }
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
