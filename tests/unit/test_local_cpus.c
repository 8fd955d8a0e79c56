/* tilerace-mpi's CPUs of one host shared out between its ranks' lanes: where each local
 * rank's lanes start (pin_first), and the CPU every lane of the host gets from it by the
 * scheduler's round-robin. */
#include <string.h>

#include "cmocka_all.h"

#include "mpi/local_cpus.h"

#define MAX_RANKS 4

static cpu_set_t cpus_from(int first, int count)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c = first; c < first + count; c++)
        CPU_SET(c, &set);
    return set;
}

/* Every local rank's pin_first for these lanes and CPU sets. */
static void firsts_of(const uint32_t *lanes, const cpu_set_t *sets, uint32_t n, uint32_t *first)
{
    struct tr_local_share shares[MAX_RANKS];
    memset(shares, 0, sizeof(shares));
    for (uint32_t k = 0; k < n; k++) {
        shares[k].lanes = lanes[k];
        shares[k].cpus = sets[k];
    }
    for (uint32_t k = 0; k < n; k++)
        first[k] = tr_local_pin_first(shares, k);
}

/* Ranks allowed the whole host follow one another. */
static void test_ranks_sharing_the_host_follow_one_another(void **state)
{
    (void)state;
    const uint32_t lanes[] = {2, 3, 1};
    cpu_set_t host = cpus_from(0, 8);
    const cpu_set_t sets[] = {host, host, host};
    uint32_t first[3];
    firsts_of(lanes, sets, 3, first);
    assert_int_equal(first[0], 0);
    assert_int_equal(first[1], 2);
    assert_int_equal(first[2], 5);
}

/* mpirun --bind-to core: each rank has CPUs of its own and starts at its first. */
static void test_ranks_bound_apart_start_at_their_first(void **state)
{
    (void)state;
    const uint32_t lanes[] = {1, 1, 1};
    const cpu_set_t sets[] = {cpus_from(0, 1), cpus_from(1, 1), cpus_from(2, 1)};
    uint32_t first[3];
    firsts_of(lanes, sets, 3, first);
    for (int k = 0; k < 3; k++)
        assert_int_equal(first[k], 0);
}

/* mpirun --map-by socket: ranks 0 and 2 on one socket, 1 and 3 on the other. */
static void test_ranks_split_each_socket(void **state)
{
    (void)state;
    const uint32_t lanes[] = {2, 2, 2, 2};
    cpu_set_t a = cpus_from(0, 4), b = cpus_from(4, 4);
    const cpu_set_t sets[] = {a, b, a, b};
    uint32_t first[4];
    firsts_of(lanes, sets, 4, first);
    assert_int_equal(first[0], 0);
    assert_int_equal(first[1], 0);
    assert_int_equal(first[2], 2);
    assert_int_equal(first[3], 2);
}

/*
 * The lanes of all ranks of a host over its CPUs by the scheduler's rule (lane i of a rank on
 * its (pin_first + i)-th CPU, round-robin): each CPU has one lane while there are CPUs
 * enough, and past them the same number give or take one.
 */
static void test_every_cpu_gets_its_share(void **state)
{
    (void)state;
    const uint32_t n_cpus = 4;
    cpu_set_t host = cpus_from(0, (int)n_cpus);
    const cpu_set_t sets[] = {host, host, host};
    const uint32_t cases[][3] = {{1, 1, 1}, {2, 1, 1}, {2, 3, 1}, {3, 3, 3}, {1, 8, 2}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        uint32_t first[3], on_cpu[4] = {0}, total = 0;
        firsts_of(cases[c], sets, 3, first);
        for (uint32_t k = 0; k < 3; k++)
            for (uint32_t i = 0; i < cases[c][k]; i++, total++)
                on_cpu[(first[k] + i) % n_cpus]++;
        for (uint32_t cpu = 0; cpu < n_cpus; cpu++) {
            assert_true(on_cpu[cpu] >= total / n_cpus);
            assert_true(on_cpu[cpu] <= (total + n_cpus - 1) / n_cpus);
        }
    }
}

/* The host's CPUs are taken when the lanes of the ranks that may use them are as many. */
static void test_cpus_taken_by_the_lanes_of_ranks_that_share_them(void **state)
{
    (void)state;
    struct tr_local_share shares[3];
    memset(shares, 0, sizeof(shares));
    cpu_set_t host = cpus_from(0, 2);
    const uint32_t cases[][3] = {{1, 1, 0}, {1, 0, 0}, {2, 0, 0}, {0, 0, 0}, {1, 1, 1}};
    const int taken[] = {1, 0, 1, 0, 1};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (uint32_t k = 0; k < 3; k++) {
            shares[k].lanes = cases[c][k];
            shares[k].cpus = host;
        }
        for (uint32_t k = 0; k < 3; k++)
            assert_int_equal(tr_local_cpus_taken(shares, 3, k), taken[c]);
    }
    /* bound apart (--bind-to core): each rank's one CPU is taken by its own lane, while a
     * rank with 2 CPUs of its own and 1 lane leaves one over */
    shares[0].cpus = cpus_from(0, 1);
    shares[1].cpus = cpus_from(1, 1);
    shares[2].cpus = cpus_from(2, 2);
    shares[0].lanes = shares[1].lanes = shares[2].lanes = 1;
    assert_true(tr_local_cpus_taken(shares, 3, 0));
    assert_true(tr_local_cpus_taken(shares, 3, 1));
    assert_false(tr_local_cpus_taken(shares, 3, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpus_taken_by_the_lanes_of_ranks_that_share_them),
        cmocka_unit_test(test_ranks_sharing_the_host_follow_one_another),
        cmocka_unit_test(test_ranks_bound_apart_start_at_their_first),
        cmocka_unit_test(test_ranks_split_each_socket),
        cmocka_unit_test(test_every_cpu_gets_its_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
