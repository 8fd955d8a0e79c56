/* The tile gate's decisions: who opens or cancels each queued tile, and with which times. */
#include "cmocka_all.h"

#include "opencl/tile_gate.h"

/* A start check on a clock the test sets: tiles may start while now < limit. */
struct fake_clock {
    int64_t now, limit;
    int checks;
};

static int fake_may_start(void *arg, int64_t *now)
{
    struct fake_clock *c = arg;
    c->checks++;
    *now = c->now;
    return c->now < c->limit;
}

static int64_t fake_now(void *arg)
{
    return ((struct fake_clock *)arg)->now;
}

static void gate_setup(struct tr_tile_gate *g, struct fake_clock *c)
{
    assert_int_equal(tr_gate_init(g), 0);
    g->check = (struct tr_start_check){fake_may_start, fake_now, c};
}

static struct tr_gate_slot *add(struct tr_tile_gate *g, enum tr_gate_action want)
{
    struct tr_gate_slot *s = tr_gate_next_slot(g);
    struct tr_start_check check = g->check;
    struct tr_gate_batch b = tr_gate_add(g, &check);
    assert_int_equal(b.action, want);
    assert_int_equal(b.n, want == TR_GATE_WAIT ? 0 : 1);
    tr_gate_applied(g, &b, UINT64_MAX);
    return s;
}

static struct tr_gate_batch complete(struct tr_tile_gate *g, struct tr_gate_slot *s)
{
    uint64_t seq;
    struct tr_gate_batch b = tr_gate_completed(g, s, &seq);
    tr_gate_applied(g, &b, seq);
    return b;
}

static void retire(struct tr_tile_gate *g, int ran, int want, int64_t start, int64_t end)
{
    int64_t s = -7, e = -7;
    assert_int_equal(tr_gate_retire(g, ran, &s, &e), want);
    if (want == 1) {
        assert_int_equal(s, start);
        assert_int_equal(e, end);
    }
}

/* The first tile is opened by the lane; the next by the first's completion, which ends the
 * first and starts the next at one reading. */
static void test_callback_opens_the_next(void **state)
{
    (void)state;
    struct fake_clock c = {.now = 10, .limit = 100};
    struct tr_tile_gate g;
    gate_setup(&g, &c);
    struct tr_gate_slot *a = add(&g, TR_GATE_OPEN);
    c.now = 11;
    struct tr_gate_slot *b = add(&g, TR_GATE_WAIT);
    add(&g, TR_GATE_WAIT);
    c.now = 30;
    struct tr_gate_batch next = complete(&g, a);
    assert_int_equal(next.action, TR_GATE_OPEN);
    assert_int_equal(next.first, 1);
    assert_int_equal(next.n, 1);
    c.now = 31; /* the lane sees it later: the callback's reading stands */
    retire(&g, 1, 1, 10, 30);
    c.now = 50;
    complete(&g, b);
    retire(&g, 1, 1, 30, 50);
    tr_gate_destroy(&g);
}

/* A tile queued after its predecessor completed is opened by the lane, after its own check. */
static void test_lane_opens_after_a_finished_predecessor(void **state)
{
    (void)state;
    struct fake_clock c = {.now = 0, .limit = 100};
    struct tr_tile_gate g;
    gate_setup(&g, &c);
    struct tr_gate_slot *a = add(&g, TR_GATE_OPEN);
    c.now = 20;
    struct tr_gate_batch none = complete(&g, a);
    assert_int_equal(none.n, 0);
    c.now = 25;
    int checks = c.checks;
    add(&g, TR_GATE_OPEN);
    assert_int_equal(c.checks, checks + 1);
    retire(&g, 1, 1, 0, 20);
    tr_gate_destroy(&g);
}

/* Once the limit has passed, the completion cancels every tile still waiting, later tiles are
 * cancelled as they are queued, and the cancelled tiles retire as not started. */
