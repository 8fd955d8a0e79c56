/*
 * The tile scheduler shared by every device: lanes (threads) take tiles by the mode's rule,
 * check the shared time-exceeded flag and the elapsed time before each tile, and record what
 * they rendered. A backend only knows how to render one tile.
 */
#ifndef TILERACE_RUNNER_H
#define TILERACE_RUNNER_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/device_spec.h"
#include "core/params.h"
#include "core/status.h"
#include "core/task_record.h"
#include "core/tile_grid.h"

/*
 * The scheduler's rule for a tile to start, for a backend that starts its queued tiles itself
 * (from a device's completion callback, on a thread of the runtime's): may_start returns 1 if a
 * tile may start now (the shared stop flag is clear and the time limit has not passed; a
 * refusal sets the flag), and always gives the reading of the run's clock in *now_ns. Both
 * are thread-safe, take no lock and do no I/O.
 */
struct tr_start_check {
    int (*may_start)(void *arg, int64_t *now_ns);
    int64_t (*now)(void *arg);
    void *arg;
};

/* What became of a queued tile. Times are on the run's clock (ns since its origin). */
struct tr_tile_times {
    int started;       /* 0: cancelled before it started; it has no record */
    int64_t start_ns;  /* when the check let the device start it */
    int64_t end_ns;    /* when the host first saw it complete */
    int64_t device_ns; /* the device's own time for it, or -1 */
};

struct tr_backend_ops {
    /* In the lane's own thread, before the clock starts. */
    int (*lane_open)(void *self, uint32_t lane, void **lane_ctx, char *err, size_t errlen);
    /* Renders one tile and waits for it; device_time_ns may be left at -1. */
    int (*render_tile)(void *lane_ctx, const struct tr_tile *tile, int64_t *device_time_ns,
                       char *err, size_t errlen);
    /* Optional, instead of render_tile, for a device with a command queue: submit_tile queues
     * a tile and returns; wait_tile waits for the oldest queued tile. The runner keeps at most
     * the run's queue_depth tiles queued per lane, each taken after its own check. A queued
     * tile must not start on the device before check->may_start allows it, asked when the
     * device could begin it (after the lane's previous tile), and never once it refuses; a
     * started tile finishes. wait_tile reports what became of the tile in *times. */
    int (*submit_tile)(void *lane_ctx, const struct tr_tile *tile,
                       const struct tr_start_check *check, char *err, size_t errlen);
    int (*wait_tile)(void *lane_ctx, struct tr_tile_times *times, char *err, size_t errlen);
    /* Optional: makes a finished tile's counts visible in the host frame (streaming). */
    int (*read_tile)(void *lane_ctx, const struct tr_tile *tile, char *err, size_t errlen);
    /* Optional, instead of read_tile: starts that copy and returns at once with what
     * read_wait, called from the run's output thread (not the lane), waits on and releases
     * before anyone reads the tile's counts. */
    int (*read_tile_start)(void *lane_ctx, const struct tr_tile *tile, void **pending, char *err,
                           size_t errlen);
    int (*read_wait)(void *self, void *pending, char *err, size_t errlen);
    void (*lane_close)(void *lane_ctx);
    /* Optional: after all lanes have stopped, makes the whole frame visible on the host. */
    int (*finish)(void *self, char *err, size_t errlen);
    /* Instead of finish in a run shared with other devices, whose tiles are in the host
     * frame already: makes only these tiles, the ones this backend rendered, visible. A
     * backend with finish but without it cannot share a run. */
    int (*finish_tiles)(void *self, const struct tr_tile *tiles, size_t n, char *err,
                        size_t errlen);
};

struct tr_backend {
    const struct tr_backend_ops *ops;
    void *self;
};

/*
 * A run whose lanes are one part of a list shared with other processes (the ranks of an MPI
 * job): this process's lanes are lanes first_lane.. of all_lanes, thread_id numbers them in
 * the whole list, and a mode shares the tiles out over the whole list. The callbacks are the
 * points where the processes meet; each is called exactly once per run, in this order. The
 * frame may receive other processes' tiles while the run lasts: the run reads back only its
 * own tiles from a device, total_iterations is the sum of its own tiles' counts, and checksum
 * stays 0 (the process that gathers the tiles hashes the frame).
 */
