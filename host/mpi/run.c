#include "mpi/run.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/help.h"
#include "cli/run.h"
#include "cli/usage.h"
#include "core/checksum.h"
#include "core/clock.h"
#include "core/text_escape.h"
#include "devices/job.h"
#include "mpi/local_cpus.h"
#include "mpi/abort.h"
#include "mpi/span.h"
#include "mpi/tile_relay.h"
#include "output/run_outputs.h"

#define ERR_LEN 512

enum { TAG_HEAD = 1, TAG_DEVICES, TAG_GROUPS, TAG_STEALS };

/* What a rank sends rank 0 after its run; its tiles went there as they finished. */
struct wire_head {
    uint64_t n_records, pixels, total_iterations, sent_bytes, max_rss_kib;
    int64_t elapsed_ns, send_ns;
    uint32_t n_devices, lanes, n_steals;
    int32_t cancelled;
    char devices[TR_DEVICE_LIST_MAXLEN];
    char host[256];
};

/* One rank's results, at rank 0. */
struct part {
    struct wire_head head;
    struct tr_device_info *devices;
    struct tr_group_run *groups;
    uint64_t *steals;
    struct tr_wire_record *records;
};

/*
 * Every rank brings a status and a message: returns the first failing rank's status on every
 * rank (0 when none failed), rank 0 having printed that rank's message in one line.
 */
static int agree(MPI_Comm comm, int rank, int size, int status, const char *msg)
{
    int *all = calloc((size_t)size, sizeof(int));
    char text[ERR_LEN] = "";
    if (!all) /* no memory for a few ints: nothing else can go on */
        tr_mpi_abort(comm, "the ranks' statuses");
    MPI_Allgather(&status, 1, MPI_INT, all, 1, MPI_INT, comm);
    int first = -1;
    for (int r = 0; r < size && first < 0; r++)
        if (all[r])
            first = r;
    int result = first < 0 ? 0 : all[first];
    free(all);
    if (first < 0)
        return 0;
    if (first != 0 && rank == first)
        MPI_Send(msg, (int)strlen(msg) + 1, MPI_CHAR, 0, 0, comm);
    if (rank == 0) {
        if (first == 0)
            snprintf(text, sizeof(text), "%s", msg);
        else
            MPI_Recv(text, ERR_LEN, MPI_CHAR, first, 0, comm, MPI_STATUS_IGNORE);
        char line[ERR_LEN + 32];
        if (first == 0 || strncmp(text, "rank ", 5) == 0)
            snprintf(line, sizeof(line), "%s", text);
        else
            snprintf(line, sizeof(line), "rank %d: %s", first, text);
        tr_cli_fail(result, "%s", line);
    }
    return result;
}

/* The parameters every rank must share: the frame and the rule of the run. */
struct frame_params {
    uint32_t width, height, tile_w, tile_h, max_iter, time_limit_ms, mode, precision;
};

static struct frame_params frame_params_of(const struct tr_params *p)
{
    return (struct frame_params){
        p->width,    p->height,        p->tile_w,         p->tile_h,
        p->max_iter, p->time_limit_ms, (uint32_t)p->mode, (uint32_t)p->precision};
}

/* At rank 0: the first difference between rank r's parameters and rank 0's, or 0. */
static int differ(const struct frame_params *a, const struct frame_params *b, int r, char *err,
                  size_t errlen)
{
    static const char *const names[] = {"--width",    "--height",        "--tile-w", "--tile-h",
                                        "--max-iter", "--time-limit-ms", "--mode",   "--precision"};
    const uint32_t *x = &a->width, *y = &b->width;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (x[i] == y[i])
            continue;
        if (i == 6)
            snprintf(err, errlen, "rank %d has --mode %s and rank 0 --mode %s", r,
                     tr_mode_name((enum tr_mode)y[i]), tr_mode_name((enum tr_mode)x[i]));
        else if (i == 7)
            snprintf(err, errlen, "rank %d has --precision %s and rank 0 --precision %s", r,
                     tr_precision_name((enum tr_precision)y[i]),
                     tr_precision_name((enum tr_precision)x[i]));
        else
            snprintf(err, errlen, "rank %d has %s %u and rank 0 %s %u", r, names[i], y[i], names[i],
                     x[i]);
        size_t n = strlen(err);
        snprintf(err + n, errlen - n,
                 ": every rank needs the same frame parameters (width, height, tile size, "
                 "max-iter, time limit, mode, precision)");
        return 1;
    }
    return 0;
}

/* An empty part, safe to free. */
static void part_clear(struct part *pt)
{
    memset(pt, 0, sizeof(*pt));
}

