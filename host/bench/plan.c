#include "bench/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_escape.h"
#include "cpu/kernels.h"

static const char *const kernel_names[] = {"scalar", "sse2", "avx2", "avx512", "vector", "auto"};
#define N_KERNEL_NAMES (sizeof(kernel_names) / sizeof(kernel_names[0]))

static int is_isa(const char *k)
{
    enum tr_cpu_isa isa;
    return tr_cpu_isa_parse(k, &isa) == 0 && isa != TR_CPU_ISA_SCALAR;
}

static int bad_name(const char *option, const char *item, const char *accepted, char *err,
                    size_t errlen)
{
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    snprintf(err, errlen, "%s: %s is not one of the accepted values (%s)", option,
             tr_text_quote(q, sizeof(q), item, TR_ECHO_CHARS), accepted);
    return TR_ERR_USAGE;
}

static int check_kernels(const struct tr_bench_list *kernels, char *err, size_t errlen)
{
    for (size_t i = 0; i < kernels->n; i++) {
        const char *k = kernels->items[i];
        size_t j = 0;
        while (j < N_KERNEL_NAMES && strcmp(k, kernel_names[j]) != 0)
            j++;
        if (j == N_KERNEL_NAMES)
            return bad_name("--kernel", k, "scalar, sse2, avx2, avx512, vector, auto", err, errlen);
        enum tr_cpu_isa isa;
        if (is_isa(k) && tr_cpu_isa_parse(k, &isa) == 0 && !tr_cpu_isa_supported(isa)) {
            char have[64] = "";
            for (int s = TR_CPU_ISA_COUNT - 1; s > 0; s--)
                if (tr_cpu_isa_supported((enum tr_cpu_isa)s)) {
                    strncat(have, have[0] ? ", " : "", sizeof(have) - strlen(have) - 1);
                    strncat(have, tr_cpu_isa_name((enum tr_cpu_isa)s),
                            sizeof(have) - strlen(have) - 1);
                }
            snprintf(err, errlen,
                     "--kernel: '%s' is not supported by this processor or build "
                     "(supported: %s)",
                     k, have[0] ? have : "none");
            return TR_ERR_DEVICE;
        }
    }
    return 0;
}

/* The kernels a device runs: those asked for that it has, or its defaults. */
static size_t device_kernels(const struct tr_bench_device *d, const struct tr_bench_list *asked,
                             int quick, const char *out[N_KERNEL_NAMES])
{
    size_t n = 0;
    if (asked) {
        for (size_t i = 0; i < asked->n; i++)
            if (d->cpu_path || !is_isa(asked->items[i]))
                out[n++] = asked->items[i];
        return n;
    }
    out[n++] = "scalar";
    if (quick) {
        out[n++] = "auto";
    } else if (d->cpu_path) {
        for (int s = TR_CPU_ISA_SSE2; s < TR_CPU_ISA_COUNT; s++)
            if (tr_cpu_isa_supported((enum tr_cpu_isa)s))
                out[n++] = tr_cpu_isa_name((enum tr_cpu_isa)s);
    } else {
        out[n++] = "vector";
    }
    return n;
}

static void skip(struct tr_bench_plan *plan, const char *fmt, const char *a, const char *b)
{
    if (plan->n_skipped < TR_BENCH_MAX_SKIPPED)
        snprintf(plan->skipped[plan->n_skipped++], sizeof(plan->skipped[0]), fmt, a, b);
}

