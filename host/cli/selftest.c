#include "cli/selftest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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
#include "core/device_spec.h"
#include "core/options.h"
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

/* One check: a frame in one precision with one kernel, on one device. */
struct check {
    uint32_t frame; /* index in frames[] */
    enum tr_precision precision;
    enum tr_kernel kernel;
    int ran;  /* the run succeeded (else error holds why) */
    int pass; /* complete, same checksum and records as the reference */
    int records_match;
    uint64_t checksum, reference;
    char error[512];
};

#define N_CHECKS (2 * 2 * N_FRAMES)

struct row {
    char requested[TR_DEVICE_MAXLEN]; /* as given in --device, or the selector */
    char device[32], name[256];
    int checks, passed, failed_runs;
    double build_ms;
    char note[600];
    char skipped[2][96]; /* by precision: why this device does not run it, or "" */
    struct check results[N_CHECKS];
};

static void test_device(const char *kernel_dir, struct reference ref[N_FRAMES][2], struct row *row)
{
    struct tr_job_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.kernel_dir = kernel_dir;
    for (size_t pi = 0; pi < 2; pi++) {
        if (row->skipped[pi][0])
            continue;
        for (size_t ki = 0; ki < 2; ki++) {
            for (size_t fi = 0; fi < N_FRAMES; fi++) {
                struct tr_params p =
                    frame_params(&frames[fi], row->device, precisions[pi], kernels[ki]);
                struct check *c = &row->results[row->checks++];
                struct tr_job job;
                char err[512];
                c->frame = (uint32_t)fi;
                c->precision = p.precision;
                c->kernel = p.kernel;
                c->reference = ref[fi][pi].checksum;
                int rc = tr_job_run(&p, &opt, &job, err, sizeof(err));
                if (rc == 0) {
                    if (job.device.build_ns / 1e6 > row->build_ms)
                        row->build_ms = job.device.build_ns / 1e6;
                    snprintf(row->name, sizeof(row->name), "%s", job.device.name);
                    struct reference *r = &ref[fi][pi];
                    c->ran = 1;
                    c->checksum = job.run.checksum;
                    c->records_match = job.run.n_records == r->n &&
                                       same_records(job.run.records, r->records, r->n);
                    c->pass =
                        job.run.complete && job.run.checksum == r->checksum && c->records_match;
                    if (c->pass)
                        row->passed++;
                    else if (!row->note[0])
                        snprintf(row->note, sizeof(row->note),
                                 "%ux%u/%u %s %s: checksum %016llx, expected %016llx%s", p.width,
                                 p.height, p.max_iter, tr_precision_name(p.precision),
                                 tr_kernel_name(p.kernel), (unsigned long long)job.run.checksum,
                                 (unsigned long long)r->checksum,
                                 c->records_match ? "" : ", records differ");
                } else {
                    row->failed_runs++;
                    snprintf(c->error, sizeof(c->error), "%s", err);
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

/*
 * The rows to test: the CPU path and every OpenCL device, or the --device list resolved as
 * a run resolves it. Returns 0, or an exit code after printing the error.
 */
static int make_rows(const char *device_list, const struct tr_cl_device_list *list,
                     struct row **rows_out, size_t *n_out)
{
    struct tr_device_list requested;
    char err[1024];
    int n_requested = 0;
    struct row *rows;
    size_t n = 0;
    if (device_list) {
        /* the run's list syntax; selftest picks the lanes itself, and all is the default */
        if (tr_device_list_parse(device_list, TR_MAX_THREADS, &requested, err, sizeof(err)) != 0)
            return tr_cli_fail(TR_EXIT_USAGE, "selftest: --device: %s", err);
        for (uint32_t i = 0; i < requested.count; i++)
            if (requested.entries[i].lanes)
                return tr_cli_fail(TR_EXIT_USAGE,
                                   "selftest: --device: '%s@%u': selftest sets the lanes itself "
                                   "(accepted: selectors without @N)",
                                   requested.entries[i].text, requested.entries[i].lanes);
        if (requested.all)
            device_list = NULL;
        else
            n_requested = (int)requested.count;
    }
    rows = calloc(device_list ? (size_t)n_requested : list->count + 1, sizeof(*rows));
    if (!rows)
        return tr_cli_fail(TR_EXIT_FAILURE, "selftest: out of memory");
    *rows_out = rows;
    if (!device_list) {
        snprintf(rows[n].requested, sizeof(rows[n].requested), "cpu");
        snprintf(rows[n++].device, sizeof(rows[0].device), "cpu");
#ifdef TILERACE_HAVE_OPENCL
        for (size_t i = 0; i < list->count; i++, n++) {
            snprintf(rows[n].device, sizeof(rows[n].device), "opencl:%u.%u",
                     list->devices[i].platform_index, list->devices[i].device_index);
            snprintf(rows[n].requested, sizeof(rows[n].requested), "%s", rows[n].device);
        }
#endif
    }
    for (int i = 0; i < n_requested; i++, n++) {
        const struct tr_device_spec spec = requested.entries[i].spec;
        const char *given = requested.entries[i].text;
        struct row *r = &rows[n];
        snprintf(r->requested, sizeof(r->requested), "%.*s", (int)sizeof(r->requested) - 1, given);
        if (spec.kind == TR_DEVICE_CPU) {
            snprintf(r->device, sizeof(r->device), "cpu");
        } else {
#ifdef TILERACE_HAVE_OPENCL
            const struct tr_cl_device *d = NULL;
            int rc =
                tr_cl_select(list, &spec, "selftest: --device", given, 0, &d, err, sizeof(err));
            if (rc)
                return tr_cli_fail(rc, "%s", err);
            snprintf(r->device, sizeof(r->device), "opencl:%u.%u", d->platform_index,
                     d->device_index);
#else
            return tr_cli_fail(TR_EXIT_DEVICE,
                               "selftest: --device: '%s' is an OpenCL device, and this tilerace "
                               "was built without OpenCL (accepted: cpu)",
                               given);
#endif
        }
        for (size_t j = 0; j < n; j++)
            if (strcmp(rows[j].device, r->device) == 0)
                return tr_cli_fail(TR_EXIT_USAGE,
                                   "selftest: --device: '%s' names %s, as '%s' does (name each "
                                   "device once)",
                                   r->requested, r->device, rows[j].requested);
    }
#ifdef TILERACE_HAVE_OPENCL
    /* a precision the device refuses is not tested on it (its runs would be refused) */
    for (size_t i = 0; i < n; i++) {
        struct tr_device_spec spec;
        const struct tr_cl_device *d;
        if (tr_device_spec_parse(rows[i].device, &spec, err, sizeof(err)) != 0 ||
            spec.kind == TR_DEVICE_CPU || !(d = tr_cl_find(list, &spec)))
            continue;
        if (!d->fp64)
            snprintf(rows[i].skipped[0], sizeof(rows[i].skipped[0]),
                     "no double precision (cl_khr_fp64)");
        if (!d->fp32_correct_div)
            snprintf(rows[i].skipped[1], sizeof(rows[i].skipped[1]),
                     "no correctly rounded float division");
    }
#endif
    *n_out = n;
    return 0;
}

static const char *row_result(const struct row *r)
{
    return r->failed_runs ? "error" : r->passed == r->checks ? "ok" : "mismatch";
}

static void checksum_text(char *buf, size_t len, uint64_t checksum)
{
    snprintf(buf, len, "fnv1a64:%016llx", (unsigned long long)checksum);
}

static cJSON *row_json(const struct row *r)
{
    char text[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device", r->device);
    cJSON_AddStringToObject(o, "requested", r->requested);
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddStringToObject(o, "result", row_result(r));
    cJSON_AddNumberToObject(o, "checks", r->checks);
    cJSON_AddNumberToObject(o, "passed", r->passed);
    cJSON_AddNumberToObject(o, "build_ms", r->build_ms);
    cJSON *skipped = cJSON_AddObjectToObject(o, "precisions_skipped");
    for (int pi = 0; pi < 2; pi++)
        if (r->skipped[pi][0])
            cJSON_AddStringToObject(skipped, tr_precision_name(precisions[pi]), r->skipped[pi]);
    cJSON *arr = cJSON_AddArrayToObject(o, "frames");
    for (int i = 0; i < r->checks; i++) {
        const struct check *c = &r->results[i];
        const struct frame *f = &frames[c->frame];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "width", f->width);
        cJSON_AddNumberToObject(e, "height", f->height);
        cJSON_AddNumberToObject(e, "tile_w", f->tile_w);
        cJSON_AddNumberToObject(e, "tile_h", f->tile_h);
        cJSON_AddNumberToObject(e, "max_iter", f->max_iter);
        cJSON_AddStringToObject(e, "precision", tr_precision_name(c->precision));
        cJSON_AddStringToObject(e, "kernel", tr_kernel_name(c->kernel));
        if (c->ran) {
            checksum_text(text, sizeof(text), c->checksum);
            cJSON_AddStringToObject(e, "checksum", text);
        } else {
            cJSON_AddNullToObject(e, "checksum");
        }
        checksum_text(text, sizeof(text), c->reference);
        cJSON_AddStringToObject(e, "reference", text);
        cJSON_AddBoolToObject(e, "records_match", c->ran && c->records_match);
        cJSON_AddBoolToObject(e, "pass", c->pass);
        if (c->ran)
            cJSON_AddNullToObject(e, "error");
        else
            cJSON_AddStringToObject(e, "error", c->error);
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

static int print_json(const struct row *rows, size_t n, const char *opencl_note, int rc,
                      const char *verdict)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddBoolToObject(doc, "success", rc == 0);
    cJSON_AddStringToObject(doc, "result", verdict);
    if (opencl_note)
        cJSON_AddStringToObject(doc, "opencl", opencl_note);
    else
        cJSON_AddNullToObject(doc, "opencl");
    cJSON *arr = cJSON_AddArrayToObject(doc, "devices");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, row_json(&rows[i]));
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return tr_cli_fail(TR_EXIT_FAILURE, "selftest: out of memory");
    int out = puts(text) < 0 ? TR_EXIT_IO : 0;
    cJSON_free(text);
    return out;
}

int tr_cli_selftest(int argc, char **argv)
{
    struct tr_cli_parser ps;
    const char *kernel_dir = NULL, *device_list = NULL;
    struct reference ref[N_FRAMES][2];
    struct tr_cl_device_list list;
    struct row *rows = NULL;
    size_t n_rows = 0;
    char err[512], opencl_note[1200] = "";
    int id, rc, json = 0, require_opencl = 0;
    memset(ref, 0, sizeof(ref));
    tr_cli_parser_init(&ps, TR_CMD_SELFTEST, 0, "tilerace selftest --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, sizeof(err))) != TR_CLI_END) {
        if (id == TR_OPTION_KERNEL_DIR) {
            kernel_dir = optarg;
        } else if (id == TR_OPTION_SELFTEST_DEVICE) {
            device_list = optarg;
        } else if (id == TR_OPTION_SELFTEST_JSON) {
            json = 1;
        } else if (id == TR_OPTION_REQUIRE_OPENCL) {
            require_opencl = 1;
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
    if (list.count == 0) {
        char reason[1024];
        snprintf(opencl_note, sizeof(opencl_note), "no OpenCL platform found: %s",
                 tr_cl_no_platform_reason(&list, reason, sizeof(reason)));
    }
#else
    list.count = 0;
    snprintf(opencl_note, sizeof(opencl_note),
             "OpenCL is not in this build (configured with -DTILERACE_OPENCL=OFF)");
#endif
    /* a CI that asked for OpenCL fails before testing anything when there is none */
    if (require_opencl && opencl_note[0]) {
        rc = tr_cli_fail(TR_EXIT_DEVICE, "selftest: --require-opencl: %s", opencl_note);
        goto cleanup;
    }
    if ((rc = make_rows(device_list, &list, &rows, &n_rows)) != 0)
        goto cleanup;
    if (require_opencl) {
        size_t opencl_rows = 0;
        for (size_t i = 0; i < n_rows; i++)
            opencl_rows += strcmp(rows[i].device, "cpu") != 0;
        if (!opencl_rows) {
            rc = tr_cli_fail(TR_EXIT_USAGE,
                             "selftest: --require-opencl: --device '%s' names no OpenCL device "
                             "(accepted: a list with opencl, gpu, pocl or opencl:P.D)",
                             device_list);
            goto cleanup;
        }
    }
    if ((rc = compute_references(ref)) != 0)
        goto cleanup;

    if (!json)
        printf("%-12s %-34s %-8s %-9s %s\n", "DEVICE", "NAME", "CHECKS", "BUILD ms", "RESULT");
    for (size_t i = 0; i < n_rows; i++) {
        struct row *r = &rows[i];
        test_device(kernel_dir, ref, r);
        if (!json) {
            static const char *const shown[] = {"ok", "MISMATCH", "ERROR"};
            const char *result = r->failed_runs           ? shown[2]
                                 : r->passed == r->checks ? shown[0]
                                                          : shown[1];
            printf("%-12s %-34.34s %3d/%-4d %8.1f  %s%s%s\n", r->device, r->name, r->passed,
                   r->checks, r->build_ms, result, r->note[0] ? ": " : "", r->note);
            for (int pi = 0; pi < 2; pi++)
                if (r->skipped[pi][0])
                    printf("%-12s %s not tested: %s\n", "", tr_precision_name(precisions[pi]),
                           r->skipped[pi]);
            fflush(stdout);
        }
        if (r->failed_runs && !rc)
            rc = TR_EXIT_DEVICE;
        else if (r->passed != r->checks && !r->failed_runs)
            rc = TR_EXIT_FAILURE;
    }
    const char *verdict = rc == 0 ? "all devices agree with the CPU reference" : "FAILED";
    if (json) {
        int out = print_json(rows, n_rows, opencl_note[0] ? opencl_note : NULL, rc, verdict);
        if (out && !rc)
            rc = out;
    } else {
        if (opencl_note[0])
            printf("(%s; only the CPU path was tested)\n", opencl_note);
        printf("selftest: %s\n", verdict);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = tr_cli_fail(TR_EXIT_IO, "standard output cannot be written");
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
