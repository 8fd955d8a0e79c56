/*
 * The whole request handler, in one process and without sockets: the server's real code
 * (host/server*.c, from routing, CORS and parameter checks to renders, event streams and
 * error answers) linked against fake_mhd.c instead of libmicrohttpd. The input is a request:
 *
 *   [~]METHOD TARGET\n        '~': to a server that is shutting down (answers 503)
 *   Name: value\n             headers (Origin, Host, Last-Event-ID, ...); "@PORT@" in a
 *                             value becomes the port the server listens on
 *   \n
 *   body
 *
 * The servers' caps keep every render tiny (at most 1024 pixels of 64 iterations), and
 * OpenCL sees no platform, so device=pocl and the like are answered "unavailable" at once.
 * FUZZ_SHOW_ANSWER=1 prints each answer's status and the start of its body.
 * Properties: every request gets exactly one answer: 200, 204, 4xx or 503 (never 500); every
 * error is the JSON {"success": false, "error", "message"}, CORS echoes only the request's
 * own Origin, a stream ends with its complete event, and nothing stays counted as busy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fake_mhd.h"
#include "fuzz_common.h"
#ifdef TILERACE_HAVE_OPENCL
#include "opencl/cache_dir.h"
#endif
#include "server/server.h"

#define MAX_STREAM_BYTES (4u << 20)

static struct tr_server *servers[2]; /* serving, and shutting down */
static struct MHD_Daemon *daemons[2];
static char ports[2][8];

static void start(int index)
{
    struct tr_server_config cfg;
    char err[512];
    tr_server_config_defaults(&cfg);
    cfg.port = 0;
    cfg.caps.pixels = 1024;
    cfg.caps.tiles = 64;
    cfg.caps.tile_pixels = 1024;
    cfg.caps.max_iter = 64;
    cfg.caps.time_limit_ms = 100;
    cfg.caps.num_threads = 2;
    cfg.max_renders = 2;
    cfg.max_queued = 0;
    if (tr_cors_add(&cfg.cors, "https://app.example:8443", err, sizeof(err)) ||
        tr_cors_add(&cfg.cors, "http://example.com:*", err, sizeof(err)))
        fuzz_fail("origin: %s", err);
    if (tr_server_start(&cfg, &servers[index], err, sizeof(err)))
        fuzz_fail("the server did not start: %s", err);
    daemons[index] = fake_mhd_last_daemon();
    /* "http://127.0.0.1:PORT/" */
    const char *url = tr_server_url(servers[index]), *colon = strrchr(url, ':');
    FUZZ_CHECK(colon, "no port in the server's URL %s", url);
    snprintf(ports[index], sizeof(ports[index]), "%.*s", (int)strcspn(colon + 1, "/"), colon + 1);
}

/* value with every "@PORT@" replaced by port: malloc'd */
static char *with_port(const char *value, const char *port)
{
    size_t n = 0;
    for (const char *p = value; (p = strstr(p, "@PORT@")) != NULL; p += 6)
        n++;
    char *out = malloc(strlen(value) + n * strlen(port) + 1), *o = out;
    if (!out)
        fuzz_fail("out of memory");
    for (const char *p = value;;) {
        const char *at = strstr(p, "@PORT@");
        size_t len = at ? (size_t)(at - p) : strlen(p);
        memcpy(o, p, len);
        o += len;
        if (!at)
            break;
        memcpy(o, port, strlen(port));
        o += strlen(port);
        p = at + 6;
    }
    *o = '\0';
    return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* no OpenCL platform: OpenCL devices are "unavailable", and quickly */
    setenv("OCL_ICD_VENDORS", "/nonexistent", 1);
#ifdef TILERACE_HAVE_OPENCL
    /* as main() does before any thread starts */
    tr_cl_prepare_environment();
#endif
    start(0);
    start(1);
    tr_server_quiesce(servers[1]);
    return 0;
}

static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == ':')
            return 0;
    return 1;
}

static void check_error_body(const struct fake_answer *a)
{
    const char *type = fake_answer_header(a, "Content-Type");
    FUZZ_CHECK(type && !strcmp(type, "application/json"), "%u: Content-Type %s", a->status,
               type ? type : "(none)");
    cJSON *o = cJSON_ParseWithLength(a->body, a->len);
    FUZZ_CHECK(o, "%u: the body is not JSON: %s", a->status, a->body);
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(o, "success");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(o, "message");
    FUZZ_CHECK(cJSON_IsFalse(success) && cJSON_IsString(error) && cJSON_IsString(message),
               "%u: not an error document: %s", a->status, a->body);
    fuzz_check_message("message", message->valuestring, strlen(message->valuestring) + 1);
    cJSON_Delete(o);
}

