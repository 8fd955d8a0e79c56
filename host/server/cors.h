/*
 * Which browser origins may call the API. The front end calls with credentials, so an allowed
 * Origin is echoed back (never '*'); other origins get no CORS headers and the browser refuses
 * the answer. An entry ending in ":*" allows any port of that scheme and host.
 */
#ifndef TILERACE_HTTP_CORS_H
#define TILERACE_HTTP_CORS_H

#include <stddef.h>

#include "core/options.h"

#define TR_CORS_MAX_ORIGINS TR_MAX_ALLOW_ORIGINS
#define TR_CORS_ORIGIN_MAX  200

#define TR_CORS_ALLOW_METHODS "GET, OPTIONS"
#define TR_CORS_ALLOW_HEADERS "Content-Type, X-Origin"
#define TR_CORS_MAX_AGE       "600"

struct tr_cors {
    size_t n;
    char origins[TR_CORS_MAX_ORIGINS][TR_CORS_ORIGIN_MAX + 1];
};

/* Loopback on any port: http://127.0.0.1:*, http://localhost:*, http://[::1]:* */
void tr_cors_init_loopback(struct tr_cors *c);

/*
 * Adds one origin: scheme "http" or "https", a host, an optional port 1..65535 or '*', and
 * nothing after (no path, no trailing '/'). Returns 0, or -1 with a message (without the
 * option's name) in err.
 */
int tr_cors_add(struct tr_cors *c, const char *origin, char *err, size_t errlen);

/* 1 when the Origin header's value is allowed. */
int tr_cors_allowed(const struct tr_cors *c, const char *origin);

#endif
