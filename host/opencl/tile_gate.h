/*
 * When a lane's queued tiles may start on the device. Each queued tile waits on a gate (an
 * OpenCL user event) that exactly one party opens or cancels: the completion callback of the
 * tile before it, or the lane itself when it queues a tile whose predecessor has finished
 * already (or has none). Whoever decides asks the scheduler's start check first, so a tile
 * starts only while the run may start tiles; once a check refuses, every gate still closed
 * is cancelled. This is the decision logic only, with no OpenCL in it: the backend applies
 * each decision to its user events outside the lock, then reports it applied.
 */
#ifndef TILERACE_TILE_GATE_H
#define TILERACE_TILE_GATE_H

#include <pthread.h>
#include <stdint.h>

#include "core/params.h"
#include "core/scheduler.h"

enum tr_gate_action {
    TR_GATE_WAIT = 0,  /* the predecessor's completion decides */
    TR_GATE_OPEN = 1,  /* set the gate complete: the tile starts */
    TR_GATE_CANCEL = 2 /* set the gate to an error: the tile never starts */
};

struct tr_gate_slot {
    uint64_t seq;
    int decided;      /* a party has claimed the gate's action */
    int cancelled;    /* that action was a cancel */
    int applied;      /* and its OpenCL call has returned */
    int completed;    /* the tile's completion was seen (callback, or lane without one) */
    int handled;      /* and the gates it decided have been applied */
    int64_t start_ns; /* when the gate was opened, on the run's clock */
    int64_t end_ns;   /* when the host first saw the tile complete; -1 until then */
};

struct tr_tile_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct tr_start_check check;
    uint64_t head, tail; /* sequence numbers: the oldest queued tile, the next to queue */
    int stopped;         /* a check refused: no further gate opens */
    struct tr_gate_slot slot[TR_MAX_QUEUE_DEPTH];
};

/* A run of consecutive tiles (by sequence number) that all take the same action. */
struct tr_gate_batch {
    uint64_t first;
    uint32_t n;
    enum tr_gate_action action;
};

int tr_gate_init(struct tr_tile_gate *g);
void tr_gate_destroy(struct tr_tile_gate *g);

/* The slot the next tile will use (its sequence number is g->tail); only the lane adds. */
struct tr_gate_slot *tr_gate_next_slot(struct tr_tile_gate *g);

/* The lane has queued the next tile (behind its closed gate); check is the run's start
 * check. Returns what the lane must do to that gate itself: open or cancel it (then
 * tr_gate_applied), or leave it to the predecessor's completion. */
struct tr_gate_batch tr_gate_add(struct tr_tile_gate *g, const struct tr_start_check *check);

/* The tile in slot s has completed (from its completion callback, or from the lane after its
 * wait when callbacks are not used). Returns the gates the caller must now open or cancel (n
 * may be 0) and the tile's sequence number in *seq; the caller applies them, then calls
 * tr_gate_applied with the same batch and *seq. */
struct tr_gate_batch tr_gate_completed(struct tr_tile_gate *g, struct tr_gate_slot *s,
                                       uint64_t *seq);

/* The batch's OpenCL calls have returned; done marks tile done_seq's completion handling
 * finished too (pass UINT64_MAX for none). */
void tr_gate_applied(struct tr_tile_gate *g, const struct tr_gate_batch *b, uint64_t done_seq);

/* Lane failure or close: cancels every gate still closed (apply, then tr_gate_applied). */
struct tr_gate_batch tr_gate_cancel_rest(struct tr_tile_gate *g);

/* The gates a completion decided to cancel but left to the lane (see tr_gate_completed's
 * callers), not yet applied: the lane applies them before it waits on its oldest tile. */
struct tr_gate_batch tr_gate_pending_cancels(struct tr_tile_gate *g);

/* The lane retires its oldest tile once every party is done with it. ran: the tile's kernel
 * completed normally (its completion is then handled, or waited for). Returns 1 with its
 * times if it started, 0 if its gate was cancelled, -1 if it neither ran nor was cancelled
 * (the device failed). */
int tr_gate_retire(struct tr_tile_gate *g, int ran, int64_t *start_ns, int64_t *end_ns);

#endif
