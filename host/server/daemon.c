#include "server/server.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/status.h"
#include "devices/device_cache.h"
#include "server/devices.h"
#include "server/json_answer.h"
#include "server/listen.h"
#include "server/private.h"
#include "server/query.h"

#define CONN_MEMORY    (64 * 1024) /* per connection: request line, headers, write buffer */
#define IDLE_TIMEOUT_S 30          /* a connection with no traffic at all for longer is closed */
#define FD_RESERVE     64          /* descriptors beside the connections: listener, epoll, OpenCL */

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
    {"/api/compute/steal", ROUTE_COMPUTE, TR_MODE_STEAL},
    {"/api/compute/sequential/stream", ROUTE_STREAM, TR_MODE_SEQUENTIAL},
    {"/api/compute/concurrent/stream", ROUTE_STREAM, TR_MODE_CONCURRENT},
    {"/api/compute/dynamic/stream", ROUTE_STREAM, TR_MODE_DYNAMIC},
    {"/api/compute/steal/stream", ROUTE_STREAM, TR_MODE_STEAL},
};

void tr_server_config_defaults(struct tr_server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    /* the defaults of serve's options */
    snprintf(cfg->bind, sizeof(cfg->bind), "%s", tr_options[TR_OPTION_BIND].default_text);
    cfg->port = (uint16_t)tr_options[TR_OPTION_PORT].def;
    tr_server_caps_defaults(&cfg->caps);
    cfg->max_renders = (uint32_t)tr_options[TR_OPTION_MAX_RENDERS].def;
    cfg->max_queued = (uint32_t)tr_options[TR_OPTION_MAX_QUEUED].def;
    cfg->max_connections = (uint32_t)tr_options[TR_OPTION_MAX_CONNECTIONS].def;
    cfg->request_timeout_ms = (uint32_t)tr_options[TR_OPTION_REQUEST_TIMEOUT_MS].def;
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
    struct tr_server *s = cls;
    struct conn_state *cs = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        cs = calloc(1, sizeof(*cs));
        if (cs) {
            cs->s = s;
            cs->fd = tr_srv_connection_fd(c);
            tr_srv_deadline_arm(s, cs);
        }
        *socket_context = cs;
    } else if (cs) {
        /* before MHD closes the socket: the deadline thread must not touch it after */
        tr_srv_deadline_disarm(s, cs);
        free(cs->target);
        free(cs);
        *socket_context = NULL;
    }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct conn_state *cs = connection_state(c);
    (void)cls;
    if (cs && uri) {
        free(cs->target);
        cs->target = NULL;
        cs->target_len = strlen(uri);
        cs->target_at = (uintptr_t)uri;
        cs->too_long = cs->target_len > TR_HTTP_MAX_TARGET;
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
    struct conn_state *cs = connection_state(c);
    /* a kept-alive connection's next request has its own deadline */
    if (cs && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        tr_srv_deadline_arm(s, cs);
    if (!rq)
        return;
    if (s->cfg.log_requests)
        tr_srv_log_request(
            rq, tr_now_ns(),
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
    tr_srv_render_drop(s, rq);
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

/*
 * MHD hands the target over as a C string: a raw NUL in it would cut it short, and a different
 * request would be served. The URL and the version MHD passes point into its copy of the
 * request line ("METHOD SP target NUL version"), so the target's full length is the distance
 * between them; it differs from the length seen up to the first NUL when one was inside.
 */
static int target_has_nul(const struct conn_state *cs, const char *url, const char *version)
{
    uintptr_t at = (uintptr_t)url, ver = (uintptr_t)version;
    if (!cs->target_at || at != cs->target_at || !version || ver <= at || ver - at > CONN_MEMORY ||
        version[-1] != '\0')
        return 0;
    return ver - at - 1 != cs->target_len;
}

static enum MHD_Result dispatch(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                const char *url, const char *method, const char *version,
                                int get_or_options)
{
    struct conn_state *cs = connection_state(c);
    struct tr_http_target t;
    char msg[512], q[200];
    enum MHD_Result ret;

    /* A foreign Host first: nothing else is said to a page that reached us by DNS rebinding. */
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!tr_host_allowed(&s->cfg.hosts, s->cfg.bind, s->port, host)) {
        tr_srv_printable(q, sizeof(q), host);
        snprintf(msg, sizeof(msg),
                 "host '%s' is not allowed (this server answers to localhost, 127.0.0.1 and "
                 "[::1] on port %u, and to its --allow-host names)",
                 q, (unsigned)s->port);
        return tr_srv_error(s, c, rq, 403, TR_HTTP_ERR_HOST, msg, NULL);
    }

    /* Origin next: even errors carry CORS headers, so that the page can read them. */
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    int origin_ok = origin && (tr_cors_allowed(&s->cfg.cors, origin) || same_origin(c, origin));
    const char *echo = origin_ok ? origin : NULL;
    rq->echo = echo;

    if (cs && target_has_nul(cs, url, version))
        return tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_MALFORMED,
                            "the request target has a raw NUL byte (byte 0x00 is not allowed)",
                            echo);
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
                 "/api/compute/{sequential,concurrent,dynamic,steal}[/stream])",
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
    } else {
        ret = tr_srv_render(s, c, rq, rt->mode, rt->kind == ROUTE_STREAM, &t, echo);
    }
    tr_http_target_free(&t);
    return ret;
}

