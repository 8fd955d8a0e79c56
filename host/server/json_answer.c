#include "server/json_answer.h"

#include <cjson/cJSON.h>

#include "core/status.h"
#include "server/devices.h"
#include "version.h"

/* Prints and frees o; the text is malloc'd so that MHD can free() it. */
static char *print_and_delete(cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

char *tr_http_error_body(const char *error, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddFalseToObject(o, "success") ||
        !cJSON_AddStringToObject(o, "error", error ? error : TR_HTTP_ERR_INTERNAL) ||
        !cJSON_AddStringToObject(o, "message", message ? message : "")) {
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}

struct tr_http_failure tr_http_failure_for_status(enum tr_status status)
{
    switch (status) {
    case TR_ERR_USAGE:
        return (struct tr_http_failure){400, TR_HTTP_ERR_PARAMETER};
    case TR_ERR_DEVICE:
        /* The request was well formed; this server cannot serve that device now. */
        return (struct tr_http_failure){503, TR_HTTP_ERR_DEVICE};
    default:
        return (struct tr_http_failure){500, TR_HTTP_ERR_INTERNAL};
    }
}

char *tr_http_health_body(const struct tr_gate_stats *st, int stopping)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *devices = NULL, *r = NULL;
    int ok = o && cJSON_AddStringToObject(o, "status", stopping ? "stopping" : "ok") &&
             (devices = cJSON_AddArrayToObject(o, "devices")) != NULL &&
             tr_server_devices_json(devices) == 0 &&
             cJSON_AddStringToObject(o, "version", TILERACE_VERSION) &&
             (r = cJSON_AddObjectToObject(o, "renders")) != NULL &&
             cJSON_AddNumberToObject(r, "running", st->running) &&
             cJSON_AddNumberToObject(r, "queued", st->queued) &&
             cJSON_AddNumberToObject(r, "max_running", st->max_running) &&
             cJSON_AddNumberToObject(r, "max_queued", st->max_queued) &&
             cJSON_AddNumberToObject(r, "completed", (double)st->completed) &&
             cJSON_AddNumberToObject(r, "cancelled", (double)st->cancelled) &&
             cJSON_AddNumberToObject(r, "rejected", (double)st->rejected) &&
             cJSON_AddNumberToObject(r, "failed", (double)st->failed);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}
