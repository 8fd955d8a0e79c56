#include "server.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "exit_codes.h"
#include "http_json.h"
#include "http_peer.h"
#include "http_query.h"
#include "http_sse.h"
#include "job.h"
#include "output_json.h"
#include "render_gate.h"
#include "server_listen.h"

#define SSE_BLOCK      (16 * 1024)
#define CONN_MEMORY    (64 * 1024) /* per connection: request line, headers, write buffer */
#define IDLE_TIMEOUT_S 30          /* kept-alive connections idle longer are closed */
#define GATE_POLL_MS   100         /* how often a queued request checks for its client */
#define RETRY_AFTER_S  "1"
#define LOG_TARGET_MAX 160

struct tr_server {
    struct tr_server_config cfg;
    struct MHD_Daemon *daemon;
    char url[96];
    struct tr_render_gate gate;
    atomic_int stopping; /* quiesced: new requests get 503 */
    atomic_int stop_all; /* every render stops at its next tile */
    pthread_mutex_t lock;
    unsigned busy;          /* requests and streams in progress */
    MHD_socket quiesced_fd; /* the listening socket, ours to close after MHD stops */
};

/* Per connection: its current request's raw target, saved before MHD decodes it in place. */
struct conn_state {
    char *target;
    int too_long;
};

/* Per request, from the first call of the access handler to MHD's "completed" notice. */
struct request {
    int64_t t0;
    unsigned status; /* 0: the connection was closed without an answer */
    int answered;
    char method[16];
    char target[LOG_TARGET_MAX + 4];
};

struct stream_ctx {
    struct tr_server *s;
    struct tr_sse_stream *sse;
    char target[LOG_TARGET_MAX + 4];
};

enum route_kind { ROUTE_HEALTH, ROUTE_COMPUTE, ROUTE_STREAM };

static const struct route {
    const char *path;
    enum route_kind kind;
    enum tr_mode mode;
} routes[] = {
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

static void log_line(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "tilerace serve: %s\n", line); /* one call: lines never interleave */
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_line("libmicrohttpd: %s", line);
}

/* A short, printable copy for log lines and messages. */
static void printable(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);
    snprintf(dst, dstlen, "%.*s%s", LOG_TARGET_MAX, src, n > LOG_TARGET_MAX ? "..." : "");
    for (char *c = dst; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
}

static void busy_add(struct tr_server *s, int delta)
{
    pthread_mutex_lock(&s->lock);
    s->busy += (unsigned)delta;
    pthread_mutex_unlock(&s->lock);
}

static int connection_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return i ? i->connect_fd : -1;
}

