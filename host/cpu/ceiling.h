/*
 * The ceiling micro-benchmark: the CPU kernel's inner loop with every lane always busy (no
 * escapes, no refills), on several threads at once. What this machine can do for this loop,
 * the yardstick for the renderers' Giga-iterations per second.
 */
#ifndef TILERACE_CPU_CEILING_H
#define TILERACE_CPU_CEILING_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "cpu/kernels.h"

struct tr_ceiling_result {
    enum tr_cpu_isa isa;
    enum tr_precision precision;
    uint32_t threads;
    uint64_t iterations; /* lane-iterations done by all threads together */
    int64_t elapsed_ns;  /* from the common start to the last thread's end */
    double giga_iterations_per_s;
};

/*
 * Runs the loop for about `steps` iterations per lane on each of `threads` threads (1..256).
 * Returns 0, TR_ERR_DEVICE if the processor lacks the ISA, TR_ERR_USAGE for a bad count,
 * or TR_ERR_INTERNAL, with a one-line message in err.
 */
enum tr_status tr_cpu_ceiling(enum tr_cpu_isa isa, enum tr_precision precision, uint32_t threads,
                              uint64_t steps, struct tr_ceiling_result *out, char *err,
                              size_t errlen);

#endif
