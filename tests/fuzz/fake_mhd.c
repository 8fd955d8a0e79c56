/* See fake_mhd.h: libmicrohttpd's API as the server uses it, played in-process. */
#include "fake_mhd.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_IDLE_READS 1000000 /* a content reader answering 0 bytes this often is stuck */
#define RESUME_WAIT_S  60      /* a suspended connection not resumed by then is stuck */

struct MHD_Daemon {
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    MHD_RequestCompletedCallback completed;
    void *completed_cls;
    MHD_NotifyConnectionCallback connection;
    void *connection_cls;
    void *(*uri_log)(void *cls, const char *uri, struct MHD_Connection *c);
    void *uri_log_cls;
    MHD_socket listen_fd;
};

struct MHD_Response {
    unsigned refs;
    char *data;
    size_t len;
    int owns_data;
    MHD_ContentReaderCallback reader;
    void *reader_cls;
    MHD_ContentReaderFreeCallback reader_free;
    size_t block_size;
    struct fake_header headers[FAKE_MAX_HEADERS];
    size_t n_headers;
};

struct MHD_Connection {
    struct MHD_Daemon *daemon;
    void *socket_context;
    union MHD_ConnectionInfo info;
    const struct fake_header *headers;
    size_t n_headers;
    int in_handler;
    struct MHD_Response *response;
    unsigned status;
    pthread_mutex_t lock; /* suspended: set by the handler, cleared by any thread */
    pthread_cond_t resumed;
    int suspended;
};

static struct MHD_Daemon *last_daemon;

__attribute__((format(printf, 1, 2), noreturn)) static void misuse(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fake libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static char *copy_text(const char *s)
{
    char *c = strdup(s);
    if (!c)
        misuse("out of memory");
    return c;
}

struct MHD_Daemon *fake_mhd_last_daemon(void)
{
    return last_daemon;
}

/* ---- the daemon ---------------------------------------------------------------------- */

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    va_list ap;
    struct MHD_Daemon *d = calloc(1, sizeof(*d));
    (void)flags;
    (void)port;
    (void)apc_cls;
    if (!d)
        return NULL;
    if (apc)
        misuse("an accept policy callback is not played here");
    d->handler = dh;
    d->handler_cls = dh_cls;
    d->listen_fd = MHD_INVALID_SOCKET;
    va_start(ap, dh_cls);
    for (;;) {
        enum MHD_OPTION opt = va_arg(ap, enum MHD_OPTION);
        if (opt == MHD_OPTION_END)
            break;
        switch (opt) {
        case MHD_OPTION_EXTERNAL_LOGGER:
            (void)va_arg(ap, MHD_LogCallback);
            (void)va_arg(ap, void *);
            break;
        case MHD_OPTION_NOTIFY_COMPLETED:
            d->completed = va_arg(ap, MHD_RequestCompletedCallback);
            d->completed_cls = va_arg(ap, void *);
            break;
        case MHD_OPTION_NOTIFY_CONNECTION:
            d->connection = va_arg(ap, MHD_NotifyConnectionCallback);
            d->connection_cls = va_arg(ap, void *);
            break;
        case MHD_OPTION_URI_LOG_CALLBACK:
            d->uri_log = va_arg(ap, void *(*)(void *, const char *, struct MHD_Connection *));
            d->uri_log_cls = va_arg(ap, void *);
            break;
        case MHD_OPTION_LISTEN_SOCKET:
            d->listen_fd = va_arg(ap, MHD_socket);
            break;
        case MHD_OPTION_CONNECTION_LIMIT:
        case MHD_OPTION_CONNECTION_TIMEOUT:
        case MHD_OPTION_PER_IP_CONNECTION_LIMIT:
        case MHD_OPTION_THREAD_POOL_SIZE:
        case MHD_OPTION_LISTENING_ADDRESS_REUSE:
        case MHD_OPTION_LISTEN_BACKLOG_SIZE:
        case MHD_OPTION_NONCE_NC_SIZE:
            (void)va_arg(ap, unsigned int);
            break;
        case MHD_OPTION_STRICT_FOR_CLIENT:
        case MHD_OPTION_SERVER_INSANITY:
        case MHD_OPTION_SIGPIPE_HANDLED_BY_APP:
        case MHD_OPTION_TCP_FASTOPEN_QUEUE_SIZE:
            (void)va_arg(ap, int);
            break;
        case MHD_OPTION_CONNECTION_MEMORY_LIMIT:
        case MHD_OPTION_CONNECTION_MEMORY_INCREMENT:
        case MHD_OPTION_THREAD_STACK_SIZE:
            (void)va_arg(ap, size_t);
            break;
        default:
            misuse("MHD_start_daemon option %d is not known here: add it to tests/fuzz/fake_mhd.c",
                   (int)opt);
        }
    }
    va_end(ap);
    last_daemon = d;
    return d;
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *d)
{
    /* the listening socket becomes the caller's */
    MHD_socket fd = d->listen_fd;
    d->listen_fd = MHD_INVALID_SOCKET;
    return fd;
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
    if (!d)
        return;
    if (d->listen_fd != MHD_INVALID_SOCKET)
        close(d->listen_fd);
    if (last_daemon == d)
        last_daemon = NULL;
    free(d);
}

