#include "devices/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/backend.h"
#include "opencl/device.h"
#endif
#include "devices/device_cache.h"
#include "core/clock.h"
#include "core/device_spec.h"
#include "core/status.h"
#include "core/text_escape.h"
#include "cpu/backend.h"

/* One device of the run, opened. */
struct opened_device {
    struct tr_cpu_backend cpu; /* the pthread path, when cl is NULL */
#ifdef TILERACE_HAVE_OPENCL
    struct tr_cl_backend *cl;
#endif
    const struct tr_backend *base;
};

static int open_cpu(struct tr_job *job, const struct tr_job_options *opt, struct opened_device *od,
                    struct tr_device_info *info, char *err, size_t errlen)
{
    int rc =
        opt && opt->cpu_isa
            ? tr_cpu_backend_init_isa(&od->cpu, &job->params, job->frame, opt->cpu_isa, err, errlen)
            : tr_cpu_backend_init(&od->cpu, &job->params, job->frame, err, errlen);
    if (rc)
        return rc;
    tr_cpu_model_name(info->name, sizeof(info->name));
    snprintf(info->platform, sizeof(info->platform), "tilerace pthreads");
    snprintf(info->type, sizeof(info->type), "CPU");
    snprintf(info->kernel, sizeof(info->kernel), "%s", od->cpu.kernel_name);
    snprintf(info->resolved, sizeof(info->resolved), "cpu");
    od->base = &od->cpu.base;
    return 0;
}

#ifdef TILERACE_HAVE_OPENCL
static void name_resolved(struct tr_device_info *info, const struct tr_cl_device *dev)
{
    snprintf(info->resolved, sizeof(info->resolved), "opencl:%u.%u", dev->platform_index % 1000,
             dev->device_index % 1000);
}

/* A device of its own for this run: only the platforms the selector needs are listed. */
static int open_own_device(struct tr_job *job, const struct tr_device_spec *spec,
                           const char *selector, const char *kernel_dir, const char *label,
                           struct tr_cl_backend **cl, struct tr_device_info *info, char *err,
                           size_t errlen)
{
    struct tr_cl_device_list list;
    const struct tr_cl_device *dev = NULL;
    const int need_fp64 = job->params.precision == TR_PRECISION_DOUBLE;
    int rc = tr_cl_list_devices_for(&list, spec, err, errlen);
    if (rc)
        return rc;
    rc = tr_cl_select(&list, spec, label, selector, need_fp64, &dev, err, errlen);
    if (rc == TR_ERR_DEVICE) {
        /* the message says what exists: all of it */
        tr_cl_device_list_free(&list);
        if ((rc = tr_cl_list_devices(&list, err, errlen)) == 0)
            rc = tr_cl_select(&list, spec, label, selector, need_fp64, &dev, err, errlen);
    }
    if (rc == 0) {
        name_resolved(info, dev);
        rc = tr_cl_backend_open(&job->params, dev, kernel_dir, job->frame, cl, info, err, errlen);
    }
    tr_cl_device_list_free(&list);
    return rc;
}

/* A device the cache keeps prepared: the program is built once, by the first run on it. */
static int open_cached_device(struct tr_job *job, const struct tr_device_spec *spec,
                              const char *selector, struct tr_device_cache *devices,
                              const char *label, struct tr_cl_backend **cl,
                              struct tr_device_info *info, char *err, size_t errlen)
{
    struct tr_cl_prepared *prep = NULL;
    const char *source = "prepared";
    int made_now = 0;
    int rc = tr_device_cache_get(devices, spec, selector, label, job->params.precision, &prep,
                                 &made_now, err, errlen);
    if (rc)
        return rc;
    info->build_ns = 0;
    if (made_now)
        tr_cl_prepared_build(prep, &info->build_ns, &source);
    snprintf(info->build_source, sizeof(info->build_source), "%s", source);
    name_resolved(info, tr_cl_prepared_device(prep));
    rc = tr_cl_backend_open_prepared(&job->params, prep, job->frame, cl, info, err, errlen);
    tr_cl_prepared_release(prep);
    return rc;
}

/*
 * "all": the CPU path, then every OpenCL device that can render the precision (double needs
 * cl_khr_fp64, float correctly rounded division), each given lanes lanes.
 */
