#include "opencl/backend.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/status.h"
#include "opencl/program.h"
#include "opencl/tile_gate.h"

/* The vector kernels' shape (see kernels/mandelbrot.cl): vectors per work-item, and rows of a
 * tile per work-item. */
#define VECTOR_UNROLL     5
#define VECTOR_STRIP_ROWS 64

struct tr_cl_backend {
    struct tr_backend base;
    const struct tr_params *p;
    const struct tr_cl_device *dev;
    uint16_t *frame;
    cl_context ctx;
    cl_command_queue queue; /* set-up and the final read-back */
    cl_mem counts;
    cl_program program;
    char kernel[48];
    int vector; /* the strip kernel rather than one pixel per work-item */
    int64_t readback_ns;
    struct tr_cl_prepared *prepared; /* the device's context and program, shared */
    /* Queued tiles are opened from the previous tile's completion callback, so the device
     * begins the next tile without waiting for the lane; else the lane opens each after its
     * wait for the previous one (for a driver whose callbacks must not set user events). */
    int gate_from_callback;
};

/* A queued tile's events; which slot of the gate it is. */
struct queued_kernel {
    struct cl_lane *lane;
    struct tr_gate_slot *slot;
    cl_event gate;   /* user event the kernel waits on, opened or cancelled by the tile gate;
                        NULL for a tile the lane let start as it queued it */
    cl_event kernel; /* the tile's kernel; NULL if refused before it was queued */
    int callback;    /* its completion callback is set: that handles its completion */
};

struct cl_lane {
    struct tr_cl_backend *b;
    cl_command_queue queue;
    cl_command_queue read_queue; /* tile reads, which must not wait for the queued tiles */
    cl_kernel kernel;
    struct tr_tile_gate gate;
    int gate_ready;
    struct queued_kernel queued[TR_MAX_QUEUE_DEPTH]; /* by sequence number, oldest at head */
    uint64_t head, count;
    /* Events of tiles that did not run (cancelled or failed), released only once the queue
     * has finished: pocl 3.1 goes on marking a cancelled chain of commands failed on its own
     * threads after clWaitForEvents has returned, and releasing them meanwhile is a race its
     * failure path does not survive (an abort seen once in a test run). */
    cl_event unran[2 * TR_MAX_QUEUE_DEPTH];
    size_t n_unran;
};

/* OK when cle is CL_SUCCESS; else TR_ERR_DEVICE with what failed, on which device, in err. */
static enum tr_status cl_check(cl_int cle, const char *what, const struct tr_cl_device *dev,
                               char *err, size_t errlen)
{
    if (cle == CL_SUCCESS)
        return TR_OK;
    snprintf(err, errlen, "%s failed on '%s': %s", what, dev->name, tr_cl_error_name(cle));
    return TR_ERR_DEVICE;
}

/* cl_check, then on to the function's fail label with its status in rc. */
#define CL_CHECK(call, what, dev, err, errlen)                                                     \
    do {                                                                                           \
        if ((rc = cl_check((call), (what), (dev), (err), (errlen))) != TR_OK)                      \
            goto fail;                                                                             \
    } while (0)

int tr_cl_use_vector_kernel(const struct tr_params *p, const struct tr_cl_device *dev)
{
    if (p->kernel == TR_KERNEL_AUTO)
        return !(dev->type & CL_DEVICE_TYPE_GPU);
    return p->kernel == TR_KERNEL_VECTOR;
}

const char *tr_cl_kernel_name(const struct tr_params *p, const struct tr_cl_device *dev, char *buf,
                              size_t len)
{
    snprintf(buf, len, "opencl-%s-%s", tr_cl_use_vector_kernel(p, dev) ? "vector" : "scalar",
             tr_precision_name(p->precision));
    return buf;
}

static struct queued_kernel *queued_at(struct cl_lane *l, uint64_t seq)
{
    return &l->queued[seq % TR_MAX_QUEUE_DEPTH];
}

/* Opens or cancels the batch's gates; the gate logic decided them under its lock, and this
 * runs outside it. A negative status cancels the gated kernel: it never starts. */
static void apply_gates(struct cl_lane *l, const struct tr_gate_batch *b, uint64_t done_seq)
{
    for (uint32_t i = 0; i < b->n; i++) {
        cl_event gate = queued_at(l, b->first + i)->gate;
        if (gate)
            clSetUserEventStatus(gate,
                                 b->action == TR_GATE_OPEN ? CL_COMPLETE : CL_INVALID_OPERATION);
    }
    tr_gate_applied(&l->gate, b, done_seq);
}