static void test_limit_cancels_the_rest(void **state)
{
    (void)state;
    struct fake_clock c = {.now = 0, .limit = 100};
    struct tr_tile_gate g;
    gate_setup(&g, &c);
    struct tr_gate_slot *a = add(&g, TR_GATE_OPEN);
    add(&g, TR_GATE_WAIT);
    add(&g, TR_GATE_WAIT);
    add(&g, TR_GATE_WAIT);
    c.now = 100; /* exactly the limit: no start */
    uint64_t seq;
    struct tr_gate_batch cut = tr_gate_completed(&g, a, &seq);
    assert_int_equal(cut.action, TR_GATE_CANCEL);
    assert_int_equal(cut.first, 1);
    assert_int_equal(cut.n, 3);
    /* the callback leaves the cancels to the lane */
    struct tr_gate_batch none = {cut.first, 0, cut.action};
    tr_gate_applied(&g, &none, seq);
    add(&g, TR_GATE_CANCEL);
    struct tr_gate_batch pending = tr_gate_pending_cancels(&g);
    assert_int_equal(pending.first, 1);
    assert_int_equal(pending.n, 3); /* the fifth, cancelled at its add, was applied */
    tr_gate_applied(&g, &pending, UINT64_MAX);
    assert_int_equal(tr_gate_pending_cancels(&g).n, 0);
    retire(&g, 1, 1, 0, 100);
    for (int i = 0; i < 4; i++)
        retire(&g, 0, 0, 0, 0);
    tr_gate_destroy(&g);
}

/* A lane whose check is refused at once opens nothing. */
static void test_first_tile_refused(void **state)
{
    (void)state;
    struct fake_clock c = {.now = 5, .limit = 5};
    struct tr_tile_gate g;
    gate_setup(&g, &c);
    add(&g, TR_GATE_CANCEL);
    retire(&g, 0, 0, 0, 0);
    tr_gate_destroy(&g);
}

/* A failed lane cancels what is still closed; a failed kernel that was opened is a failure. */
static void test_cancel_rest_and_failure(void **state)
{
    (void)state;
    struct fake_clock c = {.now = 0, .limit = 100};
    struct tr_tile_gate g;
    gate_setup(&g, &c);
    add(&g, TR_GATE_OPEN);
    add(&g, TR_GATE_WAIT);
    add(&g, TR_GATE_WAIT);
    struct tr_gate_batch rest = tr_gate_cancel_rest(&g);
    assert_int_equal(rest.first, 1);
    assert_int_equal(rest.n, 2);
    tr_gate_applied(&g, &rest, UINT64_MAX);
    retire(&g, 0, -1, 0, 0); /* opened, yet did not run: the device failed */
    retire(&g, 0, 0, 0, 0);
    retire(&g, 0, 0, 0, 0);
    tr_gate_destroy(&g);
}

/* The lane may see a completion before the callback: it ends the tile, and the callback's
 * later check starts the next no earlier than that end. */
static void test_lane_sees_completion_first(void **state)
{
    (void)state;
    struct fake_clock c = {.now = 0, .limit = 100};
    struct tr_tile_gate g;
    gate_setup(&g, &c);
    struct tr_gate_slot *a = add(&g, TR_GATE_OPEN);
    add(&g, TR_GATE_WAIT);
    uint64_t seq;
    c.now = 40;
    struct tr_gate_batch next = tr_gate_completed(&g, a, &seq);
    tr_gate_applied(&g, &next, seq);
    assert_int_equal(next.n, 1);
    retire(&g, 1, 1, 0, 40);
    tr_gate_destroy(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callback_opens_the_next),
        cmocka_unit_test(test_lane_opens_after_a_finished_predecessor),
        cmocka_unit_test(test_limit_cancels_the_rest),
        cmocka_unit_test(test_first_tile_refused),
        cmocka_unit_test(test_cancel_rest_and_failure),
        cmocka_unit_test(test_lane_sees_completion_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
