/* The clock module's deadlines and monotonic timed waits. */
#include <errno.h>
#include <pthread.h>

#include "cmocka_all.h"
#include "core/clock.h"

static void test_deadline_is_ms_from_now(void **state)
{
    (void)state;
    int64_t before = tr_now_ns();
    int64_t deadline = tr_deadline_ns(250);
    int64_t after = tr_now_ns();
    assert_true(deadline >= before + 250000000);
    assert_true(deadline <= after + 250000000);
}

/* A wait measures on the monotonic clock: it neither returns at once (as a deadline read on
 * the wall clock would, being long past) nor fails (an unnormalised time is EINVAL). */
static void test_wait_until_times_out_at_the_deadline(void **state)
{
    (void)state;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond;
    assert_int_equal(tr_cond_init_monotonic(&cond), 0);
    pthread_mutex_lock(&lock);
    for (int64_t ms = 1; ms <= 64; ms *= 4) {
        int64_t start = tr_now_ns();
        int64_t deadline = tr_deadline_ns(ms);
        int rc;
        do /* a spurious wake-up returns 0 before the deadline */
            rc = tr_cond_wait_until(&cond, &lock, deadline);
        while (rc == 0);
        assert_int_equal(rc, ETIMEDOUT);
        assert_true(tr_now_ns() >= deadline);
        assert_true(tr_now_ns() - start >= ms * 1000000);
    }
    /* a deadline already past (or before the clock's origin) returns at once */
    assert_int_equal(tr_cond_wait_until(&cond, &lock, tr_now_ns() - 1000000000), ETIMEDOUT);
    assert_int_equal(tr_cond_wait_until(&cond, &lock, -5), ETIMEDOUT);
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&cond);
}

struct signaller {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int ready;
};

static void *signal_main(void *arg)
{
    struct signaller *s = arg;
    pthread_mutex_lock(&s->lock);
    s->ready = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void test_wait_until_wakes_when_signalled(void **state)
{
    (void)state;
    struct signaller s = {.lock = PTHREAD_MUTEX_INITIALIZER, .ready = 0};
    pthread_t thread;
    assert_int_equal(tr_cond_init_monotonic(&s.cond), 0);
    int64_t deadline = tr_deadline_ns(60000); /* a hang would break this, not a slow machine */
    pthread_mutex_lock(&s.lock);
    assert_int_equal(pthread_create(&thread, NULL, signal_main, &s), 0);
    while (!s.ready)
        assert_int_equal(tr_cond_wait_until(&s.cond, &s.lock, deadline), 0);
    pthread_mutex_unlock(&s.lock);
    pthread_join(thread, NULL);
    assert_true(tr_now_ns() < deadline);
    pthread_cond_destroy(&s.cond);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_is_ms_from_now),
        cmocka_unit_test(test_wait_until_times_out_at_the_deadline),
        cmocka_unit_test(test_wait_until_wakes_when_signalled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
