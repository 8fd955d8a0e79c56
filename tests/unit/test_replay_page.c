#include "cmocka_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/status.h"
#include "output/colormap.h"
#include "output/tile_stream.h"
#include "replay/input.h"
#include "replay/json_syntax.h"
#include "replay/page.h"

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
    assert_int_equal(parse("", &doc, err), TR_ERR_USAGE);
    assert_string_equal(err, "the file is empty");
    assert_int_equal(parse("{\"a\":1}\n{\"b\":", &doc, err), TR_ERR_USAGE);
    assert_string_equal(err, "line 2, column 6: not valid JSON (the text ends before the JSON "
                             "value does)");
    snprintf(text, sizeof(text), "%s\n%s\n", tile0, tile0); /* a stream cut short */
    assert_int_equal(parse(text, &doc, err), TR_ERR_USAGE);
    assert_non_null(strstr(err, "no run document at the end"));
    snprintf(r0, sizeof(r0), REC0, ",\"data\":[1,2,3,10]"); /* 10 > max_iter */
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    snprintf(text, sizeof(text), DOC, recs);
    assert_int_equal(parse(text, &doc, err), TR_ERR_USAGE);
    assert_non_null(strstr(err, "not a count in 0..max_iter"));
    snprintf(text, sizeof(text), DOC, "{\"task_id\":2}");
    assert_int_equal(parse(text, &doc, err), TR_ERR_USAGE);
    assert_non_null(strstr(err, "no task_id within the frame's tile grid"));
    assert_null(doc);
}

/* The page's rules and the numbers it computes with. */
static void test_parse_mirrors_the_page(void **state)
{
    (void)state;
    char text[2048], recs[1024], r0[256], r1[256], err[200];
    cJSON *doc = NULL;
    /* thread_id: the page takes 0..65535 */
    snprintf(r1, sizeof(r1), REC1, "");
    snprintf(r0, sizeof(r0),
             "{\"task_id\":0,\"thread_id\":65535,\"tile_x\":0,\"tile_y\":0,\"tile_w\":2,"
             "\"tile_h\":2,\"pixels_computed\":4,\"start_time_us\":0,\"duration_us\":5}");
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    snprintf(text, sizeof(text), DOC, recs);
    assert_int_equal(parse(text, &doc, err), 0);
    cJSON_Delete(doc);
    snprintf(r0, sizeof(r0),
             "{\"task_id\":0,\"thread_id\":65536,\"tile_x\":0,\"tile_y\":0,\"tile_w\":2,"
             "\"tile_h\":2,\"pixels_computed\":4,\"start_time_us\":0,\"duration_us\":5}");
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    snprintf(text, sizeof(text), DOC, recs);
    assert_int_equal(parse(text, &doc, err), TR_ERR_USAGE);
    assert_non_null(strstr(err, "thread_id is missing or not a count in 0..65535"));
    assert_null(doc);

    /* summary numbers the page draws with: absent, null or in range */
    static const struct {
        const char *summary;
        int ok;
    } cases[] = {
        {"{\"elapsed_us\":12,\"threads_used\":2,\"giga_iterations_per_s\":0.5}", 1},
        {"{\"elapsed_us\":null,\"threads_used\":null}", 1},
        {"{\"elapsed_us\":\"12\"}", 0},
        {"{\"elapsed_us\":1.5}", 0},
        {"{\"elapsed_us\":-1}", 0},
        {"{\"threads_used\":65537}", 0},
        {"{\"threads_used\":1e300}", 0},
        {"{\"giga_iterations_per_s\":\"fast\"}", 0},
        {"{\"giga_iterations_per_s\":1e999}", 0},
    };
    snprintf(r0, sizeof(r0), REC0, "");
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text),
                 "{\"success\":true,\"data\":[%s],\"params\":{\"width\":3,\"height\":2,"
                 "\"tile_w\":2,\"tile_h\":2,\"max_iter\":9},\"summary\":%s}",
                 recs, cases[i].summary);
        int rc = parse(text, &doc, err);
        if (rc != (cases[i].ok ? 0 : TR_ERR_USAGE))
            fail_msg("summary %s: rc %d (%s)", cases[i].summary, rc, err);
        if (!cases[i].ok)
            assert_non_null(strstr(err, "summary: "));
        cJSON_Delete(doc);
    }
}

