/*
 * tilerace-mpi-counter: how fast one cluster-wide counter hands out numbers, by two schemes,
 * measured side by side in one run (repetitions interleaved):
 *
 *   fetch_and_op  every lane takes the next number with MPI_Fetch_and_op(MPI_SUM, +1) on an
 *                 int64 in a window at rank 0 (passive target, MPI_Win_lock_all, a flush per
 *                 number), as tilerace-mpi's dynamic mode does;
 *   master        a thread at rank 0 answers each other rank's lanes' requests (MPI_Sendrecv
 *                 to rank 0, a reply tagged with the asking lane); rank 0's own lanes take
 *                 their numbers from the same counter, an atomic in rank 0's memory, without
 *                 a message (a lane messaging a thread of its own process goes through the
 *                 MPI library's thread hand-off, milliseconds a number in Open MPI 4.1).
 *
 * Every rank runs --threads lanes (threads) that take numbers 0..N-1 until the counter passes
 * N. A repetition starts with a barrier and ends when the last lane of any rank is done; its
 * rate is N over that time. Each repetition checks that every number was handed out once.
 *
 *   mpirun -np 2 build/tilerace-mpi-counter --numbers 200000 --threads 1 --repeats 5
 *
 * Writes one JSON object on rank 0's stdout: the schemes' rates (numbers per second) with
 * median, min, max and spread over the repetitions, and each repetition's rate.
 */
#include <errno.h>
#include <inttypes.h>
#include <mpi.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64
#define MAX_REPEATS 1000
#define MAX_NUMBERS (INT64_C(1) << 40)

enum { TAG_ASK = 1, TAG_REPLY = 100 };
enum scheme { SCHEME_FETCH_AND_OP, SCHEME_MASTER, N_SCHEMES };
static const char *const scheme_names[N_SCHEMES] = {"fetch_and_op", "master"};

struct options {
    int64_t numbers;
    int threads, repeats;
    int rank0_lanes; /* 0: rank 0 only hands out (--no-rank0-lanes) */
};

struct counter {
    enum scheme scheme;
    int64_t numbers;
    MPI_Win win;       /* fetch_and_op: the counter at rank 0 */
    MPI_Comm comm;     /* master: its own communicator, so no other message can match */
    atomic_llong next; /* master: the counter, in rank 0's memory */
    int remote_lanes;  /* master: the other ranks' lanes, each told "no more" once */
    int rank, rank0_lanes;
    pthread_barrier_t go; /* the lanes start together, after the ranks' barrier */
};

struct lane {
    struct counter *counter;
    int index;
    int64_t taken, sum; /* how many numbers it got, and their sum (the check) */
};

static int speaks = 1; /* rank 0 says what is wrong; the other ranks only agree */

static int parse_int64(const char *name, const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        if (speaks)
            fprintf(stderr,
                    "tilerace-mpi-counter: %s '%s' is out of range (accepted range: %" PRId64
                    " to %" PRId64 ")\n",
                    name, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Returns 0, 1 (--help) or -1 (a bad option, said on stderr). */
static int parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){200000, 1, 5, 1};
    for (int i = 1; i < argc; i++) {
        int64_t v;
        if (strcmp(argv[i], "--help") == 0)
            return 1;
        if (strcmp(argv[i], "--no-rank0-lanes") == 0) {
            o->rank0_lanes = 0;
            continue;
        }
        if (i + 1 >= argc) {
            if (speaks)
                fprintf(stderr,
                        "tilerace-mpi-counter: '%s' needs a value or is unknown (accepted: "
                        "--numbers N, --threads T, --repeats R, --no-rank0-lanes, --help)\n",
                        argv[i]);
            return -1;
        }
        if (strcmp(argv[i], "--numbers") == 0) {
            if (parse_int64("--numbers", argv[++i], 1, MAX_NUMBERS, &v))
                return -1;
            o->numbers = v;
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (parse_int64("--threads", argv[++i], 1, MAX_THREADS, &v))
                return -1;
            o->threads = (int)v;
        } else if (strcmp(argv[i], "--repeats") == 0) {
            if (parse_int64("--repeats", argv[++i], 1, MAX_REPEATS, &v))
                return -1;
            o->repeats = (int)v;
        } else {
            if (speaks)
                fprintf(stderr,
                        "tilerace-mpi-counter: unknown option '%s' (accepted: --numbers N, "
                        "--threads T, --repeats R, --no-rank0-lanes, --help)\n",
                        argv[i]);
            return -1;
        }
    }
    return 0;
}

static int64_t take_by_window(struct counter *c)
{
    const int64_t one = 1;
    int64_t id = -1;
    if (MPI_Fetch_and_op(&one, &id, MPI_INT64_T, 0, 0, MPI_SUM, c->win) != MPI_SUCCESS ||
        MPI_Win_flush(0, c->win) != MPI_SUCCESS)
        return -1;
    return id;
}

