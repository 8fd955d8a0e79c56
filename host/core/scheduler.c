#include "core/scheduler.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/checksum.h"
#include "core/clock.h"
#include "core/frame_digest.h"
#include "core/pages.h"
#include "core/status.h"
#include "core/steal_deque.h"
#include "core/tile_queue.h"

/* Room for this many finished tiles between the lanes and the output thread (by default). */
#define OUTPUT_QUEUE_TILES 65536
/* The same in a run without a frame, where each tile in the queue holds a slot. */
#define SLOT_QUEUE_TILES 32
/* How often the output thread looks at the queue (and polls) when nobody wakes it. */
#define OUTPUT_PERIOD_NS 2000000
#define OUTPUT_BATCH     64
#define OUTPUT_NICE      19
/* The granule of the frame's first touch: a base page. */
#define PAGE_BYTES 4096

struct shared {
    const struct tr_params *p;
    const struct tr_lane_group *groups;
    uint32_t n_groups;
    const struct tr_run_hooks *hooks;
    struct tr_tile_grid grid;
    uint16_t *frame;
    struct tr_record *slots; /* indexed by task_id; each written by exactly one lane */
    unsigned char *done;
    int64_t limit_ns; /* 0: no limit */
    atomic_int stop;  /* "time exceeded": no tile starts; also set on failure */
    atomic_int cancelled;
    const struct tr_lane_span *span; /* NULL: the lanes are all of the run's */
    atomic_int limit_told;           /* the span heard that the limit passed here */
    atomic_uint next_tile;           /* dynamic mode */
    struct tr_steal_deques deques;   /* steal mode */
    int64_t origin_ns;

    /* Finished tiles on their way to the output thread. */
    struct tr_tile_queue queue;
    int consumer; /* hooks->on_tile is set: tiles go through the queue */
    /* Tiles' counts on their way to the host frame (read_tile_start), by task_id, and the
     * flags the output thread sets once they are there; NULL unless reads are started. */
    void **pending;
    unsigned char *counts_in;
    int want_counts; /* hooks->want_counts, or a run without a frame */
    /* A run without a frame: the pool of tile slots, the free ones, and by task_id the slot a
     * finished tile's counts are in; the output thread sums them per group. */
    uint16_t *pool;
    size_t pool_mapped; /* tr_pages_alloc's */
    uint16_t **free_slots;
    uint32_t n_slots, n_free;
    pthread_mutex_t pool_lock;
    pthread_cond_t slot_freed;
    uint16_t **tile_slot;
    uint64_t slot_iterations[TR_MAX_DEVICES];
    int output_rc;
    char output_err[256];
    struct tr_frame_digest digest;
    int digest_live;       /* the tiles' counts are in the frame as they finish */
    int digest_during_run; /* and a CPU has no lane: the output thread hashes meanwhile */
    uint32_t cpus;         /* this process may use; 0: unknown */
    atomic_uint lanes_rendering;
    atomic_int lanes_ended; /* the output thread leaves the rest to the caller's thread */

    /* Start gate: lanes open their backend state, then wait for the origin. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint32_t ready;
    int go;
};

struct lane {
    struct shared *s;
    const struct tr_backend *backend; /* its device's */
    uint32_t group, index_in_group;
    struct tr_start_check check; /* may_start for a backend that starts queued tiles itself */
    uint32_t index, n_lanes;
    uint32_t thread_id;  /* its place in the whole run's lane list */
    int cpu;             /* to pin to, or -1 */
    uint32_t first, end; /* static chunk */
    int64_t output_wait_ns;
    int rc;
    char err[256];
};

/* The k-th CPU (0-based) in set. */
static int nth_cpu(const cpu_set_t *set, int k)
{
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set) && k-- == 0)
            return cpu;
    return -1;
}

/* Lane i's CPU among the n_cpus of allowed: round-robin from hooks->pin_first. */
static int lane_cpu(const struct tr_run_hooks *hooks, const cpu_set_t *allowed, int n_cpus,
                    uint32_t i)
{
    return nth_cpu(allowed, (int)(((uint64_t)hooks->pin_first + i) % (uint32_t)n_cpus));
}

int tr_lane_cpus(const struct tr_run_hooks *hooks, uint32_t lanes, cpu_set_t *out)
{
    cpu_set_t allowed;
    CPU_ZERO(out);
    if (!hooks || !hooks->pin_lanes || lanes == 0 ||
        sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) == 0)
        return -1;
    for (uint32_t i = 0; i < lanes; i++)
        CPU_SET(lane_cpu(hooks, &allowed, CPU_COUNT(&allowed), i), out);
    return 0;
}