static int expand_all(const struct tr_params *p, uint32_t lanes, struct tr_device_list *list,
                      char *err, size_t errlen)
{
    struct tr_cl_device_list cl;
    int rc = tr_cl_list_devices(&cl, err, errlen);
    if (rc)
        return rc;
    list->all = 0;
    list->count = 1;
    list->entries[0] = (struct tr_device_entry){{TR_DEVICE_CPU, 0, 0}, "cpu", lanes};
    for (size_t i = 0; i < cl.count; i++) {
        const struct tr_cl_device *d = &cl.devices[i];
        if (p->precision == TR_PRECISION_DOUBLE ? !d->fp64 : !d->fp32_correct_div)
            continue;
        if (cl.cache_problem && d->is_pocl)
            continue; /* pocl cannot build here */
        if (list->count == TR_MAX_DEVICES) {
            snprintf(err, errlen,
                     "--device: 'all' names more than %d devices here (accepted: at most %d; "
                     "name the ones to use in a list)",
                     TR_MAX_DEVICES, TR_MAX_DEVICES);
            tr_cl_device_list_free(&cl);
            return TR_ERR_USAGE;
        }
        struct tr_device_entry *e = &list->entries[list->count++];
        e->spec = (struct tr_device_spec){TR_DEVICE_INDEX, d->platform_index, d->device_index};
        snprintf(e->text, sizeof(e->text), "opencl:%u.%u", d->platform_index % 1000,
                 d->device_index % 1000);
        e->lanes = lanes;
    }
    tr_cl_device_list_free(&cl);
    return 0;
}
#endif

static int open_opencl(struct tr_job *job, const struct tr_device_entry *e,
                       const struct tr_job_options *opt, struct opened_device *od,
                       struct tr_device_info *info, char *err, size_t errlen)
{
    const char *label = opt && opt->device_label ? opt->device_label : "--device";
#ifndef TILERACE_HAVE_OPENCL
    (void)job;
    (void)od;
    (void)info;
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    tr_text_quote(q, sizeof(q), e->text, TR_ECHO_CHARS);
    snprintf(err, errlen,
             "%s: %s is an OpenCL device, and this tilerace was built without OpenCL "
             "(accepted: cpu)",
             label, q);
    return TR_ERR_DEVICE;
#else
    const char *kernel_dir = opt ? opt->kernel_dir : NULL;
    int rc = opt && opt->devices && !kernel_dir
                 ? open_cached_device(job, &e->spec, e->text, opt->devices, label, &od->cl, info,
                                      err, errlen)
                 : open_own_device(job, &e->spec, e->text, kernel_dir, label, &od->cl, info, err,
                                   errlen);
    if (rc == 0)
        od->base = tr_cl_backend_base(od->cl);
    return rc;
#endif
}

static void close_device(struct opened_device *od)
{
#ifdef TILERACE_HAVE_OPENCL
    tr_cl_backend_close(od->cl);
    od->cl = NULL;
#else
    (void)od;
#endif
}

/* A list whose entries name one device twice (pocl and opencl:0.0 may): refused. */
static int check_distinct(const struct tr_job *job, const char *label, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < job->n_devices; i++) {
        for (uint32_t k = 0; k < i; k++) {
            const struct tr_device_info *a = &job->devices[k], *b = &job->devices[i];
            if (strcmp(a->resolved, b->resolved) != 0)
                continue;
            char qa[TR_QUOTE_SIZE(TR_ECHO_CHARS)], qb[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
            tr_text_quote(qa, sizeof(qa), a->selector, TR_ECHO_CHARS);
            tr_text_quote(qb, sizeof(qb), b->selector, TR_ECHO_CHARS);
            snprintf(err, errlen,
                     "%s: %s and %s are the same device (%s); a run uses each device at most "
                     "once",
                     label, qa, qb, a->resolved);
            return TR_ERR_USAGE;
        }
    }
    return 0;
}

