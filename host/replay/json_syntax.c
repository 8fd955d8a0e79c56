#include "replay/json_syntax.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string from its opening quote at *p; moves *p past it, or returns the byte at fault. */
static const char *scan_string(const char **p, const char *end, const char **why)
{
    const char *s = *p + 1;
    while (s < end && *s != '"') {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20) {
            *why = "a control character inside a string (it must be escaped)";
            return s;
        }
        if (c == '\\') {
            if (s + 1 < end && strchr("\"\\/bfnrt", s[1]) && s[1] != '\0') {
                s += 2;
            } else if (s + 1 < end && s[1] == 'u') {
                for (int i = 2; i < 6; i++) {
                    if (s + i >= end || !is_hex(s[i])) {
                        *why = "a \\u escape needs four hex digits";
                        return s;
                    }
                }
                s += 6;
            } else {
                *why = "an unknown escape inside a string";
                return s;
            }
            continue;
        }
        s++;
    }
    if (s == end) {
        *why = "the text ends inside a string";
        return end;
    }
    *p = s + 1;
    return NULL;
}

/* A number at *p: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number(const char **p, const char *end, const char **why)
{
    const char *s = *p;
    *why = "a malformed number";
    if (s < end && *s == '-')
        s++;
    if (s < end && *s == '0') {
        s++;
    } else if (s < end && is_digit(*s)) {
        while (s < end && is_digit(*s))
            s++;
    } else {
        return s;
    }
    if (s < end && *s == '.') {
        s++;
        if (s == end || !is_digit(*s))
            return s;
        while (s < end && is_digit(*s))
            s++;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            s++;
        if (s == end || !is_digit(*s))
            return s;
        while (s < end && is_digit(*s))
            s++;
    }
    *p = s;
    return NULL;
}

const char *tr_json_syntax_error(const char *text, const char *end, const char **why)
{
    static const char *const literals[] = {"true", "false", "null"};
    /* what may come next */
    enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, AFTER_VALUE } state = VALUE;
    char open[TR_JSON_MAX_DEPTH]; /* '{' or '[' of each level */
    size_t depth = 0;
    const char *p = text, *bad;
    const char *ignored;
    if (!why)
        why = &ignored;
    for (;;) {
        p = skip_space(p, end);
        if (state == AFTER_VALUE && depth == 0) {
            *why = "text after the end of the JSON value";
            return p == end ? NULL : p;
        }
        if (p == end) {
            *why = "the text ends before the JSON value does";
            return end;
        }
        char c = *p;
        switch (state) {
        case VALUE_OR_CLOSE:
            if (c == ']') {
                depth--, p++, state = AFTER_VALUE;
                break;
            }
            /* fall through */
        case VALUE:
            state = AFTER_VALUE;
            if (c == '{' || c == '[') {
                if (depth == TR_JSON_MAX_DEPTH) {
                    *why = "nested deeper than 1000 levels";
                    return p;
                }
                open[depth++] = c;
                state = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
                p++;
            } else if (c == '"') {
                if ((bad = scan_string(&p, end, why)) != NULL)
                    return bad;
            } else if (c == '-' || is_digit(c)) {
                if ((bad = scan_number(&p, end, why)) != NULL)
                    return bad;
            } else {
                size_t i = 0, n = 0;
                for (; i < 3; i++) {
                    n = strlen(literals[i]);
                    if ((size_t)(end - p) >= n && memcmp(p, literals[i], n) == 0)
                        break;
                }
                if (i == 3) {
                    *why = "expected a value (object, array, string, number, true, false "
                           "or null)";
                    return p;
                }
                p += n;
            }
            break;
        case KEY_OR_CLOSE:
            if (c == '}') {
                depth--, p++, state = AFTER_VALUE;
                break;
            }
            /* fall through */
        case KEY:
            if (c != '"') {
                *why = "expected a member name in double quotes";
                return p;
            }
            if ((bad = scan_string(&p, end, why)) != NULL)
                return bad;
            state = COLON;
            break;
        case COLON:
            if (c != ':') {
                *why = "expected ':'";
                return p;
            }
            p++, state = VALUE;
            break;
        case AFTER_VALUE: {
            char close = open[depth - 1] == '{' ? '}' : ']';
            if (c == ',') {
                p++, state = open[depth - 1] == '{' ? KEY : VALUE;
            } else if (c == close) {
                depth--, p++;
            } else {
                *why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
                return p;
            }
            break;
        }
        }
    }
}
