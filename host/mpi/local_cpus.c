#include "mpi/local_cpus.h"

#include <stdlib.h>
#include <string.h>

#include "cli/exit_codes.h"
#include "core/device_spec.h"
#include "core/options.h"
#include "mpi/abort.h"

uint32_t tr_local_pin_first(const struct tr_local_share *shares, uint32_t k)
{
    uint32_t first = 0;
    for (uint32_t j = 0; j < k; j++)
        if (CPU_EQUAL(&shares[j].cpus, &shares[k].cpus))
            first += shares[j].lanes;
    return first;
}

uint32_t tr_local_lanes(const struct tr_params *p)
{
    struct tr_device_list list;
    char why[400];
    return tr_device_list_parse(p->device, TR_MAX_THREADS, &list, why, sizeof(why)) == 0
               ? tr_device_list_lanes(&list, p->num_threads)
               : 0;
}

int tr_local_cpus_taken(const struct tr_local_share *shares, uint32_t n, uint32_t k)
{
    uint64_t lanes = 0;
    for (uint32_t j = 0; j < n; j++)
        if (CPU_EQUAL(&shares[j].cpus, &shares[k].cpus))
            lanes += shares[j].lanes;
    return lanes >= (uint64_t)CPU_COUNT(&shares[k].cpus);
}

/* This rank's lanes and the CPUs it may use. Returns whether those are known. */
static int own_share(const struct tr_params *p, struct tr_local_share *mine)
{
    memset(mine, 0, sizeof(*mine)); /* padding included: it is sent as bytes */
    mine->lanes = tr_local_lanes(p);
    return sched_getaffinity(0, sizeof(mine->cpus), &mine->cpus) == 0;
}

int tr_local_cpus_first(MPI_Comm comm, const struct tr_params *p, uint32_t *pin_first,
                        int *cpus_taken)
{
    struct tr_local_share mine;
    MPI_Comm local;
    int k = 0, n = 1;
    *pin_first = 0;
    *cpus_taken = 0;
    int known = own_share(p, &mine);
    /* every rank takes part whatever it knows: the exchange is collective */
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(local, &k);
    MPI_Comm_size(local, &n);
    struct tr_local_share *shares = calloc((size_t)n, sizeof(*shares));
    /* no memory for a few bytes per rank: the others would wait in the gather for ever */
    if (!shares)
        tr_mpi_abort(comm, "the CPUs of its host's ranks");
    MPI_Allgather(&mine, sizeof(mine), MPI_BYTE, shares, sizeof(mine), MPI_BYTE, local);
    *pin_first = tr_local_pin_first(shares, (uint32_t)k);
    *cpus_taken = known && tr_local_cpus_taken(shares, (uint32_t)n, (uint32_t)k);
    free(shares);
    MPI_Comm_free(&local);
    return known ? 0 : -1;
}

void tr_local_cpus_warn_narrow(MPI_Comm comm, const struct tr_params *p, FILE *err)
{
    struct tr_local_share share;
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    uint32_t mine[2] = {0, 0}; /* lanes, CPUs */
    if (own_share(p, &share) && share.lanes) {
        mine[0] = share.lanes;
        mine[1] = (uint32_t)CPU_COUNT(&share.cpus);
    }
    uint32_t *all = rank == 0 ? calloc((size_t)size, sizeof(mine)) : NULL;
    if (rank == 0 && !all) /* the others would wait in the gather for ever */
        tr_mpi_abort(comm, "the ranks' lane counts");
    MPI_Gather(mine, 2, MPI_UINT32_T, all, 2, MPI_UINT32_T, 0, comm);
    int first = -1, narrow = 0;
    for (int r = 0; rank == 0 && r < size; r++)
        if (all[2 * r + 1] && all[2 * r] > all[2 * r + 1]) {
            narrow++;
            if (first < 0)
                first = r;
        }
    if (first >= 0 && err)
        fprintf(err,
                "tilerace: rank %d has %u lanes and may use %u CPU%s (%d rank%s so bound): "
                "its lanes take turns; launch with mpirun --bind-to none, or give each rank "
                "as many CPUs as lanes (--map-by slot:PE=N)\n",
                first, all[2 * first], all[2 * first + 1], all[2 * first + 1] == 1 ? "" : "s",
                narrow, narrow == 1 ? "" : "s");
    free(all);
}
