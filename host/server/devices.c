#include "server/devices.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#ifdef TILERACE_HAVE_OPENCL
#include "core/device_spec.h"
#include "opencl/device.h"
#endif

#define MAX_SELECTORS 64

/* Listed once: the health endpoint is polled, and OpenCL enumeration is not free. */
static char selectors[MAX_SELECTORS][16];
static size_t n_selectors;
static pthread_once_t listed = PTHREAD_ONCE_INIT;

static void add(const char *s)
{
    if (n_selectors < MAX_SELECTORS)
        snprintf(selectors[n_selectors++], sizeof(selectors[0]), "%s", s);
}

static void list_devices(void)
{
    add("cpu");
#ifdef TILERACE_HAVE_OPENCL
    /* the shortcuts that resolve here, resolved as a request's device= is */
    static const char *const shortcuts[] = {"opencl", "gpu", "pocl"};
    struct tr_cl_device_list list;
    char err[256];
    if (tr_cl_list_devices(&list, err, sizeof(err)) != 0)
        return;
    for (size_t i = 0; i < sizeof(shortcuts) / sizeof(shortcuts[0]); i++) {
        struct tr_device_spec spec;
        if (tr_device_spec_parse(shortcuts[i], &spec, err, sizeof(err)) == 0 &&
            tr_cl_find(&list, &spec))
            add(shortcuts[i]);
    }
    for (size_t i = 0; i < list.count; i++) {
        char sel[16];
        snprintf(sel, sizeof(sel), "opencl:%u.%u", list.devices[i].platform_index % 1000,
                 list.devices[i].device_index % 1000);
        add(sel);
    }
    tr_cl_device_list_free(&list);
#endif
}

void tr_server_devices_warm(void)
{
    pthread_once(&listed, list_devices);
}

int tr_server_devices_json(struct cJSON *array)
{
    pthread_once(&listed, list_devices);
    for (size_t i = 0; i < n_selectors; i++) {
        cJSON *s = cJSON_CreateString(selectors[i]);
        if (!s || !cJSON_AddItemToArray(array, s)) {
            cJSON_Delete(s);
            return -1;
        }
    }
    return 0;
}
