/*
 * Which Host header values the server answers to. A browser page from another site can be
 * pointed at a loopback server by a DNS name that resolves to 127.0.0.1 (DNS rebinding); its
 * requests then carry that name in Host, so a loopback server answers only to loopback names
 * (localhost, 127.0.0.1, [::1] and its own address, with its own port) and to the names given
 * with --allow-host (with any port, as a reverse proxy may forward them).
 */
#ifndef TILERACE_HTTP_HOST_H
#define TILERACE_HTTP_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "core/options.h"

#define TR_HOST_MAX_NAMES TR_MAX_ALLOW_HOSTS
#define TR_HOST_NAME_MAX  253

struct tr_host_check {
    int any; /* '*' was given: every Host is accepted */
    size_t n;
    char names[TR_HOST_MAX_NAMES][TR_HOST_NAME_MAX + 1]; /* lower case; IPv6 in brackets */
};

/*
 * Adds one name or a comma-separated list: host names (letters, digits, '-', '.'), IPv4
 * addresses, IPv6 addresses in brackets, or '*' for any Host. Returns 0, or -1 with a message
 * (without the option's name) in err; h is unchanged then.
 */
int tr_host_allow(struct tr_host_check *h, const char *list, char *err, size_t errlen);

/* 1 when bind (an IP literal) is a loopback address. */
int tr_host_is_loopback(const char *bind);

/*
 * 1 when a server bound to bind on port may answer a request whose Host header is host.
 * host NULL (an HTTP/1.0 request without Host: a browser always sends one) is accepted. A
 * server on a non-loopback address without names to allow accepts any Host.
 */
int tr_host_allowed(const struct tr_host_check *h, const char *bind, uint16_t port,
                    const char *host);

#endif
