#include "server/json_answer.h"

#include <cjson/cJSON.h>

#include "core/status.h"
#include "devices/device_cache.h"
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

static int add_warm(void *user, const char *device, const char *name, const char *precision)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "device", device) ||
        !cJSON_AddStringToObject(o, "name", name) ||
        !cJSON_AddStringToObject(o, "precision", precision) || !cJSON_AddItemToArray(user, o)) {
        cJSON_Delete(o);
        return -1;
    }
    return 0;
}

char *tr_http_health_body(const struct tr_gate_stats *st, int stopping,
                          struct tr_device_cache *warm)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *devices = NULL, *r = NULL, *w = NULL;
    int ok = o && cJSON_AddStringToObject(o, "status", stopping ? "stopping" : "ok") &&
             (devices = cJSON_AddArrayToObject(o, "devices")) != NULL &&
             tr_server_devices_json(devices) == 0 &&
             cJSON_AddStringToObject(o, "version", TILERACE_VERSION) &&
             /* Hardware Havoc's front end reads these two (checkHealth()): its compute core
              * is always present here */
             cJSON_AddBoolToObject(o, "rustism_available", 1) &&
             cJSON_AddStringToObject(o, "message",
                                     stopping ? "tilerace is shutting down: no new renders"
                                              : "tilerace is ready to render") &&
             (r = cJSON_AddObjectToObject(o, "renders")) != NULL &&
             cJSON_AddNumberToObject(r, "running", st->running) &&
             cJSON_AddNumberToObject(r, "queued", st->queued) &&
             cJSON_AddNumberToObject(r, "max_running", st->max_running) &&
             cJSON_AddNumberToObject(r, "max_queued", st->max_queued) &&
             cJSON_AddNumberToObject(r, "completed", (double)st->completed) &&
             cJSON_AddNumberToObject(r, "cancelled", (double)st->cancelled) &&
             cJSON_AddNumberToObject(r, "rejected", (double)st->rejected) &&
             cJSON_AddNumberToObject(r, "failed", (double)st->failed) &&
             (w = cJSON_AddArrayToObject(o, "devices_warm")) != NULL &&
             (!warm || tr_device_cache_each(warm, add_warm, w) == 0);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return print_and_delete(o);
}