struct tr_lane_span {
    /* From the caller's thread before any lane starts, with this process's lane count and
     * whether it failed already: sets the place of its lanes in the whole list. Returns 0,
     * or nonzero when some process failed: the run then renders nothing. */
    int (*join)(void *arg, uint32_t lanes, int failed, uint32_t *first_lane, uint32_t *all_lanes);
    /* From the caller's thread once every lane is ready, just before the origin is taken (a
     * barrier): returns nonzero when some process failed, and no tile starts. */
    int (*before_origin)(void *arg, int failed);
    /* Dynamic mode, from a lane: the whole run's next free tile (or any number past the
     * last when none is left). NULL: this process's own counter. */
    int64_t (*next_tile)(void *arg);
    /* From the first lane of this process to see the time limit pass: tells the others. */
    void (*limit_passed)(void *arg);
    /* Set (by a thread of the caller's) once another process saw the limit pass. */
    atomic_int *limit_elsewhere;
    void *arg;
};

struct tr_run_hooks {
    /* Called for each finished tile, never from a lane: from the run's output thread, and
     * for the tiles it had not reached when the lanes ended, from tr_run_tiles' caller's
     * thread; one tile at a time, in the order the tiles finished. frame holds the tile's
     * counts when want_counts is set (with tile_slots: only the tile's, see there). A slow
     * on_tile makes the lanes wait once the hand-over queue is full; the run reports that
     * wait as output_wait_ns. */
    void (*on_tile)(void *user, const struct tr_record *rec, const uint16_t *frame);
    /* Optional: called from the output thread every few milliseconds while the run lasts,
     * to watch for a reason to cancel (a client gone) without touching the lanes. */
    void (*poll)(void *user);
    void *user;
    int want_counts;
    /* Finished tiles the hand-over queue holds before a lane waits; 0: the default. */
    size_t output_queue_tiles;
    /*
     * Nonzero: a run without a frame (tr_run_lanes' frame is NULL and never touched); this
     * process holds only a pool of tile slots, buffers of tile_w * tile_h counts. A lane
     * takes a free slot before each tile (waiting while none is free: that wait counts in
     * output_wait_ns, outside the tile's record), the backend writes the tile's counts into
     * it packed (tr_tile.slot), and on_tile, which must be set, gets them as its frame
     * argument: rec->tile_w * rec->tile_h counts, pixel (x, y) of the tile at
     * frame[(y - rec->tile_y) * rec->tile_w + (x - rec->tile_x)]. The slot goes back to the
     * pool once on_tile returns: copy what must outlive the call. want_counts is implied.
     * The pool has a slot for each tile a lane may hold (lanes * queue_depth), the queue may
     * hold (output_queue_tiles; 32 by default here) and the output thread may take from it
     * at once (as many, up to 64), at most one per tile and a spare a lane: a lane waits for
     * a slot no sooner than it would for room in the queue. tr_run.tile_slots says how many
     * there were. total_iterations is summed from the slots as they are delivered; checksum
     * stays 0 (the consumer that assembles the frame hashes it). Backends with finish must
     * also have read_tile or read_tile_start. The output thread keeps the lanes' priority:
     * the tiles leave the process through it, and the lanes would wait for it anyway.
     */
    int tile_slots;
    /* Set by another thread to stop the run before its next tile (client gone, signal). */
    atomic_int *cancel;
    /* Pin lane i to the i-th CPU this process may use (round-robin). Linux may start a new
     * thread on its parent's core and leave two busy lanes there for a whole short run
     * (measured here: 2 lanes at half speed for 80 ms). For one run per process (the CLI),
     * not for a server running several renders at once. */
    int pin_lanes;
    /* With pin_lanes: lane i takes the (pin_first + i)-th CPU instead, round-robin, so that
     * processes sharing a host can give their lanes different CPUs. */
    uint32_t pin_first;
    /* The CPUs the output thread keeps to; NULL: any. For processes whose lanes take every
     * CPU of the host: there the thread takes turns with this process's own lanes rather
     * than another's (a switch between processes costs more than one within a process). */
    const cpu_set_t *helper_cpus;
    /* NULL: the run's lanes are all this process's. */
    const struct tr_lane_span *span;
};

