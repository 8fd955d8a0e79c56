#include "server/sse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "devices/job.h"
#include "output/json_document.h"
#include "server/json_answer.h"
#include "server/peer.h"

struct tr_sse_stream {
    struct tr_params params;
    struct tr_device_cache *devices; /* prepared OpenCL devices, or NULL */
    struct tr_job job;
    struct tr_peer_watch watch;
    pthread_t thread;
    int thread_started;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* a tile was queued, a slot freed, or the render ended */
    struct tr_record ring[TR_SSE_RING];
    size_t head, count;
    const uint16_t *frame;
    int done;
    enum tr_status status; /* the render's, once done */
    char err[512];
    struct tr_sse_waker waker;
    int parked; /* the reader went away until wake() */
    /* released while the render still ran: its thread frees the stream at its end */
    void (*released)(void *ctx, const struct tr_sse_result *result);
    void *released_ctx;

    /* the reader's side: the event being sent (out is static when out_static) */
    char *out;
    int out_static;
    size_t out_len, out_off;
    size_t tiles_sent;
    int final_sent, ended;
};

static void wait_a_while(struct tr_sse_stream *s, unsigned ms)
{
    tr_cond_wait_until(&s->changed, &s->lock, tr_deadline_ns(ms));
}

/* Under the lock, once there is something for a parked reader. */
static void wake_reader(struct tr_sse_stream *s)
{
    if (s->parked) {
        s->parked = 0;
        s->waker.wake(s->waker.ctx);
    }
}

static void collect(struct tr_sse_stream *s, struct tr_sse_result *result);
static void release_now(struct tr_sse_stream *s);

/* In the run's output thread, after each finished tile: the lanes wait on it only when the
 * output queue fills behind a slow client. */
static void on_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    struct tr_sse_stream *s = user;
    tr_peer_watch_check(&s->watch);
    pthread_mutex_lock(&s->lock);
    s->frame = frame;
    /* A full ring means a slow client: wait, but keep watching for it leaving. */
    while (s->count == TR_SSE_RING && !tr_peer_watch_check(&s->watch))
        wait_a_while(s, 100);
    if (s->count < TR_SSE_RING) {
        s->ring[(s->head + s->count) % TR_SSE_RING] = *rec;
        s->count++;
        pthread_cond_broadcast(&s->changed);
        wake_reader(s);
    }
    pthread_mutex_unlock(&s->lock);
}

/* In the run's output thread every few milliseconds: the lanes only read the cancel flag. */
static void poll_peer(void *user)
{
    struct tr_sse_stream *s = user;
    tr_peer_watch_check(&s->watch);
}

static void *render_main(void *arg)
{
    struct tr_sse_stream *s = arg;
    struct tr_job_options jo;
    char err[512];
    memset(&jo, 0, sizeof(jo));
    jo.hooks.on_tile = on_tile;
    jo.hooks.poll = poll_peer;
    jo.hooks.user = s;
    jo.hooks.want_counts = 1;
    jo.hooks.cancel = &s->watch.cancel;
    jo.device_label = "device";
    jo.devices = s->devices;
    enum tr_status status = tr_job_run(&s->params, &jo, &s->job, err, sizeof(err));
    pthread_mutex_lock(&s->lock);
    s->status = status;
    if (status)
        snprintf(s->err, sizeof(s->err), "%s", err);
    s->done = 1;
    pthread_cond_broadcast(&s->changed);
    wake_reader(s);
    int orphaned = s->released != NULL;
    pthread_mutex_unlock(&s->lock);
    if (orphaned) {
        pthread_detach(pthread_self());
        release_now(s);
    }
    return NULL;
}

int tr_sse_start(const struct tr_params *p, int fd, const atomic_int *stop_all,
                 struct tr_sse_stream **out, char *err, size_t errlen)
{
    return tr_sse_start_on(p, NULL, fd, stop_all, out, err, errlen);
}

int tr_sse_start_on(const struct tr_params *p, struct tr_device_cache *devices, int fd,
                    const atomic_int *stop_all, struct tr_sse_stream **out, char *err,
                    size_t errlen)
{
    int have_cond = 0, have_lock = 0;
    struct tr_sse_stream *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        goto fail;
    s->params = *p;
    s->devices = devices;
    tr_peer_watch_init(&s->watch, fd, stop_all);
    have_cond = tr_cond_init_monotonic(&s->changed) == 0;
    have_lock = pthread_mutex_init(&s->lock, NULL) == 0;
    if (!have_cond || !have_lock || pthread_create(&s->thread, NULL, render_main, s))
        goto fail;
    s->thread_started = 1;
    *out = s;
    return 0;

fail:
    if (have_lock)
        pthread_mutex_destroy(&s->lock);
    if (have_cond)
        pthread_cond_destroy(&s->changed);
    free(s);
    snprintf(err, errlen, "could not start the render thread");
    return -1;
}

enum tr_status tr_sse_wait_first(struct tr_sse_stream *s, char *err, size_t errlen)
{
    enum tr_status status = TR_OK;
    pthread_mutex_lock(&s->lock);
    while (!s->count && !s->done)
        pthread_cond_wait(&s->changed, &s->lock);
    if (!s->count && s->status) {
        status = s->status;
        snprintf(err, errlen, "%s", s->err);
    }
    pthread_mutex_unlock(&s->lock);
    return status;
}

