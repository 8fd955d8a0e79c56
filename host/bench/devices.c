#include "bench/devices.h"

#include <stdio.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/device.h"
#endif
#include "core/device_spec.h"
#include "core/text_escape.h"
#include "cpu/backend.h"

static void add_cpu(struct tr_bench_devices *out, const char *selector)
{
    struct tr_bench_device *d = &out->d[out->n++];
    memset(d, 0, sizeof(*d));
    snprintf(d->selector, sizeof(d->selector), "%s", selector);
    tr_cpu_model_name(d->name, sizeof(d->name));
    snprintf(d->type, sizeof(d->type), "CPU");
    d->cpu_path = 1;
    d->fp64 = 1;
}

#ifdef TILERACE_HAVE_OPENCL
static void add_opencl(struct tr_bench_devices *out, const char *selector,
                       const struct tr_cl_device *cl)
{
    struct tr_bench_device *d = &out->d[out->n++];
    memset(d, 0, sizeof(*d));
    if (selector)
        snprintf(d->selector, sizeof(d->selector), "%s", selector);
    else
        snprintf(d->selector, sizeof(d->selector), "opencl:%u.%u", cl->platform_index,
                 cl->device_index);
    snprintf(d->name, sizeof(d->name), "%s", cl->name);
    snprintf(d->type, sizeof(d->type), "%s", tr_cl_type_name(cl->type));
    d->fp64 = cl->fp64;
}
#endif

enum tr_status tr_bench_devices_find(const struct tr_bench_list *wanted,
                                     struct tr_bench_devices *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int need_opencl = !wanted;
    for (size_t i = 0; wanted && i < wanted->n; i++) {
        /* one selector per item: bench sets the lanes (--threads) and runs devices one by one */
        struct tr_device_spec spec;
        char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)], msg[400];
        tr_text_quote(q, sizeof(q), wanted->items[i], TR_ECHO_CHARS);
        if (strchr(wanted->items[i], '@') || strcmp(wanted->items[i], "all") == 0) {
            snprintf(err, errlen,
                     "--device: %s: bench takes single devices, each run alone (accepted: cpu, "
                     "opencl, gpu, pocl, opencl:P.D; --threads sets the lanes)",
                     q);
            return TR_ERR_USAGE;
        }
        if (tr_device_spec_parse(wanted->items[i], &spec, msg, sizeof(msg)) != 0) {
            snprintf(err, errlen, "--device: %s", msg);
            return TR_ERR_USAGE;
        }
        need_opencl |= spec.kind != TR_DEVICE_CPU;
    }
#ifdef TILERACE_HAVE_OPENCL
    struct tr_cl_device_list list;
    const struct tr_cl_device *chosen[TR_BENCH_MAX_DEVICES] = {NULL};
    memset(&list, 0, sizeof(list));
    if (need_opencl) {
        int rc = tr_cl_list_devices(&list, err, errlen);
        if (rc)
            return rc;
    }
    if (!wanted) {
        add_cpu(out, "cpu");
        for (size_t i = 0; i < list.count && out->n < TR_BENCH_MAX_DEVICES; i++)
            add_opencl(out, NULL, &list.devices[i]);
        if (list.count == 0)
            tr_cl_no_platform_reason(&list, out->note, sizeof(out->note));
        tr_cl_device_list_free(&list);
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < wanted->n && rc == 0; i++) {
        const char *sel = wanted->items[i];
        struct tr_device_spec spec;
        const struct tr_cl_device *dev = NULL;
        tr_device_spec_parse(sel, &spec, err, errlen); /* checked above */
        if (spec.kind == TR_DEVICE_CPU) {
            for (size_t j = 0; j < out->n; j++)
                if (out->d[j].cpu_path)
                    rc = TR_ERR_USAGE;
            if (rc == 0)
                add_cpu(out, sel);
        } else if ((rc = tr_cl_select(&list, &spec, "--device", sel, 0, &dev, err, errlen)) == 0) {
            for (size_t j = 0; j < out->n; j++)
                if (chosen[j] == dev)
                    rc = TR_ERR_USAGE;
            if (rc == 0) {
                chosen[out->n] = dev;
                add_opencl(out, sel, dev);
            }
        }
        if (rc == TR_ERR_USAGE) {
            char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
            snprintf(err, errlen, "--device: %s names a device already in the list",
                     tr_text_quote(q, sizeof(q), sel, TR_ECHO_CHARS));
        }
    }
    tr_cl_device_list_free(&list);
    return rc;
#else
    (void)need_opencl;
    if (!wanted) {
        add_cpu(out, "cpu");
        snprintf(out->note, sizeof(out->note), "OpenCL is not in this build");
        return 0;
    }
    for (size_t i = 0; i < wanted->n; i++) {
        if (strcmp(wanted->items[i], "cpu") != 0) {
            char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
            snprintf(err, errlen,
                     "--device: %s is an OpenCL device, and this tilerace was built without "
                     "OpenCL (accepted: cpu)",
                     tr_text_quote(q, sizeof(q), wanted->items[i], TR_ECHO_CHARS));
            return TR_ERR_DEVICE;
        }
        add_cpu(out, wanted->items[i]);
    }
    return 0;
#endif
}
