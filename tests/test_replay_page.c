#include "cmocka_all.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "colormap.h"
#include "exit_codes.h"
#include "replay_input.h"
#include "replay_page.h"
#include "tile_stream.h"

/* Whatever f holds, as a NUL-terminated string (caller frees). */
static char *slurp(FILE *f)
{
    long n = ftell(f);
    char *s = malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    return s;
}

static void test_colormap(void **state)
{
    (void)state;
    uint8_t rgb[3], lut[3 * 101];
    tr_colormap_rgb(100, 100, rgb); /* never escaped: black */
    assert_true(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    tr_colormap_rgb(0, 100, rgb); /* the first stop */
    assert_true(rgb[0] == 0 && rgb[1] == 7 && rgb[2] == 100);
    tr_colormap_table(100, lut);
    for (uint32_t c = 0; c <= 100; c++) {
        tr_colormap_rgb(c, 100, rgb);
        assert_memory_equal(rgb, lut + 3 * c, 3);
    }
    tr_colormap_rgb(65534, 65535, rgb); /* the largest argument stays in range */
    assert_true(rgb[0] || rgb[1] || rgb[2]);
    tr_hatch_rgb(0, 0, rgb);
    assert_int_equal(rgb[0], 48);
    tr_hatch_rgb(4, 4, rgb);
    assert_int_equal(rgb[0], 96);
}

static void test_script_safe_json(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_int_equal(tr_write_script_safe_json(f, "{\"a\":\"</script><!--&\xe2\x80\xa8\"}"), 0);
    char *s = slurp(f);
    assert_string_equal(s, "{\"a\":\"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\"}");
    cJSON *back = cJSON_Parse(s);
    assert_non_null(back);
    assert_string_equal(cJSON_GetObjectItem(back, "a")->valuestring, "</script><!--&\xe2\x80\xa8");
    cJSON_Delete(back);
    free(s);
    fclose(f);
}

static void test_page_slots(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    cJSON *runs = cJSON_Parse("[{\"x\":\"<b>\"}]");
    assert_int_equal(tr_replay_page_write(f, runs, "<form id=\"server-form\"></form>"), 0);
    char *s = slurp(f);
    assert_non_null(strstr(s, "<div id=\"tilerace-extra\"><form id=\"server-form\"></form></div>"));
    assert_non_null(strstr(s, "type=\"application/json\">[{\"x\":\"\\u003cb\\u003e\"}]</script>"));
    assert_null(strstr(s, "@TILERACE_"));
    free(s);
    fclose(f);

    f = tmpfile(); /* the server's page: no runs, no form */
    assert_int_equal(tr_replay_page_write(f, NULL, NULL), 0);
    s = slurp(f);
    assert_non_null(strstr(s, "type=\"application/json\">[]</script>"));
    free(s);
    fclose(f);
    cJSON_Delete(runs);
    assert_int_equal(strlen(tr_replay_html), tr_replay_html_len);
}

#define DOC                                                                                        \
    "{\"success\":true,\"data\":[%s],\"params\":{\"width\":3,\"height\":2,\"tile_w\":2,"           \
    "\"tile_h\":2,\"max_iter\":9},\"message\":\"m\",\"summary\":{\"tiles_total\":2}}"
#define REC0                                                                                       \
    "{\"task_id\":0,\"thread_id\":0,\"tile_x\":0,\"tile_y\":0,\"tile_w\":2,\"tile_h\":2,"          \
    "\"pixels_computed\":4,\"start_time_us\":0,\"duration_us\":5%s}"
#define REC1                                                                                       \
    "{\"task_id\":1,\"thread_id\":1,\"tile_x\":2,\"tile_y\":0,\"tile_w\":1,\"tile_h\":2,"          \
    "\"pixels_computed\":2,\"start_time_us\":1,\"duration_us\":5%s}"

static int parse(const char *text, cJSON **doc, char *err)
{
    return tr_replay_parse_run(text, strlen(text), doc, err, 200);
}

static void test_parse_runs(void **state)
{
    (void)state;
    char text[2048], recs[1024], r0[256], r1[256], tile0[256], err[200];
    cJSON *doc = NULL;

    /* a document, with and without data */
    snprintf(r0, sizeof(r0), REC0, ",\"data\":[1,2,3,9]");
    snprintf(r1, sizeof(r1), REC1, "");
    snprintf(recs, sizeof(recs), "%s,\n%s", r0, r1);
    snprintf(text, sizeof(text), DOC "\n", recs);
    assert_int_equal(parse(text, &doc, err), 0);
    cJSON_Delete(doc);

    /* NDJSON: the tile line's data lands in the record */
    snprintf(r0, sizeof(r0), REC0, "");
    snprintf(tile0, sizeof(tile0), REC0, ",\"data\":[4,3,2,1]");
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    snprintf(text, sizeof(text), "%s\n\n" DOC "\n", tile0, recs);
    assert_int_equal(parse(text, &doc, err), 0);
    cJSON *data =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "data"), 0), "data");
    assert_int_equal(cJSON_GetArraySize(data), 4);
    assert_int_equal(cJSON_GetArrayItem(data, 0)->valueint, 4);
    cJSON_Delete(doc);

    /* bad inputs */
    assert_int_equal(parse("", &doc, err), TR_EXIT_USAGE);
    assert_string_equal(err, "the file is empty");
    assert_int_equal(parse("{\"a\":1}\n{\"b\":", &doc, err), TR_EXIT_USAGE);
    assert_string_equal(err, "line 2: not valid JSON");
    snprintf(text, sizeof(text), "%s\n%s\n", tile0, tile0); /* a stream cut short */
    assert_int_equal(parse(text, &doc, err), TR_EXIT_USAGE);
    assert_non_null(strstr(err, "no run document at the end"));
    snprintf(r0, sizeof(r0), REC0, ",\"data\":[1,2,3,10]"); /* 10 > max_iter */
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    snprintf(text, sizeof(text), DOC, recs);
    assert_int_equal(parse(text, &doc, err), TR_EXIT_USAGE);
    assert_non_null(strstr(err, "not a count in 0..max_iter"));
    snprintf(text, sizeof(text), DOC, "{\"task_id\":2}");
    assert_int_equal(parse(text, &doc, err), TR_EXIT_USAGE);
    assert_non_null(strstr(err, "no task_id within the frame's tile grid"));
    assert_null(doc);
}

