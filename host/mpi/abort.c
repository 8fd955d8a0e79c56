#include "mpi/abort.h"

#include <stdlib.h>

#include "cli/exit_codes.h"
#include "cli/usage.h"

_Noreturn void tr_mpi_abort(MPI_Comm comm, const char *no_memory_for)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    tr_cli_fail(TR_EXIT_FAILURE, "rank %d: out of memory for %s: ending every rank (MPI_Abort)",
                rank, no_memory_for);
    MPI_Abort(comm, TR_EXIT_FAILURE);
    exit(TR_EXIT_FAILURE); /* MPI_Abort does not return */
}
