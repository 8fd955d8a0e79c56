#include "cli/selftest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/device.h"
#else
/* A build without OpenCL tests the CPU path alone. */
struct tr_cl_device_list {
    size_t count;
};
#endif
#include "cli/commands.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "cli/exit_codes.h"
#include "core/text_escape.h"
#include "cpu/backend.h"
#include "devices/job.h"

/* Small frames with odd sizes and clipped edge tiles; the last has a cap below the vector
 * kernel's block of 16 iterations, with pixels in the set. */
static const struct frame {
    uint32_t width, height, tile_w, tile_h, max_iter;
} frames[] = {
    {96, 96, 64, 64, 128}, {333, 217, 50, 40, 77}, {7, 5, 3, 2, 50},    {1, 1, 1, 1, 10},
    {100, 3, 7, 2, 300},   {61, 47, 16, 16, 1000}, {96, 96, 64, 64, 5},
};
#define N_FRAMES (sizeof(frames) / sizeof(frames[0]))

static const enum tr_kernel kernels[] = {TR_KERNEL_SCALAR, TR_KERNEL_VECTOR};
static const enum tr_precision precisions[] = {TR_PRECISION_DOUBLE, TR_PRECISION_FLOAT};

struct reference {
    uint64_t checksum;
    struct tr_record *records;
    size_t n;
};

static struct tr_params frame_params(const struct frame *f, const char *device,
                                     enum tr_precision precision, enum tr_kernel kernel)
{
    struct tr_params p;
    tr_params_defaults(&p);
    p.width = f->width;
    p.height = f->height;
    p.tile_w = f->tile_w;
    p.tile_h = f->tile_h;
    p.max_iter = f->max_iter;
    p.time_limit_ms = 0;
    p.num_threads = 3;
    p.precision = precision;
    p.kernel = kernel;
    snprintf(p.device, sizeof(p.device), "%s", device);
    return p;
}

static int by_task(const void *a, const void *b)
{
    const struct tr_record *x = a, *y = b;
    return (x->task_id > y->task_id) - (x->task_id < y->task_id);
}

/* The same tiles, with the same owners and sizes, whatever the timing. */
static int same_records(struct tr_record *a, struct tr_record *b, size_t n)
{
    qsort(a, n, sizeof(*a), by_task);
    qsort(b, n, sizeof(*b), by_task);
    for (size_t i = 0; i < n; i++)
        if (a[i].task_id != b[i].task_id || a[i].thread_id != b[i].thread_id ||
            a[i].tile_x != b[i].tile_x || a[i].tile_y != b[i].tile_y ||
            a[i].tile_w != b[i].tile_w || a[i].tile_h != b[i].tile_h ||
            a[i].pixels_computed != b[i].pixels_computed)
            return 0;
    return 1;
}

struct row {
    char device[32], name[256];
    int checks, passed, failed_runs;
    double build_ms;
    char note[600];
};

static void test_device(const char *device, const char *kernel_dir,
                        struct reference ref[N_FRAMES][2], struct row *row)
{
    struct tr_job_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.kernel_dir = kernel_dir;
    for (size_t pi = 0; pi < 2; pi++) {
        for (size_t ki = 0; ki < 2; ki++) {
            for (size_t fi = 0; fi < N_FRAMES; fi++) {
                struct tr_params p = frame_params(&frames[fi], device, precisions[pi], kernels[ki]);
                struct tr_job job;
                char err[512];
                row->checks++;
                int rc = tr_job_run(&p, &opt, &job, err, sizeof(err));
                if (rc == 0) {
                    if (job.device.build_ns / 1e6 > row->build_ms)
                        row->build_ms = job.device.build_ns / 1e6;
                    snprintf(row->name, sizeof(row->name), "%s", job.device.name);
                    struct reference *r = &ref[fi][pi];
                    if (job.run.complete && job.run.checksum == r->checksum &&
                        job.run.n_records == r->n &&
                        same_records(job.run.records, r->records, r->n))
                        row->passed++;
                    else if (!row->note[0])
                        snprintf(row->note, sizeof(row->note),
                                 "%ux%u/%u %s %s: checksum %016llx, expected %016llx", p.width,
                                 p.height, p.max_iter, tr_precision_name(p.precision),
                                 tr_kernel_name(p.kernel), (unsigned long long)job.run.checksum,
                                 (unsigned long long)r->checksum);
                } else {
                    row->failed_runs++;
                    if (!row->note[0])
                        snprintf(row->note, sizeof(row->note), "%s", err);
                }
                tr_job_free(&job);
            }
        }
    }
}

