/*
 * tilerace-bare: the anchor for tilerace's whole-process rate. It renders one frame with the
 * CPU path's own vector kernel and nothing around it: pinned threads, a frame in huge pages,
 * dynamic tiles taken from an atomic counter, then the FNV-1a hash of the frame. It prints one
 * JSON object:
 *   {"width":1920,"height":1080,"max_iter":1000,"threads":2,"elapsed_us":26000,
 *    "checksum":"fnv1a64:...","kernel":"avx512-double","pages":"thp"}
 * elapsed_us runs from the moment every thread is pinned and ready to the last tile's end.
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_args.h"
#include "cli/exit_codes.h"
#include "core/checksum.h"
#include "core/clock.h"
#include "core/params.h"
#include "cpu/kernels.h"

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

static const char usage_text[] =
    "Usage: tilerace-bare [OPTIONS]\n"
    "\n"
    "Renders one frame with the CPU path's vector kernel (the best ISA here, double) on\n"
    "pinned threads, in dynamic tiles, into a frame in huge pages, then hashes it (FNV-1a,\n"
    "as tilerace's checksum). Prints one JSON object.\n"
    "\n"
    "  --width N        1..65536 [800]\n"
    "  --height N       1..65536 [600] (width x height <= 268435456)\n"
    "  --max-iter N     1..65535 [256]\n"
    "  --tile-w N       1..65536 [64]\n"
    "  --tile-h N       1..65536 [64]\n"
    "  --threads N      1..256 [the number of online CPUs]\n"
    "  -h, --help\n"
    "\n"
    "Exit codes: 0 success, 1 internal failure, 2 bad usage.\n";

struct shared {
    struct tr_frame_desc frame;
    uint16_t *counts; /* the frame's */
    tr_tile_fn render;
    uint32_t tile_w, tile_h, cols;
    uint64_t tiles;
    atomic_uint_fast64_t next_tile;
    pthread_barrier_t start;
};

struct lane {
    struct shared *s;
    int cpu; /* -1: not pinned */
};

static int usage_error(const char *msg)
{
    return tr_bench_usage_error("tilerace-bare", msg);
}

static int parse_number(const char *name, const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    return tr_bench_parse_number("tilerace-bare", name, text, lo, hi, out);
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    struct shared *s = l->s;
    if (l->cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(l->cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof(one), &one); /* best effort */
    }
    pthread_barrier_wait(&s->start);
    for (;;) {
        uint64_t i = atomic_fetch_add_explicit(&s->next_tile, 1, memory_order_relaxed);
        if (i >= s->tiles)
            break;
        struct tr_tile t = {0};
        t.task_id = (uint32_t)i;
        t.x = (uint32_t)(i % s->cols) * s->tile_w;
        t.y = (uint32_t)(i / s->cols) * s->tile_h;
        t.w = s->frame.width - t.x < s->tile_w ? s->frame.width - t.x : s->tile_w;
        t.h = s->frame.height - t.y < s->tile_h ? s->frame.height - t.y : s->tile_h;
        tr_tile_into_frame(s->render, &s->frame, s->counts, &t);
    }
    return NULL;
}

/* The frame: explicit huge pages where the system has some reserved, else memory aligned to
 * 2 MiB with transparent huge pages asked for. Anonymous pages are zero, and each one is
 * faulted in by the thread that first writes it. */