/* ---- connections --------------------------------------------------------------------- */

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
                                                        enum MHD_ConnectionInfoType type, ...)
{
    switch (type) {
    case MHD_CONNECTION_INFO_SOCKET_CONTEXT:
        c->info.socket_context = c->socket_context;
        return &c->info;
    case MHD_CONNECTION_INFO_CONNECTION_FD:
        c->info.connect_fd = -1; /* no socket: the server's disconnect watch sees a live peer */
        return &c->info;
    default:
        misuse("MHD_get_connection_info type %d is not known here", (int)type);
    }
}

const char *MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                        const char *key)
{
    if (kind != MHD_HEADER_KIND)
        misuse("MHD_lookup_connection_value kind %d is not known here", (int)kind);
    if (!key)
        return NULL;
    for (size_t i = 0; i < c->n_headers; i++)
        if (!strcasecmp(c->headers[i].name, key))
            return c->headers[i].value;
    return NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int status_code,
                                   struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    if (!c->in_handler)
        misuse("a response queued outside the access handler");
    if (c->response)
        misuse("a second response queued for one request (status %u after %u)", status_code,
               c->status);
    if (status_code < 100 || status_code > 999)
        return MHD_NO;
    r->refs++;
    c->response = r;
    c->status = status_code;
    return MHD_YES;
}

void MHD_suspend_connection(struct MHD_Connection *c)
{
    pthread_mutex_lock(&c->lock);
    c->suspended = 1;
    pthread_mutex_unlock(&c->lock);
}

void MHD_resume_connection(struct MHD_Connection *c)
{
    pthread_mutex_lock(&c->lock);
    c->suspended = 0;
    pthread_cond_broadcast(&c->resumed);
    pthread_mutex_unlock(&c->lock);
}

/* Waits while c is suspended (libmicrohttpd calls nothing then); 1 when it was. */
static int wait_resumed(struct MHD_Connection *c)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += RESUME_WAIT_S;
    pthread_mutex_lock(&c->lock);
    int was = c->suspended;
    while (c->suspended)
        if (pthread_cond_timedwait(&c->resumed, &c->lock, &deadline) == ETIMEDOUT)
            misuse("a connection stayed suspended for %d s", RESUME_WAIT_S);
    pthread_mutex_unlock(&c->lock);
    return was;
}

/* ---- responses ----------------------------------------------------------------------- */

static struct MHD_Response *new_response(void)
{
    struct MHD_Response *r = calloc(1, sizeof(*r));
    if (r)
        r->refs = 1;
    return r;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
    if (size && !buffer)
        return NULL;
    struct MHD_Response *r = new_response();
    if (!r)
        return NULL;
    r->len = size;
    if (mode == MHD_RESPMEM_MUST_COPY) {
        r->data = malloc(size ? size : 1);
        if (!r->data) {
            free(r);
            return NULL;
        }
        if (size)
            memcpy(r->data, buffer, size);
        r->owns_data = 1;
    } else {
        r->data = buffer;
        r->owns_data = mode == MHD_RESPMEM_MUST_FREE;
    }
    return r;
}

struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block_size,
                                                       MHD_ContentReaderCallback crc, void *crc_cls,
                                                       MHD_ContentReaderFreeCallback crfc)
{
    if (!crc || !block_size)
        return NULL;
    if (size != MHD_SIZE_UNKNOWN)
        misuse("a content reader of known size is not played here");
    struct MHD_Response *r = new_response();
    if (!r)
        return NULL;
    r->reader = crc;
    r->reader_cls = crc_cls;
    r->reader_free = crfc;
    r->block_size = block_size;
    return r;
}

/* As libmicrohttpd 0.9.75: no empty names, no whitespace in names, no line breaks at all. */
enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header,
                                        const char *content)
{
    if (!r || !header || !content || !header[0] || strpbrk(header, " \t\r\n:") ||
        strpbrk(content, "\r\n"))
        return MHD_NO;
    if (r->n_headers == FAKE_MAX_HEADERS)
        misuse("more than %d response headers", FAKE_MAX_HEADERS);
    r->headers[r->n_headers].name = copy_text(header);
    r->headers[r->n_headers].value = copy_text(content);
    r->n_headers++;
    return MHD_YES;
}

void MHD_destroy_response(struct MHD_Response *r)
{
    if (!r)
        return;
    if (r->refs == 0)
        misuse("a response destroyed once too often");
    if (--r->refs)
        return;
    if (r->reader_free)
        r->reader_free(r->reader_cls);
    if (r->owns_data)
        free(r->data);
    for (size_t i = 0; i < r->n_headers; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r);
}

/* ---- one request --------------------------------------------------------------------- */

static void take_body(struct fake_answer *a, const char *data, size_t len)
{
    char *b = realloc(a->body, a->len + len + 1);
    if (!b)
        misuse("out of memory");
    if (len)
        memcpy(b + a->len, data, len);
    a->body = b;
    a->len += len;
    a->body[a->len] = '\0';
}