/*
 * Finished tiles a rank without a frame keeps for its output thread, which sends them to
 * rank 0: about 2 MiB of them, so that its lanes go on rendering while the thread waits for
 * a CPU (on 2 cores with 2 ranks of one lane, 32 tiles of 64x64 and 256 gave rates alike
 * within the runs' spread; the larger pool is room for a thread held up longer).
 */
static size_t relay_queue_tiles(const struct tr_params *p)
{
    size_t tile_bytes = (size_t)p->tile_w * p->tile_h * sizeof(uint16_t);
    size_t n = (2u << 20) / tile_bytes;
    return n < 32 ? 32 : n > 1024 ? 1024 : n;
}

/*
 * This rank's results, packed: at rank 0 with its records, at another rank without (they
 * went to rank 0 as the tiles finished). Returns 0 or -1 (out of memory).
 */
static int pack(const struct tr_job *job, const struct tr_run_options *o, const char *host,
                const struct tr_mpi_relay *relay, struct part *pt)
{
    const struct tr_run *run = &job->run;
    part_clear(pt);
    pt->head.n_records = run->n_records;
    pt->head.total_iterations = run->total_iterations; /* its own tiles' */
    pt->head.sent_bytes = relay->sent_bytes;
    pt->head.elapsed_ns = run->elapsed_ns;
    pt->head.send_ns = relay->send_ns;
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        pt->head.max_rss_kib = (uint64_t)usage.ru_maxrss;
    pt->head.n_devices = job->n_devices;
    pt->head.lanes = run->lanes;
    pt->head.n_steals = run->steals ? run->lanes : 0;
    pt->head.cancelled = run->cancelled;
    snprintf(pt->head.devices, sizeof(pt->head.devices), "%s", o->params.device);
    snprintf(pt->head.host, sizeof(pt->head.host), "%s", host);
    size_t n = relay->rank == 0 ? run->n_records : 0;
    pt->devices = malloc((job->n_devices + 1) * sizeof(*pt->devices));
    pt->groups = malloc((job->n_devices + 1) * sizeof(*pt->groups));
    pt->steals = malloc((pt->head.n_steals + 1) * sizeof(*pt->steals));
    pt->records = malloc((n + 1) * sizeof(*pt->records));
    if (!pt->devices || !pt->groups || !pt->steals || !pt->records)
        return -1;
    memcpy(pt->devices, job->devices, job->n_devices * sizeof(*pt->devices));
    memcpy(pt->groups, run->groups, job->n_devices * sizeof(*pt->groups));
    if (pt->head.n_steals)
        memcpy(pt->steals, run->steals, pt->head.n_steals * sizeof(*pt->steals));
    for (size_t i = 0; i < n; i++) {
        const struct tr_record *r = &run->records[i];
        pt->records[i] = (struct tr_wire_record){
            r->task_id,         r->thread_id, r->tile_x,       r->tile_y,
            r->tile_w,          r->tile_h,    r->device_index, (uint32_t)r->stolen,
            r->pixels_computed, r->start_ns,  r->duration_ns,  r->device_time_ns};
    }
    for (size_t i = 0; i < run->n_records; i++)
        pt->head.pixels += run->records[i].pixels_computed;
    return 0;
}

static void part_free(struct part *pt)
{
    free(pt->devices);
    free(pt->groups);
    free(pt->steals);
    free(pt->records);
    part_clear(pt);
}

static void send_part(const struct part *pt, MPI_Comm comm)
{
    const struct wire_head *h = &pt->head;
    MPI_Send(h, sizeof(*h), MPI_BYTE, 0, TAG_HEAD, comm);
    MPI_Send(pt->devices, (int)(h->n_devices * sizeof(*pt->devices)), MPI_BYTE, 0, TAG_DEVICES,
             comm);
    MPI_Send(pt->groups, (int)(h->n_devices * sizeof(*pt->groups)), MPI_BYTE, 0, TAG_GROUPS, comm);
    MPI_Send(pt->steals, (int)h->n_steals, MPI_UINT64_T, 0, TAG_STEALS, comm);
}

/*
 * Rank from's results, with the records its tiles brought (taken from received). Returns 0,
 * -1 when out of memory, -2 when they are not as many tiles as the rank says it rendered.
 */
