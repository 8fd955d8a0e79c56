/*
 * Output files written to a temporary file beside the target and renamed into place, so a
 * failed or interrupted run never leaves a partial file and never removes the previous one.
 * Path "-" means stdout; a device or FIFO (/dev/null, a named pipe) is written straight; a
 * symbolic link's target is replaced, the link kept. A replaced file keeps its mode and, as
 * far as the process may set them, its owner and group; a new file gets 0666 less the umask.
 *
 * Files that belong together are placed as a group: tr_atomic_files_place renames them all
 * into place and keeps each file it replaced, as a hard link beside it, until
 * tr_atomic_files_keep drops those links or tr_atomic_files_undo (or a signal) puts the
 * previous files back. SIGINT, SIGTERM and SIGHUP that arrive while the files are renamed
 * wait until the group is complete.
 */
#ifndef TILERACE_ATOMIC_FILE_H
#define TILERACE_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

struct tr_atomic_file {
    FILE *f;
    char *shown_path; /* as given, for messages */
    int slot;         /* 1 + its index in the table of files in progress, or 0 */
    int direct;       /* a device or FIFO, written straight (no rename possible) */
    int to_stdout;    /* path "-" */
};

/*
 * Checks the path and creates the temporary file; returns 0, or -1 with a message in err
 * that names the path ("'' is not a file path", "'x' is a directory", "'x' cannot be
 * written: reason"). Nothing is created on failure.
 */
int tr_atomic_file_open(struct tr_atomic_file *af, const char *path, char *err, size_t errlen);

/*
 * Flushes, syncs and closes every file of the group, then renames each into place, holding
 * on to the files they replace. Returns 0, or -1 with a message in err and the index of the
 * file that failed in *failed; then every path is as it was before and the temporary files
 * are gone (a device already written stays written). n is at most 8.
 */
int tr_atomic_files_place(struct tr_atomic_file *const *files, size_t n, size_t *failed, char *err,
                          size_t errlen);
/* After tr_atomic_files_place: the new files stay; the previous ones are let go. */
void tr_atomic_files_keep(struct tr_atomic_file *const *files, size_t n);
/* After tr_atomic_files_place: the previous files are put back, new files removed. */
void tr_atomic_files_undo(struct tr_atomic_file *const *files, size_t n);

/* Place and keep one file; returns 0, or -1 with a message in err (the path as it was). */
int tr_atomic_file_commit(struct tr_atomic_file *af, char *err, size_t errlen);
/* Leaves the path as it was: removes the temporary file, or undoes a placed file. Safe on a
 * file already committed or never opened. */
void tr_atomic_file_abort(struct tr_atomic_file *af);

/*
 * Nonzero when the two output paths would write the same file: the same existing file
 * (compared by device and inode, so through links; "-" is whatever stdout is), or the same
 * name in the same directory for a file that does not exist yet. Character devices such as
 * /dev/null may be named twice.
 */
int tr_atomic_file_same_target(const char *a, const char *b);

/* SIGINT, SIGTERM, SIGHUP leave every output path as it was (temporary files removed, files
 * already placed put back), then end the process as the signal would have; SIGPIPE is
 * ignored, so a closed pipe is a write error like any other. */
void tr_atomic_file_install_signal_cleanup(void);

/* "standard output cannot be written: why" for errnum (0: unknown), with what EPIPE means
 * (the reader of a pipe has gone: tilerace | head). Every message about stdout says it so,
 * never naming an option. */
char *tr_stdout_failure(char *dst, size_t dstlen, int errnum);

#endif
