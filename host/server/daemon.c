#include "server/server.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/exit_codes.h"
#include "server/json_answer.h"
#include "server/listen.h"
#include "server/private.h"
#include "server/query.h"

#define CONN_MEMORY    (64 * 1024) /* per connection: request line, headers, write buffer */
#define IDLE_TIMEOUT_S 30          /* kept-alive connections idle longer are closed */

/* Per connection: its current request's raw target, saved before MHD decodes it in place. */
struct conn_state {
    char *target;
    int too_long;
};

enum route_kind { ROUTE_PAGE, ROUTE_HEALTH, ROUTE_COMPUTE, ROUTE_STREAM };

static const struct route {
    const char *path;
    enum route_kind kind;
    enum tr_mode mode;
} routes[] = {
    {"/", ROUTE_PAGE, TR_MODE_CONCURRENT},
    {"/api/compute/health", ROUTE_HEALTH, TR_MODE_CONCURRENT},
    {"/api/compute/sequential", ROUTE_COMPUTE, TR_MODE_SEQUENTIAL},
    {"/api/compute/concurrent", ROUTE_COMPUTE, TR_MODE_CONCURRENT},
    {"/api/compute/dynamic", ROUTE_COMPUTE, TR_MODE_DYNAMIC},
    {"/api/compute/sequential/stream", ROUTE_STREAM, TR_MODE_SEQUENTIAL},
    {"/api/compute/concurrent/stream", ROUTE_STREAM, TR_MODE_CONCURRENT},
    {"/api/compute/dynamic/stream", ROUTE_STREAM, TR_MODE_DYNAMIC},
};

void tr_server_config_defaults(struct tr_server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->bind, sizeof(cfg->bind), "127.0.0.1");
    cfg->port = 8405;
    tr_server_caps_defaults(&cfg->caps);
    cfg->max_renders = 4;
    cfg->max_queued = 16;
    cfg->max_connections = 256;
    tr_cors_init_loopback(&cfg->cors);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    tr_srv_log("libmicrohttpd: %s", line);
}

void tr_srv_busy_add(struct tr_server *s, int delta)
{
    pthread_mutex_lock(&s->lock);
    s->busy += (unsigned)delta;
    pthread_mutex_unlock(&s->lock);
}

static struct conn_state *connection_state(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* ---- MHD callbacks -------------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct conn_state));
    } else {
        struct conn_state *cs = *socket_context;
        if (cs)
            free(cs->target);
        free(cs);
        *socket_context = NULL;
    }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct conn_state *cs = connection_state(c);
    (void)cls;
    if (cs) {
        free(cs->target);
        cs->target = NULL;
        cs->too_long = strlen(uri) > TR_HTTP_MAX_TARGET;
        if (!cs->too_long)
            cs->target = strdup(uri); /* NULL when out of memory: answered as 500 */
    }
    return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct tr_server *s = cls;
    struct request *rq = *req_cls;
    (void)c;
    if (!rq)
        return;
    if (s->cfg.log_requests)
        tr_srv_log("%s %s -> %u%s (%.1f ms)", rq->method, rq->target, rq->status,
                   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ", connection ended early",
                   (double)(tr_now_ns() - rq->t0) / 1e6);
    tr_srv_busy_add(s, -1);
    free(rq);
    *req_cls = NULL;
}

static const struct route *find_route(const char *path)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (!strcmp(routes[i].path, path))
            return &routes[i];
    return NULL;
}

/* The page at GET / calling its own server is never cross-origin, whatever the bind address. */
static int same_origin(struct MHD_Connection *c, const char *origin)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    return host && !strncmp(origin, "http://", 7) && !strcmp(origin + 7, host);
}

static enum MHD_Result dispatch(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                const char *method, int get_or_options)
{
    struct conn_state *cs = connection_state(c);
    struct tr_http_target t;
    char msg[512], q[200];
    enum MHD_Result ret;

    /* Origin first: even errors carry CORS headers, so that the page can read them. */
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    int origin_ok = origin && (tr_cors_allowed(&s->cfg.cors, origin) || same_origin(c, origin));
    const char *echo = origin_ok ? origin : NULL;

