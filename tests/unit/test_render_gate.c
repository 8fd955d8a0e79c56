#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "cmocka_all.h"
#include "server/render_gate.h"

static struct tr_render_gate gate;
static atomic_int order[8], order_n, give_up;

static void wait_queued(uint32_t n)
{
    struct tr_gate_stats st;
    for (;;) {
        tr_render_gate_stats(&gate, &st);
        if (st.queued == n)
            return;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

static void *enter_and_record(void *arg)
{
    int id = (int)(intptr_t)arg;
    if (tr_render_gate_enter(&gate, NULL, NULL, 10) == TR_GATE_ADMITTED) {
        atomic_store(&order[atomic_fetch_add(&order_n, 1)], id);
        tr_render_gate_leave(&gate, TR_GATE_COMPLETED);
    }
    return NULL;
}

static int abandon(void *ctx)
{
    (void)ctx;
    return atomic_load(&give_up);
}

static void *enter_abandoning(void *arg)
{
    *(enum tr_gate_result *)arg = tr_render_gate_enter(&gate, abandon, NULL, 5);
    return NULL;
}

static void test_busy_and_fifo(void **state)
{
    (void)state;
    pthread_t t[3];
    struct tr_gate_stats st;
    assert_int_equal(tr_render_gate_init(&gate, 1, 3), 0);
    atomic_store(&order_n, 0);
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_ADMITTED);
    for (int i = 0; i < 3; i++) { /* queue them one by one: arrival order is known */
        pthread_create(&t[i], NULL, enter_and_record, (void *)(intptr_t)i);
        wait_queued((uint32_t)i + 1);
    }
    /* running 1 of 1, queued 3 of 3: the next one is turned away */
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_BUSY);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.running, 1);
    assert_int_equal(st.queued, 3);
    assert_int_equal(st.rejected, 1);
    tr_render_gate_leave(&gate, TR_GATE_CANCELLED);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&order_n), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(atomic_load(&order[i]), i);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.completed, 3);
    assert_int_equal(st.cancelled, 1);
    tr_render_gate_destroy(&gate);
}

static void test_abandon_leaves_queue(void **state)
{
    (void)state;
    pthread_t t;
    enum tr_gate_result r = TR_GATE_ADMITTED;
    struct tr_gate_stats st;
    assert_int_equal(tr_render_gate_init(&gate, 1, 1), 0);
    atomic_store(&give_up, 0);
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_ADMITTED);
    pthread_create(&t, NULL, enter_abandoning, &r);
    wait_queued(1);
    atomic_store(&give_up, 1);
    pthread_join(t, NULL);
    assert_int_equal(r, TR_GATE_ABANDONED);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.running, 1);
    tr_render_gate_leave(&gate, TR_GATE_FAILED);
    /* the queue is free again */
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_ADMITTED);
    tr_render_gate_leave(&gate, TR_GATE_COMPLETED);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.failed, 1);
    tr_render_gate_destroy(&gate);
}

static void test_no_queue(void **state)
{
    (void)state;
    assert_int_equal(tr_render_gate_init(&gate, 2, 0), 0);
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_ADMITTED);
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_ADMITTED);
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_BUSY);
    tr_render_gate_leave(&gate, TR_GATE_COMPLETED);
    assert_int_equal(tr_render_gate_enter(&gate, NULL, NULL, 10), TR_GATE_ADMITTED);
    tr_render_gate_leave(&gate, TR_GATE_COMPLETED);
    tr_render_gate_leave(&gate, TR_GATE_COMPLETED);
    tr_render_gate_destroy(&gate);
}

/* join never blocks: admitted, queued or busy at once; a queued place waits or withdraws */
static void test_join_then_wait(void **state)
{
    (void)state;
    struct tr_gate_waiter a, b, c, d;
    struct tr_gate_stats st;
    assert_int_equal(tr_render_gate_init(&gate, 1, 2), 0);
    assert_int_equal(tr_render_gate_join(&gate, &a), TR_GATE_ADMITTED);
    assert_int_equal(tr_render_gate_join(&gate, &b), TR_GATE_QUEUED);
    assert_int_equal(tr_render_gate_join(&gate, &c), TR_GATE_QUEUED);
    assert_int_equal(tr_render_gate_join(&gate, &d), TR_GATE_BUSY);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.running, 1);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.rejected, 1);
    /* an admitted place's wait returns at once */
    assert_int_equal(tr_render_gate_wait(&gate, &a, NULL, NULL, 10), TR_GATE_ADMITTED);
    /* b withdraws from the queue: c is next in line */
    tr_render_gate_withdraw(&gate, &b);
    tr_render_gate_leave(&gate, TR_GATE_COMPLETED);
    assert_int_equal(tr_render_gate_wait(&gate, &c, NULL, NULL, 10), TR_GATE_ADMITTED);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.running, 1);
    assert_int_equal(st.queued, 0);
    /* an admitted place that withdraws gives its slot back, counted as failed */
    tr_render_gate_withdraw(&gate, &c);
    tr_render_gate_stats(&gate, &st);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.completed, 1);
    tr_render_gate_destroy(&gate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_and_fifo),
        cmocka_unit_test(test_abandon_leaves_queue),
        cmocka_unit_test(test_no_queue),
        cmocka_unit_test(test_join_then_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
