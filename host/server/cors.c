#include "server/cors.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A number macro as text, for messages that are string literals. */
#define STRING(x)      #x
#define NUMBER_TEXT(x) STRING(x)

void tr_cors_init_loopback(struct tr_cors *c)
{
    static const char *const loopback[] = {"http://127.0.0.1:*", "http://localhost:*",
                                           "http://[::1]:*"};
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
        snprintf(c->origins[c->n++], sizeof(c->origins[0]), "%s", loopback[i]);
}

/* Parses a port of 1..5 digits in [s, end); returns it, or -1. */
static long parse_port(const char *s, const char *end)
{
    long v = 0;
    if (s == end || end - s > 5)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

/* Checks "scheme://host[:port]" with port '*' allowed when wildcard; returns 0 or -1. */
static int check_origin(const char *o, int wildcard, const char **why)
{
    const char *host;
    if (!strncmp(o, "http://", 7))
        host = o + 7;
    else if (!strncmp(o, "https://", 8))
        host = o + 8;
    else
        return *why = "does not start with http:// or https://", -1;
    const char *h = host;
    if (*h == '[') { /* IPv6 literal */
        while (*++h && (host_char(*h) || *h == ':'))
            ;
        if (*h++ != ']')
            return *why = "has an unterminated IPv6 address", -1;
    } else {
        while (*h && host_char(*h))
            h++;
    }
    if (h == host)
        return *why = "has no host", -1;
    if (!*h)
        return 0;
    if (*h != ':')
        return *why = "has text after the host (no path or trailing '/' allowed)", -1;
    if (wildcard && !strcmp(h + 1, "*"))
        return 0;
    if (parse_port(h + 1, h + strlen(h)) < 0)
        return *why = "has a port outside 1..65535", -1;
    return 0;
}

int tr_cors_add(struct tr_cors *c, const char *origin, char *err, size_t errlen)
{
    const char *why = NULL;
    size_t len = strlen(origin);
    if (!strcmp(origin, "*"))
        why = "is not allowed: credentials need an exact origin";
    else if (len > TR_CORS_ORIGIN_MAX)
        why = "is too long (at most 200 characters)";
    else if (c->n == TR_CORS_MAX_ORIGINS)
        why = "is one too many (at most " NUMBER_TEXT(TR_CORS_MAX_ORIGINS) " origins)";
    else
        check_origin(origin, 1, &why);
    if (why) {
        snprintf(err, errlen, "'%.60s%s' %s (accepted: http[s]://HOST[:PORT or :*])", origin,
                 len > 60 ? "..." : "", why);
        return -1;
    }
    snprintf(c->origins[c->n++], sizeof(c->origins[0]), "%s", origin);
    return 0;
}

/* Scheme and host compare without case; an entry "X:*" matches X and X:PORT. */
static int matches(const char *entry, const char *origin)
{
    size_t n = strlen(entry);
    if (n >= 2 && !strcmp(entry + n - 2, ":*")) {
        n -= 2;
        if (strncasecmp(entry, origin, n))
            return 0;
        return origin[n] == '\0' ||
               (origin[n] == ':' && parse_port(origin + n + 1, origin + strlen(origin)) > 0);
    }
    return !strcasecmp(entry, origin);
}

int tr_cors_allowed(const struct tr_cors *c, const char *origin)
{
    const char *why;
    if (!origin || strlen(origin) > TR_CORS_ORIGIN_MAX || check_origin(origin, 0, &why))
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (matches(c->origins[i], origin))
            return 1;
    return 0;
}
