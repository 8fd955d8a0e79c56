#include "mpi/tile_relay.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/pages.h"

/* The one tag of the relay's own communicator. An empty message: the sender's last. */
#define TAG_TILE 1

/*
 * A blocking MPI call spins a core while it waits (Open MPI polls), and the lanes need every
 * core, so the relay's waits look, sleep, and look again. Rank 0's receiving thread sleeps
 * this long whenever nothing has come (unless told that the ranks have ended): a tile reaches
 * it at most this much later than its sender let it go. Every wake-up is a context switch on
 * a CPU some lane needs (on a 2-core VM with 2 ranks of one lane, waking every 1, 4 or 8 ms
 * gave rates alike within the runs' spread once the senders' buffers were present before
 * the run; before that, waking every 1 ms cost 5-10% more than every 4 ms).
 */
#define RECEIVE_SLEEP_NS 4000000
/* A sender with no room for another message on its way sleeps this long between looks. */
#define SEND_SLEEP_NS 50000
/*
 * A sender gathers finished tiles into one message of up to BATCH_BYTES (or one tile, if
 * larger): each message costs both ends a few microseconds whatever its size (measured here:
 * 8 us at rank 0 for a message of one 64x64 tile). A tile waits in an unsent message at most
 * BATCH_AGE_NS, looked at by the output thread's poll every few milliseconds.
 */
#define BATCH_BYTES  (64u << 10)
#define BATCH_AGE_NS 1000000
/* A sender's messages on their way at once: up to this many, within this many bytes. */
#define SENDS_MAX   32
#define SENDS_BYTES (2u << 20)

static void sleep_ns(long ns)
{
    const struct timespec t = {0, ns};
    nanosleep(&t, NULL);
}

/* Completes the oldest sends that are done; each look also moves the others along (over some
 * transports a send progresses only inside MPI calls). */
static void retire_sends(struct tr_mpi_relay *r)
{
    int done = 1;
    while (r->in_flight > 0 && done) {
        MPI_Test(&r->sends[r->oldest], &done, MPI_STATUS_IGNORE);
        if (done) {
            r->oldest = (r->oldest + 1) % r->n_sends;
            r->in_flight--;
        }
    }
}

/* What init allocated, and the records received. */
static void relay_free(struct tr_mpi_relay *r)
{
    for (int i = 0; r->from && i < r->size; i++)
        free(r->from[i].records);
    free(r->from);
    free(r->ended);
    free(r->hosts);
    free(r->buf);
    tr_pages_free(r->send_bufs, r->send_mapped);
    free(r->sends);
    memset(r, 0, sizeof(*r));
}

int tr_mpi_relay_init(struct tr_mpi_relay *r, MPI_Comm comm, const struct tr_params *p,
                      const char *host)
{
    char mine[TR_MPI_HOST_MAXLEN] = "";
    memset(r, 0, sizeof(*r));
    MPI_Comm_rank(comm, &r->rank);
    MPI_Comm_size(comm, &r->size);
    r->width = p->width;
    r->height = p->height;
    r->tile_w = p->tile_w;
    r->tile_h = p->tile_h;
    /* the largest tile the grid has: a tile larger than the frame is clipped to it */
    size_t tile_w = p->tile_w < p->width ? p->tile_w : p->width;
    size_t tile_h = p->tile_h < p->height ? p->tile_h : p->height;
    size_t tile_bytes = sizeof(struct tr_relay_tile_head) + tile_w * tile_h * sizeof(uint16_t);
    r->buf_len = tile_bytes > BATCH_BYTES ? tile_bytes : BATCH_BYTES;
    if (r->rank != 0) {
        size_t n = SENDS_BYTES / r->buf_len;
        r->n_sends = n < 2 ? 2 : n > SENDS_MAX ? SENDS_MAX : (uint32_t)n;
        r->send_bufs = tr_pages_alloc((size_t)r->n_sends * r->buf_len, &r->send_mapped);
        r->sends = malloc(r->n_sends * sizeof(*r->sends));
        /* present before the run: a first write's page fault would be the output thread's,
         * on a CPU a lane needs */
        tr_touch_pages(r->send_bufs, (size_t)r->n_sends * r->buf_len);
        for (uint32_t i = 0; r->sends && i < r->n_sends; i++)
            r->sends[i] = MPI_REQUEST_NULL;
    } else {
        r->buf = malloc(r->buf_len);
        tr_touch_pages(r->buf, r->buf_len);
        r->hosts = calloc((size_t)r->size, sizeof(*r->hosts));
        r->from = calloc((size_t)r->size, sizeof(*r->from));
        r->ended = calloc((size_t)r->size, sizeof(*r->ended));
    }
    int ok = r->rank != 0 ? r->send_bufs && r->sends : r->buf && r->hosts && r->from && r->ended,
        all_ok = 0;
    snprintf(mine, sizeof(mine), "%s", host);
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, comm);
    if (all_ok) {
        MPI_Gather(mine, sizeof(mine), MPI_CHAR, r->hosts, sizeof(mine), MPI_CHAR, 0, comm);
        MPI_Comm_dup(comm, &r->comm);
        pthread_mutex_init(&r->outputs_lock, NULL);
        tr_cond_init_monotonic(&r->hurry_up);
        return 0;
    }
    relay_free(r);
    return -1;
}

