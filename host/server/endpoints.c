/* The endpoints: health, a render as one JSON document or as an event stream, preflights. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/status.h"
#include "devices/job.h"
#include "output/json_document.h"
#include "replay/page.h"
#include "server/cors.h"
#include "server/json_answer.h"
#include "server/params.h"
#include "server/peer.h"
#include "server/private.h"
#include "server/sse.h"

extern const char tr_server_form_html[];

#define SSE_BLOCK    (16 * 1024)
#define GATE_POLL_MS 100 /* how often a queued request checks for its client */

/* The form with each `@RANGE:query@` replaced by that parameter's min, max and default from
 * the option table, made once; NULL when out of memory. */
static char *form_html;
static pthread_once_t form_made = PTHREAD_ONCE_INIT;

static void make_form(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return;
    for (const char *p = tr_server_form_html; *p;) {
        const char *at = strstr(p, "@RANGE:");
        const char *end = at ? strchr(at + 7, '@') : NULL;
        if (!end) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(at - p), f);
        char query[32];
        snprintf(query, sizeof(query), "%.*s", (int)(end - at - 7), at + 7);
        const struct tr_option *o = tr_option_by_query(query);
        if (o)
            fprintf(f, "min=\"%llu\" max=\"%llu\" value=\"%llu\"", (unsigned long long)o->min,
                    (unsigned long long)o->max, (unsigned long long)o->def);
        p = end + 1;
    }
    if (fclose(f) == 0)
        form_html = out;
    else
        free(out);
}

/* The replay page with the API form in its extra slot (web/server_form.html). */
enum MHD_Result tr_srv_page(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                            const char *origin)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    pthread_once(&form_made, make_form);
    int failed = !f || !form_html || tr_replay_page_write(f, NULL, form_html) != 0;
    if ((f && fclose(f) != 0) || failed) {
        free(body);
        return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL,
                            "out of memory while writing the page", origin);
    }
    return tr_srv_queue(s, c, rq, 200,
                        tr_srv_buffer_response(body, len, "text/html; charset=utf-8"), origin);
}

enum MHD_Result tr_srv_health(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              const char *origin)
{
    struct tr_gate_stats st;
    tr_render_gate_stats(&s->gate, &st);
    char *body = tr_http_health_body(&st, atomic_load(&s->stopping), s->devices);
    return tr_srv_queue(s, c, rq, 200, tr_srv_json_response(body), origin);
}

/* A render on its own thread, its connection suspended until it is done (JSON) or its first
 * tile is in (event stream). What it leaves here is read once the connection is resumed. */
struct render_work {
    struct tr_server *s;
    struct MHD_Connection *c;
    int stream;
    struct tr_params p;
    struct tr_peer_watch watch; /* while queued; and the JSON render's output thread */
    struct tr_gate_waiter place;
    /* the outcome */
    int admitted;
    enum tr_status status;
    char err[512];
    char *body; /* JSON: the document; NULL when it could not be written */
    size_t tiles_done;
    unsigned long long tiles_total;
    struct tr_sse_stream *sse; /* event stream: events are coming */
};

struct stream_ctx {
    struct tr_server *s;
    struct MHD_Connection *c;
    struct tr_sse_stream *sse;
    char target[LOG_TARGET_MAX + 4];
};

static int abandon_wait(void *ctx)
{
    return tr_peer_watch_check(ctx);
}

/* In the run's output thread, not in its lanes: they only read the cancel flag. */
static void watch_peer(void *user)
{
    tr_peer_watch_check(user);
}

static int wait_turn(struct render_work *w)
{
    w->admitted = tr_render_gate_wait(&w->s->gate, &w->place, abandon_wait, &w->watch,
                                      GATE_POLL_MS) == TR_GATE_ADMITTED;
    return w->admitted;
}

static void *json_render_main(void *arg)
{
    struct render_work *w = arg;
    struct tr_job job;
    struct tr_job_options jo;
    size_t len = 0;
    FILE *f = NULL;
    if (wait_turn(w)) {
        memset(&jo, 0, sizeof(jo));
        jo.hooks.poll = watch_peer;
        jo.hooks.user = &w->watch;
        jo.hooks.cancel = &w->watch.cancel;
        jo.device_label = "device";
        jo.devices = w->s->devices;
        w->status = tr_job_run(&w->p, &jo, &job, w->err, sizeof(w->err));
        if (w->status == 0 && !atomic_load(&w->watch.peer_gone)) {
            int failed =
                (f = open_memstream(&w->body, &len)) == NULL || tr_json_write_document(f, &job);
            if ((f && fclose(f) != 0) || failed) {
                free(w->body);
                w->body = NULL; /* answered as 500 */
            }
        }
        tr_render_gate_leave(&w->s->gate, w->status           ? TR_GATE_FAILED
                                          : job.run.cancelled ? TR_GATE_CANCELLED
                                                              : TR_GATE_COMPLETED);
        w->tiles_done = job.run.n_records;
        w->tiles_total = (unsigned long long)job.run.tiles_total;
        tr_job_free(&job);
    }
    tr_srv_resume(w->s, w->c); /* the last touch: w belongs to the connection again */
    return NULL;
}