int tr_thread_create_on(pthread_t *thread, const cpu_set_t *cpus, void *(*start)(void *), void *arg)
{
    pthread_attr_t attr;
    int attr_ready = cpus && pthread_attr_init(&attr) == 0;
    if (attr_ready)
        pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
    int rc = attr_ready ? pthread_create(thread, &attr, start, arg) : -1;
    if (attr_ready)
        pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : pthread_create(thread, NULL, start, arg);
}

uint32_t tr_lane_count(enum tr_mode mode, uint64_t tiles, uint32_t threads)
{
    switch (mode) {
    case TR_MODE_SEQUENTIAL:
        return tiles ? 1 : 0;
    case TR_MODE_CONCURRENT:
    case TR_MODE_STEAL:
        return tr_chunk_count(tiles, threads);
    case TR_MODE_DYNAMIC:
    default:
        return (uint32_t)(threads < tiles ? threads : tiles);
    }
}

/* Returns the next task_id for this lane, or -1 when its work is over. */
static int64_t next_task(struct lane *l, uint32_t *cursor)
{
    struct shared *s = l->s;
    if (s->p->mode == TR_MODE_DYNAMIC && s->span && s->span->next_tile) {
        int64_t id = s->span->next_tile(s->span->arg);
        return id >= 0 && (uint64_t)id < s->grid.tiles ? id : -1;
    }
    if (s->p->mode == TR_MODE_DYNAMIC) {
        unsigned id = atomic_fetch_add(&s->next_tile, 1);
        return id < s->grid.tiles ? (int64_t)id : -1;
    }
    if (s->p->mode == TR_MODE_STEAL)
        return tr_steal_deques_next(&s->deques, l->index);
    return *cursor < l->end ? (int64_t)(*cursor)++ : -1;
}

/* Steal mode: each lane's deque starts with its Hardware Havoc chunk of the run's all_lanes
 * lanes (this process's lanes start at first_lane of them). Returns 0 or -1. */
static int steal_init(struct shared *s, uint32_t lanes, uint32_t all_lanes, uint32_t first_lane)
{
    uint32_t *first = calloc(lanes ? lanes : 1, sizeof(*first));
    uint32_t *end = calloc(lanes ? lanes : 1, sizeof(*end));
    int rc = -1;
    if (first && end) {
        for (uint32_t i = 0; i < lanes; i++)
            tr_chunk_range(s->grid.tiles, all_lanes, first_lane + i, &first[i], &end[i]);
        rc = tr_steal_deques_init(&s->deques, lanes, first, end);
    }
    free(first);
    free(end);
    return rc;
}

/* A tile the lane has started: rendered already, or queued on the device. */
struct started_tile {
    struct tr_tile tile;
    int64_t queued_ns; /* when the lane checked the limit and took it */
    int64_t device_ns; /* from a synchronous render_tile */
};

/*
 * Checks the stop flag, cancellation and the time limit before each tile.
 * Returns 1 with the reading in *now (the tile's start) if another tile may start.
 */
static int may_start(struct lane *l, int64_t *now)
{
    struct shared *s = l->s;
    if (atomic_load_explicit(&s->stop, memory_order_relaxed))
        return 0;
    if (s->hooks && s->hooks->cancel && atomic_load(s->hooks->cancel)) {
        atomic_store(&s->cancelled, 1);
        atomic_store(&s->stop, 1);
        return 0;
    }
    if (s->span && s->span->limit_elsewhere &&
        atomic_load_explicit(s->span->limit_elsewhere, memory_order_relaxed)) {
        atomic_store(&s->stop, 1);
        return 0;
    }
    *now = tr_now_ns() - s->origin_ns;
    if (s->limit_ns && *now >= s->limit_ns) {
        atomic_store(&s->stop, 1);
        if (s->span && s->span->limit_passed && !atomic_exchange(&s->limit_told, 1))
            s->span->limit_passed(s->span->arg);
        return 0;
    }
    return 1;
}

static int64_t check_now(void *arg)
{
    struct lane *l = arg;
    return tr_now_ns() - l->s->origin_ns;
}

static int check_may_start(void *arg, int64_t *now)
{
    struct lane *l = arg;
    if (may_start(l, now))
        return 1;
    *now = check_now(l);
    return 0;
}

static void fail_lane(struct lane *l, int rc)
{
    l->rc = rc;
    atomic_store(&l->s->stop, 1);
}

/* The tiles a lane of a backend with ops keeps queued: 1 where it renders them one by one. */
static uint32_t lane_depth(const struct shared *s, const struct tr_backend_ops *ops)
{
    uint32_t depth = ops->submit_tile ? s->p->queue_depth : 1;
    if (depth < 1 || depth > TR_MAX_QUEUE_DEPTH) /* the parsers' range; for other callers */
        depth = depth < 1 ? 1 : TR_MAX_QUEUE_DEPTH;
    return depth;
}

/* A free slot of the pool, waiting while none is free; the wait counts as output wait. The
 * lock is held only to move a pointer. */
