/*
 * The points where the ranks of an MPI run meet inside the scheduler (core's tr_lane_span):
 * the lanes' place in the cluster's list, the barrier before the common origin, the
 * cluster-wide tile counter and the time-limit flag, both on a window at rank 0.
 */
#ifndef TILERACE_MPI_SPAN_H
#define TILERACE_MPI_SPAN_H

#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/scheduler.h"

struct tr_mpi_span {
    MPI_Comm comm;
    int rank, size;
    MPI_Win win; /* at rank 0: [0] the next free tile, [1] the limit passed */
    int64_t *win_base;
    int watch_limit;  /* a time limit, and other ranks to hear of it */
    int stage;        /* collectives done: 1 join, 2 the origin */
    uint32_t *lanes;  /* each rank's lanes (size entries), after the join */
    uint32_t *joined; /* the join's gather: each rank's lanes and whether it failed */
    atomic_int limit_elsewhere;
    atomic_int watching;
    pthread_t watcher;
    int watcher_started;
    struct tr_lane_span hooks;
};

/* Collective. Returns 0 or -1 (out of memory, no window): then nothing is to be destroyed. */
int tr_mpi_span_init(struct tr_mpi_span *s, MPI_Comm comm, int time_limited);
/* The collectives a rank that failed before or inside its run has not made yet, so every
 * rank stays in step; failed: it failed. */
void tr_mpi_span_catch_up(struct tr_mpi_span *s, int failed);
/* After the run: stops the watcher. */
void tr_mpi_span_end(struct tr_mpi_span *s);
/* Collective. */
void tr_mpi_span_destroy(struct tr_mpi_span *s);

#endif