/*
 * A tile's kernel has completed: let the next queued tile start if the run's check allows it,
 * else cancel it and the rest. Runs on the OpenCL runtime's thread; it takes only the gate's
 * lock and does no I/O. A kernel that was cancelled, or failed, leaves its successors to the
 * lane (some runtimes call no callback for a cancelled command at all). Cancels are applied
 * by the lane, before it waits on the first of them: a failed gate fails the kernels queued
 * behind it too, and pocl 3.1 was seen to abort (a queue's command count going below zero)
 * when that happened while the lane was queueing another kernel on the same queue.
 */
static void CL_CALLBACK kernel_completed(cl_event ev, cl_int status, void *user)
{
    (void)ev;
    if (status != CL_COMPLETE)
        return;
    struct queued_kernel *qk = user;
    uint64_t seq;
    struct tr_gate_batch b = tr_gate_completed(&qk->lane->gate, qk->slot, &seq);
    if (b.action == TR_GATE_CANCEL)
        b.n = 0; /* left to the lane: tr_gate_pending_cancels */
    apply_gates(qk->lane, &b, seq);
}

static void apply_pending_cancels(struct cl_lane *l)
{
    struct tr_gate_batch b = tr_gate_pending_cancels(&l->gate);
    if (b.n)
        apply_gates(l, &b, UINT64_MAX);
}

/* Retires the oldest queued tile: 1 if it ran, 0 if its gate was cancelled, -1 on failure. */
static int retire_tile(struct cl_lane *l, int ran, int64_t *start_ns, int64_t *end_ns)
{
    struct queued_kernel *qk = queued_at(l, l->head);
    if (ran && !qk->callback) {
        uint64_t seq;
        struct tr_gate_batch b = tr_gate_completed(&l->gate, qk->slot, &seq);
        apply_gates(l, &b, seq);
    }
    int started = tr_gate_retire(&l->gate, ran, start_ns, end_ns);
    cl_event done[2] = {qk->kernel, qk->gate};
    for (int i = 0; i < 2; i++) {
        if (!done[i])
            continue;
        if (!ran && l->n_unran < sizeof(l->unran) / sizeof(l->unran[0]))
            l->unran[l->n_unran++] = done[i]; /* released by lane_free, after clFinish */
        else
            clReleaseEvent(done[i]);
    }
    l->head++;
    l->count--;
    return started;
}

static void lane_free(struct cl_lane *l)
{
    if (!l)
        return;
    if (l->count) { /* a failed run: cancel what has not started, let the rest end */
        struct tr_gate_batch b = tr_gate_cancel_rest(&l->gate);
        apply_gates(l, &b, UINT64_MAX);
    }
    apply_pending_cancels(l);
    while (l->count) {
        int64_t start, end;
        cl_int status = CL_QUEUED;
        cl_event ev = queued_at(l, l->head)->kernel;
        if (ev) {
            clWaitForEvents(1, &ev);
            clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(status), &status, NULL);
        }
        retire_tile(l, status == CL_COMPLETE, &start, &end);
    }
    if (l->queue)
        clFinish(l->queue); /* every gate is open or cancelled by now: this ends */
    while (l->n_unran)
        clReleaseEvent(l->unran[--l->n_unran]);
    if (l->gate_ready)
        tr_gate_destroy(&l->gate);
    if (l->kernel)
        clReleaseKernel(l->kernel);
    if (l->read_queue)
        clReleaseCommandQueue(l->read_queue);
    if (l->queue)
        clReleaseCommandQueue(l->queue);
    free(l);
}

/* A kernel object with its arguments set: they are the same for every tile, only the
 * NDRange's offset and size change. */
