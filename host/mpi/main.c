/* tilerace-mpi: one rank of a run across an MPI job (mpirun -np N tilerace-mpi [options]). */
#include <mpi.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/cache_dir.h"
#endif
#include "mpi/run.h"

int main(int argc, char **argv)
{
    int level = MPI_THREAD_SINGLE;
    /* The environment pocl reads is set before MPI starts its threads: setenv() is not
     * thread-safe. */
#ifdef TILERACE_HAVE_OPENCL
    tr_cl_prepare_environment();
#endif
    /* the lanes take tiles from the cluster-wide counter themselves */
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &level) != MPI_SUCCESS)
        return 1;
    int rc = tr_mpi_run(argc, argv, level);
    MPI_Finalize();
    return rc;
}
