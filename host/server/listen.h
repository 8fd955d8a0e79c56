/* The server's listening socket, made by us so that a failure names its cause. */
#ifndef TILERACE_SERVER_LISTEN_H
#define TILERACE_SERVER_LISTEN_H

#include <stddef.h>
#include <stdint.h>

/* 0 when addr is an IPv4 or IPv6 literal (sets *is_ipv6), else -1. */
int tr_ip_literal(const char *addr, int *is_ipv6);

/*
 * Listens on addr:port (port 0: any free port). Returns the socket, with *is_ipv6 and the
 * port actually bound, or -1 with a message naming the address and the reason.
 */
int tr_listen_tcp(const char *addr, uint16_t port, int *is_ipv6, uint16_t *bound_port, char *err,
                  size_t errlen);

#endif
