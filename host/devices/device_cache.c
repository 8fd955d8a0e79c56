#include "devices/device_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device_spec.h"

#define PRECISIONS 2 /* enum tr_precision */

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/device.h"

/* One listed device and what is prepared on it, per precision. */
struct entry {
    struct tr_cl_prepared *prepared[PRECISIONS];
    int preparing[PRECISIONS]; /* being prepared, the lock let go meanwhile */
};

struct tr_device_cache {
    pthread_mutex_t lock;
    pthread_cond_t prepared; /* a preparation ended */
    int listed;
    struct tr_cl_device_list list; /* every device, listed on first use; kept */
    struct entry *entries;         /* one per listed device */
};

struct tr_device_cache *tr_device_cache_new(void)
{
    struct tr_device_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    if (pthread_cond_init(&c->prepared, NULL) != 0) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    return c;
}

void tr_device_cache_free(struct tr_device_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->entries && i < c->list.count; i++)
        for (int p = 0; p < PRECISIONS; p++)
            tr_cl_prepared_release(c->entries[i].prepared[p]);
    free(c->entries);
    tr_cl_device_list_free(&c->list);
    pthread_cond_destroy(&c->prepared);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The index of the device spec names, listing devices on first use; under the lock. */
static enum tr_status find_locked(struct tr_device_cache *c, const struct tr_device_spec *spec,
                                  const char *selector, const char *label, int need_fp64,
                                  size_t *index, char *err, size_t errlen)
{
    const struct tr_cl_device *dev = NULL;
    enum tr_status rc;
    if (!c->listed) {
        if ((rc = tr_cl_list_devices(&c->list, err, errlen)) != 0)
            return rc;
        c->entries = calloc(c->list.count ? c->list.count : 1, sizeof(*c->entries));
        if (!c->entries) {
            tr_cl_device_list_free(&c->list);
            snprintf(err, errlen, "out of memory");
            return TR_ERR_INTERNAL;
        }
        c->listed = 1;
    }
    if ((rc = tr_cl_select(&c->list, spec, label, selector, need_fp64, &dev, err, errlen)) != 0)
        return rc;
    *index = (size_t)(dev - c->list.devices);
    return TR_OK;
}

/* The prepared device at index for precision, made when it is not yet; under the lock, which
 * it lets go while it builds. */
static enum tr_status prepare_locked(struct tr_device_cache *c, size_t index,
                                     enum tr_precision precision, struct tr_cl_prepared **out,
                                     int *made_now, char *err, size_t errlen)
{
    struct entry *e = &c->entries[index];
    struct tr_cl_prepared *prep = NULL;
    *made_now = 0;
    while (e->preparing[precision])
        pthread_cond_wait(&c->prepared, &c->lock);
    if (e->prepared[precision]) {
        tr_cl_prepared_retain(e->prepared[precision]);
        *out = e->prepared[precision];
        return TR_OK;
    }
    /* one context per device: the other precision's, when it is prepared */
    struct tr_cl_prepared *other = e->prepared[precision == TR_PRECISION_DOUBLE];
    e->preparing[precision] = 1;
    pthread_mutex_unlock(&c->lock);
    enum tr_status rc =
        tr_cl_prepare(&c->list.devices[index], precision, NULL,
                      other ? tr_cl_prepared_context(other) : NULL, &prep, err, errlen);
    pthread_mutex_lock(&c->lock);
    e->preparing[precision] = 0;
    pthread_cond_broadcast(&c->prepared);
    if (rc)
        return rc; /* not kept: the next request tries again */
    e->prepared[precision] = prep;
    tr_cl_prepared_retain(prep);
    *out = prep;
    *made_now = 1;
    return TR_OK;
}

enum tr_status tr_device_cache_get(struct tr_device_cache *c, const struct tr_device_spec *spec,
                                   const char *selector, const char *label,
                                   enum tr_precision precision, struct tr_cl_prepared **out,
                                   int *made_now, char *err, size_t errlen)
{
    size_t index;
    *out = NULL;
    *made_now = 0;
    pthread_mutex_lock(&c->lock);
    enum tr_status rc = find_locked(c, spec, selector, label, precision == TR_PRECISION_DOUBLE,
                                    &index, err, errlen);
    if (rc == TR_OK)
        rc = prepare_locked(c, index, precision, out, made_now, err, errlen);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum tr_status tr_device_cache_warm(struct tr_device_cache *c, const char *selector,
                                    const char *label, char *err, size_t errlen)
{
    struct tr_device_spec spec;
    struct tr_cl_prepared *prep = NULL;
    char why[512];
    size_t index;
    int made_now, prepared = 0;
    if (tr_device_spec_parse(selector, &spec, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", label, why);
        return TR_ERR_USAGE;
    }
    if (spec.kind == TR_DEVICE_CPU)
        return TR_OK;
    pthread_mutex_lock(&c->lock);
    enum tr_status rc = find_locked(c, &spec, selector, label, 0, &index, err, errlen);
    for (int p = 0; rc == TR_OK && p < PRECISIONS; p++) {
        const struct tr_cl_device *dev = &c->list.devices[index];
        if (p == TR_PRECISION_DOUBLE ? !dev->fp64 : !dev->fp32_correct_div)
            continue; /* runs in that precision are refused on it anyway */
        if ((rc = prepare_locked(c, index, (enum tr_precision)p, &prep, &made_now, err, errlen)) ==
            TR_OK) {
            tr_cl_prepared_release(prep);
            prepared++;
        }
    }
    if (rc == TR_OK && !prepared) {
        snprintf(err, errlen,
                 "%s: '%s' (%s) renders neither precision: no cl_khr_fp64 and no correctly "
                 "rounded float division",
                 label, selector, c->list.devices[index].name);
        rc = TR_ERR_DEVICE;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int tr_device_cache_each(struct tr_device_cache *c,
                         int (*each)(void *user, const char *device, const char *name,
                                     const char *precision),
                         void *user)
{
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; c->listed && i < c->list.count && !rc; i++) {
        const struct tr_cl_device *d = &c->list.devices[i];
        char device[TR_DEVICE_MAXLEN];
        snprintf(device, sizeof(device), "opencl:%u.%u", d->platform_index, d->device_index);
        for (int p = 0; p < PRECISIONS && !rc; p++)
            if (c->entries[i].prepared[p])
                rc = each(user, device, d->name, tr_precision_name((enum tr_precision)p));
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

#else /* a build without OpenCL: nothing to prepare */

struct tr_device_cache {
    int unused;
};

struct tr_device_cache *tr_device_cache_new(void)
{
    return calloc(1, sizeof(struct tr_device_cache));
}

void tr_device_cache_free(struct tr_device_cache *c)
{
    free(c);
}

enum tr_status tr_device_cache_warm(struct tr_device_cache *c, const char *selector,
                                    const char *label, char *err, size_t errlen)
{
    struct tr_device_spec spec;
    char why[512];
    (void)c;
    if (tr_device_spec_parse(selector, &spec, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", label, why);
        return TR_ERR_USAGE;
    }
    if (spec.kind == TR_DEVICE_CPU)
        return TR_OK;
    snprintf(err, errlen,
             "%s: '%s' is an OpenCL device, and this tilerace was built without OpenCL "
             "(accepted: cpu)",
             label, selector);
    return TR_ERR_DEVICE;
}

int tr_device_cache_each(struct tr_device_cache *c,
                         int (*each)(void *user, const char *device, const char *name,
                                     const char *precision),
                         void *user)
{
    (void)c;
    (void)each;
    (void)user;
    return 0;
}

#endif