enum tr_status tr_job_run(const struct tr_params *p, const struct tr_job_options *opt,
                          struct tr_job *job, char *err, size_t errlen)
{
    struct tr_device_list list;
    struct opened_device *opened = NULL;
    struct tr_lane_group groups[TR_MAX_DEVICES];
    const char *label = opt && opt->device_label ? opt->device_label : "--device";
    char why[400];
    memset(job, 0, sizeof(*job));
    int64_t start_ns = tr_now_ns();
    job->params = *p;
    snprintf(job->device.selector, sizeof(job->device.selector), "%s", p->device);
    snprintf(job->device.build_source, sizeof(job->device.build_source), "none");

    int rc = tr_params_check(p, err, errlen);
    if (rc)
        return rc;
    if (tr_device_list_parse(p->device, TR_MAX_THREADS, &list, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", label, why);
        return TR_ERR_USAGE;
    }
    if (list.all) {
#ifdef TILERACE_HAVE_OPENCL
        if ((rc = expand_all(p, list.entries[0].lanes, &list, err, errlen)) != 0)
            return rc;
#else
        list =
            (struct tr_device_list){{{{TR_DEVICE_CPU, 0, 0}, "cpu", list.entries[0].lanes}}, 1, 0};
#endif
        uint32_t lanes = tr_device_list_lanes(&list, p->num_threads);
        if (lanes > TR_MAX_THREADS) {
            snprintf(err, errlen,
                     "%s: 'all' is %u devices with %u lanes in all, out of range (accepted range "
                     "1..%d; give fewer with all@N or num_threads)",
                     label, list.count, lanes, TR_MAX_THREADS);
            return TR_ERR_USAGE;
        }
    }

    /* A run without a frame hands each tile's counts to the consumer in a slot of its own. */
    size_t pixels = (size_t)p->width * p->height;
    if (!(opt && opt->hooks.tile_slots) && tr_job_frame_alloc(job, pixels) != 0) {
        snprintf(err, errlen, "out of memory: a %ux%u frame needs %zu MiB", p->width, p->height,
                 pixels * sizeof(uint16_t) >> 20);
        return TR_ERR_INTERNAL;
    }
    if (!(opened = calloc(list.count, sizeof(*opened)))) {
        snprintf(err, errlen, "out of memory");
        return TR_ERR_INTERNAL;
    }
    for (uint32_t i = 0; i < list.count && rc == 0; i++) {
        const struct tr_device_entry *e = &list.entries[i];
        struct tr_device_info *info = &job->devices[i];
        snprintf(info->selector, sizeof(info->selector), "%s", e->text);
        snprintf(info->build_source, sizeof(info->build_source), "none");
        info->lanes = tr_device_entry_lanes(e, p->num_threads);
        rc = e->spec.kind == TR_DEVICE_CPU
                 ? open_cpu(job, opt, &opened[i], info, err, errlen)
                 : open_opencl(job, e, opt, &opened[i], info, err, errlen);
        if (rc == 0) {
            job->n_devices = i + 1;
            rc = check_distinct(job, label, err, errlen);
        }
        groups[i] = (struct tr_lane_group){opened[i].base, info->lanes, info->resolved};
    }
    /* summary.device (and the progress bar's label while the run lasts): the one device, or
     * for several the first under the list's name */
    job->device = job->devices[0];
    snprintf(job->device.selector, sizeof(job->device.selector), "%s", p->device);
    if (rc == 0)
        rc = tr_run_lanes(&job->params, job->frame, groups, list.count, opt ? &opt->hooks : NULL,
                          &job->run, err, errlen);
    for (uint32_t i = list.count; i-- > 0;) { /* in reverse order of opening */
#ifdef TILERACE_HAVE_OPENCL
        if (opened[i].cl)
            job->devices[i].readback_ns = tr_cl_backend_readback_ns(opened[i].cl);
#endif
        close_device(&opened[i]);
    }
    free(opened);
    job->device.readback_ns = job->devices[0].readback_ns;
    /* records are sorted by start: each device's first is its first tile */
    for (size_t i = job->run.n_records; rc == 0 && i-- > 0;) {
        const struct tr_record *r = &job->run.records[i];
        job->devices[r->device_index].first_tile_ns = job->run.origin_ns + r->start_ns - start_ns;
    }
    if (rc == 0 && job->run.n_records)
        job->device.first_tile_ns = job->run.origin_ns + job->run.records[0].start_ns - start_ns;
    return rc;
}
