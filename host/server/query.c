#include "server/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes [s, end) in place into dst (never longer than the source); returns 0 or -1. */
static int decode(char *dst, const char *s, const char *end, int plus_is_space, char *err,
                  size_t errlen)
{
    while (s < end) {
        int c = (unsigned char)*s;
        if (c == '%') {
            int hi = s + 1 < end ? hex_value(s[1]) : -1;
            int lo = s + 2 < end ? hex_value(s[2]) : -1;
            if (hi < 0 || lo < 0) {
                snprintf(err, errlen, "malformed URL: '%.3s' is not a valid percent-escape", s);
                return -1;
            }
            c = hi * 16 + lo;
            s += 3;
        } else {
            if (c == '+' && plus_is_space)
                c = ' ';
            s++;
        }
        if (c < 0x20 || c > 0x7e) {
            snprintf(err, errlen,
                     "malformed URL: byte 0x%02x is not allowed (printable ASCII only)", c);
            return -1;
        }
        *dst++ = (char)c;
    }
    *dst = '\0';
    return 0;
}

int tr_http_target_parse(const char *raw, struct tr_http_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (!raw || raw[0] != '/') {
        snprintf(err, errlen, "malformed URL: the request target must start with '/'");
        return -1;
    }
    size_t len = strlen(raw);
    if (len > TR_HTTP_MAX_TARGET) {
        snprintf(err, errlen, "URL too long: %zu bytes (accepted range 1..%d bytes)", len,
                 TR_HTTP_MAX_TARGET);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c <= 0x20 || c >= 0x7f || c == '#') {
            snprintf(err, errlen, "malformed URL: byte 0x%02x is not allowed in a request target",
                     c);
            return -1;
        }
    }
    /* Decoding never lengthens, so one copy of the target holds every decoded string. */
    t->storage = malloc(len + 1);
    if (!t->storage) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(t->storage, raw, len + 1);
    char *query = strchr(t->storage, '?');
    if (query)
        *query++ = '\0';
    if (decode(t->storage, t->storage, t->storage + strlen(t->storage), 0, err, errlen))
        return -1;
    t->path = t->storage;
    if (!query)
        return 0;

    char *seg = query;
    while (seg) {
        char *next = strchr(seg, '&');
        if (next)
            *next++ = '\0';
        if (*seg) {
            if (t->n_pairs == TR_HTTP_MAX_PAIRS) {
                snprintf(err, errlen, "too many query parameters (accepted range 0..%d)",
                         TR_HTTP_MAX_PAIRS);
                return -1;
            }
            char *eq = strchr(seg, '=');
            char *key_end = eq ? eq : seg + strlen(seg);
            struct tr_query_pair *p = &t->pairs[t->n_pairs++];
            if (eq) {
                if (decode(eq + 1, eq + 1, eq + 1 + strlen(eq + 1), 1, err, errlen))
                    return -1;
                p->value = eq + 1;
            }
            if (decode(seg, seg, key_end, 1, err, errlen))
                return -1;
            p->key = seg;
        }
        seg = next;
    }
    return 0;
}

void tr_http_target_free(struct tr_http_target *t)
{
    free(t->storage);
    memset(t, 0, sizeof(*t));
}