/* Errors name the line and column where the text goes wrong, in characters. */
static void test_parse_errors_name_line_and_column(void **state)
{
    (void)state;
    char err[200];
    cJSON *doc = NULL;
    static const struct {
        const char *text, *want;
    } cases[] = {
        /* one document over several lines: the error's own line, not line 1 */
        {"{\n  \"success\": true,\n  \"data\": [\n    {\"task_id\": 0,\n      x}\n]}",
         "line 5, column 7: not valid JSON (expected a member name in double quotes)"},
        {"{\"a\": [1, 2\n 3]}", "line 2, column 2: not valid JSON (expected ',' or ']')"},
        {"{\"a\": 1}\n\n{\"b\": tru}\n", "line 3, column 7: not valid JSON (expected a value"},
        {"{\"a\": 1}\n5 6\n", "line 2, column 3: not valid JSON (text after the end"},
        {"{\n\"a\": 1\n} x", "line 3, column 3: not valid JSON (text after the end"},
        {"{\"\xc3\xa9\xc3\xa9\": 01}", "line 1, column 9: not valid JSON (expected ',' or '}')"},
        {"{\"a\": \"x\\q\"}", "line 1, column 9: not valid JSON (an unknown escape"},
        {"{\"a\": \"x\ty\"}", "line 1, column 9: not valid JSON (a control character"},
        /* valid JSON, but no text: half a surrogate pair */
        {"{\"a\": \"\\ud800\"}", "line 1, column 8: not valid JSON (a \\u escape of half"},
        /* text that is not UTF-8 */
        {"{\"a\":\n \"\xc3\xa9\xff\"}", "line 2, column 4: byte 0xff is not UTF-8"},
        {"{\"a\": \"\xed\xa0\x80\"}", "line 1, column 8: byte 0xed is not UTF-8"},
        {"\xc3", "line 1, column 1: byte 0xc3 is not UTF-8"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = parse(cases[i].text, &doc, err);
        if (rc != TR_ERR_USAGE || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: rc %d, '%s', expected '%s'", i, rc, err, cases[i].want);
        assert_null(doc);
    }
}

static void test_json_syntax(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "0", "-0.5e+3", " {\"a\":[1,true,false,null,\"\\u00e9\\n\"],\"b\":{}} ", "[]", "\"\""};
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        assert_null(tr_json_syntax_error(valid[i], valid[i] + strlen(valid[i]), NULL));
    static const struct {
        const char *text;
        size_t at;
    } bad[] = {{"", 0},          {"01", 1},        {"1.", 2},    {"-", 1},           {"[1,]", 3},
               {"{\"a\" 1}", 5}, {"{'a':1}", 1},   {"\"abc", 4}, {"\"\\u12g4\"", 1}, {"nul", 0},
               {"[1] [2]", 4},   {"{\"a\":1,}", 7}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = NULL;
        const char *at = tr_json_syntax_error(bad[i].text, bad[i].text + strlen(bad[i].text), &why);
        if (!at || (size_t)(at - bad[i].text) != bad[i].at || !why)
            fail_msg("'%s': error at %td, expected %zu", bad[i].text, at ? at - bad[i].text : -1,
                     bad[i].at);
    }
    char deep[2 * TR_JSON_MAX_DEPTH + 4];
    memset(deep, '[', TR_JSON_MAX_DEPTH);
    memset(deep + TR_JSON_MAX_DEPTH, ']', TR_JSON_MAX_DEPTH);
    assert_null(tr_json_syntax_error(deep, deep + 2 * TR_JSON_MAX_DEPTH, NULL));
    memset(deep, '[', TR_JSON_MAX_DEPTH + 1);
    memset(deep + TR_JSON_MAX_DEPTH + 1, ']', TR_JSON_MAX_DEPTH + 1);
    const char *at = tr_json_syntax_error(deep, deep + 2 * TR_JSON_MAX_DEPTH + 2, NULL);
    assert_ptr_equal(at, deep + TR_JSON_MAX_DEPTH);
}

/* An allocator that fails after a number of allocations. */
static long allocations_left;
static void *failing_malloc(size_t size)
{
    return allocations_left-- > 0 ? malloc(size) : NULL;
}

static void test_parse_out_of_memory_is_not_bad_json(void **state)
{
    (void)state;
    char text[2048], recs[1024], r0[256], r1[256], tile0[256], err[200];
    cJSON *doc = NULL;
    snprintf(r0, sizeof(r0), REC0, ",\"data\":[1,2,3,9]");
    snprintf(r1, sizeof(r1), REC1, "");
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    char document[2048], stream[4096];
    snprintf(document, sizeof(document), DOC, recs);
    snprintf(r0, sizeof(r0), REC0, "");
    snprintf(tile0, sizeof(tile0), REC0, ",\"data\":[4,3,2,1]");
    snprintf(recs, sizeof(recs), "%s,%s", r0, r1);
    snprintf(text, sizeof(text), DOC, recs);
    snprintf(stream, sizeof(stream), "%s\n%s\n", tile0, text);
    const char *inputs[] = {document, stream};
    for (size_t in = 0; in < 2; in++) {
        /* every allocation in turn fails: always "out of memory", never "not valid JSON" */
        int failures = 0;
        for (long n = 0;; n++) {
            allocations_left = n;
            tr_replay_input_set_malloc(failing_malloc);
            int rc = parse(inputs[in], &doc, err);
            tr_replay_input_set_malloc(NULL);
            if (rc == 0) {
                cJSON_Delete(doc);
                break;
            }
            failures++;
            if (rc != TR_ERR_INTERNAL || strcmp(err, "out of memory") != 0)
                fail_msg("input %zu, allocation %ld failing: rc %d, '%s'", in, n, rc, err);
            assert_null(doc);
        }
        assert_true(failures > 10);
    }
}

/* Each tile is one whole line: its record and its counts (the output thread writes them). */
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
    for (uint32_t i = 0; i < 6; i++) {
        struct writer w = {&s, frame, i};
        write_lines(&w);
    }
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
        cmocka_unit_test(test_parse_mirrors_the_page),
        cmocka_unit_test(test_parse_errors_name_line_and_column),
        cmocka_unit_test(test_json_syntax),
        cmocka_unit_test(test_parse_out_of_memory_is_not_bad_json),
        cmocka_unit_test(test_stream_lines_stay_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
