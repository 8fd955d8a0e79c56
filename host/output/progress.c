#include "output/progress.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/clock.h"

#define SHOW_AFTER_NS 500000000LL
#define PERIOD_MS     100
#define BAR_WIDTH     24

struct tr_progress {
    FILE *tty;
    uint64_t total;
    atomic_ullong done;
    atomic_int named;
    int64_t start_ns;
    pthread_t thread;
    pthread_mutex_t lock; /* guards label, stop and shown */
    pthread_cond_t cond;
    char label[160];
    int stop, shown;
};

static void draw(struct tr_progress *pg, int final)
{
    char line[320], bar[BAR_WIDTH + 1];
    uint64_t done = atomic_load(&pg->done);
    double elapsed = (double)(tr_now_ns() - pg->start_ns) / 1e9;
    size_t filled = pg->total ? (size_t)(done * BAR_WIDTH / pg->total) : 0;
    memset(bar, '#', filled);
    memset(bar + filled, '.', BAR_WIDTH - filled);
    bar[BAR_WIDTH] = '\0';
    int n = snprintf(line, sizeof(line), "[%s] %llu/%llu tiles  %.1f s  %.0f tiles/s  %s", bar,
                     (unsigned long long)done, (unsigned long long)pg->total, elapsed,
                     elapsed > 0 ? (double)done / elapsed : 0.0, pg->label);
    /* Never wider than the terminal: a wrapped line would not be overwritten by \r. */
    struct winsize ws;
    if (ioctl(fileno(pg->tty), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && n >= ws.ws_col)
        line[ws.ws_col - 1] = '\0';
    fprintf(pg->tty, "\r%s\033[K%s", line, final ? "\n" : "");
    fflush(pg->tty);
}

static void *progress_main(void *arg)
{
    struct tr_progress *pg = arg;
    pthread_mutex_lock(&pg->lock);
    while (!pg->stop) {
        tr_cond_wait_until(&pg->cond, &pg->lock, tr_deadline_ns(PERIOD_MS));
        if (!pg->stop && tr_now_ns() - pg->start_ns >= SHOW_AFTER_NS) {
            pg->shown = 1;
            draw(pg, 0);
        }
    }
    pthread_mutex_unlock(&pg->lock);
    return NULL;
}

struct tr_progress *tr_progress_start(FILE *tty, uint64_t tiles_total, const char *device)
{
    if (!isatty(fileno(tty)))
        return NULL;
    struct tr_progress *pg = calloc(1, sizeof(*pg));
    if (!pg)
        return NULL;
    pg->tty = tty;
    pg->total = tiles_total;
    atomic_init(&pg->done, 0);
    atomic_init(&pg->named, 0);
    snprintf(pg->label, sizeof(pg->label), "%s", device);
    pg->start_ns = tr_now_ns();
    if (pthread_mutex_init(&pg->lock, NULL) != 0) {
        free(pg);
        return NULL;
    }
    if (tr_cond_init_monotonic(&pg->cond) != 0) {
        pthread_mutex_destroy(&pg->lock);
        free(pg);
        return NULL;
    }
    if (pthread_create(&pg->thread, NULL, progress_main, pg) != 0) {
        pthread_cond_destroy(&pg->cond);
        pthread_mutex_destroy(&pg->lock);
        free(pg);
        return NULL;
    }
    return pg;
}

void tr_progress_tile_done(struct tr_progress *pg, const char *device_name)
{
    if (!pg)
        return;
    if (device_name && device_name[0] && !atomic_exchange(&pg->named, 1)) {
        pthread_mutex_lock(&pg->lock);
        size_t len = strlen(pg->label);
        snprintf(pg->label + len, sizeof(pg->label) - len, ": %s", device_name);
        pthread_mutex_unlock(&pg->lock);
    }
    atomic_fetch_add(&pg->done, 1);
}

void tr_progress_stop(struct tr_progress *pg)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->lock);
    pg->stop = 1;
    pthread_cond_signal(&pg->cond);
    pthread_mutex_unlock(&pg->lock);
    pthread_join(pg->thread, NULL);
    if (pg->shown)
        draw(pg, 1);
    pthread_cond_destroy(&pg->cond);
    pthread_mutex_destroy(&pg->lock);
    free(pg);
}