static int create_kernel(const struct tr_cl_backend *b, cl_uint max_iter, cl_kernel *out, char *err,
                         size_t errlen)
{
    const struct tr_params *p = b->p;
    cl_int cle = CL_SUCCESS;
    int rc = 0;
    cl_kernel k = clCreateKernel(b->program, b->kernel, &cle);
    CL_CHECK(cle, "clCreateKernel", b->dev, err, errlen);
    /* the vector kernel also takes the tile's size */
    const struct {
        size_t size;
        const void *value;
    } args[] = {
        {sizeof(cl_mem), &b->counts}, {sizeof(cl_uint), &p->width},  {sizeof(cl_uint), &p->height},
        {sizeof(cl_uint), &max_iter}, {sizeof(cl_uint), &p->tile_w}, {sizeof(cl_uint), &p->tile_h},
    };
    const cl_uint n_args = b->vector ? 6 : 4;
    for (cl_uint i = 0; i < n_args; i++)
        CL_CHECK(clSetKernelArg(k, i, args[i].size, args[i].value), "clSetKernelArg", b->dev, err,
                 errlen);
    *out = k;
    return 0;
fail:
    if (k)
        clReleaseKernel(k);
    return rc;
}

static int cl_lane_open(void *self, uint32_t lane, void **lane_ctx, char *err, size_t errlen)
{
    struct tr_cl_backend *b = self;
    const struct tr_params *p = b->p;
    struct cl_lane *l = calloc(1, sizeof(*l));
    cl_int cle = CL_SUCCESS;
    int rc = 0;
    (void)lane;
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    l->b = b;
    if (tr_gate_init(&l->gate) != 0) {
        free(l);
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    l->gate_ready = 1;
    l->queue = clCreateCommandQueue(b->ctx, b->dev->device, CL_QUEUE_PROFILING_ENABLE, &cle);
    CL_CHECK(cle, "clCreateCommandQueue", b->dev, err, errlen);
    l->read_queue = clCreateCommandQueue(b->ctx, b->dev->device, 0, &cle);
    CL_CHECK(cle, "clCreateCommandQueue", b->dev, err, errlen);
    if ((rc = create_kernel(b, p->max_iter, &l->kernel, err, errlen)) != 0)
        goto fail;
    *lane_ctx = l;
    return 0;
fail:
    lane_free(l);
    return rc;
}

/* One work-item per pixel, or per strip of VECTOR_STRIP_ROWS rows for the vector kernel. */
static void global_size(const struct tr_cl_backend *b, const struct tr_tile *t, size_t global[2])
{
    global[0] = b->vector ? 1 : t->w;
    global[1] = b->vector ? (t->h + VECTOR_STRIP_ROWS - 1) / VECTOR_STRIP_ROWS : t->h;
}

/*
 * Queues one tile and hands it to the device (clFlush). With nothing queued before it, the
 * lane decides at once (the check, then the kernel or nothing); else the kernel waits behind
 * its gate, a user event, and the tile gate decides who opens it (see opencl/tile_gate.h).
 * The completion callback is set before the gate can open, so it cannot be missed; with a
 * queue depth of 1 no tile ever waits for another's completion, and none is set.
 */
static int cl_submit_tile(void *lane_ctx, const struct tr_tile *t,
                          const struct tr_start_check *check, char *err, size_t errlen)
{
    struct cl_lane *l = lane_ctx;
    struct tr_cl_backend *b = l->b;
    const size_t offset[2] = {t->x, t->y};
    const int direct = l->count == 0;
    size_t global[2];
    cl_int cle = CL_SUCCESS;
    int rc = 0;
    global_size(b, t, global);
    struct queued_kernel *qk = queued_at(l, l->head + l->count);
    *qk = (struct queued_kernel){.lane = l, .slot = tr_gate_next_slot(&l->gate)};
    if (direct) {
        l->count++;
        struct tr_gate_batch decided = tr_gate_add(&l->gate, check);
        tr_gate_applied(&l->gate, &decided, UINT64_MAX);
        if (decided.action != TR_GATE_OPEN)
            return 0; /* refused: wait_tile reports it not started */
    } else {
        qk->gate = clCreateUserEvent(b->ctx, &cle);
        CL_CHECK(cle, "clCreateUserEvent", b->dev, err, errlen);
    }
    CL_CHECK(clEnqueueNDRangeKernel(l->queue, l->kernel, 2, offset, global, NULL, direct ? 0 : 1,
                                    direct ? NULL : &qk->gate, &qk->kernel),
             "clEnqueueNDRangeKernel", b->dev, err, errlen);
    if (!direct)
        l->count++;
    if (b->gate_from_callback && b->p->queue_depth > 1) {
        CL_CHECK(clSetEventCallback(qk->kernel, CL_COMPLETE, kernel_completed, qk),
                 "clSetEventCallback", b->dev, err, errlen);
        qk->callback = 1;
    }
    CL_CHECK(clFlush(l->queue), "clFlush", b->dev, err, errlen);
    if (!direct) {
        struct tr_gate_batch decided = tr_gate_add(&l->gate, check);
        apply_gates(l, &decided, UINT64_MAX);
    }
    return 0;
fail:
    if (!direct && qk->kernel) { /* queued: cancel it with the rest, for lane_free to retire */
        struct tr_gate_batch rest = tr_gate_cancel_rest(&l->gate);
        apply_gates(l, &rest, UINT64_MAX);
        struct tr_gate_batch self = tr_gate_add(&l->gate, check);
        apply_gates(l, &self, UINT64_MAX);
    } else if (!direct && qk->gate) { /* not queued: the gate is the lane's alone */
        clSetUserEventStatus(qk->gate, CL_INVALID_OPERATION);
        clReleaseEvent(qk->gate);
        qk->gate = NULL;
    }
    return rc;
}

/*
 * Waits for the oldest queued tile. A tile whose gate was cancelled ends in an error status
 * without having started: it is reported as not started, which is no failure. The kernel time
 * of a tile that ran comes from the event's profile.
 */
static int cl_wait_tile(void *lane_ctx, struct tr_tile_times *times, char *err, size_t errlen)
{
    struct cl_lane *l = lane_ctx;
    cl_event ev = queued_at(l, l->head)->kernel;
    cl_ulong start = 0, end = 0;
    apply_pending_cancels(l);
    cl_int waited = ev ? clWaitForEvents(1, &ev) : CL_INVALID_EVENT;
    cl_int prof = CL_SUCCESS;
    if (waited == CL_SUCCESS) {
        prof = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof(start), &start, NULL);
        if (prof == CL_SUCCESS)
            prof = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof(end), &end, NULL);
    }
    int started = retire_tile(l, waited == CL_SUCCESS, &times->start_ns, &times->end_ns);
    times->started = started == 1;
    times->device_ns = end >= start ? (int64_t)(end - start) : 0;
    if (started < 0)
        return cl_check(waited, "clWaitForEvents", l->b->dev, err, errlen);
    if (started == 1)
        return cl_check(prof, "clGetEventProfilingInfo", l->b->dev, err, errlen);
    return 0;
}

