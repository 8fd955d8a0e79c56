/*
 * Request deadlines. libmicrohttpd's connection timeout restarts with every byte, so a client
 * that sends one header line every few seconds would hold its connection for ever. Here each
 * connection must deliver a whole request (line, headers and any body) within
 * request_timeout_ms of opening or of its previous answer; a thread shuts down the sockets of
 * those that do not, and libmicrohttpd then closes them as it would any that the client closed.
 *
 * The list is in deadline order (every deadline is "now + the same timeout" when armed), so
 * the thread only ever looks at its head. A socket is shut down under the list's lock, and a
 * connection leaves the list (in MHD's "closed" notice) before MHD closes its socket, so the
 * descriptor is never one that has been reused.
 */
#include <sys/socket.h>

#include "core/clock.h"
#include "server/private.h"

static void unlink_locked(struct tr_server *s, struct conn_state *cs)
{
    if (!cs->dl_linked)
        return;
    if (cs->dl_prev)
        cs->dl_prev->dl_next = cs->dl_next;
    else
        s->dl_head = cs->dl_next;
    if (cs->dl_next)
        cs->dl_next->dl_prev = cs->dl_prev;
    else
        s->dl_tail = cs->dl_prev;
    cs->dl_prev = cs->dl_next = NULL;
    cs->dl_linked = 0;
}

void tr_srv_deadline_arm(struct tr_server *s, struct conn_state *cs)
{
    pthread_mutex_lock(&s->dl_lock);
    unlink_locked(s, cs);
    cs->deadline_ns = tr_deadline_ns(s->cfg.request_timeout_ms);
    cs->dl_prev = s->dl_tail;
    if (s->dl_tail)
        s->dl_tail->dl_next = cs;
    else
        s->dl_head = cs;
    s->dl_tail = cs;
    cs->dl_linked = 1;
    if (s->dl_head == cs)
        pthread_cond_signal(&s->dl_changed);
    pthread_mutex_unlock(&s->dl_lock);
}

void tr_srv_deadline_disarm(struct tr_server *s, struct conn_state *cs)
{
    pthread_mutex_lock(&s->dl_lock);
    unlink_locked(s, cs);
    pthread_mutex_unlock(&s->dl_lock);
}

static void *deadline_main(void *arg)
{
    struct tr_server *s = arg;
    unsigned long long closed = 0;
    pthread_mutex_lock(&s->dl_lock);
    while (!s->dl_stop) {
        int64_t now = tr_now_ns();
        unsigned expired = 0;
        while (s->dl_head && s->dl_head->deadline_ns <= now) {
            struct conn_state *cs = s->dl_head;
            unlink_locked(s, cs);
            if (cs->fd >= 0)
                shutdown(cs->fd, SHUT_RDWR);
            expired++;
        }
        closed += expired;
        if (expired && s->cfg.log_requests)
            tr_srv_log("closed %u connections that sent no whole request within %u ms (%llu so "
                       "far)",
                       expired, (unsigned)s->cfg.request_timeout_ms, closed);
        /* sleep until the next deadline (or a new head) */
        int64_t until_ns = s->dl_head ? s->dl_head->deadline_ns : now + 1000000000LL;
        tr_cond_wait_until(&s->dl_changed, &s->dl_lock, until_ns);
    }
    pthread_mutex_unlock(&s->dl_lock);
    return NULL;
}

int tr_srv_deadlines_start(struct tr_server *s)
{
    if (pthread_mutex_init(&s->dl_lock, NULL))
        return -1;
    if (tr_cond_init_monotonic(&s->dl_changed)) {
        pthread_mutex_destroy(&s->dl_lock);
        return -1;
    }
    if (pthread_create(&s->dl_thread, NULL, deadline_main, s)) {
        pthread_cond_destroy(&s->dl_changed);
        pthread_mutex_destroy(&s->dl_lock);
        return -1;
    }
    s->dl_started = 1;
    return 0;
}

void tr_srv_deadlines_stop(struct tr_server *s)
{
    if (!s->dl_started)
        return;
    pthread_mutex_lock(&s->dl_lock);
    s->dl_stop = 1;
    pthread_cond_signal(&s->dl_changed);
    pthread_mutex_unlock(&s->dl_lock);
    pthread_join(s->dl_thread, NULL);
    pthread_cond_destroy(&s->dl_changed);
    pthread_mutex_destroy(&s->dl_lock);
    s->dl_started = 0;
}
