#include "cli/devices.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/backend.h"
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
#include "core/device_spec.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "cpu/backend.h"
#include "cpu/kernels.h"
#include "version.h"

#define NO_OPENCL_BUILD "not in this build (configured with -DTILERACE_OPENCL=OFF)"

/* The shortcuts a --device may give instead of a device's own selector. */
static const char *const alias_names[] = {"cpu", "opencl", "gpu", "pocl"};
static const char *const alias_rules[] = {
    "the pthread path", "the first GPU, else the first OpenCL device", "the first OpenCL GPU",
    "the first CPU device of the pocl platform"};
#define N_ALIASES (sizeof(alias_names) / sizeof(alias_names[0]))

/* What a shortcut resolves to here: a device's selector, or why nothing. */
struct alias {
    const char *name;
    char target[32]; /* "" when it resolves to nothing */
    char why[256];
};

/* One device's block: the same fields for the CPU path and for OpenCL devices. */
struct device_view {
    char selector[32];
    unsigned aliases; /* bit i: alias_names[i] resolves to this device here */
    const char *type;
    char name[256], vendor[256], platform[256], driver[128], version[128];
    int is_opencl;
    unsigned compute_units;
    unsigned long long memory_bytes, max_alloc_bytes;
    size_t max_work_group;
    int fp64;
    /* what --kernel auto runs in each precision; "" with the reason when it cannot run */
    char kernel[2][48];
    char kernel_why[2][256];
};

static void resolve_aliases(const struct tr_cl_device_list *list, struct alias out[N_ALIASES])
{
    for (size_t i = 0; i < N_ALIASES; i++) {
        struct tr_device_spec spec;
        char err[256];
        struct alias *a = &out[i];
        memset(a, 0, sizeof(*a));
        a->name = alias_names[i];
        if (tr_device_spec_parse(a->name, &spec, err, sizeof(err)) != 0) {
            snprintf(a->why, sizeof(a->why), "%s", err);
            continue;
        }
        if (spec.kind == TR_DEVICE_CPU) {
            snprintf(a->target, sizeof(a->target), "cpu");
            continue;
        }
#ifdef TILERACE_HAVE_OPENCL
        const struct tr_cl_device *d = tr_cl_find(list, &spec);
        if (d)
            snprintf(a->target, sizeof(a->target), "opencl:%u.%u", d->platform_index,
                     d->device_index);
        else
            snprintf(a->why, sizeof(a->why), "%s here", tr_cl_not_found(list, &spec));
#else
        (void)list;
        snprintf(a->why, sizeof(a->why), "OpenCL is " NO_OPENCL_BUILD);
#endif
    }
}

static void collect_aliases(struct device_view *v, const struct alias aliases[N_ALIASES])
{
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(aliases[i].target, v->selector) == 0)
            v->aliases |= 1u << i;
}

static unsigned long long physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (unsigned long long)pages * (unsigned long long)page : 0;
}

static void cpu_view(struct device_view *v)
{
    enum tr_cpu_isa isa;
    char err[256];
    memset(v, 0, sizeof(*v));
    snprintf(v->selector, sizeof(v->selector), "cpu");
    v->type = "CPU";
    tr_cpu_model_name(v->name, sizeof(v->name));
    tr_cpu_vendor(v->vendor, sizeof(v->vendor));
    snprintf(v->platform, sizeof(v->platform), "tilerace pthreads");
    snprintf(v->driver, sizeof(v->driver), "tilerace %s", TILERACE_VERSION);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    v->compute_units = online > 0 ? (unsigned)online : 1;
    v->memory_bytes = physical_memory();
    v->fp64 = 1;
    /* the choice a run makes, $TILERACE_CPU_ISA included */
    int rc = tr_cpu_isa_choose(TR_KERNEL_AUTO, &isa, err, sizeof(err));
    for (int pi = 0; pi < 2; pi++) {
        if (rc == 0)
            snprintf(v->kernel[pi], sizeof(v->kernel[pi]), "%s",
                     tr_cpu_kernel_name(isa, (enum tr_precision)pi));
        else
            snprintf(v->kernel_why[pi], sizeof(v->kernel_why[pi]), "%s", err);
    }
}