static void check_answer(const struct fake_answer *a, const char *origin, int stopping)
{
    FUZZ_CHECK(!a->closed, "the connection was closed without an answer");
    FUZZ_CHECK(a->answered, "no answer");
    /* 500 would be an internal failure: nothing here runs out of memory or devices */
    FUZZ_CHECK(a->status == 200 || a->status == 204 || (a->status >= 400 && a->status < 500) ||
                   a->status == 503,
               "status %u: %s", a->status, a->body ? a->body : "");
    FUZZ_CHECK(fake_answer_header(a, "Vary"), "%u without Vary: Origin", a->status);
    const char *allowed = fake_answer_header(a, "Access-Control-Allow-Origin");
    FUZZ_CHECK(!allowed || (origin && !strcmp(allowed, origin)),
               "Access-Control-Allow-Origin '%s' for the Origin '%s'", allowed,
               origin ? origin : "(none)");
    if (stopping)
        FUZZ_CHECK(fake_answer_header(a, "Connection"), "no Connection: close while stopping");
    if (a->status >= 400) {
        check_error_body(a);
    } else if (a->status == 204) {
        FUZZ_CHECK(a->len == 0, "204 with a body");
    } else if (a->streamed) {
        FUZZ_CHECK(!a->stream_error && !a->stream_cut, "the stream broke off after %zu bytes",
                   a->len);
        FUZZ_CHECK(strstr(a->body, "event: complete\n"), "a stream without its complete event");
    } else {
        const char *type = fake_answer_header(a, "Content-Type");
        FUZZ_CHECK(type, "200 without Content-Type");
        if (!strcmp(type, "application/json")) {
            cJSON *o = cJSON_ParseWithLength(a->body, a->len);
            FUZZ_CHECK(o, "200: the body is not JSON");
            cJSON_Delete(o);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake_header headers[FAKE_MAX_HEADERS];
    char *values[FAKE_MAX_HEADERS];
    size_t n_headers = 0;
    const char *origin = NULL;
    struct fake_answer answer;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* The head (request line and headers) ends at an empty line. MHD would refuse NUL and
     * CR there itself, and headers without ':'. */
    char *head_end = strstr(text, "\n\n");
    char *body = head_end ? head_end + 2 : text + size;
    size_t head_len = head_end ? (size_t)(head_end - text) : size;
    if (memchr(text, '\0', head_len) || memchr(text, '\r', head_len))
        goto skip;
    text[head_len] = '\0';

    int stopping = text[0] == '~';
    char *line = text + stopping, *next = strchr(line, '\n');
    if (next)
        *next++ = '\0';
    char *space = strchr(line, ' ');
    if (!space || !is_token(line, (size_t)(space - line)) || (size_t)(space - line) > 32)
        goto skip;
    *space = '\0';
    const char *method = line, *target = space + 1;
    if (!target[0] || strpbrk(target, " \t"))
        goto skip;

    while (next && *next) {
        line = next;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *colon = strchr(line, ':');
        if (!colon || !is_token(line, (size_t)(colon - line)) || n_headers == FAKE_MAX_HEADERS)
            goto skip;
        *colon = '\0';
        char *value = colon + 1, *end = value + strlen(value);
        while (*value == ' ' || *value == '\t')
            value++;
        while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        values[n_headers] = with_port(value, ports[stopping]);
        headers[n_headers] = (struct fake_header){line, values[n_headers]};
        if (!origin && !strcasecmp(line, "Origin"))
            origin = values[n_headers];
        n_headers++;
    }

    fake_mhd_request(daemons[stopping], method, target, headers, n_headers, body,
                     (size_t)(text + size - body), MAX_STREAM_BYTES, &answer);
    if (getenv("FUZZ_SHOW_ANSWER")) /* replaying an input by hand: what came back */
        fprintf(stderr, "%s %s -> %u, %zu bytes%s: %.200s\n", method, target, answer.status,
                answer.len, answer.streamed ? " streamed" : "", answer.body ? answer.body : "");
    check_answer(&answer, origin, stopping);
    FUZZ_CHECK(tr_server_busy(servers[stopping]) == 0, "%u requests still busy after the answer",
               tr_server_busy(servers[stopping]));
    fake_answer_free(&answer);
skip:
    for (size_t i = 0; i < n_headers; i++)
        free(values[i]);
    free(text);
    return 0;
}