static int64_t take_by_request(struct counter *c, int lane)
{
    int64_t id = -1;
    if (MPI_Sendrecv(&lane, 1, MPI_INT, 0, TAG_ASK, &id, 1, MPI_INT64_T, 0, TAG_REPLY + lane,
                     c->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
        return -1;
    return id;
}

static int64_t take(struct counter *c, int lane)
{
    if (c->scheme == SCHEME_FETCH_AND_OP)
        return take_by_window(c);
    if (c->rank == 0)
        return atomic_fetch_add(&c->next, 1);
    return take_by_request(c, lane);
}

static void *run_lane(void *arg)
{
    struct lane *l = arg;
    struct counter *c = l->counter;
    pthread_barrier_wait(&c->go);
    for (;;) {
        int64_t id = take(c, l->index);
        if (id < 0 || id >= c->numbers)
            break;
        l->taken++;
        l->sum += id;
    }
    return NULL;
}

/* The master at rank 0: the next number to whichever other rank's lane asks, then -1 once
 * to each of them. */
static void *run_master(void *arg)
{
    struct counter *c = arg;
    for (int told = 0; told < c->remote_lanes;) {
        int lane;
        MPI_Status st;
        if (MPI_Recv(&lane, 1, MPI_INT, MPI_ANY_SOURCE, TAG_ASK, c->comm, &st) != MPI_SUCCESS)
            break;
        int64_t give = atomic_fetch_add(&c->next, 1);
        if (give >= c->numbers)
            give = -1;
        told += give < 0;
        MPI_Send(&give, 1, MPI_INT64_T, st.MPI_SOURCE, TAG_REPLY + lane, c->comm);
    }
    return NULL;
}

/* One repetition of one scheme: returns its seconds (the slowest rank's) on every rank, or a
 * negative value when the numbers were not each handed out once; *remote: how many numbers
 * the ranks other than 0 took. */
static double repetition(struct counter *c, int threads, int rank, int64_t *remote)
{
    struct lane lanes[MAX_THREADS];
    pthread_t tids[MAX_THREADS], master;
    int master_started = 0;
    if (c->scheme == SCHEME_FETCH_AND_OP) {
        if (rank == 0) {
            const int64_t zero = 0;
            int64_t was;
            MPI_Fetch_and_op(&zero, &was, MPI_INT64_T, 0, 0, MPI_REPLACE, c->win);
            MPI_Win_flush(0, c->win);
        }
    } else if (rank == 0) {
        atomic_store(&c->next, 0);
        master_started = pthread_create(&master, NULL, run_master, c) == 0;
        if (!master_started) {
            fprintf(stderr, "tilerace-mpi-counter: could not start the master thread\n");
            MPI_Abort(MPI_COMM_WORLD, 1); /* the other ranks would wait for it forever */
        }
    }
    if (rank == 0 && !c->rank0_lanes)
        threads = 0;
    pthread_barrier_init(&c->go, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        lanes[t] = (struct lane){c, t, 0, 0};
        if (pthread_create(&tids[t], NULL, run_lane, &lanes[t]) != 0) {
            fprintf(stderr, "tilerace-mpi-counter: could not start lane %d\n", t);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    /* the counter's reset is in place and every rank's lanes are waiting */
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    pthread_barrier_wait(&c->go);
    int64_t mine[3] = {0, 0, 0}, all[3] = {0, 0, 0};
    for (int t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        mine[0] += lanes[t].taken;
        mine[1] += lanes[t].sum;
    }
    mine[2] = rank == 0 ? 0 : mine[0];
    double seconds = MPI_Wtime() - t0, slowest = 0;
    if (master_started)
        pthread_join(master, NULL);
    pthread_barrier_destroy(&c->go);
    MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(mine, all, 3, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    /* the sum of 0..N-1 wraps past 2^63 only for N above 4e9: compared modulo 2^64 */
    uint64_t n = (uint64_t)c->numbers;
    uint64_t want = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    if (all[0] != c->numbers || (uint64_t)all[1] != want) {
        if (rank == 0)
            fprintf(stderr,
                    "tilerace-mpi-counter: %s handed out %" PRId64 " numbers of %" PRId64
                    " (or some twice)\n",
                    scheme_names[c->scheme], all[0], c->numbers);
        return -1;
    }
    *remote = all[2];
    return slowest;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "name":{"median":..,"min":..,"max":..,"spread":..,"runs":[..]} of n values; returns the
 * median. */
static double print_stats(const char *name, const double *values, int n)
{
    double sorted[MAX_REPEATS];
    memcpy(sorted, values, sizeof(double) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(double), compare_doubles);
    double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    double lo = sorted[0], hi = sorted[n - 1];
    printf("\"%s\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f,\"spread\":%.4f,\"runs\":[", name,
           median, lo, hi, median > 0 ? (hi - lo) / median : 0.0);
    for (int i = 0; i < n; i++)
        printf("%s%.1f", i ? "," : "", values[i]);
    printf("]}");
    return median;
}

/* A scheme's rates: all the numbers per second, and those the other ranks than 0 took (what
 * crosses the network on a cluster); one remote lane's time per number beside. */
static void print_scheme(const char *name, const double *rates, const double *remote_rates, int n,
                         int remote_lanes)
{
    printf("{\"scheme\":\"%s\",", name);
    print_stats("numbers_per_s", rates, n);
    printf(",");
    double remote = print_stats("remote_numbers_per_s", remote_rates, n);
    if (remote_lanes > 0 && remote > 0)
        printf(",\"remote_lane_us_per_number\":%.4f}", 1e6 * remote_lanes / remote);
    else
        printf(",\"remote_lane_us_per_number\":null}");
}

int main(int argc, char **argv)
{
    int level = MPI_THREAD_SINGLE, rank = 0, size = 1, rc = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &level) != MPI_SUCCESS)
        return 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    struct options o;
    speaks = rank == 0;
    int parsed = parse(argc, argv, &o); /* every rank parses the same arguments */
    if (parsed == 0 && size == 1 && !o.rank0_lanes) {
        if (speaks)
            fprintf(stderr, "tilerace-mpi-counter: --no-rank0-lanes needs 2 ranks or more "
                            "(accepted: mpirun -np 2 and up)\n");
        parsed = -1;
    }
    if (parsed != 0 || level < MPI_THREAD_MULTIPLE) {
        if (parsed == 1 && rank == 0)
            printf("usage: mpirun -np N tilerace-mpi-counter [--numbers N] [--threads T] "
                   "[--repeats R] [--no-rank0-lanes]\n");
        if (parsed == 0 && rank == 0)
            fprintf(stderr,
                    "tilerace-mpi-counter: this MPI library gives thread level %d (accepted: "
                    "MPI_THREAD_MULTIPLE, %d)\n",
                    level, MPI_THREAD_MULTIPLE);
        MPI_Finalize();
        return parsed == 1 ? 0 : parsed < 0 ? 2 : 1;
    }

    struct counter c[N_SCHEMES];
    memset(c, 0, sizeof(c));
    int64_t *base = NULL;
    MPI_Aint bytes = rank == 0 ? (MPI_Aint)sizeof(int64_t) : 0;
    MPI_Win_allocate(bytes, sizeof(int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &base, &c[0].win);
    MPI_Win_lock_all(MPI_MODE_NOCHECK, c[0].win);
    MPI_Comm_dup(MPI_COMM_WORLD, &c[1].comm);
    for (int s = 0; s < N_SCHEMES; s++) {
        c[s].scheme = (enum scheme)s;
        c[s].numbers = o.numbers;
        c[s].remote_lanes = (size - 1) * o.threads;
        c[s].rank = rank;
        c[s].rank0_lanes = o.rank0_lanes;
        atomic_init(&c[s].next, 0);
    }

    static double rates[N_SCHEMES][MAX_REPEATS], remote_rates[N_SCHEMES][MAX_REPEATS];
    /* one warm-up of each, then the repetitions, the schemes taking turns */
    for (int i = -1; i < o.repeats && rc == 0; i++)
        for (int s = 0; s < N_SCHEMES && rc == 0; s++) {
            int64_t remote = 0;
            double seconds = repetition(&c[s], o.threads, rank, &remote);
            if (seconds <= 0) {
                rc = 1;
            } else if (i >= 0) {
                rates[s][i] = (double)o.numbers / seconds;
                remote_rates[s][i] = (double)remote / seconds;
            }
        }

    if (rc == 0 && rank == 0) {
        char host[MPI_MAX_PROCESSOR_NAME] = "";
        int len = 0;
        MPI_Get_processor_name(host, &len);
        for (char *h = host; *h; h++)
            if (*h == '"' || *h == '\\' || (unsigned char)*h < 0x20)
                *h = '_'; /* a JSON string without escapes */
        int *wtime_global = NULL, found = 0;
        MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &wtime_global, &found);
        printf("{\"bench\":\"mpi_counter\",\"host\":\"%s\",\"ranks\":%d,\"threads_per_rank\":%d,"
               "\"rank0_lanes\":%d,\"lanes\":%d,\"numbers\":%" PRId64
               ",\"repeats\":%d,\"wtime_is_global\":%d,"
               "\"schemes\":[",
               host, size, o.threads, o.rank0_lanes ? o.threads : 0,
               (size - !o.rank0_lanes) * o.threads, o.numbers, o.repeats,
               found && wtime_global ? *wtime_global : 0);
        for (int s = 0; s < N_SCHEMES; s++) {
            if (s)
                printf(",");
            print_scheme(scheme_names[s], rates[s], remote_rates[s], o.repeats,
                         (size - 1) * o.threads);
        }
        printf("]}\n");
        if (fflush(stdout) != 0)
            rc = 4;
    }
    MPI_Win_unlock_all(c[0].win);
    MPI_Win_free(&c[0].win);
    MPI_Comm_free(&c[1].comm);
    MPI_Finalize();
    return rc;
}
