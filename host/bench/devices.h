/* The devices a bench compares: the ones --device names, or the CPU path and every OpenCL
 * device this machine has. */
#ifndef TILERACE_BENCH_DEVICES_H
#define TILERACE_BENCH_DEVICES_H

#include <stddef.h>

#include "bench/list.h"
#include "core/params.h"
#include "core/status.h"

#define TR_BENCH_MAX_DEVICES 16

struct tr_bench_device {
    char selector[TR_DEVICE_MAXLEN]; /* as --device gave it, else "cpu" or "opencl:P.D" */
    char name[256];
    char type[16]; /* "CPU", "GPU", "ACCELERATOR" */
    int cpu_path;  /* the pthread path, not OpenCL */
    int fp64;      /* renders double precision */
};

struct tr_bench_devices {
    struct tr_bench_device d[TR_BENCH_MAX_DEVICES];
    size_t n;
    char note[256]; /* why no OpenCL device is compared, when none is; else "" */
};

/*
 * The devices wanted names (NULL: all there are). Returns 0; TR_ERR_USAGE for a selector
 * that is not one or two that name one device; TR_ERR_DEVICE for one that names no device;
 * with a one-line message in err.
 */
enum tr_status tr_bench_devices_find(const struct tr_bench_list *wanted,
                                     struct tr_bench_devices *out, char *err, size_t errlen);

#endif
