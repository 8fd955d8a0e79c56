/*
 * A stand-in for libmicrohttpd, so that a fuzz target can play requests through the server's
 * real code (host/server*.c) in one process, without sockets. The target links the server's
 * objects with fake_mhd.c instead of the library: MHD_start_daemon only records its callbacks,
 * and fake_mhd_request plays one request on a fresh connection the way libmicrohttpd calls
 * them (connection notice, URI log, the access handler until it answers, the answer's content
 * reader, completion and close notices). Only the functions the server calls exist: calling
 * another is a link error rather than a silent call into the library with a fake connection.
 */
#ifndef TILERACE_FAKE_MHD_H
#define TILERACE_FAKE_MHD_H

#include <stddef.h>

struct MHD_Daemon;

struct fake_header {
    const char *name, *value;
};

#define FAKE_MAX_HEADERS 32

struct fake_answer {
    int answered; /* a response was queued */
    int closed;   /* the handler returned MHD_NO: the connection was closed */
    unsigned status;
    int streamed;     /* the body came from a content reader */
    int stream_error; /* ... which ended with an error */
    int stream_cut;   /* ... and was cut at the byte limit */
    char *body;       /* NUL-terminated; free with fake_answer_free */
    size_t len;
    struct fake_header headers[FAKE_MAX_HEADERS]; /* owned copies */
    size_t n_headers;
};

/* The daemon the last MHD_start_daemon call made. */
struct MHD_Daemon *fake_mhd_last_daemon(void);

/*
 * Plays one request (one connection) and fills answer. target is the raw request target,
 * headers the request's; body (may be NULL) is uploaded in one piece. A streamed answer is
 * read up to max_body bytes.
 */
void fake_mhd_request(struct MHD_Daemon *d, const char *method, const char *target,
                      const struct fake_header *headers, size_t n_headers, const char *body,
                      size_t body_len, size_t max_body, struct fake_answer *answer);

/* The value of the answer's header name (case-insensitive), or NULL. */
const char *fake_answer_header(const struct fake_answer *a, const char *name);
void fake_answer_free(struct fake_answer *a);

#endif
