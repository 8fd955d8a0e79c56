/*
 * `tilerace serve`: the Hardware Havoc HTTP API on libmicrohttpd. One thread per connection
 * (a render blocks its connection's thread); renders are admitted by a render gate; every
 * answer is JSON (or an event stream) with CORS headers for allowed origins.
 */
#ifndef TILERACE_SERVER_H
#define TILERACE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "server/cors.h"
#include "server/params.h"

struct tr_server_config {
    char bind[64];
    uint16_t port; /* 0: any free port */
    struct tr_server_caps caps;
    uint32_t max_renders, max_queued, max_connections;
    struct tr_cors cors;
    int log_requests; /* one stderr line per request */
};

void tr_server_config_defaults(struct tr_server_config *cfg);

struct tr_server;

/* Listens and serves on libmicrohttpd's threads. Returns 0, or an exit code with a message. */
int tr_server_start(const struct tr_server_config *cfg, struct tr_server **out, char *err,
                    size_t errlen);
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