/* Puts the message being filled on its way. */
static void flush_batch(struct tr_mpi_relay *r)
{
    if (r->batch_fill == 0)
        return;
    int64_t start = tr_now_ns();
    uint32_t slot = (r->oldest + r->in_flight) % r->n_sends;
    unsigned char *buf = r->send_bufs + (size_t)slot * r->buf_len;
    MPI_Isend(buf, (int)r->batch_fill, MPI_BYTE, 0, TAG_TILE, r->comm, &r->sends[slot]);
    r->in_flight++;
    r->sent_bytes += r->batch_fill;
    r->batch_fill = 0;
    retire_sends(r);
    while (r->in_flight == r->n_sends) { /* rank 0 is behind: wait for room for the next */
        sleep_ns(SEND_SLEEP_NS);
        retire_sends(r);
    }
    r->send_ns += tr_now_ns() - start;
}

/* A sending rank's output thread: the tile into the message being filled. */
static void send_tile(void *user, const struct tr_record *rec, const uint16_t *counts)
{
    struct tr_mpi_relay *r = user;
    size_t row = rec->tile_w * sizeof(uint16_t);
    size_t bytes = sizeof(struct tr_relay_tile_head) + row * rec->tile_h;
    if (r->batch_fill + bytes > r->buf_len)
        flush_batch(r);
    if (r->batch_fill == 0)
        r->batch_start_ns = tr_now_ns();
    unsigned char *buf = r->send_bufs +
                         (size_t)((r->oldest + r->in_flight) % r->n_sends) * r->buf_len +
                         r->batch_fill;
    struct tr_relay_tile_head head = {{rec->task_id, rec->thread_id, rec->tile_x, rec->tile_y,
                                       rec->tile_w, rec->tile_h, rec->device_index,
                                       (uint32_t)rec->stolen, rec->pixels_computed, rec->start_ns,
                                       rec->duration_ns, rec->device_time_ns},
                                      ""};
    snprintf(head.device, sizeof(head.device), "%s", rec->device ? rec->device : "");
    memcpy(buf, &head, sizeof(head));
    unsigned char *out = buf + sizeof(head);
    if (r->packed)
        memcpy(out, counts, row * rec->tile_h);
    else
        for (uint32_t y = 0; y < rec->tile_h; y++)
            memcpy(out + y * row, counts + (size_t)(rec->tile_y + y) * r->width + rec->tile_x, row);
    r->batch_fill += bytes;
}

/* A sending rank's output thread, every few milliseconds: sends a message that has waited. */
static void send_waiting(void *user)
{
    struct tr_mpi_relay *r = user;
    if (r->batch_fill && tr_now_ns() - r->batch_start_ns >= BATCH_AGE_NS)
        flush_batch(r);
    else
        retire_sends(r);
}