#ifdef TILERACE_HAVE_OPENCL
static void opencl_view(struct device_view *v, const struct tr_cl_device *d)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->selector, sizeof(v->selector), "opencl:%u.%u", d->platform_index, d->device_index);
    v->type = tr_cl_type_name(d->type);
    v->is_opencl = 1;
    snprintf(v->name, sizeof(v->name), "%s", d->name);
    snprintf(v->vendor, sizeof(v->vendor), "%s", d->vendor);
    snprintf(v->platform, sizeof(v->platform), "%s", d->platform_name);
    snprintf(v->driver, sizeof(v->driver), "%s", d->driver);
    snprintf(v->version, sizeof(v->version), "%s", d->version);
    v->compute_units = d->compute_units;
    v->memory_bytes = d->global_mem;
    v->max_alloc_bytes = d->max_alloc;
    v->max_work_group = d->max_work_group;
    v->fp64 = d->fp64;
    for (int pi = 0; pi < 2; pi++) {
        struct tr_params p;
        tr_params_defaults(&p);
        p.kernel = TR_KERNEL_AUTO;
        p.precision = (enum tr_precision)pi;
        /* the same refusals as the program's build (opencl/backend.c) */
        if (p.precision == TR_PRECISION_DOUBLE && !d->fp64)
            snprintf(v->kernel_why[pi], sizeof(v->kernel_why[pi]),
                     "no double precision (cl_khr_fp64)");
        else if (p.precision == TR_PRECISION_FLOAT && !d->fp32_correct_div)
            snprintf(v->kernel_why[pi], sizeof(v->kernel_why[pi]),
                     "no correctly rounded float division");
        else
            tr_cl_kernel_name(&p, d, v->kernel[pi], sizeof(v->kernel[pi]));
    }
}
#endif

/* The CPU path, then every OpenCL device; count views (at most 1 + list->count). */
static size_t make_views(const struct tr_cl_device_list *list, const struct alias *aliases,
                         struct device_view *views)
{
    size_t n = 0;
    cpu_view(&views[n++]);
#ifdef TILERACE_HAVE_OPENCL
    for (size_t i = 0; i < list->count; i++)
        opencl_view(&views[n++], &list->devices[i]);
#else
    (void)list;
#endif
    for (size_t i = 0; i < n; i++)
        collect_aliases(&views[i], aliases);
    return n;
}

static cJSON *view_json(const struct device_view *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *kernel = NULL;
    cJSON_AddStringToObject(o, "selector", v->selector);
    cJSON *aliases = cJSON_AddArrayToObject(o, "aliases");
    for (size_t i = 0; i < N_ALIASES; i++)
        if (v->aliases & (1u << i))
            cJSON_AddItemToArray(aliases, cJSON_CreateString(alias_names[i]));
    cJSON_AddStringToObject(o, "type", v->type);
    cJSON_AddStringToObject(o, "name", v->name);
    cJSON_AddStringToObject(o, "platform", v->platform);
    cJSON_AddStringToObject(o, "vendor", v->vendor);
    cJSON_AddStringToObject(o, "driver_version", v->driver);
    if (v->is_opencl)
        cJSON_AddStringToObject(o, "opencl_version", v->version);
    else
        cJSON_AddNullToObject(o, "opencl_version");
    cJSON_AddNumberToObject(o, "compute_units", v->compute_units);
    cJSON_AddNumberToObject(o, "memory_bytes", (double)v->memory_bytes);
    if (v->is_opencl) {
        cJSON_AddNumberToObject(o, "max_allocation_bytes", (double)v->max_alloc_bytes);
        cJSON_AddNumberToObject(o, "max_work_group_size", (double)v->max_work_group);
    }
    cJSON_AddBoolToObject(o, "double_precision", v->fp64);
    kernel = cJSON_AddObjectToObject(o, "auto_kernel");
    for (int pi = 0; pi < 2; pi++) {
        const char *precision = tr_precision_name((enum tr_precision)pi);
        if (v->kernel[pi][0])
            cJSON_AddStringToObject(kernel, precision, v->kernel[pi]);
        else
            cJSON_AddNullToObject(kernel, precision);
    }
    cJSON *why = NULL;
    for (int pi = 0; pi < 2; pi++) {
        if (!v->kernel[pi][0]) {
            if (!why)
                why = cJSON_AddObjectToObject(o, "auto_kernel_refused");
            cJSON_AddStringToObject(why, tr_precision_name((enum tr_precision)pi),
                                    v->kernel_why[pi]);
        }
    }
    return o;
}

