/* The endpoints: health, a render as one JSON document or as an event stream, preflights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct stream_ctx {
    struct tr_server *s;
    struct tr_sse_stream *sse;
    char target[LOG_TARGET_MAX + 4];
};

/* The replay page with the API form in its extra slot (web/server_form.html). */
enum MHD_Result tr_srv_page(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                            const char *origin)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    int failed = !f || tr_replay_page_write(f, NULL, tr_server_form_html) != 0;
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
    char *body = tr_http_health_body(&st, atomic_load(&s->stopping));
    return tr_srv_queue(s, c, rq, 200, tr_srv_json_response(body), origin);
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
        *ret = tr_srv_error(s, c, rq, 503, TR_HTTP_ERR_BUSY, msg, origin);
        return 0;
    default:
        if (atomic_load(&watch->peer_gone)) {
            tr_srv_log("client went away while queued: %s", rq->target);
            *ret = MHD_NO;
        } else {
            *ret = tr_srv_error(s, c, rq, 503, TR_HTTP_ERR_STOPPING, "the server is shutting down",
                                origin);
        }
        return 0;
    }
}

enum MHD_Result tr_srv_compute(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                               enum tr_mode mode, const struct tr_http_target *t,
                               const char *origin)
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

    int rc = tr_http_params_parse(t, mode, &s->cfg.caps, &p, err, sizeof(err));
    if (rc)
        return tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, err, origin);
    tr_peer_watch_init(&watch, tr_srv_connection_fd(c), &s->stop_all);
    if (!admit(s, c, rq, &watch, origin, &ret))
        return ret;

    memset(&jo, 0, sizeof(jo));
    jo.hooks.on_tile = watch_tile;
    jo.hooks.user = &watch;
    jo.hooks.cancel = &watch.cancel;
    jo.device_label = "device";
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
        tr_srv_log("render cancelled, client went away after %zu/%llu tiles: %s", job.run.n_records,
                   (unsigned long long)job.run.tiles_total, rq->target);
        tr_job_free(&job);
        free(body);
        return MHD_NO;
    }
    tr_job_free(&job);
    if (rc) {
        unsigned status = tr_http_status_for_exit(rc, &error);
        if (status >= 500)
            tr_srv_log("render failed (%u): %s: %s", status, err, rq->target);
        return tr_srv_error(s, c, rq, status, error, err, origin);
    }
    if (!body)
        return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL,
                            "out of memory while writing the answer", origin);
    return tr_srv_queue(s, c, rq, 200, tr_srv_json_response(body), origin);
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
        tr_srv_log("stream %s, client went away after %zu/%zu tiles sent: %s",
                   res.cancelled ? "cancelled" : "ended", res.tiles_sent, res.tiles_total,
                   ctx->target);
    tr_srv_busy_add(ctx->s, -1);
    free(ctx);
}

enum MHD_Result tr_srv_stream(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                              enum tr_mode mode, const struct tr_http_target *t, const char *origin)
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
        return tr_srv_queue(s, c, rq, 204,
                            MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT),
                            origin);
    int rc = tr_http_params_parse(t, mode, &s->cfg.caps, &p, err, sizeof(err));
    if (rc)
        return tr_srv_error(s, c, rq, 400, TR_HTTP_ERR_PARAMETER, err, origin);
    tr_peer_watch_init(&watch, tr_srv_connection_fd(c), &s->stop_all);
    if (!admit(s, c, rq, &watch, origin, &ret))
        return ret;
    if (tr_sse_start(&p, watch.fd, &s->stop_all, &sse, err, sizeof(err)) != 0) {
        tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
        return tr_srv_error(s, c, rq, 500, TR_HTTP_ERR_INTERNAL, err, origin);
    }
    /* Errors found before the first tile (a device that is missing) still get a status. */
    if ((rc = tr_sse_wait_first(sse, err, sizeof(err))) != 0) {
        tr_sse_finish(sse, &res);
        tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
        return tr_srv_error(s, c, rq, tr_http_status_for_exit(rc, &error), error, err, origin);
    }
    ctx = calloc(1, sizeof(*ctx));
    if (ctx) {
        ctx->s = s;
        ctx->sse = sse;
        snprintf(ctx->target, sizeof(ctx->target), "%s", rq->target);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, stream_read, ctx,
                                              stream_free);
    }
    tr_srv_busy_add(s, 1); /* given back by stream_free */
    if (!r) {
        if (ctx) {
            stream_free(ctx);
        } else {
            tr_sse_finish(sse, &res);
            tr_render_gate_leave(&s->gate, TR_GATE_FAILED);
            tr_srv_busy_add(s, -1);
        }
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    return tr_srv_queue(s, c, rq, 200, r, origin);
}

enum MHD_Result tr_srv_preflight(struct tr_server *s, struct MHD_Connection *c, struct request *rq,
                                 const char *origin)
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
    return tr_srv_queue(s, c, rq, 204, r, origin);
}
