/*
 * `tilerace serve`: the Hardware Havoc HTTP API on libmicrohttpd. One event-loop thread serves
 * every connection; renders run on threads of their own, admitted by a render gate;
 * every answer is JSON (or an event stream) with CORS headers for allowed origins.
 */
#ifndef TILERACE_SERVER_H
#define TILERACE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"
#include "core/params.h"
#include "core/status.h"
#include "server/cors.h"
#include "server/host_check.h"
#include "server/params.h"

struct tr_server_config {
    char bind[64];
    uint16_t port; /* 0: any free port */
    struct tr_server_caps caps;
    uint32_t max_renders, max_queued, max_connections;
    uint32_t request_timeout_ms; /* a whole request must arrive within this */
    struct tr_cors cors;
    struct tr_host_check hosts; /* --allow-host */
    int log_requests;           /* one stderr line per request */
    /* --warm: devices prepared before listening (validated selectors) */
    char warm[TR_MAX_WARM][TR_DEVICE_MAXLEN];
    unsigned n_warm;
};

void tr_server_config_defaults(struct tr_server_config *cfg);

struct tr_server;

/* Prepares the --warm devices (TR_ERR_DEVICE when one is missing or fails), then listens and
 * serves on libmicrohttpd's threads. Returns 0, or a status with a message.
 * Raises the open-file limit as far as max_connections needs (and lowers max_connections,
 * with a log line, when the hard limit is below that). */
enum tr_status tr_server_start(const struct tr_server_config *cfg, struct tr_server **out,
                               char *err, size_t errlen);
/* "http://127.0.0.1:8405/" with the port actually bound. */
const char *tr_server_url(const struct tr_server *s);

/* Stops accepting connections; requests already in progress go on, new requests on kept-alive
 * connections get 503. */
void tr_server_quiesce(struct tr_server *s);
/* Requests and event streams still in progress. */
unsigned tr_server_busy(struct tr_server *s);
/* Cancels every render at its next tile (and the requests still queued). */
void tr_server_cancel_all(struct tr_server *s);
/* Stops libmicrohttpd, waiting for its threads, and frees s. */
void tr_server_free(struct tr_server *s);

#endif
