#include "core/device_spec.h"

#include <stdio.h>
#include <string.h>

#include "core/params.h"
#include "core/text_escape.h"

/* What a --device value may be, for messages. */
#define ACCEPTED_LIST                                                                              \
    "accepted: cpu, opencl, gpu, pocl, opencl:P.D or all, or a comma-separated list of them "      \
    "each with an optional @N lane count"

int tr_device_spec_parse(const char *text, struct tr_device_spec *spec, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        enum tr_device_kind kind;
    } named[] = {{"cpu", TR_DEVICE_CPU},
                 {"opencl", TR_DEVICE_OPENCL},
                 {"gpu", TR_DEVICE_GPU},
                 {"pocl", TR_DEVICE_POCL}};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (text && strcmp(text, named[i].name) == 0) {
            spec->kind = named[i].kind;
            spec->platform = spec->device = 0;
            return 0;
        }
    }
    if (text && strncmp(text, "opencl:", 7) == 0) {
        char buf[TR_DEVICE_MAXLEN];
        const char *p = text + 7;
        const char *dot = strchr(p, '.');
        uint64_t plat, dev;
        if (dot && (size_t)(dot - p) < sizeof(buf)) {
            memcpy(buf, p, (size_t)(dot - p));
            buf[dot - p] = '\0';
            if (tr_parse_u64(buf, &plat) == 0 && tr_parse_u64(dot + 1, &dev) == 0 && plat < 1000 &&
                dev < 1000) {
                spec->kind = TR_DEVICE_INDEX;
                spec->platform = (unsigned)plat;
                spec->device = (unsigned)dev;
                return 0;
            }
        }
    }
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    tr_text_quote(q, sizeof(q), text, TR_ECHO_CHARS);
    snprintf(err, errlen,
             "%s is not a device (accepted: cpu, opencl, gpu, pocl, opencl:P.D with P and D "
             "0..999; 'tilerace devices' lists them)",
             q);
    return -1;
}

/* Parses one entry, SELECTOR or SELECTOR@N, of len bytes at text. */
static int parse_entry(const char *text, size_t len, uint32_t max_lanes, struct tr_device_entry *e,
                       char *err, size_t errlen)
{
    char one[TR_SELECTOR_MAXLEN], q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    if (len >= sizeof(one)) {
        /* the entry as given, cut by the quoting between characters, not bytes */
        char whole[TR_DEVICE_LIST_MAXLEN], cut[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
        snprintf(whole, sizeof(whole), "%.*s", (int)(len < sizeof(whole) ? len : sizeof(whole) - 1),
                 text);
        tr_text_quote(cut, sizeof(cut), whole, TR_ECHO_CHARS);
        snprintf(err, errlen,
                 "%s is too long (accepted: cpu, opencl, gpu, pocl, opencl:P.D with P and D "
                 "0..999, each with an optional @N)",
                 cut);
        return -1;
    }
    memcpy(one, text, len);
    one[len] = '\0';
    char *at = strchr(one, '@');
    e->lanes = 0;
    if (at) {
        uint64_t n = 0;
        *at = '\0';
        tr_text_quote(q, sizeof(q), at + 1, TR_ECHO_CHARS);
        int bad = tr_parse_u64(at + 1, &n);
        if (!bad && at[1] == '0' && at[2] != '\0')
            bad = -3; /* written as the JSON keeps it: no leading zeros */
        if (bad || n < 1 || n > max_lanes) {
            char whole[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
            *at = '@';
            tr_text_quote(whole, sizeof(whole), one, TR_ECHO_CHARS);
            snprintf(err, errlen, "%s: the lane count %s is %s (accepted range 1..%u)", whole, q,
                     bad == -1   ? "not a whole number"
                     : bad == -3 ? "written with a leading zero"
                                 : "out of range",
                     max_lanes);
            return -1;
        }
        e->lanes = (uint32_t)n;
    }
    snprintf(e->text, sizeof(e->text), "%s", one);
    if (strcmp(one, "all") == 0) {
        e->spec.kind = TR_DEVICE_CPU;
        e->spec.platform = e->spec.device = 0;
        return 0;
    }
    return tr_device_spec_parse(one, &e->spec, err, errlen);
}

int tr_device_list_parse(const char *text, uint32_t max_lanes, struct tr_device_list *list,
                         char *err, size_t errlen)
{
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    memset(list, 0, sizeof(*list));
    tr_text_quote(q, sizeof(q), text ? text : "", TR_ECHO_CHARS);
    if (!text || !*text) {
        snprintf(err, errlen, "%s is not a device (%s)", q, ACCEPTED_LIST);
        return -1;
    }
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            snprintf(err, errlen, "%s has an empty entry (%s)", q, ACCEPTED_LIST);
            return -1;
        }
        if (list->count == TR_MAX_DEVICES) {
            snprintf(err, errlen, "%s names more than %d devices (accepted: 1..%d devices)", q,
                     TR_MAX_DEVICES, TR_MAX_DEVICES);
            return -1;
        }
        struct tr_device_entry *e = &list->entries[list->count];
        if (parse_entry(p, len, max_lanes, e, err, errlen) != 0)
            return -1;
        for (uint32_t i = 0; i < list->count; i++) {
            if (strcmp(list->entries[i].text, e->text) == 0) {
                snprintf(err, errlen, "%s names '%s' twice (each device at most once)", q, e->text);
                return -1;
            }
        }
        if (strcmp(e->text, "all") == 0)
            list->all = 1;
        list->count++;
        p += len;
        if (*p == '\0')
            break;
        p++; /* the comma; an entry must follow it */
    }
    if (list->all && list->count > 1) {
        snprintf(err, errlen, "%s: 'all' already names every device (accepted: all alone)", q);
        return -1;
    }
    return 0;
}

uint32_t tr_device_entry_lanes(const struct tr_device_entry *e, uint32_t num_threads)
{
    return e->lanes ? e->lanes : num_threads;
}

uint32_t tr_device_list_lanes(const struct tr_device_list *list, uint32_t num_threads)
{
    uint32_t lanes = 0;
    for (uint32_t i = 0; i < list->count; i++)
        lanes += tr_device_entry_lanes(&list->entries[i], num_threads);
    return lanes;
}