static int print_json(const struct tr_cl_device_list *list, const struct device_view *views,
                      size_t n, const struct alias *aliases)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "devices");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, view_json(&views[i]));
    cJSON *resolved = cJSON_AddObjectToObject(doc, "aliases");
    cJSON *unresolved = NULL;
    for (size_t i = 0; i < N_ALIASES; i++) {
        if (aliases[i].target[0]) {
            cJSON_AddStringToObject(resolved, aliases[i].name, aliases[i].target);
        } else {
            cJSON_AddNullToObject(resolved, aliases[i].name);
            if (!unresolved)
                unresolved = cJSON_AddObjectToObject(doc, "aliases_unresolved");
            cJSON_AddStringToObject(unresolved, aliases[i].name, aliases[i].why);
        }
    }
#ifndef TILERACE_HAVE_OPENCL
    (void)list;
    cJSON_AddStringToObject(doc, "opencl", NO_OPENCL_BUILD);
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
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text)
        return tr_cli_fail(TR_EXIT_FAILURE, "devices: out of memory");
    int rc = puts(text) < 0 ? TR_EXIT_IO : TR_EXIT_OK;
    cJSON_free(text);
    return rc;
}

#define COLUMNS      80
#define VALUE_COLUMN 18 /* "  OpenCL version  " */

/*
 * "  label           value", the value escaped (a driver's strings are not ours) and wrapped
 * at spaces to COLUMNS, continuation lines indented to the value's column. A word longer
 * than a line (a path) stays whole, to be copied or searched for as printed.
 */
static void field(const char *label, const char *value)
{
    char text[2048];
    const size_t width = COLUMNS - VALUE_COLUMN;
    tr_text_escape(text, sizeof(text), value, 1000);
    printf("  %-*s", VALUE_COLUMN - 2, label);
    const char *s = text;
    for (int first = 1;; first = 0) {
        while (*s == ' ')
            s++;
        size_t take = 0, cols = 0;
        /* whole words while they fit; at least one */
        while (s[take]) {
            size_t word = take, word_cols = 0;
            while (s[word] == ' ')
                word++, word_cols++;
            while (s[word] && s[word] != ' ')
                word_cols += ((unsigned char)s[word++] & 0xc0) != 0x80;
            if (take && cols + word_cols > width)
                break;
            take = word;
            cols += word_cols;
        }
        if (!first)
            printf("%*s", VALUE_COLUMN, "");
        printf("%.*s\n", (int)take, s);
        s += take;
        if (!*s)
            break;
    }
}

static void print_memory(const char *label, unsigned long long bytes)
{
    char text[64];
    if (bytes >= (1ull << 30))
        snprintf(text, sizeof(text), "%.1f GiB", (double)bytes / (double)(1ull << 30));
    else
        snprintf(text, sizeof(text), "%llu MiB", bytes >> 20);
    field(label, bytes ? text : "unknown");
}

