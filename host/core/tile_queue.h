/*
 * The hand-over from the lanes to a run's output thread: a bounded ring of finished tiles'
 * task_ids, many producers and one consumer. A push takes a short mutex, copies one id and
 * returns; it never formats, writes or wakes anyone unless the ring is half full (the consumer
 * also looks on its own every few milliseconds), and it waits only when the ring is full: that
 * wait is the back-pressure of a slow consumer, and the push reports how long it took.
 */
#ifndef TILERACE_TILE_QUEUE_H
#define TILERACE_TILE_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct tr_tile_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    uint32_t *ids;
    size_t capacity, head, count;
    uint32_t producers_waiting;
    int consumer_waiting, closed;
};

/* Returns 0, or -1 when out of memory. */
int tr_tile_queue_init(struct tr_tile_queue *q, size_t capacity);
void tr_tile_queue_destroy(struct tr_tile_queue *q);

/* Adds id; waits while the ring is full. Returns the nanoseconds it waited (0 mostly). */
int64_t tr_tile_queue_push(struct tr_tile_queue *q, uint32_t id);

/* No more pushes: the consumer drains what is left and then sees the end. */
void tr_tile_queue_close(struct tr_tile_queue *q);

/*
 * Takes up to max ids in the order they were pushed, waiting at most wait_ns for the first.
 * Returns how many it took; *ended is set once the queue is closed and empty.
 */
size_t tr_tile_queue_pop(struct tr_tile_queue *q, uint32_t *ids, size_t max, int64_t wait_ns,
                         int *ended);

#endif
