#include "server/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024

int tr_ip_literal(const char *addr, int *is_ipv6)
{
    struct in6_addr a6;
    struct in_addr a4;
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        *is_ipv6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        *is_ipv6 = 1;
        return 0;
    }
    return -1;
}

int tr_listen_tcp(const char *addr, uint16_t port, int *is_ipv6, uint16_t *bound_port, char *err,
                  size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = -1, one = 1;
    memset(&ss, 0, sizeof(ss));
    if (tr_ip_literal(addr, is_ipv6)) {
        snprintf(err, errlen, "'%.60s' is not an IPv4 or IPv6 address", addr);
        return -1;
    }
    if (*is_ipv6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, addr, &a->sin_addr);
        len = sizeof(*a);
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    /* A restarted server may bind while the old one's connections sit in TIME_WAIT. A long
     * listen queue: a burst of connections waits there instead of being refused. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        (*is_ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
        bind(fd, (struct sockaddr *)&ss, len) || listen(fd, LISTEN_BACKLOG))
        goto fail;
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len))
        goto fail;
    *bound_port = ntohs(*is_ipv6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;

fail:
    snprintf(err, errlen, "cannot listen on %s%s%s:%u: %s", *is_ipv6 ? "[" : "", addr,
             *is_ipv6 ? "]" : "", (unsigned)port, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}
