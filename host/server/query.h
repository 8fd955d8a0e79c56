/*
 * The request target of an HTTP request ("/path?key=value&..."), split and percent-decoded by
 * us rather than by libmicrohttpd, so that malformed escapes, NUL bytes, repeated and
 * value-less keys are seen and answered instead of silently mangled.
 */
#ifndef TILERACE_HTTP_QUERY_H
#define TILERACE_HTTP_QUERY_H

#include <stddef.h>

#define TR_HTTP_MAX_TARGET 8192 /* bytes of the raw target; longer ones get 414 */
#define TR_HTTP_MAX_PAIRS  32

struct tr_query_pair {
    const char *key;
    const char *value; /* NULL when the key came without '=' ("?width") */
};

struct tr_http_target {
    const char *path; /* decoded */
    struct tr_query_pair pairs[TR_HTTP_MAX_PAIRS];
    size_t n_pairs;
    char *storage; /* owns every string above */
};

/*
 * Parses raw (origin-form: starts with '/'). Empty segments ("a=1&&b=2") are skipped; '+' is
 * a space, as in HTML forms. Decoded text must be printable ASCII. Returns 0, or -1 with a
 * one-line message in err; t is always safe to free.
 */
int tr_http_target_parse(const char *raw, struct tr_http_target *t, char *err, size_t errlen);
void tr_http_target_free(struct tr_http_target *t);

#endif
