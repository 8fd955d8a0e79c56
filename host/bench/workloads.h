/*
 * The frames `tilerace bench` renders: named workloads, each chosen for what it shows, and
 * frames given as numbers (WxH/ITER[/TILE]).
 */
#ifndef TILERACE_BENCH_WORKLOADS_H
#define TILERACE_BENCH_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>

struct tr_bench_workload {
    char name[48]; /* "default", or "1024x768/500" for a frame given as numbers */
    uint32_t width, height, max_iter, tile_w, tile_h;
    const char *about; /* what it measures; NULL for a frame given as numbers */
    int in_full;       /* rendered when --workload is not given */
    int in_quick;      /* ... with --quick */
};

extern const struct tr_bench_workload tr_bench_workloads[];
extern const size_t tr_bench_workload_count;

/*
 * A workload by name, or a frame as WxH/ITER or WxH/ITER/TILE (square tiles, 64 without).
 * Returns 0, or TR_ERR_USAGE with a message naming the text and what is accepted.
 */
int tr_bench_workload_parse(const char *text, struct tr_bench_workload *out, char *err,
                            size_t errlen);

#endif
