#include "server/render_gate.h"

#include "core/clock.h"

int tr_render_gate_init(struct tr_render_gate *g, uint32_t max_running, uint32_t max_queued)
{
    *g = (struct tr_render_gate){.max_running = max_running, .max_queued = max_queued};
    if (pthread_mutex_init(&g->lock, NULL))
        return -1;
    /* Waits use the monotonic clock: a wall-clock jump must not stall the queue. */
    if (tr_cond_init_monotonic(&g->cond)) {
        pthread_mutex_destroy(&g->lock);
        return -1;
    }
    return 0;
}

void tr_render_gate_destroy(struct tr_render_gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

static void unlink_waiter(struct tr_render_gate *g, struct tr_gate_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        g->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        g->tail = w->prev;
    w->prev = w->next = NULL;
    w->queued = 0;
    g->queued--;
}

enum tr_gate_result tr_render_gate_join(struct tr_render_gate *g, struct tr_gate_waiter *w)
{
    enum tr_gate_result result = TR_GATE_ADMITTED;
    *w = (struct tr_gate_waiter){NULL, NULL, 0};
    pthread_mutex_lock(&g->lock);
    if (g->running < g->max_running && !g->head) {
        g->running++;
    } else if (g->queued >= g->max_queued) {
        g->rejected++;
        result = TR_GATE_BUSY;
    } else {
        w->prev = g->tail;
        if (g->tail)
            g->tail->next = w;
        else
            g->head = w;
        g->tail = w;
        g->queued++;
        w->queued = 1;
        result = TR_GATE_QUEUED;
    }
    pthread_mutex_unlock(&g->lock);
    return result;
}

enum tr_gate_result tr_render_gate_wait(struct tr_render_gate *g, struct tr_gate_waiter *w,
                                        int (*abandon)(void *ctx), void *ctx, unsigned poll_ms)
{
    enum tr_gate_result result = TR_GATE_ADMITTED;
    pthread_mutex_lock(&g->lock);
    if (!w->queued)
        goto done;
    while (!(g->head == w && g->running < g->max_running)) {
        tr_cond_wait_until(&g->cond, &g->lock, tr_deadline_ns(poll_ms));
        if (g->head == w && g->running < g->max_running)
            break;
        if (abandon && abandon(ctx)) {
            unlink_waiter(g, w);
            result = TR_GATE_ABANDONED;
            pthread_cond_broadcast(&g->cond); /* the next in line may now be head */
            goto done;
        }
    }
    unlink_waiter(g, w);
    g->running++;
    pthread_cond_broadcast(&g->cond);
done:
    pthread_mutex_unlock(&g->lock);
    return result;
}

enum tr_gate_result tr_render_gate_enter(struct tr_render_gate *g, int (*abandon)(void *ctx),
                                         void *ctx, unsigned poll_ms)
{
    struct tr_gate_waiter me;
    enum tr_gate_result result = tr_render_gate_join(g, &me);
    if (result == TR_GATE_QUEUED)
        result = tr_render_gate_wait(g, &me, abandon, ctx, poll_ms);
    return result;
}

void tr_render_gate_withdraw(struct tr_render_gate *g, struct tr_gate_waiter *w)
{
    pthread_mutex_lock(&g->lock);
    if (w->queued) {
        unlink_waiter(g, w);
    } else {
        g->running--;
        g->failed++;
    }
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

void tr_render_gate_leave(struct tr_render_gate *g, enum tr_gate_outcome outcome)
{
    pthread_mutex_lock(&g->lock);
    g->running--;
    if (outcome == TR_GATE_COMPLETED)
        g->completed++;
    else if (outcome == TR_GATE_CANCELLED)
        g->cancelled++;
    else
        g->failed++;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

void tr_render_gate_stats(struct tr_render_gate *g, struct tr_gate_stats *out)
{
    pthread_mutex_lock(&g->lock);
    *out = (struct tr_gate_stats){g->running,   g->queued,    g->max_running, g->max_queued,
                                  g->completed, g->cancelled, g->rejected,    g->failed};
    pthread_mutex_unlock(&g->lock);
}
