/*
 * The CPUs of one host shared out between the lanes of the ranks on it: the ranks of a host
 * (MPI_COMM_TYPE_SHARED) tell each other their lane counts and the CPUs they may use, and the
 * rank with local rank k pins its lanes to the CPUs after those of the lanes of local ranks
 * 0..k-1 that may use the same CPUs (the scheduler's pin_first), round-robin. When those
 * ranks have more lanes in all than the CPUs, the numbering wraps around: every CPU then has
 * the same number of lanes, give or take one, and the kernel shares each CPU between its
 * lanes, which cannot move to another CPU.
 */
#ifndef TILERACE_MPI_LOCAL_CPUS_H
#define TILERACE_MPI_LOCAL_CPUS_H

#include <mpi.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "core/params.h"

/* What one rank of a host tells the others. */
struct tr_local_share {
    uint32_t lanes;
    cpu_set_t cpus; /* the CPUs the rank may use (sched_getaffinity) */
};

/*
 * The place of local rank k's first lane in the round-robin over its CPUs: the lanes of the
 * local ranks before it (0..k-1) that may use exactly the same CPUs. Ranks that an mpirun
 * binding gave CPUs of their own (--bind-to core) start at 0 each; ranks sharing a socket
 * or the whole host follow one another.
 */
uint32_t tr_local_pin_first(const struct tr_local_share *shares, uint32_t k);

/*
 * Whether the lanes of the n local ranks that may use exactly local rank k's CPUs are at least
 * as many as those CPUs: then no CPU is left for the ranks' other threads, and each rank's
 * are best kept to its own lanes' CPUs.
 */
int tr_local_cpus_taken(const struct tr_local_share *shares, uint32_t n, uint32_t k);

/* This rank's lanes, from p's device list; 0 when it does not parse (the run refuses it). */
uint32_t tr_local_lanes(const struct tr_params *p);

/*
 * Collective over comm: this rank's lanes (from p's device list, 0 when it does not parse:
 * the run refuses it later) and CPUs go to the ranks on its host, *pin_first gets its place
 * and *cpus_taken tr_local_cpus_taken's answer. Returns 0, or -1 when this process's CPUs
 * cannot be read (the lanes are then best left unpinned).
 */
int tr_local_cpus_first(MPI_Comm comm, const struct tr_params *p, uint32_t *pin_first,
                        int *cpus_taken);

/*
 * Collective over comm, after tr_local_cpus_first's exchange: at rank 0, one line on err
 * when some rank has more lanes than CPUs it may use (mpirun binds a rank to one core unless
 * told otherwise, and its lanes would then take turns on that core).
 */
void tr_local_cpus_warn_narrow(MPI_Comm comm, const struct tr_params *p, FILE *err);

#endif
