#include "cpu/ceiling.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/status.h"

struct ceiling_shared {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go; /* 1: start, -1: give up (a thread could not be created) */
    tr_ceiling_fn fn;
    uint64_t steps;
};

struct ceiling_thread {
    struct ceiling_shared *s;
    uint64_t iterations;
    int64_t end_ns;
};

static void *ceiling_main(void *arg)
{
    struct ceiling_thread *t = arg;
    struct ceiling_shared *s = t->s;
    pthread_mutex_lock(&s->lock);
    while (s->go == 0)
        pthread_cond_wait(&s->cond, &s->lock);
    int go = s->go;
    pthread_mutex_unlock(&s->lock);
    if (go > 0)
        t->iterations = s->fn(s->steps);
    t->end_ns = tr_now_ns();
    return NULL;
}

static void release(struct ceiling_shared *s, int go)
{
    pthread_mutex_lock(&s->lock);
    s->go = go;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

enum tr_status tr_cpu_ceiling(enum tr_cpu_isa isa, enum tr_precision precision, uint32_t threads,
                              uint64_t steps, struct tr_ceiling_result *out, char *err,
                              size_t errlen)
{
    struct ceiling_shared s;
    struct ceiling_thread *ts = NULL;
    pthread_t *tids = NULL;
    uint32_t started = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (threads < 1 || threads > 256 || steps < 1) {
        snprintf(err, errlen,
                 "ceiling: %u threads, %llu steps is out of range (accepted range 1..256 "
                 "threads, at least 1 step)",
                 threads, (unsigned long long)steps);
        return TR_ERR_USAGE;
    }
    s.fn = tr_cpu_ceiling_fn(isa, precision);
    if (!s.fn) {
        snprintf(err, errlen, "ceiling: '%s' is not supported by this processor or build",
                 tr_cpu_isa_name(isa));
        return TR_ERR_DEVICE;
    }
    s.steps = steps;
    s.go = 0;
    ts = calloc(threads, sizeof(*ts));
    tids = calloc(threads, sizeof(*tids));
    if (!ts || !tids) {
        snprintf(err, errlen, "ceiling: out of memory for %u threads", threads);
        free(tids);
        free(ts);
        return TR_ERR_INTERNAL;
    }
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    for (; started < threads; started++) {
        ts[started].s = &s;
        if (pthread_create(&tids[started], NULL, ceiling_main, &ts[started]) != 0) {
            snprintf(err, errlen, "ceiling: could not start thread %u of %u", started + 1, threads);
            rc = TR_ERR_INTERNAL;
            break;
        }
    }
    int64_t start_ns = tr_now_ns(), end_ns = start_ns;
    release(&s, rc ? -1 : 1);
    for (uint32_t i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        end_ns = ts[i].end_ns > end_ns ? ts[i].end_ns : end_ns;
        out->iterations += ts[i].iterations;
        if (rc == 0 && ts[i].iterations == 0) {
            snprintf(err, errlen, "ceiling: a lane of '%s' escaped; the loop is wrong",
                     tr_cpu_isa_name(isa));
            rc = TR_ERR_INTERNAL;
        }
    }
    if (rc == 0) {
        out->isa = isa;
        out->precision = precision;
        out->threads = threads;
        out->elapsed_ns = end_ns - start_ns;
        out->giga_iterations_per_s =
            out->elapsed_ns > 0 ? (double)out->iterations / (double)out->elapsed_ns : 0.0;
    }
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    free(tids);
    free(ts);
    return rc;
}
