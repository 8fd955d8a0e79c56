/*
 * What the server's files share: the server's state, a connection's, a request's, and how
 * answers are made. Not for use outside host/server*.c.
 *
 * Threads: libmicrohttpd runs one event-loop thread (epoll) that reads requests and sends
 * answers for every connection; nothing on it waits for a render. A render runs on a thread
 * of its own while its connection is suspended (taken off the event loop), and the render
 * resumes it when there is something to send.
 */
#ifndef TILERACE_SERVER_PRIVATE_H
#define TILERACE_SERVER_PRIVATE_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "server/host_check.h"
#include "server/query.h"
#include "server/render_gate.h"
#include "server/server.h"

#define RETRY_AFTER_S  "1"
#define LOG_TARGET_MAX 160

/* Per connection, from accept to close. */
struct conn_state {
    struct tr_server *s;
    int fd;
    /* the current request's raw target, saved before MHD decodes it in place */
    char *target;
    int too_long;
    size_t target_len;   /* its length up to the first NUL */
    uintptr_t target_at; /* where it was in MHD's copy of the request line */
    /* the request deadline: linked while a request is awaited or arriving */
    struct conn_state *dl_prev, *dl_next;
    int dl_linked;
    int64_t deadline_ns;
};

struct tr_server {
    struct tr_server_config cfg;
    struct MHD_Daemon *daemon;
    char url[96];
    uint16_t port;
    struct tr_host_check hosts;
    struct tr_render_gate gate;
    atomic_int stopping; /* quiesced: new requests get 503 */
    atomic_int stop_all; /* every render stops at its next tile */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* parked, streams or busy went down */
    unsigned busy;          /* requests and streams in progress */
    unsigned parked;        /* connections suspended until a render resumes them */
    unsigned streams;       /* event streams whose render has not been released */
    int closing;            /* no connection may be suspended any more */
    MHD_socket quiesced_fd; /* the listening socket, ours to close after MHD stops */
    pthread_t lister;       /* lists the devices once, at start */
    int lister_started;
    struct tr_device_cache *devices; /* OpenCL devices prepared for every render */

    /* request deadlines (server_deadline.c) */
    pthread_mutex_t dl_lock;
    pthread_cond_t dl_changed;
    struct conn_state *dl_head, *dl_tail; /* oldest deadline first */
    pthread_t dl_thread;
    int dl_started, dl_stop;
};

struct render_work;

/* Per request, from the first call of the access handler to MHD's "completed" notice. */
struct request {
    int64_t t0;
    unsigned status; /* 0: the connection was closed without an answer */
    int answered;
    const char *echo;         /* the Origin to echo (MHD's copy, valid for the request) */
    struct render_work *work; /* a render on its own thread; the connection is suspended */
    char method[16];
    char target[LOG_TARGET_MAX + 4];
    /* --log-requests: when it arrived (wall clock), from where, the target escaped */
    struct timespec arrived;
    char client[64];
    char log_target[LOG_TARGET_MAX * 4 + 4];
};

/* One stderr line, "tilerace serve: ..." */
void tr_srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A short, printable copy for log lines and messages. */
void tr_srv_printable(char *dst, size_t dstlen, const char *src);
/* What --log-requests needs of a request as it arrives (the clock, the client, the target):
 * taken in MHD's thread, never in a render's lanes. */
void tr_srv_log_arrival(struct request *rq, struct MHD_Connection *c, const char *target);
/* The request's line: "TIME CLIENT \"METHOD TARGET\" STATUS DURATION ms[ note]". */
void tr_srv_log_request(const struct request *rq, int64_t now_ns, const char *note);
/* Counts requests and streams in progress (what a shutdown waits for). */
void tr_srv_busy_add(struct tr_server *s, int delta);
int tr_srv_connection_fd(struct MHD_Connection *c);

/*
 * Suspending connections. tr_srv_suspend_start calls start(arg) (which starts the thread that
 * will resume c) and suspends c, both under the server's lock so that the resume cannot come
 * first; it returns 1, 0 when the server is closing (nothing started), or -1 when start failed.
 * tr_srv_park suspends c from a content reader: 1, or 0 when the server is closing. Both only
 * from MHD's callbacks on c. tr_srv_resume: from any thread, once per suspension.
 */
int tr_srv_suspend_start(struct tr_server *s, struct MHD_Connection *c, int (*start)(void *arg),
                         void *arg);
int tr_srv_park(struct tr_server *s, struct MHD_Connection *c);
void tr_srv_resume(struct tr_server *s, struct MHD_Connection *c);

/* Request deadlines: a connection must deliver a whole request within
 * cfg.request_timeout_ms of opening or of its previous answer, or it is shut down. */
int tr_srv_deadlines_start(struct tr_server *s);
void tr_srv_deadlines_stop(struct tr_server *s);
void tr_srv_deadline_arm(struct tr_server *s, struct conn_state *cs);
void tr_srv_deadline_disarm(struct tr_server *s, struct conn_state *cs);

/* A response that owns body (freed even on failure), with Content-Type and no caching. */
struct MHD_Response *tr_srv_buffer_response(char *body, size_t len, const char *content_type);
/* A JSON answer owning body (malloc'd); NULL (body freed) when out of memory. */
struct MHD_Response *tr_srv_json_response(char *body);
/* Adds what every answer carries (CORS for origin, when allowed, else NULL), queues it and
 * drops our reference. When r is NULL (out of memory) a fixed 500 JSON answer goes instead. */
enum MHD_Result tr_srv_queue(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, struct MHD_Response *r, const char *origin);
/* A JSON error; error NULL stands for internal_error. */
enum MHD_Result tr_srv_error(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                             unsigned status, const char *error, const char *message,
                             const char *origin);

/* The endpoints; origin is the request's Origin when allowed, else NULL. */
enum MHD_Result tr_srv_page(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                            const char *origin);
enum MHD_Result tr_srv_health(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              const char *origin);
/* A render (JSON or event stream): admitted, queued or turned away at once; an admitted or
 * queued one goes on on its own thread with c suspended, and tr_srv_render_done answers
 * when it resumes c. */
enum MHD_Result tr_srv_render(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              enum tr_mode mode, int stream, const struct tr_http_target *t,
                              const char *origin);
enum MHD_Result tr_srv_render_done(struct tr_server *s, struct MHD_Connection *c,
                                   struct request *rq);
/* For a request that ends without tr_srv_render_done (its client left while it rendered). */
void tr_srv_render_drop(struct tr_server *s, struct request *rq);
enum MHD_Result tr_srv_preflight(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                 const char *origin);

#endif
