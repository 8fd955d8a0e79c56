/*
 * Finished tiles on their way to rank 0 while the run lasts: each rank's output thread sends
 * a tile's record and counts as soon as it has them, and a thread at rank 0 puts the counts
 * into rank 0's frame and hands the tile to rank 0's outputs (--stream's lines, the progress
 * bar) as if one of its own lanes had rendered it. So rank 0 holds the frame and the records
 * when the lanes end, and no other rank needs a frame of its own.
 */
#ifndef TILERACE_MPI_TILE_RELAY_H
#define TILERACE_MPI_TILE_RELAY_H

#include <mpi.h>
#include <pthread.h>
#include <stdint.h>

#include "core/job.h"
#include "core/params.h"
#include "core/scheduler.h"

#define TR_MPI_HOST_MAXLEN 256

/* A finished tile's record as it travels; device_index is in its rank's own device list. */
struct tr_wire_record {
    uint32_t task_id, thread_id, tile_x, tile_y, tile_w, tile_h, device_index, stolen;
    uint64_t pixels;
    int64_t start_ns, duration_ns, device_time_ns;
};

/* A tile in a message to rank 0: this header, then its counts, row by row (tile_w *
 * tile_h). A message holds one or more. */
struct tr_relay_tile_head {
    struct tr_wire_record record;
    char device[TR_DEVICE_MAXLEN]; /* the resolved selector of the device that rendered it */
};

/* At rank 0: the records one rank sent. */
struct tr_relay_records {
    struct tr_wire_record *records;
    size_t n, cap;
};

struct tr_mpi_relay {
    MPI_Comm comm; /* a duplicate of the run's: tiles never meet its other messages */
    int rank, size;
    uint32_t width, height, tile_w, tile_h;
    size_t buf_len; /* one message at most: tiles, each its header and counts */
    /* a sending rank */
    int packed;               /* on_tile's counts are the tile's alone, not the frame's */
    unsigned char *send_bufs; /* n_sends messages of buf_len bytes, each until its send ends */
    size_t send_mapped;       /* tr_pages_alloc's */
    MPI_Request *sends;       /* a ring: in_flight sends from oldest on, then the one filling */
    uint32_t n_sends, oldest, in_flight;
    size_t batch_fill;      /* bytes of tiles in the message being filled */
    int64_t batch_start_ns; /* when its first tile came */
    uint64_t sent_bytes;
    int64_t send_ns; /* the output thread's time in MPI calls and waiting for room to send */
    /* rank 0 */
    const struct tr_job *job;          /* whose frame receives the others' tiles */
    unsigned char *buf;                /* the message being read */
    char (*hosts)[TR_MPI_HOST_MAXLEN]; /* every rank's */
    struct tr_relay_records *from;     /* by rank */
    unsigned char *ended;              /* by rank: its last message came */
    struct tr_run_hooks outputs;       /* rank 0's own consumer of finished tiles */
    pthread_mutex_t outputs_lock;      /* its tiles come from two threads; guards hurry too */
    pthread_cond_t hurry_up;           /* wakes the receiving thread from its sleep */
    int hurry;                         /* the ranks have ended: look without sleeping */
    pthread_t receiver;
    int receiver_started;
    int out_of_memory; /* a record could not be kept: the run fails */
    int bad_message;   /* a message that is no tile of this frame: the run fails */
};

/* Collective, after every rank has the same frame parameters. host: this rank's name.
 * Returns 0 or -1 (out of memory). */
int tr_mpi_relay_init(struct tr_mpi_relay *r, MPI_Comm comm, const struct tr_params *p,
                      const char *host);

/*
 * Installs the relay in hooks before job's run. A sending rank: its finished tiles go to rank
 * 0 (packed: the run hands on_tile each tile's counts alone, not the frame). Rank 0: hooks'
 * consumer, set by its outputs, is kept and sees every rank's tiles; the receiving thread
 * starts, writing other ranks' counts into job's frame, on hooks' helper_cpus (NULL: any).
 * Returns 0, or -1 at rank 0 when the thread cannot start (then tr_mpi_relay_finish receives
 * in its place).
 */
int tr_mpi_relay_start(struct tr_mpi_relay *r, const struct tr_job *job, int packed,
                       struct tr_run_hooks *hooks);

/* After this rank's run, whatever its result: a sending rank says it has sent its last tile.
 * Rank 0 waits until every rank has (call it there after the other ranks' runs have ended, so
 * that the wait measures what is still on its way). */
void tr_mpi_relay_finish(struct tr_mpi_relay *r);

/* Collective. */
void tr_mpi_relay_destroy(struct tr_mpi_relay *r);

/*
 * Whether a message's bytes left, starting with header h, hold a whole tile of r's frame
 * (r's width, height, tile_w and tile_h): one the grid has, with its own task_id and
 * clipped size, its counts within those bytes. Returns its length then, else 0.
 */
size_t tr_mpi_relay_tile_length(const struct tr_mpi_relay *r, const struct tr_relay_tile_head *h,
                                size_t bytes);

#endif