static struct conn_state *connection_state(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* ---- responses ---------------------------------------------------------------------- */

static struct MHD_Response *json_response(char *body)
{
    struct MHD_Response *r = NULL;
    if (!body)
        return NULL;
    r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    return r;
}

/* Adds what every answer carries, queues it and drops our reference. origin: the request's
 * Origin when it is allowed, else NULL. */
static enum MHD_Result queue(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, struct MHD_Response *r, const char *origin)
{
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
    if (origin) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        MHD_add_response_header(r, "Access-Control-Allow-Credentials", "true");
    }
    if (atomic_load(&s->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    rq->status = status;
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer_error(struct tr_server *s, struct MHD_Connection *c,
                                    struct request *rq, unsigned status, const char *error,
                                    const char *message, const char *origin)
{
    struct MHD_Response *r = json_response(tr_http_error_body(error, message));
    if (r && status == 503 && strcmp(error, TR_HTTP_ERR_DEVICE) != 0)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER_S);
    if (r && status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, TR_CORS_ALLOW_METHODS);
    return queue(s, c, rq, status, r, origin);
}

/* ---- endpoints ---------------------------------------------------------------------- */

static enum MHD_Result serve_health(struct tr_server *s, struct MHD_Connection *c,
                                    struct request *rq, const char *origin)
{
    struct tr_gate_stats st;
    tr_render_gate_stats(&s->gate, &st);
    char *body = tr_http_health_body(&st, atomic_load(&s->stopping));
    return queue(s, c, rq, 200, json_response(body), origin);
}

static int abandon_wait(void *ctx)
{
    return tr_peer_watch_check(ctx);
}

static void watch_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    (void)rec;
    (void)frame;
    tr_peer_watch_check(user);
}

/* Takes a render slot; returns 1 when admitted, else 0 with the answer (or MHD_NO) in *ret. */
static int admit(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                 struct tr_peer_watch *watch, const char *origin, enum MHD_Result *ret)
{
    char msg[256];
    switch (tr_render_gate_enter(&s->gate, abandon_wait, watch, GATE_POLL_MS)) {
    case TR_GATE_ADMITTED:
        return 1;
    case TR_GATE_BUSY:
        snprintf(msg, sizeof(msg),
                 "the server is busy: all %u render slots and %u queue places are taken (try "
                 "again in " RETRY_AFTER_S " s)",
                 s->cfg.max_renders, s->cfg.max_queued);
        *ret = answer_error(s, c, rq, 503, TR_HTTP_ERR_BUSY, msg, origin);
        return 0;
    default:
        if (atomic_load(&watch->peer_gone)) {
            log_line("client went away while queued: %s", rq->target);
            *ret = MHD_NO;
        } else {
            *ret = answer_error(s, c, rq, 503, TR_HTTP_ERR_STOPPING, "the server is shutting down",
                                origin);
        }
        return 0;
    }
}

static enum MHD_Result serve_compute(struct tr_server *s, struct MHD_Connection *c,
                                     struct request *rq, const struct route *rt,
                                     const struct tr_http_target *t, const char *origin)
{
    struct tr_params p;
    struct tr_peer_watch watch;
    struct tr_job job;
    struct tr_job_options jo;
    enum MHD_Result ret;
    const char *error;
    char err[512], *body = NULL;
    size_t len = 0;
    FILE *f = NULL;

    int rc = tr_http_params_parse(t, rt->mode, &s->cfg.caps, &p, err, sizeof(err));
    if (rc)
        return answer_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, err, origin);
    tr_peer_watch_init(&watch, connection_fd(c), &s->stop_all);
    if (!admit(s, c, rq, &watch, origin, &ret))
        return ret;

    memset(&jo, 0, sizeof(jo));
    jo.hooks.on_tile = watch_tile;
    jo.hooks.user = &watch;
    jo.hooks.cancel = &watch.cancel;
    rc = tr_job_run(&p, &jo, &job, err, sizeof(err));
    int peer_gone = atomic_load(&watch.peer_gone);
    if (rc == 0 && !peer_gone) {
        int failed = (f = open_memstream(&body, &len)) == NULL || tr_json_write_document(f, &job);
        if ((f && fclose(f) != 0) || failed) {
            free(body);
            body = NULL; /* answered as 500 below */
        }
    }
    tr_render_gate_leave(&s->gate, rc                  ? TR_GATE_FAILED
                                   : job.run.cancelled ? TR_GATE_CANCELLED
                                                       : TR_GATE_COMPLETED);
    if (peer_gone) {
        log_line("render cancelled, client went away after %zu/%llu tiles: %s", job.run.n_records,
                 (unsigned long long)job.run.tiles_total, rq->target);
        tr_job_free(&job);
        free(body);
        return MHD_NO;
    }
    tr_job_free(&job);
    if (rc) {
        unsigned status = tr_http_status_for_exit(rc, &error);
        if (status >= 500)
            log_line("render failed (%u): %s: %s", status, err, rq->target);
        return answer_error(s, c, rq, status, error, err, origin);
    }
    if (!body)
        return answer_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL,
                            "out of memory while writing the answer", origin);
    return queue(s, c, rq, 200, json_response(body), origin);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream_ctx *ctx = cls;
    (void)pos;
    ssize_t n = tr_sse_read(ctx->sse, buf, max);
    if (n == TR_SSE_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n == TR_SSE_ERROR ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void stream_free(void *cls)
{
    struct stream_ctx *ctx = cls;
    struct tr_sse_result res;
    tr_sse_finish(ctx->sse, &res);
    tr_render_gate_leave(&ctx->s->gate, res.rc          ? TR_GATE_FAILED
                                        : res.cancelled ? TR_GATE_CANCELLED
                                                        : TR_GATE_COMPLETED);
    if (res.peer_gone)
        log_line("stream %s, client went away after %zu/%zu tiles sent: %s",
                 res.cancelled ? "cancelled" : "ended", res.tiles_sent, res.tiles_total,
                 ctx->target);
    busy_add(ctx->s, -1);
    free(ctx);
}

static enum MHD_Result serve_stream(struct tr_server *s, struct MHD_Connection *c,
                                    struct request *rq, const struct route *rt,
                                    const struct tr_http_target *t, const char *origin)
{
    struct tr_params p;
    struct tr_peer_watch watch;
    struct tr_sse_stream *sse = NULL;
    struct tr_sse_result res;
    struct stream_ctx *ctx = NULL;
    struct MHD_Response *r = NULL;
    enum MHD_Result ret;
    const char *error;
    char err[512];

    /* An EventSource reconnects when a stream ends; a run cannot be resumed, and 204 tells
     * it to stop. */
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"))
        return queue(s, c, rq, 204,
                     MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT), origin);
    int rc = tr_http_params_parse(t, rt->mode, &s->cfg.caps, &p, err, sizeof(err));
    if (rc)
        return answer_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, err, origin);
    tr_peer_watch_init(&watch, connection_fd(c), &s->stop_all);
    if (!admit(s, c, rq, &watch, origin, &ret))
        return ret;
    if (tr_sse_start(&p, watch.fd, &s->stop_all, &sse, err, sizeof(err)) != 0) {
        tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
        return answer_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL, err, origin);
    }
    /* Errors found before the first tile (a device that is missing) still get a status. */
    if ((rc = tr_sse_wait_first(sse, err, sizeof(err))) != 0) {
        tr_sse_finish(sse, &res);
        tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
        return answer_error(s, c, rq, tr_http_status_for_exit(rc, &error), error, err, origin);
    }
    ctx = calloc(1, sizeof(*ctx));
    if (ctx) {
        ctx->s = s;
        ctx->sse = sse;
        snprintf(ctx->target, sizeof(ctx->target), "%s", rq->target);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, stream_read, ctx,
                                              stream_free);
    }
    busy_add(s, 1); /* given back by stream_free */
    if (!r) {
        if (ctx) {
            stream_free(ctx);
        } else {
            tr_sse_finish(sse, &res);
            tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
            busy_add(s, -1);
        }
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return queue(s, c, rq, 200, r, origin);
}