static uint16_t *slot_take(struct lane *l)
{
    struct shared *s = l->s;
    uint16_t *slot = NULL;
    int64_t t0 = 0;
    pthread_mutex_lock(&s->pool_lock);
    if (s->n_free == 0) {
        pthread_mutex_unlock(&s->pool_lock);
        t0 = tr_now_ns();
        pthread_mutex_lock(&s->pool_lock);
        while (s->n_free == 0)
            pthread_cond_wait(&s->slot_freed, &s->pool_lock);
    }
    slot = s->free_slots[--s->n_free];
    pthread_mutex_unlock(&s->pool_lock);
    if (t0)
        l->output_wait_ns += tr_now_ns() - t0;
    return slot;
}

static void slot_give(struct shared *s, uint16_t *slot)
{
    pthread_mutex_lock(&s->pool_lock);
    s->free_slots[s->n_free++] = slot;
    pthread_cond_signal(&s->slot_freed);
    pthread_mutex_unlock(&s->pool_lock);
}

/*
 * A backend with a command queue (submit_tile) gets up to queue_depth tiles queued, so the
 * device takes the next tile the moment it finishes one instead of idling while the lane
 * hears of it and queues another; others render each tile in render_tile. Each tile is taken
 * only after the checks of may_start, and a queued tile starts on the device only once the
 * same checks, made when the device could begin it, allow it (the backend asks them through
 * the lane's tr_start_check); one they refuse never starts and has no record. So on every
 * backend a record starts while elapsed < limit, and a started tile always finishes.
 * A queued tile's record starts at the reading of the check that let it start, and ends when
 * the host first saw it complete; the next tile's check is made at that moment at the
 * earliest, so a lane's records never overlap.
 */
static void lane_loop(struct lane *l, void *ctx)
{
    struct shared *s = l->s;
    const struct tr_backend_ops *ops = l->backend->ops;
    uint32_t depth = lane_depth(s, ops);
    struct started_tile q[TR_MAX_QUEUE_DEPTH];
    uint32_t head = 0, count = 0, cursor = l->first;
    int more = 1;
    uint16_t *spare = NULL; /* a slot taken for the next tile, before its check */
    for (;;) {
        while (more && count < depth) {
            int64_t t0 = 0;
            if (s->pool && !spare)
                spare = slot_take(l);
            int64_t id = may_start(l, &t0) ? next_task(l, &cursor) : -1;
            if (id < 0) {
                more = 0;
                break;
            }
            struct started_tile *st = &q[(head + count) % depth];
            st->tile = tr_tile_grid_tile(&s->grid, (uint32_t)id);
            st->tile.slot = spare;
            spare = NULL;
            st->queued_ns = t0;
            st->device_ns = -1;
            int rc = ops->submit_tile
                         ? ops->submit_tile(ctx, &st->tile, &l->check, l->err, sizeof(l->err))
                         : ops->render_tile(ctx, &st->tile, &st->device_ns, l->err, sizeof(l->err));
            if (rc) {
                fail_lane(l, rc);
                return;
            }
            count++;
        }
        if (count == 0) {
            if (spare)
                slot_give(s, spare);
            return;
        }
        struct started_tile *st = &q[head];
        struct tr_tile_times times = {1, st->queued_ns, 0, st->device_ns};
        int rc = ops->submit_tile ? ops->wait_tile(ctx, &times, l->err, sizeof(l->err)) : 0;
        if (!ops->submit_tile)
            times.end_ns = tr_now_ns() - s->origin_ns;
        if (rc == 0 && times.started && s->pending && ops->read_tile_start)
            rc = ops->read_tile_start(ctx, &st->tile, &s->pending[st->tile.task_id], l->err,
                                      sizeof(l->err));
        else if (rc == 0 && times.started && s->want_counts && ops->read_tile)
            rc = ops->read_tile(ctx, &st->tile, l->err, sizeof(l->err));
        if (rc) {
            fail_lane(l, rc);
            return;
        }
        head = (head + 1) % depth;
        count--;
        if (!times.started) {
            if (st->tile.slot)
                slot_give(s, st->tile.slot);
            continue; /* cut by the limit (or a stop) before the device began it */
        }
        const struct tr_tile *tile = &st->tile;
        if (s->pool)
            s->tile_slot[tile->task_id] = tile->slot; /* the queue hands it on */
        struct tr_record *r = &s->slots[tile->task_id];
        r->task_id = tile->task_id;
        r->thread_id = l->thread_id;
        r->tile_x = tile->x;
        r->tile_y = tile->y;
        r->tile_w = tile->w;
        r->tile_h = tile->h;
        r->pixels_computed = (uint64_t)tile->w * tile->h;
        r->start_ns = times.start_ns;
        r->duration_ns = times.end_ns - times.start_ns;
        r->device_time_ns = times.device_ns;
        r->device = s->groups[l->group].name;
        r->device_index = l->group;
        r->stolen =
            s->p->mode == TR_MODE_STEAL && (tile->task_id < l->first || tile->task_id >= l->end);
        /* release: whoever sees the flag sees the record and the tile's counts */
        __atomic_store_n(&s->done[tile->task_id], 1, __ATOMIC_RELEASE);
        if (s->consumer)
            l->output_wait_ns += tr_tile_queue_push(&s->queue, tile->task_id);
    }
}

