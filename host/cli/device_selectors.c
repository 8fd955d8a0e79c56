#include "cli/device_selectors.h"

#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/device.h"
#endif
#include "cli/exit_codes.h"
#include "cli/usage.h"
#include "core/device_spec.h"
#include "core/options.h"

int tr_cli_print_device_selectors(FILE *f)
{
    const struct tr_option *o = &tr_options[TR_OPTION_DEVICE];
    char err[512];
#ifdef TILERACE_HAVE_OPENCL
    struct tr_cl_device_list list;
    enum tr_status status = tr_cl_list_devices(&list, err, sizeof(err));
    if (status != TR_OK)
        return tr_cli_fail(tr_exit_code(status), "devices: %s", err);
#endif
    /* The table's shortcuts, in its order; its forms with a placeholder (opencl:P.D) are
     * written out below, device by device. */
    for (size_t i = 0; o->choices[i].name; i++) {
        const char *name = o->choices[i].name;
        struct tr_device_spec spec;
        if (strchr(name, ':') || tr_device_spec_parse(name, &spec, err, sizeof(err)) != 0)
            continue;
        int here = spec.kind == TR_DEVICE_CPU;
#ifdef TILERACE_HAVE_OPENCL
        const struct tr_cl_device *found;
        if (!here)
            here =
                tr_cl_select(&list, &spec, "--device", name, 0, &found, err, sizeof(err)) == TR_OK;
#endif
        if (here)
            fprintf(f, "%s\n", name);
    }
#ifdef TILERACE_HAVE_OPENCL
    for (size_t i = 0; i < list.count; i++)
        fprintf(f, "opencl:%u.%u\n", list.devices[i].platform_index, list.devices[i].device_index);
    tr_cl_device_list_free(&list);
#endif
    return TR_EXIT_OK;
}