/* A GET or OPTIONS request has no body. One announced (any Transfer-Encoding, a Content-Length
 * above 0) would be waited for, from a client that may never send it: refused at once. */
static int framing_refused(struct MHD_Connection *c, char *msg, size_t msglen)
{
    const char *te =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char q[200];
    if (te) {
        tr_srv_printable(q, sizeof(q), te);
        snprintf(msg, msglen,
                 "Transfer-Encoding '%s' is not accepted: GET and OPTIONS requests have no body "
                 "(accepted: no Transfer-Encoding)",
                 q);
        return 1;
    }
    if (cl && strspn(cl, "0") != strlen(cl)) {
        tr_srv_printable(q, sizeof(q), cl);
        snprintf(msg, msglen,
                 "Content-Length '%s' is not accepted: GET and OPTIONS requests have no body "
                 "(accepted: 0, or none)",
                 q);
        return 1;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct tr_server *s = cls;
    struct request *rq = *req_cls;
    struct conn_state *cs = connection_state(c);
    char msg[512];
    (void)upload_data;
    int get_or_options =
        !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_OPTIONS);
    if (rq) {
        if (rq->work) /* its render resumed the connection */
            return tr_srv_render_done(s, c, rq);
        if (*upload_data_size) { /* a body that nobody reads */
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (rq->answered)
            return MHD_YES;
    } else {
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *req_cls = rq;
        tr_srv_busy_add(s, 1); /* given back in on_completed */
        rq->t0 = tr_now_ns();
        tr_srv_printable(rq->method, sizeof(rq->method), method);
        tr_srv_printable(rq->target, sizeof(rq->target), cs && cs->target ? cs->target : url);
        if (s->cfg.log_requests)
            tr_srv_log_arrival(rq, c, cs && cs->target ? cs->target : url);
        if (get_or_options && framing_refused(c, msg, sizeof(msg))) {
            rq->answered = 1;
            if (cs)
                tr_srv_deadline_disarm(s, cs);
            return tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_REQUEST, msg, NULL);
        }
        /* A GET is answered once the whole request is in: answering in this first call would
         * make MHD close the connection. Other methods are refused now, their body unread
         * (and the connection closed after the answer). */
        if (get_or_options)
            return MHD_YES;
    }
    rq->answered = 1;
    if (cs) /* the whole request is in: the deadline is met */
        tr_srv_deadline_disarm(s, cs);
    return dispatch(s, c, rq, url, method, version, get_or_options);
}

/* ---- suspended connections ----------------------------------------------------------- */

