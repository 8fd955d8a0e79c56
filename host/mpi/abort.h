/* The last resort of a rank that cannot go on while the others wait for it in a collective. */
#ifndef TILERACE_MPI_ABORT_H
#define TILERACE_MPI_ABORT_H

#include <mpi.h>

/* Says on stderr that this rank ends the whole run, and why (what it had no memory for),
 * then ends every rank of comm with exit code 1 (MPI_Abort). */
_Noreturn void tr_mpi_abort(MPI_Comm comm, const char *no_memory_for);

#endif