static int recv_part(struct part *pt, int from, struct tr_relay_records *received, MPI_Comm comm)
{
    struct wire_head *h = &pt->head;
    part_clear(pt);
    MPI_Recv(h, sizeof(*h), MPI_BYTE, from, TAG_HEAD, comm, MPI_STATUS_IGNORE);
    h->devices[sizeof(h->devices) - 1] = h->host[sizeof(h->host) - 1] = '\0';
    pt->devices = malloc((h->n_devices + 1) * sizeof(*pt->devices));
    pt->groups = malloc((h->n_devices + 1) * sizeof(*pt->groups));
    pt->steals = malloc((h->n_steals + 1) * sizeof(*pt->steals));
    if (!pt->devices || !pt->groups || !pt->steals)
        return -1;
    MPI_Recv(pt->devices, (int)(h->n_devices * sizeof(*pt->devices)), MPI_BYTE, from, TAG_DEVICES,
             comm, MPI_STATUS_IGNORE);
    MPI_Recv(pt->groups, (int)(h->n_devices * sizeof(*pt->groups)), MPI_BYTE, from, TAG_GROUPS,
             comm, MPI_STATUS_IGNORE);
    MPI_Recv(pt->steals, (int)h->n_steals, MPI_UINT64_T, from, TAG_STEALS, comm, MPI_STATUS_IGNORE);
    pt->records = received->records;
    received->records = NULL;
    if (received->n != h->n_records)
        return -2;
    for (size_t i = 0; i < received->n; i++)
        if (pt->records[i].device_index >= h->n_devices)
            return -2;
    return 0;
}

/* At rank 0: every rank's part into job, whose own run is part 0's. Returns 0 or a status. */
static int merge(struct tr_job *job, struct part *parts, int size, struct tr_rank_info *ranks,
                 char *err, size_t errlen)
{
    uint64_t n = 0, lanes = 0, steals = 0;
    uint32_t devices = 0;
    for (int r = 0; r < size; r++) {
        n += parts[r].head.n_records;
        lanes += parts[r].head.lanes;
        steals += parts[r].head.n_steals;
        devices += parts[r].head.n_devices;
    }
    if (devices > TR_MAX_DEVICES) {
        snprintf(err, errlen,
                 "the ranks' device lists give %u devices in all, out of range (accepted "
                 "range: 1 to %d devices across the ranks)",
                 devices, TR_MAX_DEVICES);
        return TR_EXIT_USAGE;
    }
    struct tr_record *records = malloc((n + 1) * sizeof(*records));
    uint64_t *all_steals = steals ? malloc(steals * sizeof(*all_steals)) : NULL;
    if (!records || (steals && !all_steals)) {
        free(records);
        free(all_steals);
        snprintf(err, errlen, "out of memory for %llu tile records", (unsigned long long)n);
        return TR_EXIT_FAILURE;
    }
    struct tr_run *run = &job->run;
    size_t k = 0, s = 0;
    uint32_t d = 0;
    int cancelled = 0;
    int64_t elapsed = 0;
    for (int r = 0; r < size; r++) {
        const struct part *pt = &parts[r];
        struct tr_rank_info *info = &ranks[r];
        memset(info, 0, sizeof(*info));
        snprintf(info->host, sizeof(info->host), "%s", pt->head.host);
        snprintf(info->devices, sizeof(info->devices), "%s", pt->head.devices);
        info->first_device = d;
        info->n_devices = pt->head.n_devices;
        info->lanes = pt->head.lanes;
        info->tiles = pt->head.n_records;
        info->pixels = pt->head.pixels;
        info->iterations = pt->head.total_iterations;
        info->elapsed_ns = pt->head.elapsed_ns;
        info->sent_bytes = pt->head.sent_bytes;
        info->send_ns = pt->head.send_ns;
        info->max_rss_kib = pt->head.max_rss_kib;
        cancelled |= pt->head.cancelled;
        if (pt->head.elapsed_ns > elapsed)
            elapsed = pt->head.elapsed_ns;
        for (uint32_t i = 0; i < pt->head.n_devices; i++) {
            job->devices[d + i] = pt->devices[i];
            run->groups[d + i] = pt->groups[i];
        }
        if (pt->head.n_steals)
            memcpy(all_steals + s, pt->steals, pt->head.n_steals * sizeof(*all_steals));
        s += pt->head.n_steals;
        for (uint64_t i = 0; i < pt->head.n_records; i++) {
            const struct tr_wire_record *w = &pt->records[i];
            records[k++] = (struct tr_record){
                w->task_id, w->thread_id,        w->tile_x,      w->tile_y,      w->tile_w,
                w->tile_h,  w->pixels,           w->start_ns,    w->duration_ns, w->device_time_ns,
                NULL,       d + w->device_index, (int)w->stolen, (uint32_t)r,    info->host};
        }
        d += pt->head.n_devices;
    }
    for (size_t i = 0; i < k; i++)
        records[i].device = job->devices[records[i].device_index].resolved;
    tr_records_sort(records, k);
    free(run->records);
    free(run->steals);
    run->records = records;
    run->n_records = k;
    run->steals = all_steals;
    run->steals_total = 0;
    for (size_t i = 0; i < s; i++)
        run->steals_total += all_steals[i];
    run->lanes = (uint32_t)lanes;
    run->n_groups = devices;
    job->n_devices = devices;
    job->device = job->devices[0];
    run->elapsed_ns = elapsed;
    run->cancelled = cancelled;
    run->complete = k == run->tiles_total;
    run->time_limited = !run->complete && !cancelled;
    size_t pixels = (size_t)job->params.width * job->params.height;
    run->total_iterations = tr_sum_counts(job->frame, pixels);
    run->checksum = run->complete ? tr_fnv1a64_counts(job->frame, pixels) : 0;
    job->ranks = ranks;
    job->n_ranks = (uint32_t)size;
    return 0;
}