/* Starts copying a finished tile's counts to the host frame, or packed into the tile's own
 * buffer (t->slot) in a run without a frame; the run's output thread waits for the copy
 * (cl_read_wait), so the lane goes on to its next tile at once. It runs after cl_wait_tile,
 * so the tile is complete; the copy goes on a second queue, since the lane's own may hold the
 * next tiles and a read behind them would wait for them too. It shares the frame buffer with
 * kernels writing other tiles, as lanes always have: regions never overlap. */
static int cl_read_tile_start(void *lane_ctx, const struct tr_tile *t, void **pending, char *err,
                              size_t errlen)
{
    struct cl_lane *l = lane_ctx;
    size_t pitch = (size_t)l->b->p->width * sizeof(uint16_t);
    const size_t origin[3] = {t->x * sizeof(uint16_t), t->y, 0};
    const size_t region[3] = {t->w * sizeof(uint16_t), t->h, 1};
    const size_t slot_origin[3] = {0, 0, 0};
    cl_event read = NULL;
    int rc = 0;
    CL_CHECK(clEnqueueReadBufferRect(
                 l->read_queue, l->b->counts, CL_FALSE, origin, t->slot ? slot_origin : origin,
                 region, pitch, 0, t->slot ? t->w * sizeof(uint16_t) : pitch, 0,
                 t->slot ? (void *)t->slot : (void *)l->b->frame, 0, NULL, &read),
             "clEnqueueReadBufferRect", l->b->dev, err, errlen);
    CL_CHECK(clFlush(l->read_queue), "clFlush", l->b->dev, err, errlen);
    *pending = read;
    return 0;
fail:
    if (read)
        clReleaseEvent(read);
    return rc;
}

static int cl_read_wait(void *self, void *pending, char *err, size_t errlen)
{
    struct tr_cl_backend *b = self;
    cl_event read = pending;
    int rc = 0;
    CL_CHECK(clWaitForEvents(1, &read), "clWaitForEvents (tile read)", b->dev, err, errlen);
fail:
    clReleaseEvent(read);
    return rc;
}

