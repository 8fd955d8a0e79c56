#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmocka_all.h"
#include "server/sse.h"

static atomic_int stop_all;

/* The reader's side of a waker: a flag the render's thread sets. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static int woken, parks, wakes, park_answer;

static int park(void *ctx)
{
    (void)ctx;
    if (park_answer)
        parks++;
    return park_answer;
}

static void wake(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&wake_lock);
    wakes++;
    woken = 1;
    pthread_cond_signal(&wake_cond);
    pthread_mutex_unlock(&wake_lock);
}

static void wait_woken(void)
{
    pthread_mutex_lock(&wake_lock);
    while (!woken)
        pthread_cond_wait(&wake_cond, &wake_lock);
    woken = 0;
    pthread_mutex_unlock(&wake_lock);
}

/* Reads the whole stream (in small pieces) into a malloc'd string. */
static char *read_all(struct tr_sse_stream *s)
{
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    char buf[97];
    assert_non_null(out);
    for (;;) {
        ssize_t n = tr_sse_read(s, buf, sizeof(buf));
        if (n == TR_SSE_END)
            break;
        assert_true(n != TR_SSE_ERROR);
        if (n == TR_SSE_AGAIN) {
            wait_woken();
            continue;
        }
        if (len + (size_t)n + 1 > cap) {
            cap = 2 * (len + (size_t)n + 1);
            out = realloc(out, cap);
            assert_non_null(out);
        }
        memcpy(out + len, buf, (size_t)n);
        len += (size_t)n;
    }
    out[len] = '\0';
    return out;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static void small_params(struct tr_params *p)
{
    tr_params_defaults(p);
    p->width = 64;
    p->height = 64;
    p->tile_w = 16;
    p->tile_h = 16;
    p->max_iter = 50;
    p->num_threads = 2;
    p->time_limit_ms = 60000;
}

/* A render that fails is reported by an event of its own carrying the JSON error, and the
 * stream ends after it. */
static void test_failure_is_an_error_event(void **state)
{
    (void)state;
    struct tr_params p;
    struct tr_sse_stream *s;
    struct tr_sse_result res;
    char err[256];
    small_params(&p);
    snprintf(p.device, sizeof(p.device), "nonsense");
    assert_int_equal(tr_sse_start(&p, -1, &stop_all, &s, err, sizeof(err)), 0);
    char *text = read_all(s);
    const char *want = "event: error\ndata: {\"success\":false,\"error\":\"invalid_parameter\","
                       "\"message\":\"";
    if (strncmp(text, want, strlen(want)) != 0 || !strstr(text, "'nonsense'"))
        fail_msg("stream: %s", text);
    assert_int_equal(count(text, "\n\n"), 1);
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
    tr_sse_finish(s, &res);
    assert_int_equal(res.status, TR_ERR_USAGE);
    assert_true(res.finished);
}

/* Parked, the reader returns at once; each park is followed by exactly one wake, and every
 * tile still arrives. */
static void test_parked_reader_is_woken(void **state)
{
    (void)state;
    struct tr_params p;
    struct tr_sse_stream *s;
    struct tr_sse_result res;
    char err[256];
    small_params(&p);
    assert_int_equal(tr_sse_start(&p, -1, &stop_all, &s, err, sizeof(err)), 0);
    parks = wakes = woken = 0;
    park_answer = 1;
    tr_sse_set_waker(s, &(struct tr_sse_waker){park, wake, NULL});
    char *text = read_all(s);
    assert_int_equal(count(text, "event: tile\n"), 16);
    assert_int_equal(count(text, "event: complete\n"), 1);
    free(text);
    tr_sse_finish(s, &res);
    assert_int_equal(parks, wakes);
    assert_int_equal(res.status, TR_OK);
    assert_int_equal(res.tiles_sent, 16);
    /* a waker that declines: the reader waits instead */
    assert_int_equal(tr_sse_start(&p, -1, &stop_all, &s, err, sizeof(err)), 0);
    parks = wakes = 0;
    park_answer = 0;
    tr_sse_set_waker(s, &(struct tr_sse_waker){park, wake, NULL});
    text = read_all(s);
    assert_int_equal(count(text, "event: tile\n"), 16);
    free(text);
    tr_sse_finish(s, &res);
    assert_int_equal(wakes, 0);
}

static pthread_mutex_t released_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released_cond = PTHREAD_COND_INITIALIZER;
static int released_calls;
static struct tr_sse_result released_result;

static void on_released(void *ctx, const struct tr_sse_result *r)
{
    assert_ptr_equal(ctx, &released_calls);
    pthread_mutex_lock(&released_lock);
    released_calls++;
    released_result = *r;
    pthread_cond_signal(&released_cond);
    pthread_mutex_unlock(&released_lock);
}

/* Releasing a stream whose render still runs does not wait for it: the render is cancelled
 * and frees the stream at its end. */
static void test_release_does_not_wait(void **state)
{
    (void)state;
    struct tr_params p;
    struct tr_sse_stream *s;
    char err[256], buf[64];
    tr_params_defaults(&p);
    p.width = 4096;
    p.height = 4096;
    p.tile_w = 64;
    p.tile_h = 64;
    p.max_iter = 65535;
    p.num_threads = 1;
    p.time_limit_ms = 60000;
    assert_int_equal(tr_sse_start(&p, -1, &stop_all, &s, err, sizeof(err)), 0);
    assert_int_equal(tr_sse_wait_first(s, err, sizeof(err)), 0);
    assert_true(tr_sse_read(s, buf, sizeof(buf)) > 0);
    released_calls = 0;
    tr_sse_release(s, on_released, &released_calls);
    pthread_mutex_lock(&released_lock);
    while (!released_calls)
        pthread_cond_wait(&released_cond, &released_lock);
    pthread_mutex_unlock(&released_lock);
    assert_int_equal(released_calls, 1);
    assert_true(released_result.cancelled);
    assert_true(released_result.peer_gone); /* the final event was never read */
    assert_true(released_result.tiles_total == 4096);
    /* released after its end: at once, on this thread */
    small_params(&p);
    assert_int_equal(tr_sse_start(&p, -1, &stop_all, &s, err, sizeof(err)), 0);
    free(read_all(s));
    released_calls = 0;
    tr_sse_release(s, on_released, &released_calls);
    assert_int_equal(released_calls, 1);
    assert_false(released_result.peer_gone);
    assert_true(released_result.finished);
}

/* The complete event carries the document as --stream's last line writes it: one line, the
 * records without counts (the tile events had them), then params, message and summary. */
static void test_complete_event_is_the_document_line(void **state)
{
    (void)state;
    struct tr_params p;
    struct tr_sse_stream *s;
    struct tr_sse_result res;
    char err[256];
    small_params(&p);
    assert_int_equal(tr_sse_start(&p, -1, &stop_all, &s, err, sizeof(err)), 0);
    char *text = read_all(s);
    tr_sse_finish(s, &res);
    const char *head = "id: complete\nevent: complete\ndata: {\"success\":true,\"data\":[{";
    char *event = strstr(text, "id: complete\n");
    assert_non_null(event);
    assert_int_equal(strncmp(event, head, strlen(head)), 0);
    char *data = event + strlen("id: complete\nevent: complete\ndata: ");
    char *end = strchr(data, '\n');
    assert_non_null(end);
    assert_string_equal(end, "\n\n"); /* one line, then the end of the stream */
    *end = '\0';
    assert_non_null(strstr(data, "}],\"params\":{"));
    assert_null(strstr(data, "\"data\":[0")); /* no record carries counts */
    cJSON *doc = cJSON_Parse(data);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "data")), 16);
    assert_non_null(cJSON_GetObjectItem(doc, "summary"));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(doc, "message")));
    cJSON_Delete(doc);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_is_an_error_event),
        cmocka_unit_test(test_parked_reader_is_woken),
        cmocka_unit_test(test_release_does_not_wait),
        cmocka_unit_test(test_complete_event_is_the_document_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
