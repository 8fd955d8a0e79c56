/*
 * Watches one request's render from its output thread: the run is cancelled (its lanes start
 * no further tile) when the client has closed its connection or the server stops every render
 * (shutdown deadline).
 */
#ifndef TILERACE_HTTP_PEER_H
#define TILERACE_HTTP_PEER_H

#include <stdatomic.h>
#include <stdint.h>

struct tr_peer_watch {
    int fd;                     /* the client's socket */
    const atomic_int *stop_all; /* the server's flag, or NULL */
    atomic_int cancel;          /* for tr_run_hooks.cancel */
    atomic_int peer_gone;       /* the client left (rather than the server stopping) */
    atomic_llong last_poll_ns;
};

void tr_peer_watch_init(struct tr_peer_watch *w, int fd, const atomic_int *stop_all);

/* 1 when the peer has shut its side of the connection (or the socket failed). */
int tr_peer_closed(int fd);

/*
 * Sets cancel when the client is gone or stop_all is set; returns cancel. Safe from any
 * thread; the socket is polled at most once a millisecond, however small the tiles.
 */
int tr_peer_watch_check(struct tr_peer_watch *w);

#endif