static void cl_lane_close(void *lane_ctx)
{
    lane_free(lane_ctx);
}

static int cl_finish(void *self, char *err, size_t errlen)
{
    struct tr_cl_backend *b = self;
    size_t bytes = (size_t)b->p->width * b->p->height * sizeof(uint16_t);
    int rc = 0;
    if (!b->frame)
        return 0; /* a run without a frame: each tile was read into its own buffer */
    int64_t t0 = tr_now_ns();
    CL_CHECK(clEnqueueReadBuffer(b->queue, b->counts, CL_TRUE, 0, bytes, b->frame, 0, NULL, NULL),
             "clEnqueueReadBuffer", b->dev, err, errlen);
    b->readback_ns = tr_now_ns() - t0;
fail:
    return rc;
}

/* In a run shared with other devices, whose tiles the host frame holds already: copies this
 * device's tiles alone (a whole-frame read would write zeros over theirs). */
static int cl_finish_tiles(void *self, const struct tr_tile *tiles, size_t n, char *err,
                           size_t errlen)
{
    struct tr_cl_backend *b = self;
    size_t pitch = (size_t)b->p->width * sizeof(uint16_t);
    int rc = 0;
    if (!b->frame)
        return 0; /* a run without a frame: each tile was read into its own buffer */
    int64_t t0 = tr_now_ns();
    for (size_t i = 0; i < n; i++) {
        const struct tr_tile *t = &tiles[i];
        const size_t origin[3] = {t->x * sizeof(uint16_t), t->y, 0};
        const size_t region[3] = {t->w * sizeof(uint16_t), t->h, 1};
        CL_CHECK(clEnqueueReadBufferRect(b->queue, b->counts, CL_FALSE, origin, origin, region,
                                         pitch, 0, pitch, 0, b->frame, 0, NULL, NULL),
                 "clEnqueueReadBufferRect", b->dev, err, errlen);
    }
    CL_CHECK(clFinish(b->queue), "clFinish", b->dev, err, errlen);
    b->readback_ns = tr_now_ns() - t0;
    return 0;
fail:
    clFinish(b->queue); /* no read may still write the frame once the run has ended */
    return rc;
}

/*
 * pocl compiles a work-group function for each new launch shape (local size, zero or non-zero
 * offset) on first use, which took about 0.3 s here with a cold cache. Launching every tile
 * shape of the grid once, with max_iter 1, moves that out of the tiles' timings; the frame is
 * zeroed afterwards.
 */
static int warm_up(struct tr_cl_backend *b, char *err, size_t errlen)
{
    const struct tr_params *p = b->p;
    struct tr_tile_grid g;
    cl_kernel k = NULL;
    int rc = 0;
    tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
    const uint64_t ids[] = {0, 1, g.cols - 1, g.cols, (uint64_t)(g.rows - 1) * g.cols, g.tiles - 1};
    if ((rc = create_kernel(b, 1, &k, err, errlen)) != 0)
        goto fail;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (ids[i] >= g.tiles)
            continue;
        struct tr_tile t = tr_tile_grid_tile(&g, (uint32_t)ids[i]);
        const size_t offset[2] = {t.x, t.y};
        size_t global[2];
        global_size(b, &t, global);
        CL_CHECK(clEnqueueNDRangeKernel(b->queue, k, 2, offset, global, NULL, 0, NULL, NULL),
                 "clEnqueueNDRangeKernel", b->dev, err, errlen);
    }
    CL_CHECK(clFinish(b->queue), "clFinish", b->dev, err, errlen);
fail:
    if (k)
        clReleaseKernel(k);
    return rc;
}

/*
 * Opening queued tiles from completion callbacks is verified on pocl (the tests run there);
 * some GPU drivers are reported to deadlock when a callback sets a user event, so
 * TILERACE_OPENCL_GATE=host puts a device on the lane-opened path (the rule is the same, the
 * device idles between tiles while the lane hears of each end).
 */
static int gate_from_callback(void)
{
    const char *v = getenv("TILERACE_OPENCL_GATE");
    return !(v && strcmp(v, "host") == 0);
}

static const struct tr_backend_ops cl_ops = {
    .lane_open = cl_lane_open,
    .submit_tile = cl_submit_tile,
    .wait_tile = cl_wait_tile,
    .read_tile_start = cl_read_tile_start,
    .read_wait = cl_read_wait,
    .lane_close = cl_lane_close,
    .finish = cl_finish,
    .finish_tiles = cl_finish_tiles,
};