static int compute_references(struct reference ref[N_FRAMES][2])
{
    for (size_t fi = 0; fi < N_FRAMES; fi++) {
        for (size_t pi = 0; pi < 2; pi++) {
            struct tr_params p = frame_params(&frames[fi], "cpu", precisions[pi], TR_KERNEL_SCALAR);
            struct tr_job job;
            char err[512];
            if (tr_job_run(&p, NULL, &job, err, sizeof(err)) != 0) {
                tr_job_free(&job);
                return tr_cli_fail(TR_EXIT_FAILURE, "selftest: CPU reference failed: %s", err);
            }
            ref[fi][pi].checksum = job.run.checksum;
            ref[fi][pi].records = job.run.records;
            ref[fi][pi].n = job.run.n_records;
            job.run.records = NULL;
            tr_job_free(&job);
        }
    }
    return 0;
}

int tr_cli_selftest(int argc, char **argv)
{
    struct tr_cli_parser ps;
    const char *kernel_dir = NULL;
    struct reference ref[N_FRAMES][2];
    struct tr_cl_device_list list;
    struct row *rows = NULL;
    char err[512];
    int id, rc;
    memset(ref, 0, sizeof(ref));
    tr_cli_parser_init(&ps, TR_CMD_SELFTEST, 0, "tilerace selftest --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, sizeof(err))) != TR_CLI_END) {
        if (id == TR_OPTION_KERNEL_DIR) {
            kernel_dir = optarg;
        } else if (id == TR_OPTION_HELP) {
            tr_help_command(stdout, tr_cli_command_of(TR_CMD_SELFTEST));
            return TR_EXIT_OK;
        } else {
            return tr_cli_fail(TR_EXIT_USAGE, "selftest: %s", err);
        }
    }
    if (tr_cli_no_operands(&ps, err, sizeof(err)) != 0)
        return tr_cli_fail(TR_EXIT_USAGE, "selftest: %s", err);
#ifdef TILERACE_HAVE_OPENCL
    if ((rc = tr_cl_list_devices(&list, err, sizeof(err))) != 0)
        return tr_cli_fail(rc, "%s", err);
#else
    list.count = 0;
    (void)err;
#endif
    if ((rc = compute_references(ref)) != 0)
        goto cleanup;
    size_t n_rows = list.count + 1;
    rows = calloc(n_rows, sizeof(*rows));
    if (!rows) {
        rc = tr_cli_fail(TR_EXIT_FAILURE, "selftest: out of memory");
        goto cleanup;
    }
    snprintf(rows[0].device, sizeof(rows[0].device), "cpu");
#ifdef TILERACE_HAVE_OPENCL
    for (size_t i = 0; i < list.count; i++)
        snprintf(rows[i + 1].device, sizeof(rows[i + 1].device), "opencl:%u.%u",
                 list.devices[i].platform_index, list.devices[i].device_index);
#endif

    printf("%-12s %-34s %-8s %-9s %s\n", "DEVICE", "NAME", "CHECKS", "BUILD ms", "RESULT");
    for (size_t i = 0; i < n_rows; i++) {
        struct row *r = &rows[i];
        test_device(r->device, kernel_dir, ref, r);
        const char *result = r->failed_runs ? "ERROR" : r->passed == r->checks ? "ok" : "MISMATCH";
        printf("%-12s %-34.34s %3d/%-4d %8.1f  %s%s%s\n", r->device, r->name, r->passed, r->checks,
               r->build_ms, result, r->note[0] ? ": " : "", r->note);
        fflush(stdout);
        if (r->failed_runs && !rc)
            rc = TR_EXIT_DEVICE;
        else if (r->passed != r->checks && !r->failed_runs)
            rc = TR_EXIT_FAILURE;
    }
#ifdef TILERACE_HAVE_OPENCL
    if (list.count == 0) {
        char reason[1024];
        printf("(no OpenCL platform found: %s; only the CPU path was tested)\n",
               tr_cl_no_platform_reason(&list, reason, sizeof(reason)));
    }
#else
    printf("(OpenCL: not in this build; only the CPU path was tested)\n");
#endif
    printf("selftest: %s\n", rc == 0 ? "all devices agree with the CPU reference" : "FAILED");
cleanup:
    free(rows);
    for (size_t fi = 0; fi < N_FRAMES; fi++)
        for (size_t pi = 0; pi < 2; pi++)
            free(ref[fi][pi].records);
#ifdef TILERACE_HAVE_OPENCL
    tr_cl_device_list_free(&list);
#endif
    return rc;
}
