/* Host-side OpenCL messages and guards that need no device. */
#include "cmocka_all.h"

#include <string.h>

#include "core/status.h"
#include "opencl/cache_dir.h"
#include "opencl/device.h"
#include "opencl/program.h"

static void test_devices_need_the_environment_prepared_first(void **state)
{
    (void)state;
    /* pocl reads POCL_CACHE_DIR; main() sets it before any thread exists, and listing devices
     * without that is refused rather than left to work by chance */
    struct tr_cl_device_list list;
    char err[256] = "";
    assert_false(tr_cl_environment_prepared());
    assert_int_equal(tr_cl_list_devices(&list, err, sizeof(err)), TR_ERR_INTERNAL);
    assert_non_null(strstr(err, "internal error"));
    assert_int_equal(list.count, 0);
}

static void test_build_failure_names_the_error_and_the_log(void **state)
{
    (void)state;
    char err[512];
    const char *blank[] = {"", "\n", " \n\t\n"};
    for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
        tr_cl_build_failure("dev", CL_BUILD_PROGRAM_FAILURE, blank[i], CL_SUCCESS, err,
                            sizeof(err));
        assert_string_equal(
            err, "clBuildProgram failed on 'dev': CL_BUILD_PROGRAM_FAILURE (the build log was "
                 "empty)");
    }
    tr_cl_build_failure("dev", CL_BUILD_PROGRAM_FAILURE, "1:2: error: expected expression",
                        CL_SUCCESS, err, sizeof(err));
    assert_string_equal(
        err, "clBuildProgram failed on 'dev': CL_BUILD_PROGRAM_FAILURE (build log above)");
    tr_cl_build_failure("dev", CL_OUT_OF_HOST_MEMORY, NULL, CL_INVALID_PROGRAM, err, sizeof(err));
    assert_string_equal(err, "clBuildProgram failed on 'dev': CL_OUT_OF_HOST_MEMORY (no build "
                             "log: clGetProgramBuildInfo: CL_INVALID_PROGRAM)");
}

static void test_no_platform_reason_is_never_cl_success(void **state)
{
    (void)state;
    char buf[256];
    struct tr_cl_device_list list;
    memset(&list, 0, sizeof(list));
    list.platform_status = CL_SUCCESS; /* the loader found no platform and said so with 0 */
    assert_null(strstr(tr_cl_no_platform_reason(&list, buf, sizeof(buf)), "CL_SUCCESS"));
    assert_non_null(strstr(buf, "no OpenCL driver reported one"));
    list.platform_status = -1001; /* CL_PLATFORM_NOT_FOUND_KHR, from cl_ext.h */
    assert_non_null(strstr(tr_cl_no_platform_reason(&list, buf, sizeof(buf)), "CL_PLATFORM_"));
    list.cache_problem = "POCL_CACHE_DIR '/x' is not a directory";
    assert_string_equal(tr_cl_no_platform_reason(&list, buf, sizeof(buf)), list.cache_problem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devices_need_the_environment_prepared_first),
        cmocka_unit_test(test_build_failure_names_the_error_and_the_log),
        cmocka_unit_test(test_no_platform_reason_is_never_cl_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
