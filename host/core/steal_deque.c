#include "core/steal_deque.h"

#include <sched.h>
#include <stdlib.h>

int tr_steal_deques_init(struct tr_steal_deques *d, uint32_t lanes, const uint32_t *first,
                         const uint32_t *end)
{
    d->lanes = 0;
    atomic_init(&d->in_flight, 0);
    atomic_init(&d->epoch, 0);
    d->in_transit_hook = NULL;
    d->in_transit_arg = NULL;
    d->lane = aligned_alloc(_Alignof(struct tr_steal_deque),
                            (lanes ? lanes : 1) * sizeof(struct tr_steal_deque));
    if (!d->lane)
        return -1;
    for (uint32_t i = 0; i < lanes; i++) {
        struct tr_steal_deque *q = &d->lane[i];
        if (pthread_mutex_init(&q->lock, NULL) != 0) {
            tr_steal_deques_destroy(d);
            return -1;
        }
        atomic_init(&q->front, first[i]);
        atomic_init(&q->back, end[i] > first[i] ? end[i] : first[i]);
        q->steals = q->tiles_stolen = 0;
        d->lanes = i + 1;
    }
    return 0;
}

void tr_steal_deques_destroy(struct tr_steal_deques *d)
{
    for (uint32_t i = 0; i < d->lanes; i++)
        pthread_mutex_destroy(&d->lane[i].lock);
    free(d->lane);
    d->lane = NULL;
    d->lanes = 0;
}

int64_t tr_steal_deques_take(struct tr_steal_deques *d, uint32_t lane)
{
    struct tr_steal_deque *q = &d->lane[lane];
    int64_t id = -1;
    pthread_mutex_lock(&q->lock);
    unsigned front = atomic_load_explicit(&q->front, memory_order_relaxed);
    if (front < atomic_load_explicit(&q->back, memory_order_relaxed)) {
        atomic_store_explicit(&q->front, front + 1, memory_order_relaxed);
        id = front;
    }
    pthread_mutex_unlock(&q->lock);
    return id;
}

/* Tiles left in q, read without its lock: a hint, checked again under the lock. */
static unsigned remaining_hint(struct tr_steal_deque *q)
{
    unsigned front = atomic_load(&q->front);
    unsigned back = atomic_load(&q->back);
    return back > front ? back - front : 0;
}

int64_t tr_steal_deques_steal(struct tr_steal_deques *d, uint32_t lane)
{
    for (;;) {
        unsigned long long epoch = atomic_load(&d->epoch);
        if (atomic_load(&d->in_flight)) {
            sched_yield(); /* tiles are between two ranges for a few instructions */
            continue;
        }
        uint32_t victim = lane;
        unsigned richest = 0;
        for (uint32_t i = 0; i < d->lanes; i++) {
            unsigned left = i == lane ? 0 : remaining_hint(&d->lane[i]);
            if (left > richest) {
                richest = left;
                victim = i;
            }
        }
        if (richest == 0) {
            if (atomic_load(&d->in_flight) == 0 && atomic_load(&d->epoch) == epoch)
                return -1; /* every tile is taken: rendered, or held by the lane that took it */
            continue;      /* a steal moved tiles while the scan ran: look again */
        }

        struct tr_steal_deque *v = &d->lane[victim];
        atomic_fetch_add(&d->in_flight, 1);
        pthread_mutex_lock(&v->lock);
        unsigned front = atomic_load_explicit(&v->front, memory_order_relaxed);
        unsigned back = atomic_load_explicit(&v->back, memory_order_relaxed);
        unsigned take = back > front ? (back - front + 1) / 2 : 0;
        if (take)
            atomic_store(&v->back, back - take);
        pthread_mutex_unlock(&v->lock);
        if (!take) {
            atomic_fetch_sub(&d->in_flight, 1);
            continue; /* emptied since the scan: look again */
        }

        if (d->in_transit_hook)
            d->in_transit_hook(d->in_transit_arg);
        /* [back - take, back) is ours now: keep the first, offer the rest to other thieves.
         * A scan between the two stores may count this range wrong: the count only picks a
         * victim, checked again under its lock, and in_flight covers a count of zero. */
        unsigned first = back - take;
        struct tr_steal_deque *own = &d->lane[lane];
        pthread_mutex_lock(&own->lock);
        atomic_store(&own->front, first + 1);
        atomic_store(&own->back, back);
        pthread_mutex_unlock(&own->lock);
        atomic_fetch_add(&d->epoch, 1);
        atomic_fetch_sub(&d->in_flight, 1);
        own->steals++;
        own->tiles_stolen += take;
        return first;
    }
}

int64_t tr_steal_deques_next(struct tr_steal_deques *d, uint32_t lane)
{
    int64_t id = tr_steal_deques_take(d, lane);
    return id >= 0 ? id : tr_steal_deques_steal(d, lane);
}
