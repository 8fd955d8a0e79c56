/* tilerace-mpi: `tilerace run` across the ranks of an MPI job, the document from rank 0. */
#ifndef TILERACE_MPI_RUN_H
#define TILERACE_MPI_RUN_H

/* After MPI_Init_thread, which answered thread_level; returns the process's exit code (the
 * same on every rank). */
int tr_mpi_run(int argc, char **argv, int thread_level);

#endif