/* Lines written from many threads at once stay whole. */
struct writer {
    struct tr_tile_stream *s;
    const uint16_t *frame;
    uint32_t lane;
};

static void *write_lines(void *arg)
{
    struct writer *w = arg;
    for (uint32_t i = 0; i < 200; i++) {
        struct tr_record r = {.task_id = i,
                              .thread_id = w->lane,
                              .tile_w = 16,
                              .tile_h = 4,
                              .pixels_computed = 64,
                              .device_time_ns = -1};
        tr_tile_stream_write(w->s, &r, w->frame);
    }
    return NULL;
}

static void test_stream_lines_stay_whole(void **state)
{
    (void)state;
    uint16_t frame[16 * 4];
    for (int i = 0; i < 64; i++)
        frame[i] = (uint16_t)(1000 + i);
    FILE *f = tmpfile();
    struct tr_tile_stream s;
    tr_tile_stream_init(&s, f, 16, NULL);
    pthread_t t[6];
    struct writer w[6];
    for (uint32_t i = 0; i < 6; i++) {
        w[i] = (struct writer){&s, frame, i};
        pthread_create(&t[i], NULL, write_lines, &w[i]);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    assert_false(tr_tile_stream_failed(&s));
    tr_tile_stream_destroy(&s);
    char *text = slurp(f);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")), 64);
        cJSON_Delete(o);
    }
    assert_int_equal(lines, 6 * 200);
    free(text);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colormap),
        cmocka_unit_test(test_script_safe_json),
        cmocka_unit_test(test_page_slots),
        cmocka_unit_test(test_parse_runs),
        cmocka_unit_test(test_stream_lines_stay_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
