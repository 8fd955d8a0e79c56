#include <string.h>

#include <cjson/cJSON.h>

#include "cmocka_all.h"
#include "core/status.h"
#include "server/json_answer.h"

/* Each status of a failed render has an HTTP status and an error code, returned together. */
static void test_failure_for_status(void **state)
{
    (void)state;
    static const struct {
        enum tr_status render;
        unsigned status;
        const char *error;
    } cases[] = {
        {TR_ERR_USAGE, 400, "invalid_parameter"},    {TR_ERR_DEVICE, 503, "device_unavailable"},
        {TR_ERR_INTERNAL, 500, "internal_error"},    {TR_ERR_IO, 500, "internal_error"},
        {(enum tr_status)99, 500, "internal_error"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tr_http_failure f = tr_http_failure_for_status(cases[i].render);
        assert_int_equal(f.status, cases[i].status);
        assert_non_null(f.error);
        assert_string_equal(f.error, cases[i].error);
    }
}

static void check_body(const char *body, const char *error, const char *message)
{
    cJSON *o = cJSON_Parse(body);
    assert_non_null(o);
    assert_int_equal(cJSON_GetArraySize(o), 3);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "success")));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "error")), error);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "message")), message);
    cJSON_Delete(o);
}

/* An error body is always complete JSON, even without an error code or a message. */
static void test_error_body(void **state)
{
    (void)state;
    char *b = tr_http_error_body("busy", "all slots \"taken\"\n");
    check_body(b, "busy", "all slots \"taken\"\n");
    cJSON_free(b);
    b = tr_http_error_body(NULL, "x");
    check_body(b, "internal_error", "x");
    cJSON_free(b);
    b = tr_http_error_body("busy", NULL);
    check_body(b, "busy", "");
    cJSON_free(b);
    check_body(TR_HTTP_OOM_BODY, "internal_error", "out of memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_for_status),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
