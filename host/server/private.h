/*
 * What the server's files share: the server's state, a request's, and how answers are made.
 * Not for use outside host/server*.c.
 */
#ifndef TILERACE_SERVER_PRIVATE_H
#define TILERACE_SERVER_PRIVATE_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "server/query.h"
#include "server/render_gate.h"
#include "server/server.h"

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

/* Per request, from the first call of the access handler to MHD's "completed" notice. */
struct request {
    int64_t t0;
    unsigned status; /* 0: the connection was closed without an answer */
    int answered;
    char method[16];
    char target[LOG_TARGET_MAX + 4];
};

/* One stderr line, "tilerace serve: ..." */
void tr_srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A short, printable copy for log lines and messages. */
void tr_srv_printable(char *dst, size_t dstlen, const char *src);
/* Counts requests and streams in progress (what a shutdown waits for). */
void tr_srv_busy_add(struct tr_server *s, int delta);
int tr_srv_connection_fd(struct MHD_Connection *c);

/* A JSON answer owning body (malloc'd); NULL (body freed) when out of memory. */
/* A response that owns body (freed even on failure), with Content-Type and no caching. */
struct MHD_Response *tr_srv_buffer_response(char *body, size_t len, const char *content_type);
struct MHD_Response *tr_srv_json_response(char *body);
/* Adds what every answer carries (CORS for origin, when allowed, else NULL), queues it and
 * drops our reference. */
enum MHD_Result tr_srv_queue(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, struct MHD_Response *r, const char *origin);
enum MHD_Result tr_srv_error(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, const char *error, const char *message,
                             const char *origin);

/* The endpoints; origin is the request's Origin when allowed, else NULL. */
enum MHD_Result tr_srv_page(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                            const char *origin);
enum MHD_Result tr_srv_health(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              const char *origin);
enum MHD_Result tr_srv_compute(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                               enum tr_mode mode, const struct tr_http_target *t,
                               const char *origin);
enum MHD_Result tr_srv_stream(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              enum tr_mode mode, const struct tr_http_target *t,
                              const char *origin);
enum MHD_Result tr_srv_preflight(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                 const char *origin);

#endif