/* Touches lane index's share of the frame's pages, so that the page faults happen before the
 * clock, in parallel. */
static void touch_frame_share(struct shared *s, uint32_t index, uint32_t lanes)
{
    size_t bytes = s->frame ? (size_t)s->p->width * s->p->height * sizeof(uint16_t) : 0;
    size_t pages = (bytes + PAGE_BYTES - 1) / PAGE_BYTES;
    size_t first = pages * index / lanes * PAGE_BYTES,
           end = pages * (index + 1) / lanes * PAGE_BYTES;
    if (end > bytes)
        end = bytes;
    if (first < end)
        tr_touch_pages((unsigned char *)s->frame + first, end - first);
}

/* One finished tile, in the output thread (or the caller's, after the lanes). */
static void deliver(struct shared *s, uint32_t id)
{
    uint16_t *slot = s->pool ? s->tile_slot[id] : NULL;
    if (s->pending) {
        /* a tile rendered straight into the host frame has no read to wait for */
        const struct tr_backend *b = s->groups[s->slots[id].device_index].backend;
        int rc = s->pending[id] ? b->ops->read_wait(b->self, s->pending[id], s->output_err,
                                                    sizeof(s->output_err))
                                : 0;
        s->pending[id] = NULL;
        if (rc) {
            if (!s->output_rc)
                s->output_rc = rc;
            atomic_store(&s->stop, 1);
            if (slot)
                slot_give(s, slot);
            return;
        }
        __atomic_store_n(&s->counts_in[id], 1, __ATOMIC_RELEASE);
    }
    if (!slot) {
        s->hooks->on_tile(s->hooks->user, &s->slots[id], s->frame);
        return;
    }
    const struct tr_record *r = &s->slots[id];
    s->slot_iterations[r->device_index] += tr_sum_counts(slot, (size_t)r->tile_w * r->tile_h);
    s->hooks->on_tile(s->hooks->user, r, slot);
    slot_give(s, slot);
}

/* The run's output thread: the one consumer of the queue. */
static void *output_main(void *arg)
{
    struct shared *s = arg;
    const struct tr_run_hooks *h = s->hooks;
    uint32_t ids[OUTPUT_BATCH];
    int ended = 0;
    /* The lowest priority there is short of SCHED_IDLE: where every CPU has a lane, formatting
     * and writing tiles would otherwise take time from them and slow the run being recorded.
     * The thread still runs now and then (polls stay timely) and fully once a CPU is free;
     * tiles wait in the queue meanwhile. Best effort: a thread may always lower its own. */
    /* Without a frame the consumer is where the tiles go (to another process): the lanes
     * wait for it once the slots run out, so it runs at their priority. In a run across
     * processes its consumer shares a lock with the thread that receives the others' tiles,
     * which must not wait behind a thread that seldom runs. */
    if (!s->pool && !s->span)
        setpriority(PRIO_PROCESS, (id_t)gettid(), OUTPUT_NICE);
    /* Nothing to deliver, hash or poll: waking every few milliseconds would only take a lane's
     * CPU. */
    if (!s->consumer && !s->digest_live && !(h && h->poll))
        return NULL;
    while (!ended && !atomic_load(&s->lanes_ended)) {
        size_t n = tr_tile_queue_pop(&s->queue, ids, OUTPUT_BATCH, OUTPUT_PERIOD_NS, &ended);
        for (size_t i = 0; i < n; i++)
            deliver(s, ids[i]);
        /* Hashing takes no lane's CPU where one was free from the start, or once a lane
         * has run out of tiles while the others finish their last ones. */
        if (s->digest_during_run || (s->digest_live && atomic_load(&s->lanes_rendering) < s->cpus))
            tr_frame_digest_advance(&s->digest, s->counts_in);
        if (h && h->poll)
            h->poll(h->user);
    }
    return NULL;
}

