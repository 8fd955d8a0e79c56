#include "core/text_escape.h"

#include <string.h>

size_t tr_utf8_char(const unsigned char *s, size_t len, unsigned *cp)
{
    if (len == 0)
        return 0;
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0; /* a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF */
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

size_t tr_utf8_valid_prefix(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    unsigned cp;
    while (i < len) {
        if (p[i] < 0x80) { /* the common case, byte by byte */
            i++;
            continue;
        }
        size_t n = tr_utf8_char(p + i, len - i, &cp);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}

/* Characters that would break a line or reorder it on a terminal, though valid UTF-8. */
static int invisible_control(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The escaped form of the character at s (at most len bytes) into out (at least 8 bytes);
 * returns its length and sets *used to the bytes of s it stands for.
 */
static size_t escape_char(const unsigned char *s, size_t len, int double_backslash, char *out,
                          size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    unsigned cp;
    size_t n = tr_utf8_char(s, len, &cp);
    if (n == 0) { /* not UTF-8: the byte itself */
        *used = 1;
        return (size_t)snprintf(out, 8, "\\x%c%c", hex[s[0] >> 4], hex[s[0] & 15]);
    }
    *used = n;
    if (cp == '\n' || cp == '\t' || cp == '\r') {
        out[0] = '\\';
        out[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
        return 2;
    }
    if (cp < 0x20 || cp == 0x7f)
        return (size_t)snprintf(out, 8, "\\x%c%c", hex[cp >> 4], hex[cp & 15]);
    if (invisible_control(cp))
        return (size_t)snprintf(out, 8, "\\u%04x", cp);
    if (cp == '\\' && double_backslash) {
        out[0] = out[1] = '\\';
        return 2;
    }
    memcpy(out, s, n);
    return n;
}

/*
 * Escapes src into dst between open and close (each "" or one character); keeps room for
 * "...", close and NUL so that a cut always shows. Returns dst.
 */
static char *escape_into(char *dst, size_t dstlen, const char *src, size_t max_chars,
                         int double_backslash, const char *open, const char *close)
{
    if (dstlen == 0)
        return dst;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    size_t len = strlen((const char *)s), at = 0, chars = 0, used;
    size_t tail = strlen(close) + 4; /* "...", close, NUL */
    char unit[8];
    int cut = 0;
    dst[0] = '\0';
    if (strlen(open) + tail > dstlen)
        return dst; /* too small for anything useful */
    memcpy(dst, open, strlen(open));
    at = strlen(open);
    while (*s) {
        if (chars == max_chars) {
            cut = 1;
            break;
        }
        size_t n = escape_char(s, len, double_backslash, unit, &used);
        if (at + n + tail > dstlen) {
            cut = 1;
            break;
        }
        memcpy(dst + at, unit, n);
        at += n;
        s += used;
        len -= used;
        chars++;
    }
    if (cut) {
        memcpy(dst + at, "...", 3);
        at += 3;
    }
    memcpy(dst + at, close, strlen(close));
    at += strlen(close);
    dst[at] = '\0';
    return dst;
}

char *tr_text_escape(char *dst, size_t dstlen, const char *src, size_t max_chars)
{
    return escape_into(dst, dstlen, src, max_chars, 1, "", "");
}

char *tr_text_quote(char *dst, size_t dstlen, const char *src, size_t max_chars)
{
    return escape_into(dst, dstlen, src, max_chars, 1, "'", "'");
}

void tr_text_print_line(FILE *f, const char *prefix, const char *msg)
{
    char line[4096];
    size_t at = strlen(prefix);
    if (at > 256)
        at = 256;
    memcpy(line, prefix, at);
    escape_into(line + at, sizeof(line) - at - 1, msg, (size_t)-1, 0, "", "");
    strcat(line, "\n");
    fputs(line, f);
}