static void print_block(const struct device_view *v)
{
    char text[512] = "";
    size_t used = 0;
    printf("%s\n", v->selector);
    for (size_t i = 0; i < N_ALIASES; i++)
        if (v->aliases & (1u << i))
            used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", used ? ", " : "",
                                     alias_names[i]);
    field("aliases", used ? text : "none here");
    field("type", v->type);
    field("name", v->name);
    field("vendor", v->vendor);
    field("platform", v->platform);
    field("driver", v->driver);
    field("OpenCL version", v->is_opencl ? v->version : "none (the pthread path)");
    snprintf(text, sizeof(text), "%u", v->compute_units);
    if (!v->is_opencl)
        snprintf(text, sizeof(text), "%u processors online", v->compute_units);
    field("compute units", text);
    print_memory(v->is_opencl ? "global memory" : "memory", v->memory_bytes);
    if (v->is_opencl) {
        print_memory("max allocation", v->max_alloc_bytes);
        snprintf(text, sizeof(text), "%zu", v->max_work_group);
        field("max work-group", text);
    }
    field("fp64", v->fp64 ? "yes" : "no (double runs are refused)");
    /* each precision's kernel, or why that precision is refused */
    used = 0;
    for (int pi = 0; pi < 2 && used < sizeof(text); pi++) {
        if (v->kernel[pi][0])
            used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", used ? ", " : "",
                                     v->kernel[pi]);
        else
            used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s: none (%s)",
                                     used ? "; " : "", tr_precision_name((enum tr_precision)pi),
                                     v->kernel_why[pi]);
    }
    field("auto kernel", text);
}

static void print_text(const struct tr_cl_device_list *list, const struct device_view *views,
                       size_t n, const struct alias *aliases)
{
    char line[512];
    for (size_t i = 0; i < n; i++) {
        print_block(&views[i]);
        putchar('\n');
    }
    printf("shortcuts\n");
    for (size_t i = 0; i < N_ALIASES; i++) {
        if (aliases[i].target[0])
            snprintf(line, sizeof(line), "-> %s (%s)", aliases[i].target, alias_rules[i]);
        else
            snprintf(line, sizeof(line), "nothing: %s (%s)", aliases[i].why, alias_rules[i]);
        field(aliases[i].name, line);
    }
#ifndef TILERACE_HAVE_OPENCL
    (void)list;
    printf("(OpenCL: %s)\n", NO_OPENCL_BUILD);
#else
    char reason[1024];
    if (list->count == 0) {
        /* the pocl cache problem, when there is one, is the reason */
        snprintf(reason, sizeof(reason), "no platform found: ");
        size_t used = strlen(reason);
        tr_cl_no_platform_reason(list, reason + used, sizeof(reason) - used);
        printf("\n");
        field("OpenCL", reason);
    } else if (list->cache_problem) {
        snprintf(reason, sizeof(reason), "cannot build kernels: %s", list->cache_problem);
        printf("\n");
        field("pocl", reason);
    }
#endif
}

int tr_cli_devices(int argc, char **argv)
{
    struct tr_cli_parser ps;
    struct tr_cl_device_list list;
    struct alias aliases[N_ALIASES];
    struct device_view *views = NULL;
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
    views = calloc(list.count + 1, sizeof(*views));
    if (!views) {
        rc = tr_cli_fail(TR_EXIT_FAILURE, "devices: out of memory");
        goto cleanup;
    }
    resolve_aliases(&list, aliases);
    size_t n = make_views(&list, aliases, views);
    if (json)
        rc = print_json(&list, views, n, aliases);
    else
        print_text(&list, views, n, aliases);
    if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
        rc = tr_cli_fail(TR_EXIT_IO, "standard output cannot be written");
cleanup:
    free(views);
#ifdef TILERACE_HAVE_OPENCL
    tr_cl_device_list_free(&list);
#endif
    return rc;
}
