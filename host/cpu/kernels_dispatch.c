/* Picks a CPU kernel by instruction set: what the build has, the processor runs and the user
 * asked for (--kernel, $TILERACE_CPU_ISA). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "cpu/kernels.h"

static const char *const isa_names[TR_CPU_ISA_COUNT] = {"scalar", "sse2", "avx2", "avx512"};

const char *tr_cpu_isa_name(enum tr_cpu_isa isa)
{
    return (unsigned)isa < TR_CPU_ISA_COUNT ? isa_names[isa] : "unknown";
}

int tr_cpu_isa_parse(const char *text, enum tr_cpu_isa *isa)
{
    for (int i = 0; i < TR_CPU_ISA_COUNT; i++) {
        if (strcmp(text, isa_names[i]) == 0) {
            *isa = (enum tr_cpu_isa)i;
            return 0;
        }
    }
    return -1;
}

int tr_cpu_isa_supported(enum tr_cpu_isa isa)
{
    switch (isa) {
    case TR_CPU_ISA_SCALAR:
        return 1;
#ifdef TILERACE_X86_KERNELS
    case TR_CPU_ISA_SSE2:
        return 1; /* part of x86-64 */
    case TR_CPU_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case TR_CPU_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#endif
    default:
        return 0;
    }
}

enum tr_cpu_isa tr_cpu_isa_best(void)
{
    for (int i = TR_CPU_ISA_COUNT - 1; i > 0; i--)
        if (tr_cpu_isa_supported((enum tr_cpu_isa)i))
            return (enum tr_cpu_isa)i;
    return TR_CPU_ISA_SCALAR;
}

const char *tr_cpu_kernel_name(enum tr_cpu_isa isa, enum tr_precision precision)
{
    static const char *const names[TR_CPU_ISA_COUNT][2] = {
        {"scalar-double", "scalar-float"},
        {"sse2-double", "sse2-float"},
        {"avx2-double", "avx2-float"},
        {"avx512-double", "avx512-float"},
    };
    return (unsigned)isa < TR_CPU_ISA_COUNT ? names[isa][precision == TR_PRECISION_FLOAT]
                                            : "unknown";
}

struct isa_kernels {
    tr_tile_fn tile[2]; /* by enum tr_precision: double, float */
    tr_ceiling_fn ceiling[2];
};

static const struct isa_kernels kernels[TR_CPU_ISA_COUNT] = {
    [TR_CPU_ISA_SCALAR] = {{tr_tile_scalar_double, tr_tile_scalar_float},
                           {tr_ceiling_scalar_double, tr_ceiling_scalar_float}},
#ifdef TILERACE_X86_KERNELS
    [TR_CPU_ISA_SSE2] = {{tr_tile_sse2_double, tr_tile_sse2_float},
                         {tr_ceiling_sse2_double, tr_ceiling_sse2_float}},
    [TR_CPU_ISA_AVX2] = {{tr_tile_avx2_double, tr_tile_avx2_float},
                         {tr_ceiling_avx2_double, tr_ceiling_avx2_float}},
    [TR_CPU_ISA_AVX512] = {{tr_tile_avx512_double, tr_tile_avx512_float},
                           {tr_ceiling_avx512_double, tr_ceiling_avx512_float}},
#endif
};

tr_tile_fn tr_cpu_tile_fn(enum tr_cpu_isa isa, enum tr_precision precision)
{
    if (!tr_cpu_isa_supported(isa))
        return NULL;
    return kernels[isa].tile[precision == TR_PRECISION_FLOAT];
}

tr_ceiling_fn tr_cpu_ceiling_fn(enum tr_cpu_isa isa, enum tr_precision precision)
{
    if (!tr_cpu_isa_supported(isa))
        return NULL;
    return kernels[isa].ceiling[precision == TR_PRECISION_FLOAT];
}

/* "avx2, sse2, scalar": the names this processor supports, best first. */
static void supported_list(char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = TR_CPU_ISA_COUNT - 1; i >= 0; i--) {
        if (!tr_cpu_isa_supported((enum tr_cpu_isa)i) || n >= len)
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", isa_names[i]);
    }
}

enum tr_status tr_cpu_isa_choose(enum tr_kernel kernel, enum tr_cpu_isa *isa, char *err,
                                 size_t errlen)
{
    const char *env = getenv("TILERACE_CPU_ISA");
    char list[64];
    enum tr_cpu_isa want = tr_cpu_isa_best();
    if (env) {
        if (tr_cpu_isa_parse(env, &want) != 0) {
            char shown[44];
            snprintf(shown, sizeof(shown), "%s", env);
            for (char *c = shown; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = '?'; /* one line on stderr, whatever the variable holds */
            snprintf(err, errlen,
                     "TILERACE_CPU_ISA: '%s%s' is not one of the accepted values (avx512, avx2, "
                     "sse2, scalar)",
                     shown, strlen(env) >= sizeof(shown) ? "..." : "");
            return TR_ERR_USAGE;
        }
        if (!tr_cpu_isa_supported(want)) {
            supported_list(list, sizeof(list));
            snprintf(err, errlen,
                     "TILERACE_CPU_ISA: '%s' is not supported by this processor or build "
                     "(supported: %s)",
                     isa_names[want], list);
            return TR_ERR_DEVICE;
        }
    }
    *isa = kernel == TR_KERNEL_SCALAR ? TR_CPU_ISA_SCALAR : want;
    return 0;
}
