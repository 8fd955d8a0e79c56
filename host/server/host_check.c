#include "server/host_check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static int is_ipv4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

/* "[v6]" with a valid address inside. */
static int is_bracketed_ipv6(const char *s, size_t len)
{
    char inner[64];
    struct in6_addr a;
    if (len < 3 || s[0] != '[' || s[len - 1] != ']' || len - 2 >= sizeof(inner))
        return 0;
    memcpy(inner, s + 1, len - 2);
    inner[len - 2] = '\0';
    return inet_pton(AF_INET6, inner, &a) == 1;
}

static int is_bare_ipv6(const char *s, size_t len)
{
    char buf[64];
    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, &(struct in6_addr){0}) == 1;
}

/* Labels of letters, digits and '-' (not at either end), 1..63 each, joined by '.'. */
static int is_dns_name(const char *s, size_t len)
{
    size_t label = 0;
    if (len == 0 || len > TR_HOST_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if (isalnum((unsigned char)c) || c == '-') {
            if (c == '-' && label == 0)
                return 0;
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

static int valid_name(const char *s, size_t len)
{
    char copy[TR_HOST_NAME_MAX + 1];
    if (len == 0 || len > TR_HOST_NAME_MAX)
        return 0;
    if (s[0] == '[')
        return is_bracketed_ipv6(s, len);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return is_ipv4(copy) || is_dns_name(s, len);
}

static void lower_copy(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[len] = '\0';
}

int tr_host_allow(struct tr_host_check *h, const char *list, char *err, size_t errlen)
{
    struct tr_host_check next = *h;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && p[0] == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len == 1 && p[0] == '*') {
            next.any = 1;
        } else if (!valid_name(p, len)) {
            const char *why = "not a host name";
            if (len == 0)
                why = "an empty name";
            else if (len > TR_HOST_NAME_MAX)
                why = "longer than 253 bytes";
            else if (memmem(p, len, "://", 3))
                why = "a URL, not a name";
            else if (is_bare_ipv6(p, len))
                why = "an IPv6 address without brackets";
            else if (p[0] != '[' && memchr(p, ':', len))
                why = "a name with a port";
            snprintf(err, errlen,
                     "'%.*s' is %s (accepted: a host name of letters, digits, '-' and '.', an "
                     "IPv4 address, an [IPv6] address, or '*' for any; comma-separated; without "
                     "a port)",
                     (int)(len > 80 ? 80 : len), p, why);
            return -1;
        } else if (next.n >= TR_HOST_MAX_NAMES) {
            snprintf(err, errlen, "more than %d names (accepted: at most %d)", TR_HOST_MAX_NAMES,
                     TR_HOST_MAX_NAMES);
            return -1;
        } else {
            lower_copy(next.names[next.n++], p, len);
        }
        if (!end)
            break;
        p = end + 1;
    }
    *h = next;
    return 0;
}

int tr_host_is_loopback(const char *bind)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, bind, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, bind, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

/* Splits "name[:port]" (name possibly "[v6]"); port -1 when absent. 0, or -1 if malformed. */
static int split_host(const char *host, char *name, size_t namelen, long *port)
{
    size_t len = strlen(host), name_len;
    const char *colon;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return -1;
        name_len = (size_t)(close - host) + 1;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1] != '\0')
            return -1;
    } else {
        colon = strchr(host, ':');
        name_len = colon ? (size_t)(colon - host) : len;
    }
    if (name_len == 0 || name_len >= namelen || !valid_name(host, name_len))
        return -1;
    lower_copy(name, host, name_len);
    *port = -1;
    if (colon) {
        const char *d = colon + 1;
        long v = 0;
        size_t n = strspn(d, "0123456789");
        if (n == 0 || n > 5 || d[n] != '\0')
            return -1;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (d[i] - '0');
        if (v < 1 || v > 65535)
            return -1;
        *port = v;
    }
    return 0;
}

int tr_host_allowed(const struct tr_host_check *h, const char *bind, uint16_t port,
                    const char *host)
{
    char name[TR_HOST_NAME_MAX + 1], own[64];
    long host_port;
    /* a server on another address, told no names, does not check */
    int unchecked = !tr_host_is_loopback(bind) && h->n == 0;
    if (h->any || unchecked || !host)
        return 1;
    if (split_host(host, name, sizeof(name), &host_port) != 0)
        return 0;
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(name, h->names[i]))
            return 1;
    /* its own names, on its own port (a browser leaves out only port 80) */
    if (host_port == port || (host_port == -1 && port == 80)) {
        snprintf(own, sizeof(own), strchr(bind, ':') ? "[%s]" : "%s", bind);
        lower_copy(own, own, strlen(own));
        if (!strcmp(name, "localhost") || !strcmp(name, "127.0.0.1") || !strcmp(name, "[::1]") ||
            (strcmp(bind, "0.0.0.0") && strcmp(bind, "::") && !strcmp(name, own)))
            return 1;
    }
    return 0;
}
