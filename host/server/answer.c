/* How the server answers: JSON bodies, the headers every answer carries, log lines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "server/cors.h"
#include "server/json_answer.h"
#include "server/private.h"

void tr_srv_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "tilerace serve: %s\n", line); /* one call: lines never interleave */
}

/* A short, printable copy for log lines and messages. */
void tr_srv_printable(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);
    snprintf(dst, dstlen, "%.*s%s", LOG_TARGET_MAX, src, n > LOG_TARGET_MAX ? "..." : "");
    for (char *c = dst; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
}

/* The target for a log line: printable ASCII but for '"' and '\\', the rest as \xNN, so that
 * a line stays one line and its quoted request cannot be closed early; cut with "...". */
static void log_escape(char *dst, size_t dstlen, const char *src)
{
    size_t used = 0, n = 0;
    for (; src[n] && n < LOG_TARGET_MAX && used + 5 < dstlen; n++) {
        unsigned char b = (unsigned char)src[n];
        if (b > 0x20 && b < 0x7f && b != '"' && b != '\\')
            dst[used++] = (char)b;
        else
            used += (size_t)snprintf(dst + used, dstlen - used, "\\x%02x", b);
    }
    snprintf(dst + used, dstlen - used, "%s", src[n] ? "..." : "");
}

void tr_srv_log_arrival(struct request *rq, struct MHD_Connection *c, const char *target)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[INET6_ADDRSTRLEN + 8] = "-", port[8] = "";
    clock_gettime(CLOCK_REALTIME, &rq->arrived);
    if (i && i->client_addr) {
        socklen_t len = i->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                              : sizeof(struct sockaddr_in);
        if (getnameinfo(i->client_addr, len, host, sizeof(host), port, sizeof(port),
                        NI_NUMERICHOST | NI_NUMERICSERV) != 0)
            snprintf(host, sizeof(host), "-");
    }
    if (strchr(host, ':'))
        snprintf(rq->client, sizeof(rq->client), "[%s]:%s", host, port);
    else
        snprintf(rq->client, sizeof(rq->client), "%s%s%s", host, port[0] ? ":" : "", port);
    log_escape(rq->log_target, sizeof(rq->log_target), target);
}

void tr_srv_log_request(const struct request *rq, int64_t now_ns, const char *note)
{
    struct tm utc;
    char when[64] = "-";
    if (gmtime_r(&rq->arrived.tv_sec, &utc)) {
        size_t n = strftime(when, 32, "%Y-%m-%dT%H:%M:%S", &utc);
        snprintf(when + n, sizeof(when) - n, ".%03dZ", (int)(rq->arrived.tv_nsec / 1000000));
    }
    tr_srv_log("%s %s \"%s %s\" %03u %.3f ms%s", when, rq->client, rq->method, rq->log_target,
               rq->status, (double)(now_ns - rq->t0) / 1e6, note);
}

int tr_srv_connection_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return i ? i->connect_fd : -1;
}

struct MHD_Response *tr_srv_buffer_response(char *body, size_t len, const char *content_type)
{
    struct MHD_Response *r = NULL;
    if (!body)
        return NULL;
    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    return r;
}

struct MHD_Response *tr_srv_json_response(char *body)
{
    return tr_srv_buffer_response(body, body ? strlen(body) : 0, "application/json");
}

/* The answer when another could not be built: a fixed body, no copy made. */
static struct MHD_Response *out_of_memory_response(void)
{
    static const char body[] = TR_HTTP_OOM_BODY;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    return r;
}

/* Adds what every answer carries, queues it and drops our reference. origin: the request's
 * Origin when it is allowed, else NULL. */
enum MHD_Result tr_srv_queue(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, struct MHD_Response *r, const char *origin)
{
    if (!r) {
        status = 500;
        if (!(r = out_of_memory_response()))
            return MHD_NO;
    }
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

enum MHD_Result tr_srv_error(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, const char *error, const char *message,
                             const char *origin)
{
    if (!error)
        error = TR_HTTP_ERR_INTERNAL;
    struct MHD_Response *r = tr_srv_json_response(tr_http_error_body(error, message));
    if (r && status == 503 && strcmp(error, TR_HTTP_ERR_DEVICE) != 0)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER_S);
    if (r && status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, TR_CORS_ALLOW_METHODS);
    return tr_srv_queue(s, c, rq, status, r, origin);
}