int tr_srv_suspend_start(struct tr_server *s, struct MHD_Connection *c, int (*start)(void *arg),
                         void *arg)
{
    int rc = 1;
    pthread_mutex_lock(&s->lock);
    if (s->closing) {
        rc = 0;
    } else if (start(arg) != 0) {
        rc = -1;
    } else {
        s->parked++;
        MHD_suspend_connection(c);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int tr_srv_park(struct tr_server *s, struct MHD_Connection *c)
{
    int parked = 0;
    pthread_mutex_lock(&s->lock);
    if (!s->closing) {
        s->parked++;
        MHD_suspend_connection(c);
        parked = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return parked;
}

void tr_srv_resume(struct tr_server *s, struct MHD_Connection *c)
{
    pthread_mutex_lock(&s->lock);
    MHD_resume_connection(c);
    s->parked--;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

/* ---- life cycle ---------------------------------------------------------------------- */

/* Makes room for max_connections sockets under the open-file limit: raises the soft limit to
 * the hard one when it is too low, and serves fewer connections when even that is not enough. */
static void fit_open_file_limit(struct tr_server_config *cfg)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg->max_connections + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return;
    struct rlimit raised = {rl.rlim_max, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
        rl = raised;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return;
    uint32_t fit = rl.rlim_cur > FD_RESERVE + 1 ? (uint32_t)(rl.rlim_cur - FD_RESERVE) : 1;
    tr_srv_log("--max-connections %u needs %llu open files and this process may open %llu: "
               "serving at most %u connections",
               (unsigned)cfg->max_connections, (unsigned long long)want,
               (unsigned long long)rl.rlim_cur, (unsigned)fit);
    cfg->max_connections = fit;
}

static void *list_devices_main(void *arg)
{
    (void)arg;
    tr_server_devices_warm();
    return NULL;
}

enum tr_status tr_server_start(const struct tr_server_config *cfg, struct tr_server **out,
                               char *err, size_t errlen)
{
    int rc = TR_ERR_INTERNAL, fd = -1, is_ipv6 = 0, have_lock = 0, have_cond = 0, have_gate = 0;
    int have_deadlines = 0;
    uint16_t port = 0;
    struct tr_server *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->cfg = *cfg;
    if (!(s->devices = tr_device_cache_new())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < cfg->n_warm; i++)
        if ((rc = tr_device_cache_warm(s->devices, cfg->warm[i], "--warm", err, errlen)) != 0)
            goto fail;
    rc = TR_ERR_INTERNAL;
    fit_open_file_limit(&s->cfg);
    s->quiesced_fd = MHD_INVALID_SOCKET;
    atomic_init(&s->stopping, 0);
    atomic_init(&s->stop_all, 0);
    have_lock = pthread_mutex_init(&s->lock, NULL) == 0;
    have_cond = pthread_cond_init(&s->changed, NULL) == 0;
    have_gate = tr_render_gate_init(&s->gate, cfg->max_renders, cfg->max_queued) == 0;
    have_deadlines = tr_srv_deadlines_start(s) == 0;
    if (!have_lock || !have_cond || !have_gate || !have_deadlines) {
        snprintf(err, errlen, "could not create locks and threads");
        goto fail;
    }
    fd = tr_listen_tcp(cfg->bind, cfg->port, &is_ipv6, &port, err, errlen);
    if (fd < 0) {
        rc = TR_ERR_IO;
        goto fail;
    }
    s->port = port;
    /* One event loop serves every connection, so that a slow client costs a socket and a
     * little memory, never a thread; renders suspend their connection meanwhile. (Not a pool
     * of loops: libmicrohttpd 0.9.75 can abort when a pool is quiesced.) */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (is_ipv6 ? MHD_USE_IPv6 : 0);
    /* The logger goes first so that MHD's own messages about later options reach it. Strict
     * parsing: an HTTP/1.1 request without Host, or with a space in its target, is refused. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "libmicrohttpd could not start on %s port %u", cfg->bind,
                 (unsigned)port);
        goto fail;
    }
    /* OpenCL enumeration takes a while: done now, not in the first health request */
    s->lister_started = pthread_create(&s->lister, NULL, list_devices_main, NULL) == 0;
    snprintf(s->url, sizeof(s->url), "http://%s%s%s:%u/", is_ipv6 ? "[" : "", cfg->bind,
             is_ipv6 ? "]" : "", (unsigned)port);
    *out = s;
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    if (have_deadlines)
        tr_srv_deadlines_stop(s);
    if (have_gate)
        tr_render_gate_destroy(&s->gate);
    if (have_cond)
        pthread_cond_destroy(&s->changed);
    if (have_lock)
        pthread_mutex_destroy(&s->lock);
    if (s)
        tr_device_cache_free(s->devices);
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
    /* MHD must not stop while a connection is suspended: every render is stopped, and no
     * connection may be suspended again, before it does. */
    atomic_store(&s->stop_all, 1);
    pthread_mutex_lock(&s->lock);
    s->closing = 1;
    while (s->parked)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->daemon);
    /* event streams released by MHD end their render on its own thread */
    pthread_mutex_lock(&s->lock);
    while (s->streams)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (s->quiesced_fd != MHD_INVALID_SOCKET)
        close(s->quiesced_fd);
    if (s->lister_started)
        pthread_join(s->lister, NULL);
    tr_srv_deadlines_stop(s);
    tr_render_gate_destroy(&s->gate);
    /* every render has ended: JSON renders before their connection was resumed, streams
     * before they were released */
    tr_device_cache_free(s->devices);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
