/*
 * The tile deques of --mode steal: one per lane, each a range of task_ids [front, back).
 * A lane starts with its Hardware Havoc chunk, takes tiles from its own front, and once its
 * range is empty steals the back half of another lane's remaining tiles, which become its
 * new range (so they can be stolen again).
 *
 * Why a range under a per-lane lock rather than a Chase-Lev deque: a lane's tiles are always
 * one contiguous run of task_ids, so a deque is two numbers, and "the back half" is one
 * subtraction. A lock held for a few instructions, on a cache line of its own, costs the
 * owner an uncontended lock and unlock per tile on a line other lanes touch only to steal
 * (dynamic mode's counter is one line every lane writes), and makes taking half of a range
 * plainly correct; Chase-Lev's lock-free owner path would save little where a tile is far
 * longer than a lock, and taking half of a deque at once is not part of its design.
 *
 * Victim: the richest lane (the most tiles left), found by a lock-free scan of every lane's
 * count, then checked again under its lock. With at most a few hundred lanes the scan is
 * cheap next to a tile, each steal takes the most work there is to take (so steals stay few),
 * and a scan that finds every lane empty, with no steal moving tiles meanwhile, is the end of
 * the work: no random retries needed to know when to stop. A random victim (Cilk, Rayon) matters
 * with thousands of workers and fine-grained tasks, where the scan would cost more than the work.
 */
#ifndef TILERACE_STEAL_DEQUE_H
#define TILERACE_STEAL_DEQUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* One lane's range, alone on its cache line(s). */
struct tr_steal_deque {
    _Alignas(64) pthread_mutex_t lock;
    atomic_uint front, back; /* changed under lock; read without it by the richest-victim scan */
    uint64_t steals;         /* successful steals by this lane; written by its own lane only */
    uint64_t tiles_stolen;   /* tiles those steals took */
};

struct tr_steal_deques {
    struct tr_steal_deque *lane;
    uint32_t lanes;
    /* A steal moves tiles out of the victim's range before they appear in the thief's: a scan
     * in between sees them in neither. in_flight counts steals between the two, epoch the
     * steals finished; a scan that finds nothing is the end of the work only if no steal was
     * in flight when it began and none finished while it ran. */
    atomic_uint in_flight;
    atomic_ullong epoch;
    /* For tests: called by a thief while the tiles it took are in neither range (NULL). */
    void (*in_transit_hook)(void *arg);
    void *in_transit_arg;
};

/*
 * Gives each of lanes lanes its chunk: lane i starts with the task_ids [first[i], end[i]).
 * Returns 0, or -1 when out of memory.
 */
int tr_steal_deques_init(struct tr_steal_deques *d, uint32_t lanes, const uint32_t *first,
                         const uint32_t *end);
void tr_steal_deques_destroy(struct tr_steal_deques *d);

/* Takes the front tile of lane's own range; returns its task_id, or -1 if the range is empty. */
int64_t tr_steal_deques_take(struct tr_steal_deques *d, uint32_t lane);

/*
 * For a lane whose range is empty: steals the back half (rounded up) of the richest other
 * lane's remaining tiles, keeps the first of them (returned) and makes the rest its own range.
 * Returns -1 once no lane has a tile left to steal. Thread-safe with every other call.
 */
int64_t tr_steal_deques_steal(struct tr_steal_deques *d, uint32_t lane);

/* take, then steal: the next tile for lane, or -1 when there is no work left anywhere. */
int64_t tr_steal_deques_next(struct tr_steal_deques *d, uint32_t lane);

#endif