/* Sends a streamed answer the way libmicrohttpd does: block after block until the reader ends. */
static void read_stream(struct MHD_Response *r, size_t max_body, struct fake_answer *a)
{
    char *block = malloc(r->block_size);
    uint64_t pos = 0;
    long idle = 0;
    if (!block)
        misuse("out of memory");
    for (;;) {
        ssize_t n = r->reader(r->reader_cls, pos, block, r->block_size);
        if (n == MHD_CONTENT_READER_END_OF_STREAM)
            break;
        if (n == MHD_CONTENT_READER_END_WITH_ERROR) {
            a->stream_error = 1;
            break;
        }
        if (n < 0 || (size_t)n > r->block_size)
            misuse("a content reader returned %zd for a block of %zu", n, r->block_size);
        if (n == 0) {
            if (++idle > MAX_IDLE_READS)
                misuse("a content reader returned 0 bytes %d times in a row", MAX_IDLE_READS);
            continue;
        }
        idle = 0;
        take_body(a, block, (size_t)n);
        pos += (uint64_t)n;
        if (a->len > max_body) { /* the client hangs up */
            a->stream_cut = 1;
            break;
        }
    }
    free(block);
}

static enum MHD_Result call_handler(struct MHD_Connection *c, const char *url, const char *method,
                                    const char *upload, size_t *upload_size, void **req_cls)
{
    wait_resumed(c);
    c->in_handler = 1;
    enum MHD_Result ret = c->daemon->handler(c->daemon->handler_cls, c, url, method, "HTTP/1.1",
                                             upload, upload_size, req_cls);
    c->in_handler = 0;
    return ret;
}

void fake_mhd_request(struct MHD_Daemon *d, const char *method, const char *target,
                      const struct fake_header *headers, size_t n_headers, const char *body,
                      size_t body_len, size_t max_body, struct fake_answer *a)
{
    struct MHD_Connection c = {.daemon = d, .headers = headers, .n_headers = n_headers};
    void *req_cls = NULL;
    size_t none = 0;
    enum MHD_Result ret;
    memset(a, 0, sizeof(*a));
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.resumed, NULL);

    /* the handler's url: the path, without the query */
    char *url = copy_text(target);
    url[strcspn(url, "?")] = '\0';

    if (d->connection)
        d->connection(d->connection_cls, &c, &c.socket_context, MHD_CONNECTION_NOTIFY_STARTED);
    if (d->uri_log)
        req_cls = d->uri_log(d->uri_log_cls, target, &c);

    /* The headers are in: the first call. Then the body, if any, then the final call. */
    ret = call_handler(&c, url, method, NULL, &none, &req_cls);
    if (ret == MHD_YES && !c.response && body_len) {
        size_t left = body_len;
        ret = call_handler(&c, url, method, body, &left, &req_cls);
        if (ret == MHD_YES && !c.response && left)
            misuse("the access handler left %zu bytes of the body unread", left);
    }
    /* libmicrohttpd calls again while the request has no answer: at once, or once a suspended
     * connection is resumed. Three calls in a row without either are a handler that spins. */
    for (int idle = 0; ret == MHD_YES && !c.response;) {
        if (!wait_resumed(&c) && ++idle > 2)
            misuse("the access handler said yes, again and again, without an answer (%s %s)",
                   method, target);
        none = 0;
        ret = call_handler(&c, url, method, NULL, &none, &req_cls);
    }

    a->closed = ret == MHD_NO;
    if (c.response && !a->closed) {
        struct MHD_Response *r = c.response;
        a->answered = 1;
        a->status = c.status;
        for (size_t i = 0; i < r->n_headers && i < FAKE_MAX_HEADERS; i++) {
            a->headers[i].name = copy_text(r->headers[i].name);
            a->headers[i].value = copy_text(r->headers[i].value);
            a->n_headers++;
        }
        if (r->reader) {
            a->streamed = 1;
            read_stream(r, max_body, a);
        } else {
            take_body(a, r->data, r->len);
        }
    }
    if (d->completed)
        d->completed(d->completed_cls, &c, &req_cls,
                     a->answered && !a->stream_error && !a->stream_cut
                         ? MHD_REQUEST_TERMINATED_COMPLETED_OK
                         : MHD_REQUEST_TERMINATED_WITH_ERROR);
    if (c.response)
        MHD_destroy_response(c.response);
    if (d->connection)
        d->connection(d->connection_cls, &c, &c.socket_context, MHD_CONNECTION_NOTIFY_CLOSED);
    wait_resumed(&c); /* a render thread may still hold the connection */
    pthread_cond_destroy(&c.resumed);
    pthread_mutex_destroy(&c.lock);
    free(url);
}

const char *fake_answer_header(const struct fake_answer *a, const char *name)
{
    for (size_t i = 0; i < a->n_headers; i++)
        if (!strcasecmp(a->headers[i].name, name))
            return a->headers[i].value;
    return NULL;
}

void fake_answer_free(struct fake_answer *a)
{
    for (size_t i = 0; i < a->n_headers; i++) {
        free((char *)a->headers[i].name);
        free((char *)a->headers[i].value);
    }
    free(a->body);
    memset(a, 0, sizeof(*a));
}
