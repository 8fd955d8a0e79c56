/* Monotonic time in nanoseconds; all record times derive from one origin. */
#ifndef TILERACE_CLOCK_H
#define TILERACE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t tr_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
