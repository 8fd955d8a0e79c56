/*
 * Output files written to a temporary file beside the target and renamed into place, so a
 * failed or interrupted run never leaves a partial file. Path "-" means stdout; a device or
 * FIFO (/dev/null, a named pipe) is written straight; a symbolic link's target is replaced,
 * the link kept.
 */
#ifndef TILERACE_ATOMIC_FILE_H
#define TILERACE_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

struct tr_atomic_file {
    FILE *f;
    char *tmp_path; /* NULL for stdout */
    char *final_path;
    int slot;   /* in the signal-cleanup table, or -1 */
    int direct; /* a device or FIFO, written straight (no rename possible) */
};

/* Creates the temporary file; returns 0, or -1 with a message in err. */
int tr_atomic_file_open(struct tr_atomic_file *af, const char *path, char *err, size_t errlen);
/* Flushes, syncs and renames into place; returns 0, or -1 (the temporary file is removed). */
int tr_atomic_file_commit(struct tr_atomic_file *af, char *err, size_t errlen);
/* Removes the temporary file; safe on a file already committed or never opened. */
void tr_atomic_file_abort(struct tr_atomic_file *af);

/* SIGINT, SIGTERM, SIGHUP remove open temporary files, then end the process as the signal
 * would have; SIGPIPE is ignored, so a closed pipe is a write error like any other. */
void tr_atomic_file_install_signal_cleanup(void);

#endif
