/*
 * Monotonic time in nanoseconds; all record times derive from one origin. Deadlines and timed
 * waits use the same clock, so a wall-clock jump can neither stall nor hurry them.
 */
#ifndef TILERACE_CLOCK_H
#define TILERACE_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static inline int64_t tr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The monotonic time ms milliseconds from now, in nanoseconds. */
int64_t tr_deadline_ns(int64_t ms);

/* Initialises cond for tr_cond_wait_until (its timed waits measure on the monotonic clock).
 * Returns 0, or pthread_cond_init's error. */
int tr_cond_init_monotonic(pthread_cond_t *cond);

/* Waits on cond (made by tr_cond_init_monotonic), with lock held, until it is signalled or the
 * monotonic time reaches deadline_ns. Returns 0, or ETIMEDOUT once the deadline has passed. */
int tr_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t deadline_ns);

#endif
