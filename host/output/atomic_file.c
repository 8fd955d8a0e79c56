#include "output/atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text_escape.h"

#define MAX_ENTRIES      8
#define MAX_LINK_HOPS    40
#define MAX_BACKUP_TRIES 100

enum entry_state { ENTRY_FREE, ENTRY_WRITING, ENTRY_PLACED };

/* A file in progress, as the signal handler sees it. */
struct entry {
    char *tmp_path;    /* the temporary file, while WRITING */
    char *final_path;  /* where it goes */
    char *backup_path; /* PLACED with has_backup: a hard link to the file it replaced */
    size_t backup_len; /* room in backup_path */
    int has_backup;
    int had_previous; /* PLACED: something was at final_path before */
    enum entry_state state;
};

static struct entry entries[MAX_ENTRIES];

/*
 * The table changes only while `phase` is TABLE_BUSY, set by the thread changing it; the
 * signal handler touches it only after moving `phase` from TABLE_IDLE to DYING, so the two
 * never overlap. A signal that finds the table busy is raised again when it is idle. Signals
 * reach whichever thread does not block them (render lanes, an OpenCL runtime's threads), so
 * blocking them on one thread would not be enough.
 */
enum { TABLE_IDLE, TABLE_BUSY, DYING };
static atomic_int phase;
static atomic_int deferred_signal;

static void table_enter(void)
{
    for (;;) {
        int expected = TABLE_IDLE;
        if (atomic_compare_exchange_weak(&phase, &expected, TABLE_BUSY))
            return;
        if (expected == DYING)
            for (;;)
                pause(); /* a signal handler is cleaning up and ends the process */
        sched_yield();
    }
}

static void table_leave(void)
{
    atomic_store(&phase, TABLE_IDLE);
    int sig = atomic_exchange(&deferred_signal, 0);
    if (sig)
        raise(sig);
}

/* Leaves the entry's path as it was before the run. Async-signal-safe. */
static void revert(struct entry *e)
{
    if (e->state == ENTRY_WRITING) {
        unlink(e->tmp_path);
    } else if (e->state == ENTRY_PLACED) {
        if (e->has_backup)
            rename(e->backup_path, e->final_path);
        else if (!e->had_previous)
            unlink(e->final_path);
    }
}

/* With the table busy. */
static void drop(struct entry *e)
{
    free(e->tmp_path);
    free(e->final_path);
    free(e->backup_path);
    memset(e, 0, sizeof(*e));
}

