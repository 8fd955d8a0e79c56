#include "opencl/tile_gate.h"

#include <string.h>

static struct tr_gate_slot *slot_of(struct tr_tile_gate *g, uint64_t seq)
{
    return &g->slot[seq % TR_MAX_QUEUE_DEPTH];
}

int tr_gate_init(struct tr_tile_gate *g)
{
    memset(g, 0, sizeof(*g));
    int rc = pthread_mutex_init(&g->lock, NULL);
    if (rc)
        return rc;
    if ((rc = pthread_cond_init(&g->cond, NULL)) != 0)
        pthread_mutex_destroy(&g->lock);
    return rc;
}

void tr_gate_destroy(struct tr_tile_gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

struct tr_gate_slot *tr_gate_next_slot(struct tr_tile_gate *g)
{
    return slot_of(g, g->tail); /* tail changes only in the lane's own thread */
}

/* With the lock held: a check decides the gate of seq (open, with the check's reading as its
 * start), or, refused, cancels it and every later gate still closed. *now gets the reading. */
static struct tr_gate_batch decide(struct tr_tile_gate *g, uint64_t seq, int64_t *now)
{
    struct tr_gate_batch b = {seq, 0, TR_GATE_CANCEL};
    if (!g->stopped && g->check.may_start(g->check.arg, now)) {
        struct tr_gate_slot *s = slot_of(g, seq);
        s->decided = 1;
        s->start_ns = *now;
        b.n = 1;
        b.action = TR_GATE_OPEN;
        return b;
    }
    if (g->stopped)
        *now = g->check.now(g->check.arg);
    g->stopped = 1;
    for (uint64_t i = seq; i < g->tail && !slot_of(g, i)->decided; i++, b.n++) {
        slot_of(g, i)->decided = 1;
        slot_of(g, i)->cancelled = 1;
    }
    return b;
}

struct tr_gate_batch tr_gate_add(struct tr_tile_gate *g, const struct tr_start_check *check)
{
    struct tr_gate_batch b = {0, 0, TR_GATE_WAIT};
    int64_t now = 0;
    pthread_mutex_lock(&g->lock);
    g->check = *check;
    uint64_t seq = g->tail;
    struct tr_gate_slot *s = slot_of(g, seq);
    memset(s, 0, sizeof(*s));
    s->seq = seq;
    s->end_ns = -1;
    g->tail++;
    b.first = seq;
    /* No predecessor in the queue, or one that has finished: nobody else will decide. */
    if (g->stopped || seq == g->head || slot_of(g, seq - 1)->completed)
        b = decide(g, seq, &now);
    pthread_mutex_unlock(&g->lock);
    return b;
}

struct tr_gate_batch tr_gate_completed(struct tr_tile_gate *g, struct tr_gate_slot *s,
                                       uint64_t *seq_out)
{
    int64_t now = 0;
    pthread_mutex_lock(&g->lock);
    uint64_t seq = s->seq;
    struct tr_gate_batch b = {seq + 1, 0, TR_GATE_WAIT};
    *seq_out = seq;
    s->completed = 1;
    if (seq + 1 < g->tail && !slot_of(g, seq + 1)->decided)
        b = decide(g, seq + 1, &now);
    else
        now = g->check.now(g->check.arg);
    /* One reading ends this tile and starts the next, so a lane's records never overlap. */
    if (s->end_ns < 0)
        s->end_ns = now;
    pthread_mutex_unlock(&g->lock);
    return b;
}

void tr_gate_applied(struct tr_tile_gate *g, const struct tr_gate_batch *b, uint64_t done_seq)
{
    pthread_mutex_lock(&g->lock);
    for (uint32_t i = 0; i < b->n; i++)
        slot_of(g, b->first + i)->applied = 1;
    if (done_seq != UINT64_MAX)
        slot_of(g, done_seq)->handled = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

struct tr_gate_batch tr_gate_cancel_rest(struct tr_tile_gate *g)
{
    struct tr_gate_batch b = {0, 0, TR_GATE_CANCEL};
    pthread_mutex_lock(&g->lock);
    g->stopped = 1;
    uint64_t i = g->head;
    while (i < g->tail && slot_of(g, i)->decided)
        i++;
    b.first = i;
    for (; i < g->tail; i++, b.n++) {
        slot_of(g, i)->decided = 1;
        slot_of(g, i)->cancelled = 1;
    }
    pthread_mutex_unlock(&g->lock);
    return b;
}

struct tr_gate_batch tr_gate_pending_cancels(struct tr_tile_gate *g)
{
    struct tr_gate_batch b = {0, 0, TR_GATE_CANCEL};
    pthread_mutex_lock(&g->lock);
    uint64_t i = g->head;
    while (i < g->tail && !(slot_of(g, i)->cancelled && !slot_of(g, i)->applied))
        i++;
    b.first = i;
    for (; i < g->tail && slot_of(g, i)->cancelled && !slot_of(g, i)->applied; i++)
        b.n++;
    pthread_mutex_unlock(&g->lock);
    return b;
}

int tr_gate_retire(struct tr_tile_gate *g, int ran, int64_t *start_ns, int64_t *end_ns)
{
    int started;
    pthread_mutex_lock(&g->lock);
    struct tr_gate_slot *s = slot_of(g, g->head);
    if (ran && s->end_ns < 0) /* the lane saw the completion before its callback ran */
        s->end_ns = g->check.now(g->check.arg);
    /* Whoever opened or cancelled the gate, and the completion callback of a tile that ran,
     * may still be inside an OpenCL call on this tile's events. */
    while ((s->decided && !s->applied) || (ran && !s->handled))
        pthread_cond_wait(&g->cond, &g->lock);
    if (ran)
        started = 1;
    else
        started = s->decided && s->cancelled ? 0 : -1;
    *start_ns = s->start_ns;
    *end_ns = s->end_ns;
    g->head++;
    pthread_mutex_unlock(&g->lock);
    return started;
}