static void *map_frame(size_t bytes, size_t *mapped, void **base, const char **pages)
{
    size_t rounded = (bytes + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
#ifdef MAP_HUGETLB
    void *p = mmap(NULL, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
                   -1, 0);
    if (p != MAP_FAILED) {
        *mapped = rounded;
        *base = p;
        *pages = "hugetlb";
        return p;
    }
#endif
    *mapped = rounded + HUGE_PAGE_BYTES;
    *base = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (*base == MAP_FAILED)
        return NULL;
    uintptr_t aligned =
        ((uintptr_t)*base + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    *pages = "normal";
#ifdef MADV_HUGEPAGE
    if (madvise((void *)aligned, rounded, MADV_HUGEPAGE) == 0)
        *pages = "thp";
#endif
    return (void *)aligned;
}

/* The n-th CPU this process may run on, or -1. */
static int nth_allowed_cpu(const cpu_set_t *allowed, int n)
{
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, allowed) && n-- == 0)
            return cpu;
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"width", required_argument, NULL, 'W'},    {"height", required_argument, NULL, 'H'},
        {"max-iter", required_argument, NULL, 'i'}, {"tile-w", required_argument, NULL, 'w'},
        {"tile-h", required_argument, NULL, 'T'},   {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t width = 800, height = 600, max_iter = 256, tile_w = 64, tile_h = 64;
    uint64_t threads = cpus >= 1 && cpus <= 256 ? (uint64_t)cpus : 1;
    char err[256];
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'W':
            rc = parse_number("--width", optarg, 1, 65536, &width);
            break;
        case 'H':
            rc = parse_number("--height", optarg, 1, 65536, &height);
            break;
        case 'i':
            rc = parse_number("--max-iter", optarg, 1, 65535, &max_iter);
            break;
        case 'w':
            rc = parse_number("--tile-w", optarg, 1, 65536, &tile_w);
            break;
        case 'T':
            rc = parse_number("--tile-h", optarg, 1, 65536, &tile_h);
            break;
        case 't':
            rc = parse_number("--threads", optarg, 1, 256, &threads);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return TR_EXIT_OK;
        default: /* ':' or '?' */
            return tr_bench_option_error("tilerace-bare", c, argv[optind - 1]);
        }
        if (rc)
            return rc;
    }
    if (optind < argc) {
        snprintf(err, sizeof(err), "unexpected argument '%.40s'", argv[optind]);
        return usage_error(err);
    }
    if (width * height > 268435456) {
        snprintf(err, sizeof(err),
                 "--width x --height: %llu pixels is above the accepted 268435456",
                 (unsigned long long)(width * height));
        return usage_error(err);
    }

    enum tr_cpu_isa isa = tr_cpu_isa_best();
    struct shared s;
    memset(&s, 0, sizeof(s));
    size_t pixels = (size_t)width * height, mapped;
    void *base;
    const char *pages;
    s.counts = map_frame(pixels * sizeof(uint16_t), &mapped, &base, &pages);
    if (!s.counts) {
        fprintf(stderr, "tilerace-bare: out of memory: a %llux%llu frame needs %zu MiB\n",
                (unsigned long long)width, (unsigned long long)height,
                pixels * sizeof(uint16_t) >> 20);
        return TR_EXIT_FAILURE;
    }
    s.frame.width = (uint32_t)width;
    s.frame.height = (uint32_t)height;
    s.frame.max_iter = (uint32_t)max_iter;
    s.render = tr_cpu_tile_fn(isa, TR_PRECISION_DOUBLE);
    s.tile_w = (uint32_t)tile_w;
    s.tile_h = (uint32_t)tile_h;
    s.cols = (uint32_t)((width + tile_w - 1) / tile_w);
    s.tiles = (uint64_t)s.cols * ((height + tile_h - 1) / tile_h);
    atomic_init(&s.next_tile, 0);

    cpu_set_t allowed;
    int n_cpus = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed) : 0;
    pthread_t tids[256];
    struct lane lanes[256];
    uint32_t n = (uint32_t)threads, started = 0;
    if (pthread_barrier_init(&s.start, NULL, n + 1) != 0) {
        fputs("tilerace-bare: pthread_barrier_init failed\n", stderr);
        return TR_EXIT_FAILURE;
    }
    for (; started < n; started++) {
        lanes[started].s = &s;
        lanes[started].cpu =
            n_cpus ? nth_allowed_cpu(&allowed, (int)(started % (uint32_t)n_cpus)) : -1;
        if (pthread_create(&tids[started], NULL, lane_main, &lanes[started]) != 0)
            break;
    }
    if (started < n) {
        /* the barrier would never open: there is no clean way back, and nothing to keep */
        fprintf(stderr, "tilerace-bare: could not start thread %u of %u\n", started + 1, n);
        _exit(TR_EXIT_FAILURE);
    }
    pthread_barrier_wait(&s.start);
    int64_t t0 = tr_now_ns();
    for (uint32_t i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
    int64_t elapsed_ns = tr_now_ns() - t0;
    pthread_barrier_destroy(&s.start);

    uint64_t checksum = tr_fnv1a64_counts(s.counts, pixels);
    printf("{\"width\":%llu,\"height\":%llu,\"max_iter\":%llu,\"threads\":%u,\"elapsed_us\":%lld,"
           "\"checksum\":\"fnv1a64:%016llx\",\"kernel\":\"%s\",\"pages\":\"%s\"}\n",
           (unsigned long long)width, (unsigned long long)height, (unsigned long long)max_iter, n,
           (long long)(elapsed_ns / 1000), (unsigned long long)checksum,
           tr_cpu_kernel_name(isa, TR_PRECISION_DOUBLE), pages);
    munmap(base, mapped);
    if (fflush(stdout) != 0 || ferror(stdout))
        return TR_EXIT_IO;
    return TR_EXIT_OK;
}
