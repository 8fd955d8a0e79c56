#include "cli/bench.h"

#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/flags.h"
#include "bench/list.h"
#include "bench/report.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "core/params.h"
#include "output/atomic_file.h"
#include "version.h"

/* The lists given on the command line; NULL where an option was not. */
struct bench_options {
    struct tr_bench_list lists[5];
    const struct tr_bench_list *devices, *workloads, *kernels, *modes, *precisions;
    uint64_t threads, runs, warmup;
    int quick, runs_given;
    const char *json, *csv;
};

static unsigned cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static int parse_list(struct bench_options *o, size_t slot, const char *option,
                      const struct tr_bench_list **dst, char *err, size_t errlen)
{
    if (tr_bench_list_split(option, optarg, &o->lists[slot], err, errlen) != 0)
        return -1;
    *dst = &o->lists[slot];
    return 0;
}

static int number(const struct tr_option *o, uint64_t *out, char *err, size_t errlen)
{
    char label[64];
    snprintf(label, sizeof(label), "--%s", o->name);
    return tr_parse_number(label, optarg, o->min, o->max, out, err, errlen);
}

/* Returns -1 when help was printed, 0 when the options are read, or an exit code. */
static int parse(int argc, char **argv, struct bench_options *o)
{
    struct tr_cli_parser ps;
    char err[512];
    int id, bad = 0;
    memset(o, 0, sizeof(*o));
    o->runs = tr_options[TR_OPTION_BENCH_RUNS].def;
    o->warmup = tr_options[TR_OPTION_BENCH_WARMUP].def;
    o->threads = tr_options[TR_OPTION_BENCH_THREADS].def;
    tr_cli_parser_init(&ps, TR_CMD_BENCH, 0, "tilerace bench --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, sizeof(err))) != TR_CLI_END) {
        switch (id) {
        case TR_OPTION_BENCH_DEVICE:
            bad = parse_list(o, 0, "--device", &o->devices, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_WORKLOAD:
            bad = parse_list(o, 1, "--workload", &o->workloads, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_KERNEL:
            bad = parse_list(o, 2, "--kernel", &o->kernels, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_MODE:
            bad = parse_list(o, 3, "--mode", &o->modes, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_PRECISION:
            bad = parse_list(o, 4, "--precision", &o->precisions, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_THREADS:
            bad = number(&tr_options[id], &o->threads, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_RUNS:
            bad = number(&tr_options[id], &o->runs, err, sizeof(err));
            o->runs_given = 1;
            break;
        case TR_OPTION_BENCH_WARMUP:
            bad = number(&tr_options[id], &o->warmup, err, sizeof(err));
            break;
        case TR_OPTION_BENCH_QUICK:
            o->quick = 1;
            break;
        case TR_OPTION_BENCH_JSON:
            o->json = optarg;
            break;
        case TR_OPTION_BENCH_CSV:
            o->csv = optarg;
            break;
        case TR_OPTION_HELP:
            tr_help_command(stdout, tr_cli_command_of(TR_CMD_BENCH));
            return -1;
        default:
            return tr_cli_fail(TR_EXIT_USAGE, "bench: %s", err);
        }
        if (bad)
            return tr_cli_fail(TR_EXIT_USAGE, "bench: %s", err);
    }
    if (tr_cli_no_operands(&ps, err, sizeof(err)) != 0)
        return tr_cli_fail(TR_EXIT_USAGE, "bench: %s", err);
    if (o->json && o->csv && strcmp(o->json, "-") == 0 && strcmp(o->csv, "-") == 0)
        return tr_cli_fail(TR_EXIT_USAGE, "bench: --json and --csv cannot both be - (stdout)");
    if (o->json && o->csv && tr_atomic_file_same_target(o->json, o->csv))
        return tr_cli_fail(TR_EXIT_USAGE, "bench: --json and --csv name the same file");
    if (o->quick && !o->runs_given)
        o->runs = 3;
    return 0;
}

/* A line on stderr per finished row, where stderr is a terminal: a bench takes a while. */
static void progress(void *user, size_t done, size_t total, const struct tr_bench_result *r)
{
    (void)user;
    fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %s %s%s", done, total, r->c.workload->name,
            r->c.device->selector, r->failed ? r->c.kernel : r->kernel_name,
            tr_mode_name(r->c.mode), done == total ? "\r\033[K" : "");
    fflush(stderr);
}

/* Writes the exports and the table; returns 0 or an exit code. */
static int write_outputs(const struct bench_options *o, const struct tr_bench_report *rep,
                         struct tr_atomic_file *json, struct tr_atomic_file *csv)
{
    struct tr_atomic_file *files[2];
    size_t n = 0, failed;
    char err[512];
    const int table_to_stdout = !(json->to_stdout || csv->to_stdout);
    if (o->json) {
        int rc = tr_bench_write_json(json->f, rep, TILERACE_VERSION);
        if (rc == -2)
            return tr_cli_fail(TR_EXIT_FAILURE, "bench: out of memory");
        if (rc != 0)
            return tr_cli_fail(TR_EXIT_IO, "bench: --json: the report cannot be written");
        files[n++] = json;
    }
    if (o->csv) {
        if (tr_bench_write_csv(csv->f, rep) != 0)
            return tr_cli_fail(TR_EXIT_IO, "bench: --csv: the report cannot be written");
        files[n++] = csv;
    }
    if (n && tr_atomic_files_place(files, n, &failed, err, sizeof(err)) != 0)
        return tr_cli_fail(TR_EXIT_IO, "bench: %s", err);
    tr_atomic_files_keep(files, n);
    if (table_to_stdout && tr_bench_write_table(stdout, rep) != 0)
        return tr_cli_fail(TR_EXIT_IO, "bench: standard output cannot be written");
    return 0;
}

int tr_cli_bench(int argc, char **argv)
{
    struct bench_options o;
    struct tr_bench_devices devs;
    struct tr_bench_plan plan;
    struct tr_bench_report rep;
    struct tr_atomic_file json, csv;
    char err[1024];
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? TR_EXIT_OK : rc;
    memset(&json, 0, sizeof(json));
    memset(&csv, 0, sizeof(csv));
    memset(&rep, 0, sizeof(rep));
    memset(&plan, 0, sizeof(plan));

    rep.cpus = cpus_allowed();
    rep.threads =
        o.threads ? (uint32_t)o.threads : (rep.cpus < TR_MAX_THREADS ? rep.cpus : TR_MAX_THREADS);
    rep.quick = o.quick;
    rep.runs = (unsigned)o.runs;
    rep.warmup = (unsigned)o.warmup;
    rep.ceiling_ms = o.quick ? 100 : 300;
    if ((rc = tr_bench_devices_find(o.devices, &devs, err, sizeof(err))) != 0)
        return tr_cli_fail(tr_exit_code(rc), "bench: %s", err);
    struct tr_bench_selection sel = {.workloads = o.workloads,
                                     .kernels = o.kernels,
                                     .modes = o.modes,
                                     .precisions = o.precisions,
                                     .quick = o.quick,
                                     .threads = rep.threads};
    if ((rc = tr_bench_plan_make(&sel, &devs, &plan, err, sizeof(err))) != 0) {
        rc = tr_cli_fail(tr_exit_code(rc), "bench: %s", err);
        goto done;
    }
    if (plan.n_cases == 0) {
        rc = tr_cli_fail(TR_EXIT_USAGE, "bench: nothing to run: no device runs the kernels "
                                        "asked for");
        goto done;
    }
    /* the paths are checked before the first run, not after minutes of measuring */
    if (o.json && tr_atomic_file_open(&json, o.json, err, sizeof(err)) != 0) {
        rc = tr_cli_fail(TR_EXIT_IO, "bench: --json: %s", err);
        goto done;
    }
    if (o.csv && tr_atomic_file_open(&csv, o.csv, err, sizeof(err)) != 0) {
        rc = tr_cli_fail(TR_EXIT_IO, "bench: --csv: %s", err);
        goto done;
    }
    tr_atomic_file_install_signal_cleanup();
    if ((rc = tr_bench_run(&plan, &devs, &rep, isatty(STDERR_FILENO) ? progress : NULL, NULL, err,
                           sizeof(err))) != 0) {
        rc = tr_cli_fail(tr_exit_code(rc), "bench: %s", err);
        goto done;
    }
    if ((rc = write_outputs(&o, &rep, &json, &csv)) != 0)
        goto done;
    if (rep.failed) {
        rc = tr_cli_fail(tr_exit_code(rep.failed_status), "bench: %zu of %zu rows failed",
                         rep.failed, rep.n_results);
    } else {
        for (size_t i = 0; i < rep.n_results; i++)
            if (rep.results[i].flags & TR_BENCH_FLAG_CHECKSUM_DIFFERS)
                rc = TR_EXIT_FAILURE;
        if (rc)
            tr_cli_fail(rc, "bench: rows rendered different frames (flagged checksum-differs)");
    }
done:
    tr_atomic_file_abort(&json);
    tr_atomic_file_abort(&csv);
    tr_bench_report_free(&rep);
    tr_bench_plan_free(&plan);
    return rc;
}