enum tr_status tr_bench_plan_make(const struct tr_bench_selection *sel,
                                  const struct tr_bench_devices *devs, struct tr_bench_plan *plan,
                                  char *err, size_t errlen)
{
    enum tr_mode modes[TR_MODE_STEAL + 1];
    enum tr_precision precisions[2];
    size_t n_modes = 0, n_precisions = 0;
    memset(plan, 0, sizeof(*plan));

    if (sel->workloads) {
        for (size_t i = 0; i < sel->workloads->n; i++) {
            int rc = tr_bench_workload_parse(sel->workloads->items[i],
                                             &plan->workloads[plan->n_workloads], err, errlen);
            if (rc)
                return rc;
            plan->n_workloads++;
        }
    } else {
        for (size_t i = 0; i < tr_bench_workload_count; i++)
            if (sel->quick ? tr_bench_workloads[i].in_quick : tr_bench_workloads[i].in_full)
                plan->workloads[plan->n_workloads++] = tr_bench_workloads[i];
    }
    if (sel->kernels) {
        int rc = check_kernels(sel->kernels, err, errlen);
        if (rc)
            return rc;
    }
    if (sel->modes) {
        for (size_t i = 0; i < sel->modes->n; i++) {
            struct tr_params p;
            if (tr_params_set_mode(&p, "--mode", sel->modes->items[i], err, errlen) != 0)
                return TR_ERR_USAGE;
            modes[n_modes++] = p.mode;
        }
    } else {
        modes[n_modes++] = TR_MODE_SEQUENTIAL;
        modes[n_modes++] = TR_MODE_CONCURRENT;
        modes[n_modes++] = TR_MODE_DYNAMIC;
        modes[n_modes++] = TR_MODE_STEAL;
    }
    if (sel->precisions) {
        for (size_t i = 0; i < sel->precisions->n; i++) {
            struct tr_params p;
            if (tr_params_set_precision(&p, "--precision", sel->precisions->items[i], err,
                                        errlen) != 0)
                return TR_ERR_USAGE;
            precisions[n_precisions++] = p.precision;
        }
    } else {
        precisions[n_precisions++] = TR_PRECISION_DOUBLE;
    }

    enum tr_cpu_isa auto_isa = tr_cpu_isa_best();
    char ignored[256];
    tr_cpu_isa_choose(TR_KERNEL_AUTO, &auto_isa, ignored, sizeof(ignored));

    size_t most = plan->n_workloads * devs->n * N_KERNEL_NAMES * n_precisions * n_modes;
    plan->cases = calloc(most ? most : 1, sizeof(*plan->cases));
    if (!plan->cases) {
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    for (size_t di = 0; di < devs->n; di++) {
        const struct tr_bench_device *d = &devs->d[di];
        const char *kernels[N_KERNEL_NAMES];
        size_t n_kernels = device_kernels(d, sel->kernels, sel->quick, kernels);
        if (sel->kernels && n_kernels < sel->kernels->n)
            skip(plan, "%s: %s", d->selector,
                 "sse2, avx2 and avx512 are kernels of the CPU path, not of OpenCL devices");
        for (size_t pi = 0; pi < n_precisions; pi++) {
            if (precisions[pi] == TR_PRECISION_DOUBLE && !d->fp64) {
                skip(plan, "%s: %s", d->selector, "no double precision (cl_khr_fp64)");
                continue;
            }
            for (size_t wi = 0; wi < plan->n_workloads; wi++)
                for (size_t ki = 0; ki < n_kernels; ki++)
                    for (size_t mi = 0; mi < n_modes; mi++) {
                        struct tr_bench_case *c = &plan->cases[plan->n_cases++];
                        c->workload = &plan->workloads[wi];
                        c->device = d;
                        snprintf(c->kernel, sizeof(c->kernel), "%s", kernels[ki]);
                        c->auto_pick = strcmp(kernels[ki], "auto") == 0 ||
                                       (d->cpu_path && !sel->kernels &&
                                        strcmp(kernels[ki], tr_cpu_isa_name(auto_isa)) == 0);
                        c->precision = precisions[pi];
                        c->mode = modes[mi];
                        c->threads = modes[mi] == TR_MODE_SEQUENTIAL ? 1 : sel->threads;
                    }
        }
    }
    return 0;
}

void tr_bench_plan_free(struct tr_bench_plan *plan)
{
    free(plan->cases);
    plan->cases = NULL;
    plan->n_cases = 0;
}

void tr_bench_case_params(const struct tr_bench_case *c, struct tr_params *p, const char **cpu_isa)
{
    tr_params_defaults(p);
    p->width = c->workload->width;
    p->height = c->workload->height;
    p->tile_w = c->workload->tile_w;
    p->tile_h = c->workload->tile_h;
    p->max_iter = c->workload->max_iter;
    p->time_limit_ms = 0; /* every run renders the whole frame */
    p->num_threads = c->threads;
    p->mode = c->mode;
    p->precision = c->precision;
    snprintf(p->device, sizeof(p->device), "%s", c->device->selector);
    *cpu_isa = NULL;
    if (strcmp(c->kernel, "scalar") == 0) {
        p->kernel = TR_KERNEL_SCALAR;
    } else if (strcmp(c->kernel, "vector") == 0) {
        p->kernel = TR_KERNEL_VECTOR;
    } else if (strcmp(c->kernel, "auto") == 0) {
        p->kernel = TR_KERNEL_AUTO;
    } else {
        p->kernel = TR_KERNEL_VECTOR;
        *cpu_isa = c->kernel;
    }
}
