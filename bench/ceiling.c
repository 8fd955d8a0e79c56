/*
 * tilerace-ceiling: the CPU kernels' inner loop with every lane always busy, per ISA and
 * precision, on several threads. Prints one JSON object per line:
 *   {"isa":"avx512","precision":"double","threads":2,"giga_iterations_per_s":12.3,...}
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_args.h"
#include "cli/exit_codes.h"
#include "core/clock.h"
#include "core/params.h"
#include "cpu/ceiling.h"

static const char usage_text[] =
    "Usage: tilerace-ceiling [OPTIONS]\n"
    "\n"
    "Measures the CPU kernels' inner loop with every lane always busy (no escapes, no\n"
    "refills): what this machine can do for the loop. One JSON object per line.\n"
    "\n"
    "  --isa I          avx512 | avx2 | sse2 | scalar | best | all [best]\n"
    "                   (all: every ISA this processor supports)\n"
    "  --precision P    double | float | all [double]\n"
    "  --threads N      threads, 1..256 [the number of online CPUs]\n"
    "  --ms N           about N ms per measurement, 10..60000 [500]\n"
    "  -h, --help\n"
    "\n"
    "Exit codes: 0 success, 1 internal failure, 2 bad usage, 3 ISA not supported here.\n";

static int usage_error(const char *msg)
{
    return tr_bench_usage_error("tilerace-ceiling", msg);
}

static int parse_number(const char *name, const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return tr_bench_parse_number("tilerace-ceiling", name, text, lo, hi, out);
}

/* Steps per lane that take about ms milliseconds on one thread. */
static int calibrate(enum tr_cpu_isa isa, enum tr_precision prec, uint64_t ms, uint64_t *steps,
                     char *err, size_t errlen)
{
    struct tr_ceiling_result r;
    uint64_t n = 1u << 12;
    for (;;) {
        int rc = tr_cpu_ceiling(isa, prec, 1, n, &r, err, errlen);
        if (rc)
            return rc;
        if (r.elapsed_ns >= 20000000 || n >= (1ull << 40))
            break;
        n *= 4;
    }
    double per_ms = (double)n / ((double)r.elapsed_ns / 1e6);
    *steps = (uint64_t)(per_ms * (double)ms) + 1;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"isa", required_argument, NULL, 'i'},     {"precision", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'}, {"ms", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *isa_arg = "best", *prec_arg = "double";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t threads = cpus >= 1 && cpus <= 256 ? (uint64_t)cpus : 1, ms = 500;
    char err[256];
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            isa_arg = optarg;
            break;
        case 'p':
            prec_arg = optarg;
            break;
        case 't':
            if (parse_number("--threads", optarg, 1, 256, &threads))
                return TR_EXIT_USAGE;
            break;
        case 'm':
            if (parse_number("--ms", optarg, 10, 60000, &ms))
                return TR_EXIT_USAGE;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return TR_EXIT_OK;
        default: /* ':' or '?' */
            return tr_bench_option_error("tilerace-ceiling", c, argv[optind - 1]);
        }
    }
    if (optind < argc) {
        snprintf(err, sizeof(err), "unexpected argument '%.40s'", argv[optind]);
        return usage_error(err);
    }

    int isas[TR_CPU_ISA_COUNT], n_isas = 0;
    enum tr_cpu_isa one;
    if (strcmp(isa_arg, "best") == 0) {
        isas[n_isas++] = tr_cpu_isa_best();
    } else if (strcmp(isa_arg, "all") == 0) {
        for (int i = TR_CPU_ISA_COUNT - 1; i >= 0; i--)
            if (tr_cpu_isa_supported((enum tr_cpu_isa)i))
                isas[n_isas++] = i;
    } else if (tr_cpu_isa_parse(isa_arg, &one) == 0) {
        isas[n_isas++] = (int)one;
    } else {
        snprintf(err, sizeof(err),
                 "--isa: '%.40s' is not one of the accepted values (avx512, avx2, sse2, scalar, "
                 "best, all)",
                 isa_arg);
        return usage_error(err);
    }
    enum tr_precision precs[2];
    int n_precs = 0;
    if (strcmp(prec_arg, "double") == 0 || strcmp(prec_arg, "all") == 0)
        precs[n_precs++] = TR_PRECISION_DOUBLE;
    if (strcmp(prec_arg, "float") == 0 || strcmp(prec_arg, "all") == 0)
        precs[n_precs++] = TR_PRECISION_FLOAT;
    if (n_precs == 0) {
        snprintf(err, sizeof(err),
                 "--precision: '%.40s' is not one of the accepted values (double, float, all)",
                 prec_arg);
        return usage_error(err);
    }

    for (int i = 0; i < n_isas; i++) {
        for (int j = 0; j < n_precs; j++) {
            struct tr_ceiling_result r;
            uint64_t steps;
            int rc = calibrate((enum tr_cpu_isa)isas[i], precs[j], ms, &steps, err, sizeof(err));
            if (rc == 0)
                rc = tr_cpu_ceiling((enum tr_cpu_isa)isas[i], precs[j], (uint32_t)threads, steps,
                                    &r, err, sizeof(err));
            if (rc) {
                fprintf(stderr, "tilerace-ceiling: %s\n", err);
                return tr_exit_code(rc);
            }
            printf("{\"isa\":\"%s\",\"precision\":\"%s\",\"threads\":%u,"
                   "\"giga_iterations_per_s\":%.3f,\"iterations\":%llu,\"elapsed_us\":%lld}\n",
                   tr_cpu_isa_name(r.isa), tr_precision_name(r.precision), r.threads,
                   r.giga_iterations_per_s, (unsigned long long)r.iterations,
                   (long long)(r.elapsed_ns / 1000));
            fflush(stdout);
        }
    }
    return TR_EXIT_OK;
}
