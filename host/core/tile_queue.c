#include "core/tile_queue.h"

#include <stdlib.h>

#include "core/clock.h"

int tr_tile_queue_init(struct tr_tile_queue *q, size_t capacity)
{
    q->ids = calloc(capacity ? capacity : 1, sizeof(*q->ids));
    q->capacity = capacity ? capacity : 1;
    q->head = q->count = 0;
    q->producers_waiting = 0;
    q->consumer_waiting = q->closed = 0;
    if (!q->ids)
        return -1;
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        goto fail_lock;
    if (tr_cond_init_monotonic(&q->not_empty) != 0)
        goto fail_empty;
    if (pthread_cond_init(&q->not_full, NULL) != 0)
        goto fail_full;
    return 0;

fail_full:
    pthread_cond_destroy(&q->not_empty);
fail_empty:
    pthread_mutex_destroy(&q->lock);
fail_lock:
    free(q->ids);
    q->ids = NULL;
    return -1;
}

void tr_tile_queue_destroy(struct tr_tile_queue *q)
{
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q->ids);
    q->ids = NULL;
}

int64_t tr_tile_queue_push(struct tr_tile_queue *q, uint32_t id)
{
    int64_t waited = 0;
    pthread_mutex_lock(&q->lock);
    if (q->count == q->capacity) {
        int64_t t0 = tr_now_ns();
        q->producers_waiting++;
        while (q->count == q->capacity)
            pthread_cond_wait(&q->not_full, &q->lock);
        q->producers_waiting--;
        waited = tr_now_ns() - t0;
    }
    q->ids[(q->head + q->count) % q->capacity] = id;
    q->count++;
    /* The consumer looks on its own every few milliseconds; a wake-up (a system call) is due
     * only when the ring fills faster than that. */
    if (q->consumer_waiting && q->count * 2 >= q->capacity)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return waited;
}

void tr_tile_queue_close(struct tr_tile_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

size_t tr_tile_queue_pop(struct tr_tile_queue *q, uint32_t *ids, size_t max, int64_t wait_ns,
                         int *ended)
{
    size_t n = 0;
    pthread_mutex_lock(&q->lock);
    if (q->count == 0 && !q->closed && wait_ns > 0) {
        q->consumer_waiting = 1;
        tr_cond_wait_until(&q->not_empty, &q->lock, tr_now_ns() + wait_ns);
        q->consumer_waiting = 0;
    }
    while (n < max && q->count) {
        ids[n++] = q->ids[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
    }
    if (n && q->producers_waiting)
        pthread_cond_broadcast(&q->not_full);
    *ended = q->closed && q->count == 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}
