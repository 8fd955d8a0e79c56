/* core/pages: zeroed memory from the heap or on huge-page boundaries, given back by the way it
 * came, and pages made present without changing what they hold. */
#include <stdint.h>
#include <string.h>

#include "cmocka_all.h"

#include "core/pages.h"

#define MIB ((size_t)1 << 20)

static const size_t sizes[] = {0,           1,       4095,        4096,       4097,
                               2 * MIB - 1, 2 * MIB, 2 * MIB + 1, 5 * MIB + 3};

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_zeroed_and_mapped_from_2_mib(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t mapped = 123;
        unsigned char *p = tr_pages_alloc(sizes[i], &mapped);
        assert_non_null(p);
        assert_true(all_zero(p, sizes[i]));
        if (sizes[i] < 2 * MIB) {
            assert_int_equal(mapped, 0); /* from the heap */
        } else {
            assert_int_equal((uintptr_t)p % (2 * MIB), 0);
            assert_int_equal(mapped % (2 * MIB), 0);
            assert_true(mapped >= sizes[i] && mapped < sizes[i] + 2 * MIB);
        }
        if (sizes[i]) { /* every byte writable */
            p[0] = 1;
            p[sizes[i] - 1] = 2;
        }
        tr_pages_free(p, mapped);
    }
    tr_pages_free(NULL, 0);
}

static void test_touch_keeps_the_contents(void **state)
{
    (void)state;
    for (size_t i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t mapped;
        /* odd starts too: a buffer inside another */
        unsigned char *p = tr_pages_alloc(sizes[i] + 3, &mapped);
        assert_non_null(p);
        unsigned char *at = p + 3;
        for (size_t k = 0; k < sizes[i]; k++)
            at[k] = (unsigned char)(k * 7 + 1);
        tr_touch_pages(at, sizes[i]);
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(at[k], (unsigned char)(k * 7 + 1));
        assert_int_equal(p[0], 0); /* nothing outside was written */
        tr_pages_free(p, mapped);
    }
    tr_touch_pages(NULL, 10);
    unsigned char one = 9;
    tr_touch_pages(&one, 0);
    assert_int_equal(one, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_and_mapped_from_2_mib),
        cmocka_unit_test(test_touch_keeps_the_contents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
