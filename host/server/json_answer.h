/* The server's own JSON bodies (errors, health) and how exit codes map to HTTP statuses. */
#ifndef TILERACE_HTTP_JSON_H
#define TILERACE_HTTP_JSON_H

#include "server/render_gate.h"

/* Error codes, the "error" field; "message" is the sentence a front end shows. */
#define TR_HTTP_ERR_PARAMETER "invalid_parameter"  /* 400 */
#define TR_HTTP_ERR_MALFORMED "malformed_url"      /* 400 */
#define TR_HTTP_ERR_ORIGIN    "origin_not_allowed" /* 403 */
#define TR_HTTP_ERR_NOT_FOUND "not_found"          /* 404 */
#define TR_HTTP_ERR_METHOD    "method_not_allowed" /* 405 */
#define TR_HTTP_ERR_URI_LONG  "uri_too_long"       /* 414 */
#define TR_HTTP_ERR_INTERNAL  "internal_error"     /* 500 */
#define TR_HTTP_ERR_BUSY      "busy"               /* 503, with Retry-After */
#define TR_HTTP_ERR_STOPPING  "shutting_down"      /* 503, with Retry-After */
#define TR_HTTP_ERR_DEVICE    "device_unavailable" /* 503 */

/* {"success":false,"error":error,"message":message}, malloc'd; NULL when out of memory. */
char *tr_http_error_body(const char *error, const char *message);

/* The status and error code for a tr_job_run exit code: 2 -> 400, 3 -> 503, else 500. */
unsigned tr_http_status_for_exit(int rc, const char **error);

/* {"status","devices","version","renders":{...}}, malloc'd; NULL when out of memory. */
char *tr_http_health_body(const struct tr_gate_stats *st, int stopping);

#endif
