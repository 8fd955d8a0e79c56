/* The server's own JSON bodies (errors, health) and how statuses map to HTTP statuses. */
#ifndef TILERACE_HTTP_JSON_H
#define TILERACE_HTTP_JSON_H

#include "core/status.h"
#include "server/render_gate.h"

/* Error codes, the "error" field; "message" is the sentence a front end shows. */
#define TR_HTTP_ERR_PARAMETER "invalid_parameter"  /* 400 */
#define TR_HTTP_ERR_MALFORMED "malformed_url"      /* 400 */
#define TR_HTTP_ERR_REQUEST   "bad_request"        /* 400: framing the server does not take */
#define TR_HTTP_ERR_ORIGIN    "origin_not_allowed" /* 403 */
#define TR_HTTP_ERR_HOST      "host_not_allowed"   /* 403 */
#define TR_HTTP_ERR_NOT_FOUND "not_found"          /* 404 */
#define TR_HTTP_ERR_METHOD    "method_not_allowed" /* 405 */
#define TR_HTTP_ERR_URI_LONG  "uri_too_long"       /* 414 */
#define TR_HTTP_ERR_INTERNAL  "internal_error"     /* 500 */
#define TR_HTTP_ERR_BUSY      "busy"               /* 503, with Retry-After */
#define TR_HTTP_ERR_STOPPING  "shutting_down"      /* 503, with Retry-After */
#define TR_HTTP_ERR_DEVICE    "device_unavailable" /* 503 */

/* {"success":false,"error":error,"message":message}, malloc'd; NULL when out of memory. A NULL
 * error or message stands for internal_error and an empty message. */
char *tr_http_error_body(const char *error, const char *message);

/* The same, always: a fixed out-of-memory error when the body cannot be built. */
#define TR_HTTP_OOM_BODY                                                                           \
    "{\"success\":false,\"error\":\"internal_error\",\"message\":\"out of memory\"}"

/* The answer for a failed render's status: usage -> 400, device -> 503, else 500. Returned together
 * so that both can be passed to one call (their order of evaluation is unspecified). */
struct tr_http_failure {
    unsigned status;
    const char *error;
};
struct tr_http_failure tr_http_failure_for_status(enum tr_status status);

/* {"status","devices","version","renders":{...},"devices_warm":[...]}, malloc'd; NULL when
 * out of memory. */
struct tr_device_cache;
/* ... and "devices_warm": [{"device": "opencl:P.D", "name", "precision"}], what devices (NULL:
 * none) keeps prepared. */
char *tr_http_health_body(const struct tr_gate_stats *st, int stopping,
                          struct tr_device_cache *devices);

#endif