static void *stream_render_main(void *arg)
{
    struct render_work *w = arg;
    struct tr_sse_result res;
    if (wait_turn(w)) {
        if (tr_sse_start_on(&w->p, w->s->devices, w->watch.fd, &w->s->stop_all, &w->sse, w->err,
                            sizeof(w->err))) {
            w->status = TR_ERR_INTERNAL;
            tr_render_gate_leave(&w->s->gate, TR_GATE_FAILED);
        } else if ((w->status = tr_sse_wait_first(w->sse, w->err, sizeof(w->err))) != 0) {
            /* failed before its first tile (a missing device): still time for a status */
            tr_sse_finish(w->sse, &res);
            w->sse = NULL;
            tr_render_gate_leave(&w->s->gate, TR_GATE_FAILED);
        }
    }
    tr_srv_resume(w->s, w->c);
    return NULL;
}

static int start_render_thread(void *arg)
{
    struct render_work *w = arg;
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr))
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&thread, &attr, w->stream ? stream_render_main : json_render_main, w);
    pthread_attr_destroy(&attr);
    return rc ? -1 : 0;
}

enum MHD_Result tr_srv_render(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              enum tr_mode mode, int stream, const struct tr_http_target *t,
                              const char *origin)
{
    struct render_work *w;
    char err[512], msg[256];

    /* An EventSource reconnects when a stream ends; a run cannot be resumed, and 204 tells
     * it to stop. */
    if (stream && MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"))
        return tr_srv_queue(s, c, rq, 204,
                            MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT),
                            origin);
    if (!(w = calloc(1, sizeof(*w))))
        return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL, "out of memory", origin);
    if (tr_http_params_parse(t, mode, &s->cfg.caps, &w->p, err, sizeof(err)) != 0) {
        free(w);
        return tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, err, origin);
    }
    w->s = s;
    w->c = c;
    w->stream = stream;
    tr_peer_watch_init(&w->watch, tr_srv_connection_fd(c), &s->stop_all);
    if (tr_render_gate_join(&s->gate, &w->place) == TR_GATE_BUSY) {
        free(w);
        snprintf(msg, sizeof(msg),
                 "the server is busy: all %u render slots and %u queue places are taken (try "
                 "again in " RETRY_AFTER_S " s)",
                 s->cfg.max_renders, s->cfg.max_queued);
        return tr_srv_error(s, c, rq, 503, TR_HTTP_ERR_BUSY, msg, origin);
    }
    rq->work = w;
    int started = tr_srv_suspend_start(s, c, start_render_thread, w);
    if (started == 1)
        return MHD_YES;
    rq->work = NULL;
    tr_render_gate_withdraw(&s->gate, &w->place);
    free(w);
    if (started == 0)
        return tr_srv_error(s, c, rq, 503, TR_HTTP_ERR_STOPPING, "the server is shutting down",
                            origin);
    return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL, "could not start a render thread",
                        origin);
}

