#include "atomic_file.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text_escape.h"

#define MAX_PENDING 8

/* Read from the signal handler: only paths fully written before the pointer is published. */
static char *volatile pending[MAX_PENDING];

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++) {
        char *p = pending[i];
        if (p)
            unlink(p);
    }
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

static int claim_slot(char *path)
{
    for (int i = 0; i < MAX_PENDING; i++) {
        if (!pending[i]) {
            pending[i] = path;
            return i;
        }
    }
    return -1;
}

static void release_slot(struct tr_atomic_file *af)
{
    if (af->slot >= 0)
        pending[af->slot] = NULL;
    af->slot = -1;
}

static int open_temporary(struct tr_atomic_file *af, const char *path, char *err, size_t errlen);

/* A path as messages echo it: quoted, escaped, one line. Messages are made by one thread. */
static const char *quote_path(const char *path)
{
    static _Thread_local char quoted[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    return tr_text_quote(quoted, sizeof(quoted), path, TR_ECHO_PATH_CHARS);
}

/* The file a symbolic link names whose target does not exist yet (realpath fails on it). */
static char *dangling_target(const char *link)
{
    char target[4096];
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    const char *slash = strrchr(link, '/');
    size_t dirlen = target[0] == '/' || !slash ? 0 : (size_t)(slash - link) + 1;
    char *out = malloc(dirlen + (size_t)n + 1);
    if (out)
        snprintf(out, dirlen + (size_t)n + 1, "%.*s%s", (int)dirlen, link, target);
    return out;
}

int tr_atomic_file_open(struct tr_atomic_file *af, const char *path, char *err, size_t errlen)
{
    struct stat st;
    memset(af, 0, sizeof(*af));
    af->slot = -1;
    if (strcmp(path, "-") == 0) {
        af->f = stdout;
        return 0;
    }
    /* Through a symbolic link, the file written is the link's target; the link stays. */
    char *resolved = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        resolved = realpath(path, NULL);
        if (!resolved)
            resolved = dangling_target(path);
    }
    const char *target = resolved ? resolved : path;
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is a directory (accepted: a file path, or - for stdout)",
                 quote_path(path));
        free(resolved);
        return -1;
    }
    if (stat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or a FIFO (/dev/null, a pipe): it cannot be renamed over, and a partial
         * file cannot be left in it, so it is written straight. */
        af->f = fopen(target, "w");
        af->final_path = strdup(path);
        free(resolved);
        if (!af->f || !af->final_path) {
            snprintf(err, errlen, "%s cannot be written: %s", quote_path(path), strerror(errno));
            if (af->f)
                fclose(af->f);
            free(af->final_path);
            memset(af, 0, sizeof(*af));
            af->slot = -1;
            return -1;
        }
        af->direct = 1;
        return 0;
    }
    int rc = open_temporary(af, target, err, errlen);
    free(resolved);
    return rc;
}

static int open_temporary(struct tr_atomic_file *af, const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = strlen(path) + 16;
    af->tmp_path = malloc(len);
    af->final_path = strdup(path);
    if (!af->tmp_path || !af->final_path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    snprintf(af->tmp_path, len, "%.*s.%s.tmp-XXXXXX", (int)dirlen, path, path + dirlen);
    /* A signal between creating the file and registering it would leave the file behind. */
    sigset_t cleanup_sigs, old_sigs;
    sigemptyset(&cleanup_sigs);
    sigaddset(&cleanup_sigs, SIGINT);
    sigaddset(&cleanup_sigs, SIGTERM);
    sigaddset(&cleanup_sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &cleanup_sigs, &old_sigs);
    int fd = mkstemp(af->tmp_path);
    int saved = errno;
    if (fd >= 0)
        af->slot = claim_slot(af->tmp_path);
    pthread_sigmask(SIG_SETMASK, &old_sigs, NULL);
    if (fd < 0) {
        snprintf(err, errlen, "%s cannot be written: %s", quote_path(path), strerror(saved));
        goto fail;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(af->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s cannot be written: %s", quote_path(path), strerror(errno));
        close(fd);
        unlink(af->tmp_path);
        goto fail;
    }
    return 0;
fail:
    release_slot(af);
    free(af->tmp_path);
    free(af->final_path);
    af->tmp_path = af->final_path = NULL;
    return -1;
}

int tr_atomic_file_commit(struct tr_atomic_file *af, char *err, size_t errlen)
{
    if (af->direct) {
        int failed = fflush(af->f) != 0 || ferror(af->f);
        int saved = errno;
        failed |= fclose(af->f) != 0;
        if (failed)
            snprintf(err, errlen, "%s cannot be written: %s", quote_path(af->final_path),
                     strerror(saved));
        free(af->final_path);
        memset(af, 0, sizeof(*af));
        af->slot = -1;
        return failed ? -1 : 0;
    }
    if (!af->tmp_path) {
        if (fflush(af->f) != 0 || ferror(af->f)) {
            snprintf(err, errlen, "standard output cannot be written: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    int failed = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    int saved = errno;
    failed |= fclose(af->f) != 0;
    af->f = NULL;
    if (!failed && rename(af->tmp_path, af->final_path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        snprintf(err, errlen, "%s cannot be written: %s", quote_path(af->final_path),
                 strerror(saved));
        unlink(af->tmp_path);
    }
    release_slot(af);
    free(af->tmp_path);
    free(af->final_path);
    af->tmp_path = af->final_path = NULL;
    return failed ? -1 : 0;
}

void tr_atomic_file_abort(struct tr_atomic_file *af)
{
    if (af->direct) {
        fclose(af->f);
        free(af->final_path);
        memset(af, 0, sizeof(*af));
        af->slot = -1;
        return;
    }
    if (af->tmp_path) {
        if (af->f)
            fclose(af->f);
        unlink(af->tmp_path);
        release_slot(af);
        free(af->tmp_path);
        free(af->final_path);
    }
    af->f = NULL;
    af->tmp_path = af->final_path = NULL;
}
