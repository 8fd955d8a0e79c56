/* One complete run: allocate the frame, open the chosen device, schedule the tiles. */
#ifndef TILERACE_JOB_H
#define TILERACE_JOB_H

#include <stdint.h>

#include "core/params.h"
#include "core/scheduler.h"

struct tr_device_info {
    char selector[TR_DEVICE_LIST_MAXLEN]; /* what --device said (for this device: its entry) */
    char resolved[TR_DEVICE_MAXLEN];      /* "cpu", "opencl:P.D": the records' device field */
    uint32_t lanes;                       /* lanes it was given */
    char name[256];
    char platform[256];
    char type[16];         /* "CPU", "GPU", "ACCELERATOR" */
    char kernel[48];       /* which kernel rendered the tiles */
    int64_t build_ns;      /* OpenCL program build; 0 on the pthread path */
    char build_source[12]; /* "source", "binary" (saved), "prepared" (earlier), "none" */
    int64_t warmup_ns;     /* first launch of each tile shape, before the clock starts */
    int64_t readback_ns;   /* final frame read-back; 0 on the pthread path */
    int64_t first_tile_ns; /* from the job's start (device set-up included) to the first tile */
};

/* One process of a run across processes (tilerace-mpi's ranks): summary.ranks. */
struct tr_rank_info {
    char host[256];
    char devices[TR_DEVICE_LIST_MAXLEN]; /* its --device */
    uint32_t first_device, n_devices;    /* its entries in the job's devices */
    uint32_t lanes;                      /* lanes that ran */
    uint64_t tiles, pixels, iterations;
    int64_t elapsed_ns;   /* its origin to its last lane's end */
    uint64_t sent_bytes;  /* its tiles' records and counts, sent to rank 0 as they finished */
    int64_t send_ns;      /* its output thread's time sending them */
    uint64_t max_rss_kib; /* its peak resident memory when its run had ended */
};

struct tr_device_cache; /* devices/device_cache.h */

struct tr_job_options {
    const char *kernel_dir;   /* load kernels from here instead of the embedded copy */
    const char *device_label; /* names the device in messages: "--device" (default), "device" */
    /* hooks.tile_slots: a run without a frame (job->frame stays NULL; see tr_run_hooks) */
    struct tr_run_hooks hooks;
    struct tr_device_cache *devices; /* prepared OpenCL devices to run on; NULL: prepare one */
    /* CPU path with a vector kernel: this instruction set ("avx2") instead of the best one or
     * $TILERACE_CPU_ISA's; NULL: theirs. For comparing the kernels in one process. */
    const char *cpu_isa;
};

struct tr_job {
    struct tr_params params;
    uint16_t *frame;     /* width * height counts; unrendered tiles stay 0; NULL with
                            hooks.tile_slots */
    size_t frame_mapped; /* bytes mapped for a large frame (tr_job_frame_alloc), else 0 */
    struct tr_run run;
    struct tr_device_info device; /* the device; the first of several, selector the list */
    struct tr_device_info devices[TR_MAX_DEVICES]; /* each in the list's order */
    uint32_t n_devices;
    /* A run across processes: each one's share, in rank order; NULL otherwise. */
    const struct tr_rank_info *ranks;
    uint32_t n_ranks;
    int64_t gather_ns; /* the ranks' end to rank 0 holding the frame, records, checksum */
};

/*
 * Allocates job->frame, zeroed. A large frame gets its own mapping on a 2 MiB boundary,
 * advised for huge pages: a few page faults instead of thousands, each of which costs
 * microseconds on a VM. Returns 0, or -1 when out of memory.
 */
int tr_job_frame_alloc(struct tr_job *job, size_t pixels);
void tr_job_free(struct tr_job *job);

#endif