/* At rank 0, from its output thread: one of its own tiles, for its outputs. */
static void own_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    struct tr_mpi_relay *r = user;
    struct tr_record named = *rec;
    named.rank = 0;
    named.host = r->hosts[0];
    pthread_mutex_lock(&r->outputs_lock);
    r->outputs.on_tile(r->outputs.user, &named, frame);
    pthread_mutex_unlock(&r->outputs_lock);
}

/* At rank 0, from its output thread: its outputs' look at the run. */
static void own_poll(void *user)
{
    struct tr_mpi_relay *r = user;
    pthread_mutex_lock(&r->outputs_lock);
    r->outputs.poll(r->outputs.user);
    pthread_mutex_unlock(&r->outputs_lock);
}

/* Keeps a record rank `from` sent. Returns 0 or -1 (out of memory). */
static int keep(struct tr_relay_records *list, const struct tr_wire_record *w)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 256;
        struct tr_wire_record *grown = realloc(list->records, cap * sizeof(*grown));
        if (!grown)
            return -1;
        list->records = grown;
        list->cap = cap;
    }
    list->records[list->n++] = *w;
    return 0;
}

size_t tr_mpi_relay_tile_length(const struct tr_mpi_relay *r, const struct tr_relay_tile_head *h,
                                size_t bytes)
{
    const struct tr_wire_record *w = &h->record;
    if (w->tile_x >= r->width || w->tile_y >= r->height || w->tile_x % r->tile_w ||
        w->tile_y % r->tile_h)
        return 0;
    uint32_t cols = (r->width - 1) / r->tile_w + 1;
    uint32_t right = r->width - w->tile_x, below = r->height - w->tile_y;
    uint64_t id = (uint64_t)(w->tile_y / r->tile_h) * cols + w->tile_x / r->tile_w;
    size_t len = sizeof(*h) + (size_t)w->tile_w * w->tile_h * sizeof(uint16_t);
    int ok = w->task_id == id && w->tile_w == (r->tile_w < right ? r->tile_w : right) &&
             w->tile_h == (r->tile_h < below ? r->tile_h : below) && len <= bytes;
    return ok ? len : 0;
}

/* The tile at the start of a message from rank `from` (bytes left): its counts into the
 * frame, its record kept and shown. Returns its length, or 0 for no tile of this frame. */
static size_t receive_tile(struct tr_mpi_relay *r, int from, const unsigned char *msg, size_t bytes)
{
    struct tr_relay_tile_head head;
    if (bytes < sizeof(head))
        return 0;
    memcpy(&head, msg, sizeof(head));
    head.device[sizeof(head.device) - 1] = '\0';
    const struct tr_wire_record *w = &head.record;
    size_t len = tr_mpi_relay_tile_length(r, &head, bytes);
    if (len == 0)
        return 0;
    if (keep(&r->from[from], w) != 0) {
        r->out_of_memory = 1;
        return len;
    }
    /* No rank renders a tile before the run's origin, a barrier that rank 0 reaches with its
     * frame allocated; the frame lives until after tr_mpi_relay_finish. */
    uint16_t *frame = r->job->frame;
    const unsigned char *counts = msg + sizeof(head);
    size_t row = w->tile_w * sizeof(uint16_t);
    for (uint32_t y = 0; y < w->tile_h; y++)
        memcpy(frame + (size_t)(w->tile_y + y) * r->width + w->tile_x, counts + y * row, row);
    if (!r->outputs.on_tile)
        return len;
    struct tr_record rec = {w->task_id,     w->thread_id,      w->tile_x,     w->tile_y,
                            w->tile_w,      w->tile_h,         w->pixels,     w->start_ns,
                            w->duration_ns, w->device_time_ns, head.device,   w->device_index,
                            (int)w->stolen, (uint32_t)from,    r->hosts[from]};
    pthread_mutex_lock(&r->outputs_lock);
    r->outputs.on_tile(r->outputs.user, &rec, frame);
    pthread_mutex_unlock(&r->outputs_lock);
    return len;
}