    if (!cs || cs->too_long) {
        snprintf(msg, sizeof(msg), "URL too long (accepted: at most %d bytes)", TR_HTTP_MAX_TARGET);
        return tr_srv_error(s, c, rq, 414, TR_HTTP_ERR_URI_LONG, msg, echo);
    }
    if (!cs->target)
        return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL, "out of memory", echo);
    if (tr_http_target_parse(cs->target, &t, msg, sizeof(msg)) != 0) {
        tr_http_target_free(&t);
        return tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_MALFORMED, msg, echo);
    }

    const struct route *rt = find_route(t.path);
    if (!rt) {
        tr_srv_printable(q, sizeof(q), t.path);
        snprintf(msg, sizeof(msg),
                 "no such endpoint: '%s' (endpoints: /, /api/compute/health, "
                 "/api/compute/{sequential,concurrent,dynamic}[/stream])",
                 q);
        ret = tr_srv_error(s, c, rq, 404, TR_HTTP_ERR_NOT_FOUND, msg, echo);
    } else if (!get_or_options) {
        snprintf(msg, sizeof(msg), "method '%s' is not allowed on %s (accepted: GET, OPTIONS)",
                 rq->method, rt->path);
        ret = tr_srv_error(s, c, rq, 405, TR_HTTP_ERR_METHOD, msg, echo);
    } else if (origin && !origin_ok) {
        tr_srv_printable(q, sizeof(q), origin);
        snprintf(msg, sizeof(msg),
                 "origin '%s' is not allowed (this server accepts its --allow-origin list)", q);
        ret = tr_srv_error(s, c, rq, 403, TR_HTTP_ERR_ORIGIN, msg, NULL);
    } else if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS)) {
        ret = tr_srv_preflight(s, c, rq, echo);
    } else if (atomic_load(&s->stopping)) {
        ret =
            tr_srv_error(s, c, rq, 503, TR_HTTP_ERR_STOPPING, "the server is shutting down", echo);
    } else if (rt->kind == ROUTE_PAGE) {
        /* its query string is the page's own (prefilling the form), not the server's */
        ret = tr_srv_page(s, c, rq, echo);
    } else if (rt->kind == ROUTE_HEALTH) {
        if (t.n_pairs) {
            tr_srv_printable(q, sizeof(q), t.pairs[0].key);
            snprintf(msg, sizeof(msg), "unknown parameter '%s' (health takes no parameters)", q);
            ret = tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, msg, echo);
        } else {
            ret = tr_srv_health(s, c, rq, echo);
        }
    } else if (rt->kind == ROUTE_COMPUTE) {
        ret = tr_srv_compute(s, c, rq, rt->mode, &t, echo);
    } else {
        ret = tr_srv_stream(s, c, rq, rt->mode, &t, echo);
    }
    tr_http_target_free(&t);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct tr_server *s = cls;
    struct request *rq = *req_cls;
    (void)version;
    (void)upload_data;
    int get_or_options =
        !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_OPTIONS);
    if (rq) {
        if (*upload_data_size) { /* a body that nobody reads */
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (rq->answered)
            return MHD_YES;
    } else {
        struct conn_state *cs = connection_state(c);
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *req_cls = rq;
        tr_srv_busy_add(s, 1); /* given back in on_completed */
        rq->t0 = tr_now_ns();
        tr_srv_printable(rq->method, sizeof(rq->method), method);
        tr_srv_printable(rq->target, sizeof(rq->target), cs && cs->target ? cs->target : url);
        /* A GET is answered once the whole request is in: answering in this first call would
         * make MHD close the connection. Other methods are refused now, their body unread. */
        if (get_or_options)
            return MHD_YES;
    }
    rq->answered = 1;
    return dispatch(s, c, rq, method, get_or_options);
}

/* ---- life cycle ---------------------------------------------------------------------- */

int tr_server_start(const struct tr_server_config *cfg, struct tr_server **out, char *err,
                    size_t errlen)
{
    int rc = TR_EXIT_FAILURE, fd = -1, is_ipv6 = 0, have_lock = 0, have_gate = 0;
    uint16_t port = 0;
    struct tr_server *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->cfg = *cfg;
    s->quiesced_fd = MHD_INVALID_SOCKET;
    atomic_init(&s->stopping, 0);
    atomic_init(&s->stop_all, 0);
    have_lock = pthread_mutex_init(&s->lock, NULL) == 0;
    have_gate = tr_render_gate_init(&s->gate, cfg->max_renders, cfg->max_queued) == 0;
    if (!have_lock || !have_gate) {
        snprintf(err, errlen, "could not create locks");
        goto fail;
    }
    fd = tr_listen_tcp(cfg->bind, cfg->port, &is_ipv6, &port, err, errlen);
    if (fd < 0) {
        rc = TR_EXIT_IO;
        goto fail;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG | (is_ipv6 ? MHD_USE_IPv6 : 0);
    /* The logger goes first so that MHD's own messages about later options reach it. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "libmicrohttpd could not start on %s port %u", cfg->bind,
                 (unsigned)port);
        goto fail;
    }
    snprintf(s->url, sizeof(s->url), "http://%s%s%s:%u/", is_ipv6 ? "[" : "", cfg->bind,
             is_ipv6 ? "]" : "", (unsigned)port);
    *out = s;
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    if (have_gate)
        tr_render_gate_destroy(&s->gate);
    if (have_lock)
        pthread_mutex_destroy(&s->lock);
    free(s);
    return rc;
}

const char *tr_server_url(const struct tr_server *s)
{
    return s->url;
}

void tr_server_quiesce(struct tr_server *s)
{
    atomic_store(&s->stopping, 1);
    /* MHD's threads may still hold the socket until MHD_stop_daemon, so it stays open until
     * then; shutdown() makes the kernel refuse new connections now. */
    s->quiesced_fd = MHD_quiesce_daemon(s->daemon);
    if (s->quiesced_fd != MHD_INVALID_SOCKET)
        shutdown(s->quiesced_fd, SHUT_RDWR);
}

unsigned tr_server_busy(struct tr_server *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned n = s->busy;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void tr_server_cancel_all(struct tr_server *s)
{
    atomic_store(&s->stop_all, 1);
}

void tr_server_free(struct tr_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    if (s->quiesced_fd != MHD_INVALID_SOCKET)
        close(s->quiesced_fd);
    tr_render_gate_destroy(&s->gate);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
