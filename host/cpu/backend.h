/* The pthread backend: renders tiles straight into the host frame, or into the buffer a tile
 * carries (tr_tile.slot) in a run without one. */
#ifndef TILERACE_CPU_RUNNER_H
#define TILERACE_CPU_RUNNER_H

#include "core/params.h"
#include "core/scheduler.h"
#include "core/status.h"
#include "cpu/kernels.h"

struct tr_cpu_backend {
    struct tr_backend base;
    struct tr_frame_desc frame;
    uint16_t *counts; /* the frame's; NULL in a run without a frame */
    tr_tile_fn render;
    const char *kernel_name; /* what runs: "avx512-double", "scalar-float", ... */
};

/* Picks the kernel for p->kernel, p->precision and $TILERACE_CPU_ISA (see cpu_kernels.h);
 * returns 0 or a status with a one-line message in err. */
enum tr_status tr_cpu_backend_init(struct tr_cpu_backend *b, const struct tr_params *p,
                                   uint16_t *frame, char *err, size_t errlen);

/* The same with isa named ("avx2", as tr_cpu_isa_parse reads it) for a vector kernel, in place
 * of the best one or $TILERACE_CPU_ISA's; --kernel scalar stays scalar. TR_ERR_USAGE for an
 * unknown name, TR_ERR_DEVICE for one this processor lacks. */
enum tr_status tr_cpu_backend_init_isa(struct tr_cpu_backend *b, const struct tr_params *p,
                                       uint16_t *frame, const char *isa, char *err, size_t errlen);

/* The processor's model name, for summary.device. */
void tr_cpu_model_name(char *buf, size_t len);
/* Its vendor ("AuthenticAMD", "GenuineIntel"), or "unknown". */
void tr_cpu_vendor(char *buf, size_t len);

#endif
