/*
 * Admission of renders: at most max_running at once, at most max_queued waiting in arrival
 * order; beyond that a request is turned away (503). Also keeps the counters that the health
 * endpoint reports.
 */
#ifndef TILERACE_RENDER_GATE_H
#define TILERACE_RENDER_GATE_H

#include <pthread.h>
#include <stdint.h>

/* A place in the queue; owned by whoever waits in it (it must outlive the wait). */
struct tr_gate_waiter {
    struct tr_gate_waiter *prev, *next;
    int queued;
};

struct tr_render_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint32_t max_running, max_queued;
    uint32_t running, queued;
    struct tr_gate_waiter *head, *tail; /* the queue, oldest first */
    uint64_t completed, cancelled, rejected, failed;
};

struct tr_gate_stats {
    uint32_t running, queued, max_running, max_queued;
    uint64_t completed, cancelled, rejected, failed;
};

enum tr_gate_result { TR_GATE_ADMITTED, TR_GATE_BUSY, TR_GATE_ABANDONED, TR_GATE_QUEUED };
enum tr_gate_outcome { TR_GATE_COMPLETED, TR_GATE_CANCELLED, TR_GATE_FAILED };

int tr_render_gate_init(struct tr_render_gate *g, uint32_t max_running, uint32_t max_queued);
void tr_render_gate_destroy(struct tr_render_gate *g);

/*
 * Takes a slot, waiting in the queue if need be. While it waits, abandon(ctx) is asked about
 * every poll_ms; when it answers non-zero the request leaves the queue (TR_GATE_ABANDONED).
 */
enum tr_gate_result tr_render_gate_enter(struct tr_render_gate *g, int (*abandon)(void *ctx),
                                         void *ctx, unsigned poll_ms);
/*
 * The same in two steps, so that a request is admitted, queued or turned away at once on the
 * thread that answers it, and waits for its turn on another: join never blocks (TR_GATE_ADMITTED,
 * TR_GATE_QUEUED with w linked into the queue, or TR_GATE_BUSY); wait blocks a queued w until
 * admitted or abandoned (and returns at once for an admitted one).
 */
enum tr_gate_result tr_render_gate_join(struct tr_render_gate *g, struct tr_gate_waiter *w);
enum tr_gate_result tr_render_gate_wait(struct tr_render_gate *g, struct tr_gate_waiter *w,
                                        int (*abandon)(void *ctx), void *ctx, unsigned poll_ms);
/* Undoes a join that will not be waited for: leaves the queue, or gives the slot back (counted
 * as failed). */
void tr_render_gate_withdraw(struct tr_render_gate *g, struct tr_gate_waiter *w);
/* Gives the slot back and counts how the render ended. */
void tr_render_gate_leave(struct tr_render_gate *g, enum tr_gate_outcome outcome);

void tr_render_gate_stats(struct tr_render_gate *g, struct tr_gate_stats *out);

#endif
