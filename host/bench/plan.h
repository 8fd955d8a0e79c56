/*
 * What a bench runs: one case per workload x device x kernel x precision x mode, from the
 * lists the options gave (or the defaults), with the combinations a device cannot run left
 * out and said why.
 */
#ifndef TILERACE_BENCH_PLAN_H
#define TILERACE_BENCH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "bench/devices.h"
#include "bench/list.h"
#include "bench/workloads.h"
#include "core/params.h"
#include "core/status.h"

#define TR_BENCH_MAX_WORKLOADS 16
#define TR_BENCH_MAX_SKIPPED   64

struct tr_bench_case {
    const struct tr_bench_workload *workload;
    const struct tr_bench_device *device;
    char kernel[16]; /* as asked: scalar, sse2, avx2, avx512, vector, auto */
    int auto_pick;   /* auto, or on the CPU path the instruction set auto runs */
    enum tr_precision precision;
    enum tr_mode mode;
    uint32_t threads; /* 1 for sequential */
};

struct tr_bench_selection {
    const struct tr_bench_list *workloads, *kernels, *modes, *precisions; /* NULL: default */
    int quick;
    uint32_t threads; /* for concurrent and dynamic */
};

struct tr_bench_plan {
    struct tr_bench_workload workloads[TR_BENCH_MAX_WORKLOADS];
    size_t n_workloads;
    struct tr_bench_case *cases;
    size_t n_cases;
    char skipped[TR_BENCH_MAX_SKIPPED][160]; /* "opencl:0.0 avx2: ..." */
    size_t n_skipped;
};

/*
 * Fills plan for devs (which must outlive it). Returns 0; TR_ERR_USAGE for a name that is not
 * a workload, kernel, mode or precision; TR_ERR_DEVICE for an instruction set this processor
 * lacks; TR_ERR_INTERNAL when out of memory; with a one-line message in err.
 */
enum tr_status tr_bench_plan_make(const struct tr_bench_selection *sel,
                                  const struct tr_bench_devices *devs, struct tr_bench_plan *plan,
                                  char *err, size_t errlen);
void tr_bench_plan_free(struct tr_bench_plan *plan);

/* The run's parameters and the CPU instruction set to force (NULL: none) for a case. */
void tr_bench_case_params(const struct tr_bench_case *c, struct tr_params *p, const char **cpu_isa);

#endif
