#include "core/device_spec.h"

#include <stdio.h>
#include <string.h>

#include "core/params.h"
#include "core/text_escape.h"

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