/* Formats one event into s->out; returns 0 or -1 (out of memory). */
static int format_tile(struct tr_sse_stream *s, const struct tr_record *rec, const uint16_t *frame)
{
    FILE *f = open_memstream(&s->out, &s->out_len);
    if (!f)
        return -1;
    int rc = fprintf(f, "id: %zu\nevent: tile\ndata: ", s->tiles_sent + 1) < 0 ||
             tr_record_write_with_counts(f, rec, frame, s->params.width) || fputs("\n\n", f) < 0;
    return (fclose(f) || rc) ? -1 : 0;
}

/* The final event: the error, or the document on one line as --stream's last line writes it
 * (an event's data must not contain a newline; the line's own newline ends the data). */
static int format_final(struct tr_sse_stream *s)
{
    char *error = NULL;
    if (s->status &&
        !(error = tr_http_error_body(tr_http_failure_for_status(s->status).error, s->err)))
        return -1;
    FILE *f = open_memstream(&s->out, &s->out_len);
    int rc = !f;
    if (f && error)
        rc = fprintf(f, "event: error\ndata: %s\n\n", error) < 0;
    else if (f)
        rc = fputs("id: complete\nevent: complete\ndata: ", f) < 0 ||
             tr_json_write_document_flags(f, &s->job, TR_JSON_ONE_LINE) != 0 ||
             fputc('\n', f) == EOF;
    if (f && fclose(f))
        rc = 1;
    free(error);
    return rc ? -1 : 0;
}

void tr_sse_set_waker(struct tr_sse_stream *s, const struct tr_sse_waker *w)
{
    pthread_mutex_lock(&s->lock);
    s->waker = *w;
    pthread_mutex_unlock(&s->lock);
}

static void free_out(struct tr_sse_stream *s)
{
    if (!s->out_static)
        free(s->out);
    s->out = NULL;
    s->out_static = 0;
    s->out_len = s->out_off = 0;
}

/* What is left to say when an event cannot be formatted: the stream ends with this. */
static void out_of_memory(struct tr_sse_stream *s)
{
    static char text[] = "event: error\ndata: " TR_HTTP_OOM_BODY "\n\n";
    free_out(s);
    s->out = text;
    s->out_static = 1;
    s->out_len = sizeof(text) - 1;
    s->final_sent = 1;
}

ssize_t tr_sse_read(struct tr_sse_stream *s, char *buf, size_t max)
{
    for (;;) {
        if (s->out_off < s->out_len) {
            size_t n = s->out_len - s->out_off < max ? s->out_len - s->out_off : max;
            memcpy(buf, s->out + s->out_off, n);
            s->out_off += n;
            return (ssize_t)n;
        }
        free_out(s);
        if (s->final_sent) {
            s->ended = 1;
            return TR_SSE_END;
        }

        struct tr_record rec;
        const uint16_t *frame;
        int have_tile = 0;
        pthread_mutex_lock(&s->lock);
        if (!s->count && !s->done && s->waker.park && s->waker.park(s->waker.ctx)) {
            s->parked = 1;
            pthread_mutex_unlock(&s->lock);
            return TR_SSE_AGAIN;
        }
        while (!s->count && !s->done)
            pthread_cond_wait(&s->changed, &s->lock);
        if (s->count) {
            rec = s->ring[s->head];
            frame = s->frame;
            s->head = (s->head + 1) % TR_SSE_RING;
            s->count--;
            have_tile = 1;
            pthread_cond_broadcast(&s->changed);
        }
        pthread_mutex_unlock(&s->lock);

        if (atomic_load(&s->watch.peer_gone))
            return TR_SSE_ERROR;
        if (have_tile) {
            if (format_tile(s, &rec, frame) == 0)
                s->tiles_sent++;
            else
                out_of_memory(s);
        } else if (format_final(s) == 0) {
            s->final_sent = 1;
        } else {
            out_of_memory(s);
        }
    }
}

/* What the stream did, then frees it; its render thread has ended (or never started). */
static void collect(struct tr_sse_stream *s, struct tr_sse_result *result)
{
    memset(result, 0, sizeof(*result));
    result->status = s->status;
    result->cancelled = s->job.run.cancelled;
    result->finished = s->final_sent;
    result->peer_gone = atomic_load(&s->watch.peer_gone) || !s->ended;
    result->tiles_sent = s->tiles_sent;
    result->tiles_total = s->job.run.tiles_total;
    tr_job_free(&s->job);
    free_out(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
}

static void release_now(struct tr_sse_stream *s)
{
    struct tr_sse_result result;
    void (*released)(void *, const struct tr_sse_result *) = s->released;
    void *ctx = s->released_ctx;
    collect(s, &result);
    released(ctx, &result);
}

static void cancel_render(struct tr_sse_stream *s)
{
    atomic_store(&s->watch.cancel, 1);
    pthread_cond_broadcast(&s->changed);
}

void tr_sse_finish(struct tr_sse_stream *s, struct tr_sse_result *result)
{
    memset(result, 0, sizeof(*result));
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    cancel_render(s);
    pthread_mutex_unlock(&s->lock);
    if (s->thread_started)
        pthread_join(s->thread, NULL);
    collect(s, result);
}

void tr_sse_release(struct tr_sse_stream *s,
                    void (*released)(void *ctx, const struct tr_sse_result *result), void *ctx)
{
    pthread_mutex_lock(&s->lock);
    cancel_render(s);
    s->released = released;
    s->released_ctx = ctx;
    int running = s->thread_started && !s->done;
    pthread_mutex_unlock(&s->lock);
    if (running)
        return; /* render_main releases it at its end */
    if (s->thread_started)
        pthread_join(s->thread, NULL); /* it is at its end already */
    release_now(s);
}