/* After the lanes: what the output thread left, in the caller's thread. */
static void finish_output(struct shared *s)
{
    uint32_t ids[OUTPUT_BATCH];
    int ended = 0;
    while (!ended) {
        size_t n = tr_tile_queue_pop(&s->queue, ids, OUTPUT_BATCH, 0, &ended);
        for (size_t i = 0; i < n; i++)
            deliver(s, ids[i]);
    }
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    struct shared *s = l->s;
    void *ctx = NULL;
    if (l->cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(l->cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof(one), &one); /* best effort */
    }
    touch_frame_share(s, l->index, l->n_lanes);
    l->rc = l->backend->ops->lane_open(l->backend->self, l->index_in_group, &ctx, l->err,
                                       sizeof(l->err));
    if (l->rc)
        atomic_store(&s->stop, 1);

    pthread_mutex_lock(&s->lock);
    s->ready++;
    pthread_cond_broadcast(&s->cond);
    while (!s->go)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);

    if (l->rc == 0)
        lane_loop(l, ctx);
    atomic_fetch_sub(&s->lanes_rendering, 1);
    if (ctx && l->backend->ops->lane_close)
        l->backend->ops->lane_close(ctx);
    return NULL;
}

/* Whether group g's tiles reach the host frame as they finish (read tile by tile, or
 * rendered there), rather than only at the end. */
static int group_reads_tiles(const struct shared *s, uint32_t g)
{
    const struct tr_backend_ops *ops = s->groups[g].backend->ops;
    return (s->pending && ops->read_tile_start) || (s->want_counts && ops->read_tile);
}

/* Makes each group's tiles visible in the host frame, for those that keep them until the end:
 * the whole frame from the one device of a run, or only its own tiles from one of several or
 * of a run across processes. */
static int finish_groups(struct shared *s, char *err, size_t errlen)
{
    for (uint32_t g = 0; g < s->n_groups; g++) {
        const struct tr_backend *b = s->groups[g].backend;
        /* With counts read tile by tile the host frame is whole already; a second copy would
         * also race with a reader of those tiles (the server's event stream). */
        if (!b->ops->finish || group_reads_tiles(s, g))
            continue;
        /* a whole-frame read would write zeros over the other devices' tiles, and in a run
         * across processes over theirs, which reach this frame while it lasts */
        if (s->n_groups == 1 && !s->span) {
            int rc = b->ops->finish(b->self, err, errlen);
            if (rc)
                return rc;
            continue;
        }
        size_t n = 0;
        struct tr_tile *tiles = malloc((s->grid.tiles ? s->grid.tiles : 1) * sizeof(*tiles));
        if (!tiles) {
            snprintf(err, errlen, "out of memory for %llu tiles",
                     (unsigned long long)s->grid.tiles);
            return TR_ERR_INTERNAL;
        }
        for (uint32_t id = 0; id < s->grid.tiles; id++)
            if (s->done[id] && s->slots[id].device_index == g)
                tiles[n++] = tr_tile_grid_tile(&s->grid, id);
        int rc = n ? b->ops->finish_tiles(b->self, tiles, n, err, errlen) : 0;
        free(tiles);
        if (rc)
            return rc;
    }
    return 0;
}

/* Each group's share of the run, from the sorted records and the finished frame. */
static void count_groups(const struct shared *s, const struct lane *lanes, uint32_t n_lanes,
                         struct tr_run *out)
{
    out->n_groups = s->n_groups;
    for (uint32_t i = 0; i < n_lanes; i++)
        out->groups[lanes[i].group].lanes++;
    for (size_t i = 0; i < out->n_records; i++) {
        const struct tr_record *r = &out->records[i];
        struct tr_group_run *g = &out->groups[r->device_index];
        g->tiles++;
        g->pixels += r->pixels_computed;
        g->busy_ns += r->duration_ns;
        if ((s->n_groups == 1 && !s->span) || s->pool)
            continue; /* all of the frame's: total_iterations; or summed from the slots */
        for (uint32_t y = 0; y < r->tile_h; y++) {
            const uint16_t *row = s->frame + (size_t)(r->tile_y + y) * s->p->width + r->tile_x;
            for (uint32_t x = 0; x < r->tile_w; x++)
                g->iterations += row[x];
        }
    }
    if (s->pool)
        for (uint32_t g = 0; g < s->n_groups; g++)
            out->groups[g].iterations = s->slot_iterations[g];
}

/*
 * A run without a frame: a slot for each tile n lanes may hold, the output queue may hold and
 * the output thread may take from it at once; never more than the tiles and a spare a lane.
 * Each is as large as the grid's largest tile, and written once before the clock so that no
 * lane takes its page faults inside a tile's time.
 */