/*
 * One device's lanes in a run: lanes of all groups form one ordered list (the groups in
 * order, each group's lanes in order) numbered 0..L-1, and a mode shares the tiles out over
 * that list exactly as it would over L lanes of one device.
 */
struct tr_lane_group {
    const struct tr_backend *backend;
    uint32_t lanes;   /* at least 1 */
    const char *name; /* the records' device field, or NULL for none */
};

/* What one group did in a run. */
struct tr_group_run {
    uint32_t lanes;      /* lanes that ran (a mode may use fewer than the group has) */
    uint64_t tiles;      /* records */
    uint64_t pixels;     /* of its records */
    uint64_t iterations; /* sum of its tiles' counts */
    int64_t busy_ns;     /* sum of its records' durations */
};

struct tr_run {
    struct tr_record *records; /* the finished tiles, sorted */
    size_t n_records;
    uint64_t tiles_total;
    uint32_t lanes;
    int64_t origin_ns;  /* the clock reading every record's times are relative to */
    int64_t elapsed_ns; /* origin to the last lane's end */
    int time_limited;   /* the limit left tiles unrendered */
    int cancelled;
    uint64_t total_iterations; /* sum of the frame's counts (unrendered pixels are 0) */
    int complete;              /* every tile finished */
    uint64_t checksum;         /* fnv1a64 of the frame; meaningful only when complete (and 0
                                  in a run without a frame) */
    int had_consumer;          /* hooks.on_tile was set */
    int64_t output_wait_ns;    /* lanes' total wait for room in the output queue, or a slot */
    uint32_t tile_slots;       /* slots in the pool of a run without a frame; else 0 */
    struct tr_group_run groups[TR_MAX_DEVICES];
    uint32_t n_groups;
    uint64_t *steals; /* steal mode: each lane's successful steals; else NULL */
    uint64_t steals_total;
};

/* Number of lanes a mode uses for this many tiles and threads. */
uint32_t tr_lane_count(enum tr_mode mode, uint64_t tiles, uint32_t threads);

/*
 * The CPUs that lanes 0..lanes-1 of a run with these hooks are pinned to (pin_lanes), into
 * *out: what a process whose lanes share the host with others' gives its helper threads
 * (helper_cpus) when no CPU is left over. Returns 0, or -1 (out left empty) when the lanes
 * are not pinned, there are none, or this process's CPUs cannot be read.
 */
int tr_lane_cpus(const struct tr_run_hooks *hooks, uint32_t lanes, cpu_set_t *out);

/* pthread_create on the CPUs in cpus (NULL: any); where the set is refused, on any CPU.
 * Returns pthread_create's result. */
int tr_thread_create_on(pthread_t *thread, const cpu_set_t *cpus, void *(*start)(void *),
                        void *arg);

/*
 * Runs every tile of p's grid on backend, into frame (width*height counts, zeroed by the
 * caller; each lane touches its share of the frame's pages before the clock starts), or with
 * hooks->tile_slots into slots handed to hooks->on_tile (frame NULL). Lanes
 * hand each finished tile to an output thread, which calls hooks->on_tile and, where the
 * tiles' counts are in the frame as they finish and some CPU has no lane, sums and hashes
 * the frame's finished rows meanwhile.
 * Returns 0, or a status with a message in err.
 */
enum tr_status tr_run_tiles(const struct tr_params *p, uint16_t *frame,
                            const struct tr_backend *backend, const struct tr_run_hooks *hooks,
                            struct tr_run *out, char *err, size_t errlen);

/*
 * The same over the lanes of several devices (n_groups 1..TR_MAX_DEVICES): one clock origin,
 * one stop flag, one time-limit rule for all; p->num_threads is not used. sequential runs one
 * lane (the first group's first), concurrent gives lane i of L the i-th of L chunks, dynamic
 * lets every lane take the next free tile. Each record carries its group's index and name.
 */
enum tr_status tr_run_lanes(const struct tr_params *p, uint16_t *frame,
                            const struct tr_lane_group *groups, uint32_t n_groups,
                            const struct tr_run_hooks *hooks, struct tr_run *out, char *err,
                            size_t errlen);
void tr_run_free(struct tr_run *run);

#endif
