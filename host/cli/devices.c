#include "cli/devices.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/cache_dir.h"
#include "opencl/device.h"
#else
/* A build without OpenCL lists the CPU path alone. */
struct tr_cl_device_list {
    size_t count;
};
#endif
#include "cli/commands.h"
#include "cli/device_selectors.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "cli/exit_codes.h"
#include "core/text_escape.h"
#include "cpu/backend.h"

static cJSON *cpu_json(void)
{
    char name[256];
    cJSON *o = cJSON_CreateObject();
    tr_cpu_model_name(name, sizeof(name));
    cJSON_AddStringToObject(o, "selector", "cpu");
    cJSON_AddStringToObject(o, "type", "CPU");
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "platform", "tilerace pthreads");
    cJSON_AddNumberToObject(o, "compute_units", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddBoolToObject(o, "double_precision", 1);
    return o;
}

struct cJSON *tr_devices_json(const struct tr_cl_device_list *list)
{
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cpu_json());
#ifdef TILERACE_HAVE_OPENCL
    char sel[32];
    for (size_t i = 0; i < list->count; i++) {
        const struct tr_cl_device *d = &list->devices[i];
        cJSON *o = cJSON_CreateObject();
        snprintf(sel, sizeof(sel), "opencl:%u.%u", d->platform_index, d->device_index);
        cJSON_AddStringToObject(o, "selector", sel);
        cJSON_AddStringToObject(o, "type", tr_cl_type_name(d->type));
        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "platform", d->platform_name);
        cJSON_AddStringToObject(o, "vendor", d->vendor);
        cJSON_AddStringToObject(o, "driver_version", d->driver);
        cJSON_AddStringToObject(o, "opencl_version", d->version);
        cJSON_AddNumberToObject(o, "compute_units", d->compute_units);
        cJSON_AddNumberToObject(o, "max_work_group_size", (double)d->max_work_group);
        cJSON_AddNumberToObject(o, "global_memory_bytes", (double)d->global_mem);
        cJSON_AddNumberToObject(o, "max_allocation_bytes", (double)d->max_alloc);
        cJSON_AddBoolToObject(o, "double_precision", d->fp64);
        cJSON_AddItemToArray(arr, o);
    }
#else
    (void)list;
#endif
    return arr;
}

static int print_json(const struct tr_cl_device_list *list)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "devices", tr_devices_json(list));
#ifndef TILERACE_HAVE_OPENCL
    cJSON_AddStringToObject(doc, "opencl",
                            "not in this build (configured with -DTILERACE_OPENCL=OFF)");
#else
    char reason[1024];
    if (list->count == 0)
        cJSON_AddStringToObject(doc, "opencl",
                                tr_cl_no_platform_reason(list, reason, sizeof(reason)));
    if (tr_cl_cache_dir())
        cJSON_AddStringToObject(doc, "pocl_cache_dir", tr_cl_cache_dir());
    else
        cJSON_AddNullToObject(doc, "pocl_cache_dir");
    if (list->cache_problem)
        cJSON_AddStringToObject(doc, "pocl_cache_problem", list->cache_problem);
#endif
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return TR_EXIT_FAILURE;
    int rc = puts(text) < 0 ? TR_EXIT_IO : TR_EXIT_OK;
    cJSON_free(text);
    return rc;
}

static void print_table(const struct tr_cl_device_list *list)
{
    char name[256];
    tr_cpu_model_name(name, sizeof(name));
    printf("%-12s %-4s %-40s %s\n", "DEVICE", "TYPE", "NAME", "DETAILS");
    printf("%-12s %-4s %-40.40s pthreads, %ld processors online, double precision\n", "cpu", "CPU",
           name, sysconf(_SC_NPROCESSORS_ONLN));
#ifndef TILERACE_HAVE_OPENCL
    (void)list;
    printf("(OpenCL: %s)\n", "not in this build (configured with -DTILERACE_OPENCL=OFF)");
#else
    char reason[1024];
    if (list->count == 0) {
        printf("(no OpenCL platform found: %s)\n",
               tr_cl_no_platform_reason(list, reason, sizeof(reason)));
        return;
    }
    for (size_t i = 0; i < list->count; i++) {
        const struct tr_cl_device *d = &list->devices[i];
        char sel[32];
        snprintf(sel, sizeof(sel), "opencl:%u.%u", d->platform_index, d->device_index);
        printf("%-12s %-4.4s %-40.40s platform %s; vendor %s; driver %s; %s; %u compute units; "
               "max work-group %zu; %.1f GiB global memory; double precision: %s\n",
               sel, tr_cl_type_name(d->type), d->name, d->platform_name, d->vendor, d->driver,
               d->version, d->compute_units, d->max_work_group,
               (double)d->global_mem / (1024.0 * 1024.0 * 1024.0), d->fp64 ? "yes" : "no");
    }
    printf("\nShortcuts: opencl = first GPU, else first device; gpu = first GPU; pocl = first "
           "pocl CPU device.\n");
    if (list->cache_problem)
        printf("pocl cannot build kernels: %s\n", list->cache_problem);
#endif
}

int tr_cli_devices(int argc, char **argv)
{
    struct tr_cli_parser ps;
    struct tr_cl_device_list list;
    char err[512];
    int json = 0, selectors = 0, id;
    tr_cli_parser_init(&ps, TR_CMD_DEVICES, 0, "tilerace devices --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, sizeof(err))) != TR_CLI_END) {
        if (id == TR_OPTION_JSON) {
            json = 1;
        } else if (id == TR_OPTION_SELECTORS) {
            selectors = 1;
        } else if (id == TR_OPTION_HELP) {
            tr_help_command(stdout, tr_cli_command_of(TR_CMD_DEVICES));
            return TR_EXIT_OK;
        } else {
            return tr_cli_fail(TR_EXIT_USAGE, "devices: %s", err);
        }
    }
    if (tr_cli_no_operands(&ps, err, sizeof(err)) != 0)
        return tr_cli_fail(TR_EXIT_USAGE, "devices: %s", err);
    if (json && selectors)
        return tr_cli_fail(TR_EXIT_USAGE, "devices: --json and --selectors exclude each other");
    if (selectors)
        return tr_cli_print_device_selectors(stdout);
#ifdef TILERACE_HAVE_OPENCL
    int rc = tr_cl_list_devices(&list, err, sizeof(err));
#else
    int rc = 0;
    list.count = 0;
    (void)err;
#endif
    if (rc)
        return tr_cli_fail(rc, "%s", err);
    if (json)
        rc = print_json(&list);
    else
        print_table(&list);
#ifdef TILERACE_HAVE_OPENCL
    tr_cl_device_list_free(&list);
#endif
    if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
        rc = tr_cli_fail(TR_EXIT_IO, "standard output cannot be written");
    return rc;
}