static int pool_init(struct shared *s, uint32_t n, size_t queue_tiles, char *err, size_t errlen)
{
    uint64_t want = queue_tiles + (queue_tiles < OUTPUT_BATCH ? queue_tiles : OUTPUT_BATCH);
    for (uint32_t i = 0, g = 0, in_group = 0; i < n; i++, in_group++) {
        while (in_group == s->groups[g].lanes) {
            g++;
            in_group = 0;
        }
        want += lane_depth(s, s->groups[g].backend->ops);
    }
    /* A lane takes its slot before it learns whether a tile is left: one spare a lane, so
     * that lanes holding every tile of a small grid still find one each. */
    uint64_t most = s->grid.tiles + n;
    s->n_slots = (uint32_t)(want < most ? want : most);
    size_t w = s->grid.tile_w < s->grid.width ? s->grid.tile_w : s->grid.width;
    size_t h = s->grid.tile_h < s->grid.height ? s->grid.tile_h : s->grid.height;
    size_t slot_counts = w * h;
    size_t pool_bytes = (size_t)s->n_slots * slot_counts * sizeof(uint16_t);
    s->pool = tr_pages_alloc(pool_bytes, &s->pool_mapped);
    s->free_slots = calloc(s->n_slots, sizeof(*s->free_slots));
    s->tile_slot = calloc(s->grid.tiles, sizeof(*s->tile_slot));
    if (!s->pool || !s->free_slots || !s->tile_slot) {
        snprintf(err, errlen, "out of memory for %u tile slots of %zux%zu", s->n_slots, w, h);
        return TR_ERR_INTERNAL;
    }
    tr_touch_pages(s->pool, pool_bytes);
    for (uint32_t i = 0; i < s->n_slots; i++)
        s->free_slots[i] = s->pool + (size_t)(s->n_slots - 1 - i) * slot_counts;
    s->n_free = s->n_slots;
    return 0;
}

enum tr_status tr_run_tiles(const struct tr_params *p, uint16_t *frame,
                            const struct tr_backend *backend, const struct tr_run_hooks *hooks,
                            struct tr_run *out, char *err, size_t errlen)
{
    const struct tr_lane_group one = {backend, p->num_threads, NULL};
    return tr_run_lanes(p, frame, &one, 1, hooks, out, err, errlen);
}