static void *receive(void *arg)
{
    struct tr_mpi_relay *r = arg;
    int sending = r->size - 1;
    while (sending > 0) {
        MPI_Message msg;
        MPI_Status st;
        int bytes = 0;
        int found = 0;
        MPI_Improbe(MPI_ANY_SOURCE, TAG_TILE, r->comm, &found, &msg, &st);
        if (!found) {
            pthread_mutex_lock(&r->outputs_lock);
            if (!r->hurry)
                tr_cond_wait_until(&r->hurry_up, &r->outputs_lock, tr_now_ns() + RECEIVE_SLEEP_NS);
            pthread_mutex_unlock(&r->outputs_lock);
            continue;
        }
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        if (bytes == 0) {
            MPI_Mrecv(NULL, 0, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
            if (r->ended[st.MPI_SOURCE]) { /* only one last message a rank */
                r->bad_message = 1;
            } else {
                r->ended[st.MPI_SOURCE] = 1;
                sending--;
            }
        } else if ((size_t)bytes > r->buf_len) {
            /* no tile of this frame is that long: received and dropped, so the sender goes on */
            unsigned char *drop = malloc((size_t)bytes);
            MPI_Mrecv(drop, drop ? bytes : 0, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
            free(drop);
            r->bad_message = 1;
        } else {
            MPI_Mrecv(r->buf, bytes, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
            for (size_t at = 0, len; at < (size_t)bytes; at += len)
                if ((len = receive_tile(r, st.MPI_SOURCE, r->buf + at, (size_t)bytes - at)) == 0) {
                    r->bad_message = 1;
                    break;
                }
        }
    }
    return NULL;
}

int tr_mpi_relay_start(struct tr_mpi_relay *r, const struct tr_job *job, int packed,
                       struct tr_run_hooks *hooks)
{
    r->job = job;
    if (r->rank != 0) {
        r->packed = packed;
        hooks->on_tile = send_tile;
        hooks->poll = send_waiting;
        hooks->user = r;
        hooks->want_counts = 1;
        return 0;
    }
    r->outputs = *hooks;
    if (hooks->on_tile || hooks->poll) {
        hooks->on_tile = hooks->on_tile ? own_tile : NULL;
        hooks->poll = hooks->poll ? own_poll : NULL;
        hooks->user = r;
    }
    if (r->size > 1) {
        if (tr_thread_create_on(&r->receiver, hooks->helper_cpus, receive, r) != 0)
            return -1;
        r->receiver_started = 1;
    }
    return 0;
}

void tr_mpi_relay_finish(struct tr_mpi_relay *r)
{
    if (r->rank != 0) {
        flush_batch(r);
        int64_t start = tr_now_ns();
        for (retire_sends(r); r->in_flight > 0; retire_sends(r))
            sleep_ns(SEND_SLEEP_NS);
        MPI_Request last;
        int done = 0;
        MPI_Isend(NULL, 0, MPI_BYTE, 0, TAG_TILE, r->comm, &last);
        while (MPI_Test(&last, &done, MPI_STATUS_IGNORE), !done)
            sleep_ns(SEND_SLEEP_NS);
        r->send_ns += tr_now_ns() - start;
    } else if (r->size > 1) {
        /* every rank has ended: what is still on its way is there to be taken now */
        pthread_mutex_lock(&r->outputs_lock);
        r->hurry = 1;
        pthread_cond_signal(&r->hurry_up);
        pthread_mutex_unlock(&r->outputs_lock);
        if (r->receiver_started)
            pthread_join(r->receiver, NULL);
        else
            receive(r); /* no thread: here, once this rank's run is over */
    }
    r->receiver_started = 0;
}

void tr_mpi_relay_destroy(struct tr_mpi_relay *r)
{
    MPI_Comm_free(&r->comm);
    pthread_cond_destroy(&r->hurry_up);
    pthread_mutex_destroy(&r->outputs_lock);
    relay_free(r);
}