static enum MHD_Result serve_preflight(struct tr_server *s, struct MHD_Connection *c,
                                       struct request *rq, const char *origin)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, TR_CORS_ALLOW_METHODS);
    if (origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", TR_CORS_ALLOW_METHODS);
        MHD_add_response_header(r, "Access-Control-Allow-Headers", TR_CORS_ALLOW_HEADERS);
        MHD_add_response_header(r, "Access-Control-Max-Age", TR_CORS_MAX_AGE);
    }
    return queue(s, c, rq, 204, r, origin);
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
        log_line("%s %s -> %u%s (%.1f ms)", rq->method, rq->target, rq->status,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ", connection ended early",
                 (double)(tr_now_ns() - rq->t0) / 1e6);
    busy_add(s, -1);
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

static enum MHD_Result dispatch(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                const char *method, int get_or_options)
{
    struct conn_state *cs = connection_state(c);
    struct tr_http_target t;
    char msg[512], q[200];
    enum MHD_Result ret;

    /* Origin first: even errors carry CORS headers, so that the page can read them. */
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    int origin_ok = origin && tr_cors_allowed(&s->cfg.cors, origin);
    const char *echo = origin_ok ? origin : NULL;

    if (!cs || cs->too_long) {
        snprintf(msg, sizeof(msg), "URL too long (accepted: at most %d bytes)", TR_HTTP_MAX_TARGET);
        return answer_error(s, c, rq, 414, TR_HTTP_ERR_URI_LONG, msg, echo);
    }
    if (!cs->target)
        return answer_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL, "out of memory", echo);
    if (tr_http_target_parse(cs->target, &t, msg, sizeof(msg)) != 0)
        return answer_error(s, c, rq, 400, TR_HTTP_ERR_MALFORMED, msg, echo);

    const struct route *rt = find_route(t.path);
    if (!rt) {
        printable(q, sizeof(q), t.path);
        snprintf(msg, sizeof(msg),
                 "no such endpoint: '%s' (endpoints: /api/compute/health, "
                 "/api/compute/{sequential,concurrent,dynamic}[/stream])",
                 q);
        ret = answer_error(s, c, rq, 404, TR_HTTP_ERR_NOT_FOUND, msg, echo);
    } else if (!get_or_options) {
        snprintf(msg, sizeof(msg), "method '%s' is not allowed on %s (accepted: GET, OPTIONS)",
                 rq->method, rt->path);
        ret = answer_error(s, c, rq, 405, TR_HTTP_ERR_METHOD, msg, echo);
    } else if (origin && !origin_ok) {
        printable(q, sizeof(q), origin);
        snprintf(msg, sizeof(msg),
                 "origin '%s' is not allowed (this server accepts its --allow-origin list)", q);
        ret = answer_error(s, c, rq, 403, TR_HTTP_ERR_ORIGIN, msg, NULL);
    } else if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS)) {
        ret = serve_preflight(s, c, rq, echo);
    } else if (atomic_load(&s->stopping)) {
        ret =
            answer_error(s, c, rq, 503, TR_HTTP_ERR_STOPPING, "the server is shutting down", echo);
    } else if (rt->kind == ROUTE_HEALTH) {
        if (t.n_pairs) {
            printable(q, sizeof(q), t.pairs[0].key);
            snprintf(msg, sizeof(msg), "unknown parameter '%s' (health takes no parameters)", q);
            ret = answer_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, msg, echo);
        } else {
            ret = serve_health(s, c, rq, echo);
        }
    } else if (rt->kind == ROUTE_COMPUTE) {
        ret = serve_compute(s, c, rq, rt, &t, echo);
    } else {
        ret = serve_stream(s, c, rq, rt, &t, echo);
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
        busy_add(s, 1); /* given back in on_completed */
        rq->t0 = tr_now_ns();
        printable(rq->method, sizeof(rq->method), method);
        printable(rq->target, sizeof(rq->target), cs && cs->target ? cs->target : url);
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
