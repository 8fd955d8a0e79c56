#include "server/peer.h"

#include <poll.h>

#include "core/clock.h"

void tr_peer_watch_init(struct tr_peer_watch *w, int fd, const atomic_int *stop_all)
{
    w->fd = fd;
    w->stop_all = stop_all;
    atomic_init(&w->cancel, 0);
    atomic_init(&w->peer_gone, 0);
    atomic_init(&w->last_poll_ns, 0);
}

int tr_peer_closed(int fd)
{
    if (fd < 0)
        return 0;
    /* POLLRDHUP is the peer's FIN: a pipelined next request only raises POLLIN. */
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return 0;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int tr_peer_watch_check(struct tr_peer_watch *w)
{
    if (atomic_load(&w->cancel))
        return 1;
    if (w->stop_all && atomic_load(w->stop_all)) {
        atomic_store(&w->cancel, 1);
        return 1;
    }
    int64_t now = tr_now_ns();
    long long last = atomic_load(&w->last_poll_ns);
    if (now - last < 1000000 || !atomic_compare_exchange_strong(&w->last_poll_ns, &last, now))
        return 0;
    if (tr_peer_closed(w->fd)) {
        atomic_store(&w->peer_gone, 1);
        atomic_store(&w->cancel, 1);
        return 1;
    }
    return 0;
}
