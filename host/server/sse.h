/*
 * One run as Server-Sent Events: the render runs on its own thread and hands each finished
 * tile to the reader through a small ring of records (lanes wait when the client falls that
 * far behind), so memory stays bounded by the frame and the ring whatever the client's speed.
 *
 *   id: 1\nevent: tile\ndata: {record + "data": [counts]}\n\n      one per finished tile
 *   id: complete\nevent: complete\ndata: {the whole document, one line}\n\n
 *   event: error\ndata: {"success":false,...}\n\n             if the render failed midway
 */
#ifndef TILERACE_HTTP_SSE_H
#define TILERACE_HTTP_SSE_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/params.h"
#include "core/status.h"

#define TR_SSE_RING  64 /* finished tiles not yet sent before lanes wait */
#define TR_SSE_AGAIN ((ssize_t)0)
#define TR_SSE_END   ((ssize_t)-1)
#define TR_SSE_ERROR ((ssize_t)-2)

struct tr_sse_stream;
struct tr_device_cache;

/*
 * How a reader on an event loop waits without blocking it. park(ctx) is called by tr_sse_read,
 * under the stream's lock, when nothing is ready: it answers 1 when the reader may go away
 * (tr_sse_read then returns TR_SSE_AGAIN, and wake(ctx) is called once, from the render's
 * thread and under the same lock, when there is something to read), or 0 to have tr_sse_read
 * wait for it instead.
 */
struct tr_sse_waker {
    int (*park)(void *ctx);
    void (*wake)(void *ctx);
    void *ctx;
};

struct tr_sse_result {
    enum tr_status status; /* the render's */
    int cancelled;         /* the render stopped early: client gone or server stopping */
    int peer_gone;         /* the client left before the final event */
    int finished;          /* the final event was produced */
    size_t tiles_sent, tiles_total;
};

/*
 * Starts p's render. fd is the client's socket (watched for a disconnect), stop_all the
 * server's "cancel every render" flag. Returns 0, or -1 with a message in err.
 */
int tr_sse_start(const struct tr_params *p, int fd, const atomic_int *stop_all,
                 struct tr_sse_stream **out, char *err, size_t errlen);
/* tr_sse_start, rendering on the OpenCL devices that devices keeps prepared (NULL: none). */
int tr_sse_start_on(const struct tr_params *p, struct tr_device_cache *devices, int fd,
                    const atomic_int *stop_all, struct tr_sse_stream **out, char *err,
                    size_t errlen);

/* Waits for the first tile or the end of the render; returns 0 when events are coming, or
 * the render's status with its message when it failed before any tile. */
enum tr_status tr_sse_wait_first(struct tr_sse_stream *s, char *err, size_t errlen);

/* Sets how tr_sse_read waits (by default it blocks). */
void tr_sse_set_waker(struct tr_sse_stream *s, const struct tr_sse_waker *w);

/* Copies the next bytes of the stream into buf; returns their count, TR_SSE_AGAIN when the
 * waker parked the reader, TR_SSE_END after the final event, or TR_SSE_ERROR once the client
 * has gone. When an event cannot be formatted (out of memory), the stream ends with a
 * 'error' event that says so. */
ssize_t tr_sse_read(struct tr_sse_stream *s, char *buf, size_t max);

/* Cancels the render if it still runs, waits for it, and frees everything. */
void tr_sse_finish(struct tr_sse_stream *s, struct tr_sse_result *result);

/* The same without waiting: the render is cancelled, and once its thread has ended (now, or
 * later on that thread) everything is freed and released(ctx, result) is called. */
void tr_sse_release(struct tr_sse_stream *s,
                    void (*released)(void *ctx, const struct tr_sse_result *result), void *ctx);

#endif