static void on_signal(int sig)
{
    int saved = errno;
    int expected = TABLE_IDLE;
    if (!atomic_compare_exchange_strong(&phase, &expected, DYING)) {
        if (expected == TABLE_BUSY) {
            int none = 0;
            atomic_compare_exchange_strong(&deferred_signal, &none, sig);
        }
        /* else another thread is already cleaning up and ends the process */
        errno = saved;
        return;
    }
    for (int i = 0; i < MAX_ENTRIES; i++)
        revert(&entries[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void tr_atomic_file_install_signal_cleanup(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    /* A reader that went away (| head) is an output error like any other: exit 4, and the
     * usual clean-up, rather than death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

static size_t dir_length(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* What a symbolic link points at, as a path from the current directory. */
static char *link_target(const char *link)
{
    char target[PATH_MAX];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return NULL;
    target[n] = '\0';
    size_t dirlen = target[0] == '/' ? 0 : dir_length(link);
    size_t len = dirlen + (size_t)n + 1;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%.*s%s", (int)dirlen, link, target);
    else
        errno = ENOMEM;
    return out;
}

/*
 * The file that writing to path means: path itself, or the file its symbolic links end at,
 * whether that exists or not. NULL with errno on a loop or no memory.
 */
static char *write_target(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        /* realpath also resolves /proc/self/fd/N (/dev/stdout); devices and FIFOs are opened
         * by the name given. */
        if (S_ISREG(st.st_mode) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return realpath(path, NULL);
        return strdup(path);
    }
    char *cur = strdup(path);
    for (int hops = 0; cur; hops++) {
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        if (hops == MAX_LINK_HOPS) {
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        char *next = link_target(cur);
        free(cur);
        cur = next;
    }
    return NULL;
}

static void release(struct tr_atomic_file *af)
{
    free(af->shown_path);
    memset(af, 0, sizeof(*af));
}

char *tr_stdout_failure(char *dst, size_t dstlen, int errnum)
{
    if (errnum == EPIPE)
        snprintf(dst, dstlen, "standard output cannot be written: %s (its reader has exited)",
                 strerror(errnum));
    else if (errnum)
        snprintf(dst, dstlen, "standard output cannot be written: %s", strerror(errnum));
    else
        snprintf(dst, dstlen, "standard output cannot be written");
    return dst;
}

static void cannot_write(const struct tr_atomic_file *af, int errnum, char *err, size_t errlen)
{
    char who[320];
    if (af->to_stdout) {
        tr_stdout_failure(err, errlen, errnum);
        return;
    }
    snprintf(who, sizeof(who), "'%.300s'", af->shown_path ? af->shown_path : "");
    if (errnum)
        snprintf(err, errlen, "%s cannot be written: %s", who, strerror(errnum));
    else
        snprintf(err, errlen, "%s cannot be written", who);
}

/* Mode and owner of the file being replaced, or the umask's mode for a new one. */
static int set_mode(int fd, const struct stat *previous)
{
    if (!previous) {
        mode_t mask = umask(0);
        umask(mask);
        return fchmod(fd, 0666 & ~mask);
    }
    /* The owner first: a change of owner clears set-user-ID bits the mode then restores.
     * Only root may give a file away; others keep the group where they belong to it. */
    if (fchown(fd, previous->st_uid, previous->st_gid) != 0 &&
        fchown(fd, (uid_t)-1, previous->st_gid) != 0) {
        /* the file stays ours: still whole and readable by its owner's mode */
    }
    return fchmod(fd, previous->st_mode & 07777);
}

static int open_temporary(struct tr_atomic_file *af, const char *target,
                          const struct stat *previous, char *err, size_t errlen)
{
    size_t dirlen = dir_length(target);
    size_t len = strlen(target) + 24;
    char *tmp = malloc(len), *backup = malloc(len), *final = strdup(target);
    if (!tmp || !backup || !final) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    snprintf(tmp, len, "%.*s.%s.tmp-XXXXXX", (int)dirlen, target, target + dirlen);
    /* Created and registered with the table busy, so a signal cannot come in between. */
    table_enter();
    int slot = 0;
    while (slot < MAX_ENTRIES && entries[slot].state != ENTRY_FREE)
        slot++;
    int fd = -1, saved = EMFILE;
    if (slot < MAX_ENTRIES) {
        fd = mkstemp(tmp);
        saved = errno;
    }
    if (fd >= 0) {
        struct entry *e = &entries[slot];
        e->tmp_path = tmp;
        e->final_path = final;
        e->backup_path = backup;
        e->backup_len = len;
        e->state = ENTRY_WRITING;
        af->slot = slot + 1;
    }
    table_leave();
    if (fd < 0) {
        cannot_write(af, saved, err, errlen);
        goto fail;
    }
    if (set_mode(fd, previous) != 0 || !(af->f = fdopen(fd, "w"))) {
        cannot_write(af, errno, err, errlen);
        close(fd);
        tr_atomic_file_abort(af);
        return -1;
    }
    return 0;
fail:
    free(tmp);
    free(backup);
    free(final);
    release(af);
    return -1;
}

int tr_atomic_file_open(struct tr_atomic_file *af, const char *path, char *err, size_t errlen)
{
    struct stat st;
    memset(af, 0, sizeof(*af));
    if (strcmp(path, "-") == 0) {
        af->f = stdout;
        af->to_stdout = 1;
        return 0;
    }
    if (!path[0]) {
        snprintf(err, errlen, "'' is not a file path (accepted: a file path, or - for stdout)");
        return -1;
    }
    if (!(af->shown_path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *target = write_target(path);
    if (!target) {
        cannot_write(af, errno, err, errlen);
        release(af);
        return -1;
    }
    int exists = stat(target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        char quoted[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
        snprintf(err, errlen, "%s is a directory (accepted: a file path, or - for stdout)",
                 tr_text_quote(quoted, sizeof(quoted), path, TR_ECHO_PATH_CHARS));
        free(target);
        release(af);
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        /* A device or a FIFO (/dev/null, a pipe): it cannot be renamed over, and a partial
         * file cannot be left in it, so it is written straight. */
        af->f = fopen(target, "w");
        free(target);
        if (!af->f) {
            cannot_write(af, errno, err, errlen);
            release(af);
            return -1;
        }
        af->direct = 1;
        return 0;
    }
    int rc = open_temporary(af, target, exists ? &st : NULL, err, errlen);
    free(target);
    return rc;
}

/* Flushes, syncs and closes (stdout: flushes). */
static int finish_content(struct tr_atomic_file *af, char *err, size_t errlen)
{
    if (!af->f)
        return 0;
    int saved = 0;
    int failed = fflush(af->f) != 0;
    if (failed)
        saved = errno;
    else if (ferror(af->f))
        failed = 1; /* an earlier write failed; its errno is gone */
    if (!failed && af->slot && fsync(fileno(af->f)) != 0) {
        failed = 1;
        saved = errno;
    }
    if (!af->to_stdout) {
        if (fclose(af->f) != 0 && !failed) {
            failed = 1;
            saved = errno;
        }
        af->f = NULL;
    }
    if (failed)
        cannot_write(af, saved, err, errlen);
    return failed ? -1 : 0;
}

/* A hard link to the file at e->final_path, beside it. With the table busy. */
static int make_backup(struct entry *e)
{
    size_t stem = strlen(e->tmp_path);
    memcpy(e->backup_path, e->tmp_path, stem + 1);
    memcpy(e->backup_path + stem - 10, "old", 3); /* .name.tmp-XXXXXX -> .name.old-XXXXXX */
    for (int i = 0; i < MAX_BACKUP_TRIES; i++) {
        if (i)
            snprintf(e->backup_path + stem, e->backup_len - stem, "-%d", i);
        if (link(e->final_path, e->backup_path) == 0)
            return 1;
        if (errno != EEXIST)
            return 0; /* no hard links here: this file cannot be put back */
    }
    return 0;
}

int tr_atomic_files_place(struct tr_atomic_file *const *files, size_t n, size_t *failed, char *err,
                          size_t errlen)
{
    size_t bad = n;
    int saved = 0;
    for (size_t i = 0; i < n && bad == n; i++)
        if (finish_content(files[i], err, errlen) != 0)
            bad = i;
    if (bad < n) {
        for (size_t i = 0; i < n; i++)
            tr_atomic_file_abort(files[i]);
        *failed = bad;
        return -1;
    }
    table_enter();
    for (size_t i = 0; i < n && bad == n; i++) {
        if (!files[i]->slot)
            continue;
        struct entry *e = &entries[files[i]->slot - 1];
        struct stat st;
        e->had_previous = lstat(e->final_path, &st) == 0;
        e->has_backup = e->had_previous && S_ISREG(st.st_mode) && make_backup(e);
        if (rename(e->tmp_path, e->final_path) != 0) {
            saved = errno;
            if (e->has_backup)
                unlink(e->backup_path);
            e->has_backup = 0;
            bad = i;
        } else {
            e->state = ENTRY_PLACED;
        }
    }
    if (bad < n) {
        for (size_t i = 0; i < n; i++) {
            if (files[i]->slot) {
                revert(&entries[files[i]->slot - 1]);
                drop(&entries[files[i]->slot - 1]);
                files[i]->slot = 0;
            }
        }
    }
    table_leave();
    if (bad < n) {
        cannot_write(files[bad], saved, err, errlen);
        for (size_t i = 0; i < n; i++)
            release(files[i]);
        *failed = bad;
        return -1;
    }
    return 0;
}

static void settle(struct tr_atomic_file *const *files, size_t n, int put_back)
{
    table_enter();
    for (size_t i = 0; i < n; i++) {
        if (!files[i]->slot)
            continue;
        struct entry *e = &entries[files[i]->slot - 1];
        if (put_back)
            revert(e);
        else if (e->state == ENTRY_PLACED && e->has_backup)
            unlink(e->backup_path);
        drop(e);
        files[i]->slot = 0;
    }
    table_leave();
    for (size_t i = 0; i < n; i++)
        release(files[i]);
}

void tr_atomic_files_keep(struct tr_atomic_file *const *files, size_t n)
{
    settle(files, n, 0);
}

void tr_atomic_files_undo(struct tr_atomic_file *const *files, size_t n)
{
    settle(files, n, 1);
}

int tr_atomic_file_commit(struct tr_atomic_file *af, char *err, size_t errlen)
{
    size_t failed;
    if (tr_atomic_files_place(&af, 1, &failed, err, errlen) != 0)
        return -1;
    tr_atomic_files_keep(&af, 1);
    return 0;
}

void tr_atomic_file_abort(struct tr_atomic_file *af)
{
    if (af->f && !af->to_stdout)
        fclose(af->f);
    af->f = NULL;
    if (af->slot) {
        table_enter();
        revert(&entries[af->slot - 1]);
        drop(&entries[af->slot - 1]);
        table_leave();
    }
    release(af);
}

enum id_kind { ID_NONE, ID_INODE, ID_NAME };

struct file_id {
    enum id_kind kind;
    dev_t dev;
    ino_t ino;
    char *name; /* ID_NAME: the real directory, a slash, the name */
};

static void identify(const char *path, struct file_id *id)
{
    struct stat st;
    memset(id, 0, sizeof(*id));
    int is_stdout = strcmp(path, "-") == 0;
    if (is_stdout ? fstat(STDOUT_FILENO, &st) == 0 : stat(path, &st) == 0) {
        if (!S_ISCHR(st.st_mode)) {
            id->kind = ID_INODE;
            id->dev = st.st_dev;
            id->ino = st.st_ino;
        }
        return;
    }
    if (is_stdout)
        return;
    char *target = write_target(path);
    if (!target)
        target = strdup(path);
    if (!target)
        return;
    size_t dirlen = dir_length(target);
    char *dir = dirlen ? strndup(target, dirlen) : strdup(".");
    char *real_dir = dir ? realpath(dir, NULL) : NULL;
    if (real_dir) {
        size_t len = strlen(real_dir) + strlen(target + dirlen) + 2;
        id->name = malloc(len);
        if (id->name)
            snprintf(id->name, len, "%s/%s", real_dir, target + dirlen);
        free(target);
    } else {
        id->name = target; /* the directory is missing: opening will say so */
    }
    id->kind = id->name ? ID_NAME : ID_NONE;
    free(dir);
    free(real_dir);
}

int tr_atomic_file_same_target(const char *a, const char *b)
{
    struct file_id ia, ib;
    identify(a, &ia);
    identify(b, &ib);
    int same = 0;
    if (ia.kind == ID_INODE && ib.kind == ID_INODE)
        same = ia.dev == ib.dev && ia.ino == ib.ino;
    else if (ia.kind == ID_NAME && ib.kind == ID_NAME)
        same = strcmp(ia.name, ib.name) == 0;
    free(ia.name);
    free(ib.name);
    return same;
}
