#include "cli/exit_codes.h"
#include "cmocka_all.h"
#include "core/status.h"

/* The documented exit codes (README, --help): 0 success, 1 internal, 2 usage, 3 device, 4 I/O. */
static void test_each_status_has_its_documented_code(void **state)
{
    (void)state;
    assert_int_equal(tr_exit_code(TR_OK), 0);
    assert_int_equal(tr_exit_code(TR_ERR_INTERNAL), 1);
    assert_int_equal(tr_exit_code(TR_ERR_USAGE), 2);
    assert_int_equal(tr_exit_code(TR_ERR_DEVICE), 3);
    assert_int_equal(tr_exit_code(TR_ERR_IO), 4);
}

/* A value outside the enumeration is an internal failure, never a success. */
static void test_unknown_status_is_internal_failure(void **state)
{
    (void)state;
    assert_int_equal(tr_exit_code((enum tr_status)99), TR_EXIT_FAILURE);
    assert_int_equal(tr_exit_code((enum tr_status) - 1), TR_EXIT_FAILURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_status_has_its_documented_code),
        cmocka_unit_test(test_unknown_status_is_internal_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
