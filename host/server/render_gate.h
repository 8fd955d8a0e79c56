/*
 * Admission of renders: at most max_running at once, at most max_queued waiting in arrival
 * order; beyond that a request is turned away (503). Also keeps the counters that the health
 * endpoint reports.
 */
#ifndef TILERACE_RENDER_GATE_H
#define TILERACE_RENDER_GATE_H

#include <pthread.h>
#include <stdint.h>

struct tr_gate_waiter;

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

enum tr_gate_result { TR_GATE_ADMITTED, TR_GATE_BUSY, TR_GATE_ABANDONED };
enum tr_gate_outcome { TR_GATE_COMPLETED, TR_GATE_CANCELLED, TR_GATE_FAILED };

int tr_render_gate_init(struct tr_render_gate *g, uint32_t max_running, uint32_t max_queued);
void tr_render_gate_destroy(struct tr_render_gate *g);

/*
 * Takes a slot, waiting in the queue if need be. While it waits, abandon(ctx) is asked about
 * every poll_ms; when it answers non-zero the request leaves the queue (TR_GATE_ABANDONED).
 */
enum tr_gate_result tr_render_gate_enter(struct tr_render_gate *g, int (*abandon)(void *ctx),
                                         void *ctx, unsigned poll_ms);
/* Gives the slot back and counts how the render ended. */
void tr_render_gate_leave(struct tr_render_gate *g, enum tr_gate_outcome outcome);

void tr_render_gate_stats(struct tr_render_gate *g, struct tr_gate_stats *out);

#endif
