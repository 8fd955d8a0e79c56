#include "mpi/span.h"

#include <stdlib.h>
#include <time.h>

/* How often a rank looks at rank 0's limit flag while the run lasts. */
#define WATCH_PERIOD_NS 1000000

static int join(void *arg, uint32_t lanes, int failed, uint32_t *first_lane, uint32_t *all_lanes)
{
    struct tr_mpi_span *s = arg;
    uint32_t mine[2] = {lanes, failed ? 1u : 0u};
    uint32_t *all = s->joined;
    int any_failed = 1;
    if (MPI_Allgather(mine, 2, MPI_UINT32_T, all, 2, MPI_UINT32_T, s->comm) == MPI_SUCCESS) {
        uint32_t before = 0, total = 0;
        any_failed = 0;
        for (int r = 0; r < s->size; r++) {
            s->lanes[r] = all[2 * r];
            any_failed |= all[2 * r + 1] != 0;
            if (r < s->rank)
                before += all[2 * r];
            total += all[2 * r];
        }
        *first_lane = before;
        *all_lanes = total;
    }
    s->stage = 1;
    return any_failed;
}

static void *watch(void *arg)
{
    struct tr_mpi_span *s = arg;
    const struct timespec period = {0, WATCH_PERIOD_NS};
    while (atomic_load(&s->watching)) {
        int64_t seen = 0;
        MPI_Fetch_and_op(NULL, &seen, MPI_INT64_T, 0, 1, MPI_NO_OP, s->win);
        MPI_Win_flush(0, s->win);
        if (seen) {
            atomic_store(&s->limit_elsewhere, 1);
            break;
        }
        nanosleep(&period, NULL);
    }
    return NULL;
}

static int before_origin(void *arg, int failed)
{
    struct tr_mpi_span *s = arg;
    int mine = failed != 0, any = 1;
    /* the barrier: every rank's lanes are ready when it returns */
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, s->comm);
    s->stage = 2;
    if (!any && s->watch_limit) {
        atomic_store(&s->watching, 1);
        s->watcher_started = pthread_create(&s->watcher, NULL, watch, s) == 0;
    }
    return any;
}

static int64_t next_tile(void *arg)
{
    struct tr_mpi_span *s = arg;
    const int64_t one = 1;
    int64_t id = -1;
    if (MPI_Fetch_and_op(&one, &id, MPI_INT64_T, 0, 0, MPI_SUM, s->win) != MPI_SUCCESS ||
        MPI_Win_flush(0, s->win) != MPI_SUCCESS)
        return -1;
    return id;
}

static void limit_passed(void *arg)
{
    struct tr_mpi_span *s = arg;
    const int64_t one = 1;
    int64_t was = 0;
    MPI_Fetch_and_op(&one, &was, MPI_INT64_T, 0, 1, MPI_REPLACE, s->win);
    MPI_Win_flush(0, s->win);
}

int tr_mpi_span_init(struct tr_mpi_span *s, MPI_Comm comm, int time_limited)
{
    s->comm = comm;
    MPI_Comm_rank(comm, &s->rank);
    MPI_Comm_size(comm, &s->size);
    s->stage = 0;
    s->watch_limit = time_limited && s->size > 1;
    s->watcher_started = 0;
    atomic_init(&s->limit_elsewhere, 0);
    atomic_init(&s->watching, 0);
    s->lanes = calloc((size_t)s->size, sizeof(*s->lanes));
    s->joined = calloc(2 * (size_t)s->size, sizeof(*s->joined));
    MPI_Aint bytes = s->rank == 0 ? 2 * (MPI_Aint)sizeof(int64_t) : 0;
    int ok = MPI_Win_allocate(bytes, sizeof(int64_t), MPI_INFO_NULL, comm, &s->win_base, &s->win) ==
             MPI_SUCCESS;
    if (ok && s->rank == 0)
        s->win_base[0] = s->win_base[1] = 0;
    /* the zeroes are in place before any rank reads them */
    ok = ok && MPI_Barrier(comm) == MPI_SUCCESS &&
         MPI_Win_lock_all(MPI_MODE_NOCHECK, s->win) == MPI_SUCCESS;
    if (!ok || !s->lanes || !s->joined) {
        free(s->lanes);
        free(s->joined);
        return -1;
    }
    s->hooks =
        (struct tr_lane_span){join, before_origin, next_tile, limit_passed, &s->limit_elsewhere, s};
    return 0;
}

void tr_mpi_span_catch_up(struct tr_mpi_span *s, int failed)
{
    uint32_t first, all;
    if (s->stage < 1)
        join(s, 0, failed, &first, &all);
    if (s->stage < 2)
        before_origin(s, failed);
}

void tr_mpi_span_end(struct tr_mpi_span *s)
{
    if (s->watcher_started) {
        atomic_store(&s->watching, 0);
        pthread_join(s->watcher, NULL);
        s->watcher_started = 0;
    }
}

void tr_mpi_span_destroy(struct tr_mpi_span *s)
{
    tr_mpi_span_end(s);
    MPI_Win_unlock_all(s->win);
    MPI_Win_free(&s->win);
    free(s->lanes);
    free(s->joined);
    s->lanes = s->joined = NULL;
}