/* The answer for a render that failed with status. */
static enum MHD_Result render_failed(struct tr_server *s, struct MHD_Connection *c,
                                     struct request *rq, enum tr_status status, const char *err)
{
    struct tr_http_failure f = tr_http_failure_for_status(status);
    if (f.status >= 500)
        tr_srv_log("render failed (%u): %s: %s", f.status, err, rq->target);
    return tr_srv_error(s, c, rq, f.status, f.error, err, rq->echo);
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

static int stream_park(void *cls)
{
    struct stream_ctx *ctx = cls;
    return tr_srv_park(ctx->s, ctx->c);
}

static void stream_wake(void *cls)
{
    struct stream_ctx *ctx = cls;
    tr_srv_resume(ctx->s, ctx->c);
}

/* Once the stream's render has ended (maybe long after its connection). */
static void stream_released(void *cls, const struct tr_sse_result *res)
{
    struct stream_ctx *ctx = cls;
    struct tr_server *s = ctx->s;
    tr_render_gate_leave(&s->gate, res->status      ? TR_GATE_FAILED
                                   : res->cancelled ? TR_GATE_CANCELLED
                                                    : TR_GATE_COMPLETED);
    if (res->peer_gone)
        tr_srv_log("stream %s, client went away after %zu/%zu tiles sent: %s",
                   res->cancelled ? "cancelled" : "ended", res->tiles_sent, res->tiles_total,
                   ctx->target);
    tr_srv_busy_add(s, -1);
    pthread_mutex_lock(&s->lock);
    s->streams--;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    free(ctx);
}

/* MHD is done with the response: the render stops, without the event loop waiting for it. */
static void stream_free(void *cls)
{
    struct stream_ctx *ctx = cls;
    tr_sse_release(ctx->sse, stream_released, ctx);
}

static enum MHD_Result stream_answer(struct tr_server *s, struct MHD_Connection *c,
                                     struct request *rq, struct tr_sse_stream *sse)
{
    struct tr_sse_result res;
    struct MHD_Response *r = NULL;
    struct stream_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx) {
        ctx->s = s;
        ctx->c = c;
        ctx->sse = sse;
        snprintf(ctx->target, sizeof(ctx->target), "%s", rq->target);
        tr_sse_set_waker(sse, &(struct tr_sse_waker){stream_park, stream_wake, ctx});
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, stream_read, ctx,
                                              stream_free);
    }
    if (!r) {
        free(ctx);
        tr_sse_finish(sse, &res);
        tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
        return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL,
                            "out of memory while starting the event stream", rq->echo);
    }
    tr_srv_busy_add(s, 1); /* given back once the render is released */
    pthread_mutex_lock(&s->lock);
    s->streams++;
    pthread_mutex_unlock(&s->lock);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return tr_srv_queue(s, c, rq, 200, r, rq->echo);
}

/* Logs a JSON render or a queued request whose client went away; says whether it did. Called
 * from whichever comes first once the render has ended: the handler's second call or the
 * connection's end. */
static int log_peer_gone(const struct request *rq, const struct render_work *w)
{
    if (w->stream && w->admitted)
        return 0; /* its event stream reports it */
    if (!atomic_load(&w->watch.peer_gone))
        return 0;
    if (!w->admitted)
        tr_srv_log("client went away while queued: %s", rq->target);
    else
        tr_srv_log("render cancelled, client went away after %zu/%llu tiles: %s", w->tiles_done,
                   w->tiles_total, rq->target);
    return 1;
}

void tr_srv_render_drop(struct tr_server *s, struct request *rq)
{
    struct render_work *w = rq->work;
    struct tr_sse_result res;
    rq->work = NULL;
    if (!w)
        return;
    if (w->sse) { /* its render goes on: stopped and released off this thread */
        struct stream_ctx *ctx = calloc(1, sizeof(*ctx));
        if (ctx) {
            ctx->s = s;
            snprintf(ctx->target, sizeof(ctx->target), "%s", rq->target);
            tr_srv_busy_add(s, 1);
            pthread_mutex_lock(&s->lock);
            s->streams++;
            pthread_mutex_unlock(&s->lock);
            tr_sse_release(w->sse, stream_released, ctx);
        } else {
            tr_sse_finish(w->sse, &res);
            tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
        }
    } else {
        log_peer_gone(rq, w);
    }
    free(w->body);
    free(w);
}

enum MHD_Result tr_srv_render_done(struct tr_server *s, struct MHD_Connection *c,
                                   struct request *rq)
{
    struct render_work *w = rq->work;
    enum MHD_Result ret;
    rq->work = NULL;
    if (log_peer_gone(rq, w)) {
        ret = MHD_NO;
    } else if (!w->admitted) {
        ret = tr_srv_error(s, c, rq, 503, TR_HTTP_ERR_STOPPING, "the server is shutting down",
                           rq->echo);
    } else if (w->stream) {
        ret = w->status ? render_failed(s, c, rq, w->status, w->err)
                        : stream_answer(s, c, rq, w->sse);
    } else if (w->status) {
        ret = render_failed(s, c, rq, w->status, w->err);
    } else if (!w->body) {
        ret = tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL,
                           "out of memory while writing the answer", rq->echo);
    } else {
        ret = tr_srv_queue(s, c, rq, 200, tr_srv_json_response(w->body), rq->echo);
        w->body = NULL; /* the response owns it */
    }
    free(w->body);
    free(w);
    return ret;
}

enum MHD_Result tr_srv_preflight(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                 const char *origin)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r) /* answered as 500 */
        return tr_srv_queue(s, c, rq, 204, NULL, origin);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, TR_CORS_ALLOW_METHODS);
    if (origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Methods", TR_CORS_ALLOW_METHODS);
        MHD_add_response_header(r, "Access-Control-Allow-Headers", TR_CORS_ALLOW_HEADERS);
        MHD_add_response_header(r, "Access-Control-Max-Age", TR_CORS_MAX_AGE);
    }
    return tr_srv_queue(s, c, rq, 204, r, origin);
}