enum tr_status tr_run_lanes(const struct tr_params *p, uint16_t *frame,
                            const struct tr_lane_group *groups, uint32_t n_groups,
                            const struct tr_run_hooks *hooks, struct tr_run *out, char *err,
                            size_t errlen)
{
    int rc = 0;
    struct shared s;
    struct lane *lanes = NULL;
    pthread_t *threads = NULL, output_thread;
    uint32_t started = 0;
    int queue_ready = 0, output_started = 0;

    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    uint32_t all_lanes = 0;
    const int slot_mode = hooks && hooks->tile_slots;
    if (slot_mode && !hooks->on_tile) {
        snprintf(err, errlen, "internal error: a run without a frame needs a tile consumer");
        return TR_ERR_INTERNAL;
    }
    for (uint32_t g = 0; g < n_groups && n_groups <= TR_MAX_DEVICES; g++) {
        const struct tr_backend_ops *ops = groups[g].backend->ops;
        if (n_groups > 1 && ops->finish && !ops->finish_tiles) {
            snprintf(err, errlen, "internal error: device %u of the run cannot share a frame", g);
            return TR_ERR_INTERNAL;
        }
        if (slot_mode && ops->finish && !ops->read_tile && !ops->read_tile_start) {
            snprintf(err, errlen, "internal error: device %u of the run needs a frame", g);
            return TR_ERR_INTERNAL;
        }
        all_lanes += groups[g].lanes;
    }
    if (n_groups < 1 || n_groups > TR_MAX_DEVICES || all_lanes < 1 || all_lanes > TR_MAX_THREADS) {
        snprintf(err, errlen, "internal error: a run of %u devices with %u lanes", n_groups,
                 all_lanes);
        return TR_ERR_INTERNAL;
    }
    s.p = p;
    s.groups = groups;
    s.n_groups = n_groups;
    s.hooks = hooks;
    s.frame = slot_mode ? NULL : frame;
    s.want_counts = hooks && (hooks->want_counts || slot_mode);
    s.limit_ns = (int64_t)p->time_limit_ms * 1000000;
    tr_tile_grid_init(&s.grid, p->width, p->height, p->tile_w, p->tile_h);
    atomic_init(&s.stop, 0);
    atomic_init(&s.cancelled, 0);
    atomic_init(&s.next_tile, 0);
    atomic_init(&s.limit_told, 0);
    s.span = hooks ? hooks->span : NULL;
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    pthread_mutex_init(&s.pool_lock, NULL);
    pthread_cond_init(&s.slot_freed, NULL);

    /* With other processes, the mode shares the tiles over every process's lanes, and this
     * process runs the ones of them that are its own. */
    uint32_t first_lane = 0, run_lanes = all_lanes;
    int span_failed = 0;
    if (s.span && s.span->join(s.span->arg, all_lanes, 0, &first_lane, &run_lanes) != 0)
        span_failed = 1;
    uint32_t n = tr_lane_count(p->mode, s.grid.tiles, run_lanes);
    n = span_failed || n <= first_lane ? 0 : n - first_lane;
    if (n > all_lanes)
        n = all_lanes;
    out->tiles_total = s.grid.tiles;
    out->lanes = n;
    s.slots = calloc(s.grid.tiles ? s.grid.tiles : 1, sizeof(*s.slots));
    s.done = calloc(s.grid.tiles ? s.grid.tiles : 1, 1);
    lanes = calloc(n ? n : 1, sizeof(*lanes));
    threads = calloc(n ? n : 1, sizeof(*threads));
    size_t queue_tiles = hooks && hooks->output_queue_tiles ? hooks->output_queue_tiles
                         : slot_mode                        ? SLOT_QUEUE_TILES
                                                            : OUTPUT_QUEUE_TILES;
    if (queue_tiles > s.grid.tiles)
        queue_tiles = s.grid.tiles;
    if (!s.slots || !s.done || !lanes || !threads ||
        !(queue_ready = tr_tile_queue_init(&s.queue, queue_tiles) == 0)) {
        snprintf(err, errlen, "out of memory for %llu tile records",
                 (unsigned long long)s.grid.tiles);
        rc = TR_ERR_INTERNAL;
        goto cleanup;
    }
    /* each tile's lane writes its record: the pages present before the clock */
    tr_touch_pages(s.slots, (s.grid.tiles ? s.grid.tiles : 1) * sizeof(*s.slots));
    if (slot_mode && n && (rc = pool_init(&s, n, queue_tiles, err, errlen)) != 0)
        goto cleanup;
    out->tile_slots = s.n_slots;
    if (p->mode == TR_MODE_STEAL && (steal_init(&s, n, run_lanes, first_lane) != 0 ||
                                     !(out->steals = calloc(n ? n : 1, sizeof(*out->steals))))) {
        snprintf(err, errlen, "out of memory for %u tile deques", n);
        rc = TR_ERR_INTERNAL;
        goto cleanup;
    }
    /* With counts read tile by tile, or rendered straight into the host frame, the frame is
     * whole as tiles finish; a backend with finish() fills it only at the end. */
    s.consumer = hooks && hooks->on_tile;
    int reads_started = 0;
    for (uint32_t g = 0; g < n_groups; g++)
        reads_started |= s.consumer && s.want_counts && groups[g].backend->ops->read_tile_start;
    s.counts_in = s.done;
    if (reads_started) {
        s.pending = calloc(s.grid.tiles, sizeof(*s.pending));
        s.counts_in = calloc(s.grid.tiles, 1);
        if (!s.pending || !s.counts_in) {
            snprintf(err, errlen, "out of memory for %llu tile records",
                     (unsigned long long)s.grid.tiles);
            rc = TR_ERR_INTERNAL;
            goto cleanup;
        }
    }
    /* without a frame there is nothing to hash: the consumer assembles the frame */
    /* In a run across processes the frame also receives the others' tiles while it lasts: no
     * whole-frame sum or hash here, the process that gathers them makes its own. */
    s.digest_live = !slot_mode && !s.span;
    for (uint32_t g = 0; g < n_groups; g++)
        s.digest_live &= group_reads_tiles(&s, g) || !groups[g].backend->ops->finish;
    atomic_init(&s.lanes_ended, 0);
    tr_frame_digest_init(&s.digest, &s.grid, frame);
    cpu_set_t allowed;
    int n_cpus = 0, cpus_known = sched_getaffinity(0, sizeof(allowed), &allowed) == 0;
    if (cpus_known && hooks && hooks->pin_lanes)
        n_cpus = CPU_COUNT(&allowed);
    /* Where every CPU has a lane, hashing meanwhile would take time from one of them: the
     * frame is hashed after the lanes instead. */
    s.cpus = cpus_known ? (uint32_t)CPU_COUNT(&allowed) : 0;
    s.digest_during_run = s.digest_live && n < s.cpus;
    atomic_init(&s.lanes_rendering, n);
    const cpu_set_t *helper_cpus = hooks ? hooks->helper_cpus : NULL;
    if (tr_thread_create_on(&output_thread, helper_cpus, output_main, &s) != 0) {
        snprintf(err, errlen, "could not start the output thread");
        rc = TR_ERR_INTERNAL;
        goto cleanup;
    }
    output_started = 1;

    for (uint32_t i = 0, g = 0, in_group = 0; i < n; i++, in_group++) {
        while (in_group == groups[g].lanes) {
            g++;
            in_group = 0;
        }
        lanes[i].s = &s;
        lanes[i].backend = groups[g].backend;
        lanes[i].group = g;
        lanes[i].index_in_group = in_group;
        lanes[i].index = i;
        lanes[i].thread_id = first_lane + i;
        lanes[i].n_lanes = n;
        lanes[i].check = (struct tr_start_check){check_may_start, check_now, &lanes[i]};
        lanes[i].cpu = n_cpus ? lane_cpu(hooks, &allowed, n_cpus, i) : -1;
        if (p->mode == TR_MODE_CONCURRENT || p->mode == TR_MODE_STEAL)
            tr_chunk_range(s.grid.tiles, run_lanes, first_lane + i, &lanes[i].first, &lanes[i].end);
        else if (p->mode == TR_MODE_SEQUENTIAL)
            lanes[i].end = (uint32_t)s.grid.tiles;
        if (pthread_create(&threads[i], NULL, lane_main, &lanes[i]) != 0) {
            snprintf(err, errlen, "could not start thread %u of %u", i + 1, n);
            rc = TR_ERR_INTERNAL;
            atomic_store(&s.stop, 1);
            break;
        }
        started++;
    }

    /* The origin is taken once every lane is ready, just before the first tile. */
    pthread_mutex_lock(&s.lock);
    while (s.ready < started)
        pthread_cond_wait(&s.cond, &s.lock);
    if (s.span) {
        /* the other processes' lanes are ready too when the barrier lets this one go */
        pthread_mutex_unlock(&s.lock);
        if (s.span->before_origin(s.span->arg, span_failed || atomic_load(&s.stop)) != 0)
            atomic_store(&s.stop, 1);
        pthread_mutex_lock(&s.lock);
    }
    s.origin_ns = tr_now_ns();
    s.go = 1;
    pthread_cond_broadcast(&s.cond);
    pthread_mutex_unlock(&s.lock);

    for (uint32_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    out->origin_ns = s.origin_ns;
    out->elapsed_ns = tr_now_ns() - s.origin_ns;
    atomic_store(&s.lanes_ended, 1);
    tr_tile_queue_close(&s.queue);
    pthread_join(output_thread, NULL);
    output_started = 0;
    if (s.consumer)
        finish_output(&s);
    for (uint32_t i = 0; i < started; i++)
        out->output_wait_ns += lanes[i].output_wait_ns;
    out->had_consumer = hooks && hooks->on_tile;
    for (uint32_t i = 0; out->steals && i < s.deques.lanes; i++) {
        out->steals[i] = s.deques.lane[i].steals;
        out->steals_total += s.deques.lane[i].steals;
    }

    for (uint32_t i = 0; i < started && rc == 0; i++) {
        if (lanes[i].rc) {
            rc = lanes[i].rc;
            snprintf(err, errlen, "%s", lanes[i].err);
        }
    }
    if (rc == 0 && s.output_rc) {
        rc = s.output_rc;
        snprintf(err, errlen, "%s", s.output_err);
    }
    if (rc == 0)
        rc = finish_groups(&s, err, errlen);
    if (rc)
        goto cleanup;

    for (uint64_t id = 0; id < s.grid.tiles; id++)
        if (s.done[id])
            s.slots[out->n_records++] = s.slots[id];
    tr_records_sort(s.slots, out->n_records);
    out->records = s.slots;
    s.slots = NULL;
    out->cancelled = atomic_load(&s.cancelled);
    out->complete = out->n_records == s.grid.tiles;
    out->time_limited = !out->complete && !out->cancelled;
    size_t pixels = (size_t)p->width * p->height;
    count_groups(&s, lanes, started, out);
    if (slot_mode || s.span) {
        for (uint32_t g = 0; g < n_groups; g++)
            out->total_iterations += out->groups[g].iterations;
    } else if (s.digest_live) {
        tr_frame_digest_advance(&s.digest, s.counts_in);
        int whole = tr_frame_digest_finish(&s.digest);
        out->total_iterations = s.digest.total_iterations;
        if (out->complete)
            out->checksum = whole ? s.digest.checksum : tr_fnv1a64_counts(frame, pixels);
    } else {
        out->total_iterations = tr_sum_counts(frame, pixels);
        if (out->complete)
            out->checksum = tr_fnv1a64_counts(frame, pixels);
    }
    if (n_groups == 1 && !slot_mode && !s.span)
        out->groups[0].iterations = out->total_iterations;

cleanup:
    if (output_started) {
        atomic_store(&s.lanes_ended, 1);
        tr_tile_queue_close(&s.queue);
        pthread_join(output_thread, NULL);
    }
    if (queue_ready)
        tr_tile_queue_destroy(&s.queue);
    tr_steal_deques_destroy(&s.deques);
    if (rc) {
        free(out->steals);
        out->steals = NULL;
    }
    if (s.counts_in != s.done)
        free(s.counts_in);
    free(s.pending);
    free(threads);
    free(lanes);
    free(s.done);
    free(s.slots);
    free(s.tile_slot);
    free(s.free_slots);
    tr_pages_free(s.pool, s.pool_mapped);
    pthread_cond_destroy(&s.slot_freed);
    pthread_mutex_destroy(&s.pool_lock);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    return rc;
}

void tr_run_free(struct tr_run *run)
{
    free(run->records);
    free(run->steals);
    memset(run, 0, sizeof(*run));
}