/* A device made ready for runs: shared, read-only once made (see backend.h). */
struct tr_cl_prepared {
    atomic_int refs;
    struct tr_cl_device dev; /* a copy: it outlives the list it came from */
    enum tr_precision precision;
    cl_context ctx;
    cl_program program;
    int64_t build_ns;
    int from_saved; /* built from a saved binary */
};

enum tr_status tr_cl_prepare(const struct tr_cl_device *dev, enum tr_precision precision,
                             const char *kernel_dir, cl_context share, struct tr_cl_prepared **out,
                             char *err, size_t errlen)
{
    struct tr_cl_prepared *prep = NULL;
    char *src = NULL;
    char options[160];
    cl_int cle = CL_SUCCESS;
    int rc = 0;
    const int dbl = precision == TR_PRECISION_DOUBLE;

    *out = NULL;
    if (!dbl && !dev->fp32_correct_div) {
        snprintf(err, errlen,
                 "'%s' has no correctly rounded float division, so float results would "
                 "differ from the CPU path (use precision double)",
                 dev->name);
        return TR_ERR_DEVICE;
    }
    if (!(prep = calloc(1, sizeof(*prep)))) {
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    atomic_init(&prep->refs, 1);
    prep->dev = *dev;
    prep->precision = precision;
    if (share) {
        CL_CHECK(clRetainContext(share), "clRetainContext", dev, err, errlen);
        prep->ctx = share;
    } else {
        prep->ctx = clCreateContext(NULL, 1, &dev->device, NULL, NULL, &cle);
        CL_CHECK(cle, "clCreateContext", dev, err, errlen);
    }
    if ((rc = tr_cl_load_source(kernel_dir, &src, err, errlen)) != 0)
        goto fail;
    snprintf(options, sizeof(options), "-DTR_UNROLL=%d -DTR_STRIP_ROWS=%d%s", VECTOR_UNROLL,
             VECTOR_STRIP_ROWS, dbl ? "" : " -cl-fp32-correctly-rounded-divide-sqrt");
    /* a --kernel-dir source is one being worked on: built each time, never saved */
    if ((rc = tr_cl_build_cached(prep->ctx, dev, src, options, kernel_dir == NULL, &prep->program,
                                 &prep->build_ns, &prep->from_saved, err, errlen)) != 0)
        goto fail;
    free(src);
    *out = prep;
    return 0;
fail:
    free(src);
    tr_cl_prepared_release(prep);
    return rc;
}

void tr_cl_prepared_retain(struct tr_cl_prepared *prep)
{
    atomic_fetch_add(&prep->refs, 1);
}

void tr_cl_prepared_release(struct tr_cl_prepared *prep)
{
    if (!prep || atomic_fetch_sub(&prep->refs, 1) != 1)
        return;
    if (prep->program)
        clReleaseProgram(prep->program);
    if (prep->ctx)
        clReleaseContext(prep->ctx);
    free(prep);
}

const struct tr_cl_device *tr_cl_prepared_device(const struct tr_cl_prepared *prep)
{
    return &prep->dev;
}

cl_context tr_cl_prepared_context(const struct tr_cl_prepared *prep)
{
    return prep->ctx;
}

void tr_cl_prepared_build(const struct tr_cl_prepared *prep, int64_t *build_ns,
                          const char **build_source)
{
    *build_ns = prep->build_ns;
    *build_source = prep->from_saved ? "binary" : "source";
}

enum tr_status tr_cl_backend_open_prepared(const struct tr_params *p, struct tr_cl_prepared *prep,
                                           uint16_t *frame, struct tr_cl_backend **out,
                                           struct tr_device_info *info, char *err, size_t errlen)
{
    const struct tr_cl_device *dev = &prep->dev;
    struct tr_cl_backend *b = NULL;
    cl_int cle = CL_SUCCESS;
    int rc = 0;
    const int dbl = p->precision == TR_PRECISION_DOUBLE;
    const int vector = tr_cl_use_vector_kernel(p, dev);
    size_t bytes = (size_t)p->width * p->height * sizeof(uint16_t);
    const uint16_t zero = 0;

    *out = NULL;
    if (p->precision != prep->precision) {
        snprintf(err, errlen, "internal error: a %s run on a device prepared for %s",
                 tr_precision_name(p->precision), tr_precision_name(prep->precision));
        return TR_ERR_INTERNAL;
    }
    if (bytes > dev->max_alloc) {
        snprintf(err, errlen,
                 "a %ux%u frame needs %zu MiB in one buffer; '%s' allows %llu MiB (use a "
                 "smaller frame)",
                 p->width, p->height, bytes >> 20, dev->name,
                 (unsigned long long)(dev->max_alloc >> 20));
        return TR_ERR_DEVICE;
    }
    if (!(b = calloc(1, sizeof(*b)))) {
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    b->base.ops = &cl_ops;
    b->base.self = b;
    b->p = p;
    b->dev = dev;
    b->frame = frame;
    b->vector = vector;
    b->gate_from_callback = gate_from_callback();
    snprintf(b->kernel, sizeof(b->kernel), "mandelbrot_%s_%s", vector ? "vector" : "scalar",
             dbl ? "double" : "float");
    /* the run holds its own references: the device stays prepared while it runs */
    tr_cl_prepared_retain(prep);
    b->prepared = prep;
    CL_CHECK(clRetainContext(prep->ctx), "clRetainContext", dev, err, errlen);
    b->ctx = prep->ctx;
    CL_CHECK(clRetainProgram(prep->program), "clRetainProgram", dev, err, errlen);
    b->program = prep->program;

    b->queue = clCreateCommandQueue(b->ctx, dev->device, 0, &cle);
    CL_CHECK(cle, "clCreateCommandQueue", dev, err, errlen);
    b->counts = clCreateBuffer(b->ctx, CL_MEM_READ_WRITE, bytes, NULL, &cle);
    CL_CHECK(cle, "clCreateBuffer", dev, err, errlen);

    int64_t t0 = tr_now_ns();
    if ((rc = warm_up(b, err, errlen)) != 0)
        goto fail;
    /* Tiles the time limit leaves unrendered must read back as 0, as on the CPU path. */
    CL_CHECK(clEnqueueFillBuffer(b->queue, b->counts, &zero, sizeof(zero), 0, bytes, 0, NULL, NULL),
             "clEnqueueFillBuffer", dev, err, errlen);
    CL_CHECK(clFinish(b->queue), "clFinish", dev, err, errlen);
    info->warmup_ns = tr_now_ns() - t0;

    snprintf(info->name, sizeof(info->name), "%s", dev->name);
    snprintf(info->platform, sizeof(info->platform), "%s", dev->platform_name);
    snprintf(info->type, sizeof(info->type), "%s", tr_cl_type_name(dev->type));
    tr_cl_kernel_name(p, dev, info->kernel, sizeof(info->kernel));
    *out = b;
    return 0;
fail:
    tr_cl_backend_close(b);
    return rc;
}

enum tr_status tr_cl_backend_open(const struct tr_params *p, const struct tr_cl_device *dev,
                                  const char *kernel_dir, uint16_t *frame,
                                  struct tr_cl_backend **out, struct tr_device_info *info,
                                  char *err, size_t errlen)
{
    struct tr_cl_prepared *prep = NULL;
    const char *source;
    *out = NULL;
    int rc = tr_cl_prepare(dev, p->precision, kernel_dir, NULL, &prep, err, errlen);
    if (rc)
        return rc;
    tr_cl_prepared_build(prep, &info->build_ns, &source);
    snprintf(info->build_source, sizeof(info->build_source), "%s", source);
    rc = tr_cl_backend_open_prepared(p, prep, frame, out, info, err, errlen);
    tr_cl_prepared_release(prep); /* the run keeps its own reference */
    return rc;
}

const struct tr_backend *tr_cl_backend_base(const struct tr_cl_backend *b)
{
    return &b->base;
}

int64_t tr_cl_backend_readback_ns(const struct tr_cl_backend *b)
{
    return b->readback_ns;
}

void tr_cl_backend_close(struct tr_cl_backend *b)
{
    if (!b)
        return;
    if (b->program)
        clReleaseProgram(b->program);
    if (b->counts)
        clReleaseMemObject(b->counts);
    if (b->queue)
        clReleaseCommandQueue(b->queue);
    if (b->ctx)
        clReleaseContext(b->ctx);
    tr_cl_prepared_release(b->prepared);
    free(b);
}