int tr_mpi_run(int argc, char **argv, int thread_level)
{
    MPI_Comm comm = MPI_COMM_WORLD;
    int rank = 0, size = 1, len = 0, rc;
    char host[MPI_MAX_PROCESSOR_NAME] = "", err[ERR_LEN] = "";
    struct tr_run_options o;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Get_processor_name(host, &len);

    if (thread_level < MPI_THREAD_MULTIPLE) {
        if (rank == 0)
            tr_cli_fail(TR_EXIT_FAILURE,
                        "this MPI library gives thread level %d, and tilerace-mpi's lanes need "
                        "MPI_THREAD_MULTIPLE (%d)",
                        thread_level, MPI_THREAD_MULTIPLE);
        return TR_EXIT_FAILURE;
    }
    rc = tr_cli_run_parse(argc, argv, &o, err, sizeof(err));
    /* rank 0's --help or --version answers for all */
    int answer = rc == TR_CLI_RUN_HELP || rc == TR_CLI_RUN_VERSION ? rc : 0;
    MPI_Bcast(&answer, 1, MPI_INT, 0, comm);
    if (answer) {
        if (rank != 0)
            return TR_EXIT_OK;
        if (answer == TR_CLI_RUN_VERSION)
            tr_version(stdout);
        else
            tr_help_command(stdout, tr_cli_command_of(TR_CMD_RUN));
        return fflush(stdout) == 0 && !ferror(stdout)
                   ? TR_EXIT_OK
                   : tr_cli_fail(TR_EXIT_IO, "standard output cannot be written");
    }
    if ((rc = agree(comm, rank, size, rc == TR_CLI_RUN_GO ? 0 : rc, err)) != 0)
        return rc;

    /* every rank renders the same frame by the same rule */
    struct frame_params mine = frame_params_of(&o.params);
    struct frame_params *all = rank == 0 ? calloc((size_t)size, sizeof(*all)) : NULL;
    if (rank == 0 && !all)
        tr_mpi_abort(comm, "the ranks' frame parameters");
    MPI_Gather(&mine, sizeof(mine), MPI_BYTE, all, sizeof(mine), MPI_BYTE, 0, comm);
    rc = 0;
    for (int r = 1; rank == 0 && r < size && !rc; r++)
        if (differ(&all[0], &all[r], r, err, sizeof(err)))
            rc = TR_EXIT_USAGE;
    free(all);
    if ((rc = agree(comm, rank, size, rc, err)) != 0)
        return rc;

    struct tr_mpi_relay relay;
    if (tr_mpi_relay_init(&relay, comm, &o.params, host) != 0) {
        if (rank == 0)
            tr_cli_fail(TR_EXIT_FAILURE, "out of memory for the tiles' way to rank 0");
        return TR_EXIT_FAILURE;
    }
    struct tr_mpi_span span;
    /* a window is collective: no rank can go on alone */
    if (tr_mpi_span_init(&span, comm, o.params.time_limit_ms > 0) != 0)
        tr_mpi_abort(comm, "the cluster's tile counter");
    struct tr_job job;
    struct tr_job_options jo;
    memset(&job, 0, sizeof(job));
    memset(&jo, 0, sizeof(jo));
    jo.kernel_dir = o.kernel_dir;
    /* the CPUs of a host shared out between its ranks' lanes */
    int cpus_taken = 0;
    jo.hooks.pin_lanes =
        tr_local_cpus_first(comm, &o.params, &jo.hooks.pin_first, &cpus_taken) == 0;
    /* Where the host's lanes take every CPU, this rank's output and receiving threads keep to
     * its lanes' CPUs (from its device list); where some are left, they go where they like. */
    cpu_set_t helper_cpus;
    if (cpus_taken && tr_lane_cpus(&jo.hooks, tr_local_lanes(&o.params), &helper_cpus) == 0)
        jo.hooks.helper_cpus = &helper_cpus;
    tr_local_cpus_warn_narrow(comm, &o.params, o.extras.quiet ? NULL : stderr);
    if (rank == 0) {
        /* Open MPI gives a rank's stdout a pseudo-terminal wherever mpirun's goes: the
         * document is JSON unless --format asks for another */
        o.extras.format_given = 1;
        tr_atomic_file_install_signal_cleanup();
        rc = tr_run_outputs_begin(&o.extras, &o.params, o.out, &job, &jo, err, sizeof(err));
    }
    jo.hooks.span = &span.hooks;
    /* at rank 0 even when it cannot run: it still hears every rank's last tile */
    /* the other ranks render into a few tile-sized slots instead of a frame */
    jo.hooks.tile_slots = rank != 0;
    if (jo.hooks.tile_slots)
        jo.hooks.output_queue_tiles = relay_queue_tiles(&o.params);
    if (tr_mpi_relay_start(&relay, &job, jo.hooks.tile_slots, &jo.hooks) != 0 && rc == 0) {
        snprintf(err, sizeof(err), "could not start the thread that receives the ranks' tiles");
        rc = TR_EXIT_FAILURE;
    }
    if (rc == 0)
        rc = tr_job_run(&o.params, &jo, &job, err, sizeof(err));
    if (rank != 0)
        tr_mpi_relay_finish(&relay);
    tr_mpi_span_catch_up(&span, rc != 0);
    tr_mpi_span_end(&span);
    tr_mpi_span_destroy(&span);
    if ((rc = agree(comm, rank, size, rc, err)) != 0) {
        if (rank == 0) {
            tr_mpi_relay_finish(&relay);
            tr_run_outputs_close(&o.extras);
        }
        tr_mpi_relay_destroy(&relay);
        tr_job_free(&job);
        return rc;
    }

    /* every rank's lanes have ended: what is still on its way to rank 0, and the ranks'
     * heads, take the summary's gather_us */
    MPI_Barrier(comm);
    int64_t gather_start = tr_now_ns();
    if (rank == 0)
        tr_mpi_relay_finish(&relay);
    struct part *parts = rank == 0 ? calloc((size_t)size, sizeof(*parts)) : NULL;
    struct part own;
    part_clear(&own);
    struct tr_rank_info *ranks = rank == 0 ? calloc((size_t)size, sizeof(*ranks)) : NULL;
    for (int r = 0; parts && r < size; r++)
        part_clear(&parts[r]);
    rc = pack(&job, &o, host, &relay, &own) != 0 || (rank == 0 && (!parts || !ranks)) ||
         relay.out_of_memory;
    if (rc) {
        snprintf(err, sizeof(err), "out of memory for the results of %llu tiles",
                 (unsigned long long)job.run.n_records);
        rc = TR_EXIT_FAILURE;
    } else if (relay.bad_message) {
        snprintf(err, sizeof(err), "a message to rank 0 was no tile of this frame");
        rc = TR_EXIT_FAILURE;
    }
    if ((rc = agree(comm, rank, size, rc, err)) == 0) {
        if (rank != 0) {
            send_part(&own, comm);
        } else {
            parts[0] = own;
            part_clear(&own);
            for (int r = 1; r < size; r++) {
                int got = recv_part(&parts[r], r, &relay.from[r], comm);
                if (got == -1) /* the sender goes on regardless */
                    tr_mpi_abort(comm, "another rank's results");
                if (got != 0 && rc == 0) {
                    snprintf(err, sizeof(err),
                             "rank %d's tiles that reached rank 0 are not the ones it rendered", r);
                    rc = TR_EXIT_FAILURE;
                }
            }
            if (rc == 0)
                rc = merge(&job, parts, size, ranks, err, sizeof(err));
            job.gather_ns = tr_now_ns() - gather_start;
            if (rc == 0)
                rc = tr_run_outputs_finish(&o.extras, err, sizeof(err));
            if (rc)
                tr_cli_fail(rc, "%s", err);
            tr_run_outputs_close(&o.extras);
        }
    }
    part_free(&own);
    for (int r = 0; parts && r < size; r++)
        part_free(&parts[r]);
    free(parts);
    tr_mpi_relay_destroy(&relay);
    tr_job_free(&job);
    free(ranks);
    /* rank 0's writing decides every rank's exit code */
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    return rc;
}
