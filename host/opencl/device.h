/* OpenCL platforms and devices: listing, and choosing one from a --device selector. */
#ifndef TILERACE_CL_DEVICE_H
#define TILERACE_CL_DEVICE_H

#include <stddef.h>

#include "core/device_spec.h"
#include "core/status.h"
#include "opencl/common.h"

struct tr_cl_device {
    cl_platform_id platform;
    cl_device_id device;
    unsigned platform_index, device_index;
    char name[256], vendor[256], platform_name[256], driver[128], version[128];
    cl_device_type type;
    cl_uint compute_units;
    size_t max_work_group;
    cl_ulong global_mem, max_alloc;
    int fp64;             /* cl_khr_fp64 */
    int fp32_correct_div; /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT */
    int is_pocl;
};

struct tr_cl_device_list {
    struct tr_cl_device *devices;
    size_t count;
    cl_int platform_status;    /* CL_SUCCESS, or why no platform could be listed */
    const char *cache_problem; /* tr_cl_cache_problem(): pocl cannot build kernels */
};

/* Lists every device of every platform. No platform is not an error: count is 0. Fails
 * (internal error) unless tr_cl_prepare_environment() ran first. */
enum tr_status tr_cl_list_devices(struct tr_cl_device_list *list, char *err, size_t errlen);
/*
 * Lists only the devices of the platforms that spec may name, in the same order and with the
 * same indices as the full list: opencl:P.D lists platform P, pocl the pocl platforms, gpu
 * and opencl the platforms up to the first with a GPU. What tr_cl_select then chooses is what
 * it chooses from the full list, but other drivers leave their devices uninitialised. (Its
 * "available" list in a failure's message is partial: list everything for that.)
 */
enum tr_status tr_cl_list_devices_for(struct tr_cl_device_list *list,
                                      const struct tr_device_spec *spec, char *err, size_t errlen);
void tr_cl_device_list_free(struct tr_cl_device_list *list);

/*
 * Resolves a selector (opencl, gpu, pocl, opencl:P.D) to a device. Returns 0, or
 * TR_ERR_DEVICE with a one-line message that names the selector and lists what exists.
 */
enum tr_status tr_cl_select(const struct tr_cl_device_list *list, const struct tr_device_spec *spec,
                            const char *label, const char *selector, int need_fp64,
                            const struct tr_cl_device **out, char *err, size_t errlen);

/* The device a selector names (opencl:P.D, or what opencl, gpu and pocl resolve to), or NULL.
 * tr_cl_select's choice, without its checks. */
const struct tr_cl_device *tr_cl_find(const struct tr_cl_device_list *list,
                                      const struct tr_device_spec *spec);
/* Why tr_cl_find found nothing: "no OpenCL GPU found", "no such device", ... */
const char *tr_cl_not_found(const struct tr_cl_device_list *list,
                            const struct tr_device_spec *spec);

const char *tr_cl_type_name(cl_device_type type);

/* Why no platform was listed: the pocl cache problem, the loader's error by name, or that the
 * loader lists none (never "CL_SUCCESS"). Returns buf. */
const char *tr_cl_no_platform_reason(const struct tr_cl_device_list *list, char *buf, size_t len);

#endif
