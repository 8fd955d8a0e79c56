#include "opencl/cache_dir.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Written only by tr_cl_prepare_environment(), before any thread exists; read-only after. */
static int prepared;
static char cache_dir[PATH_MAX];
static char problem[PATH_MAX + 256];
static char temporary_dir[PATH_MAX]; /* the mkdtemp() fallback, removed at exit */

int tr_cl_environment_prepared(void)
{
    return prepared;
}

const char *tr_cl_cache_dir(void)
{
    return cache_dir[0] ? cache_dir : NULL;
}

const char *tr_cl_cache_problem(void)
{
    return problem[0] ? problem : NULL;
}

/* mkdir -p, each missing folder with mode 0700. */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = c;
        if (c == '\0')
            return 0;
    }
}

/* Whether this process can create entries in dir (root included: a read-only mount, procfs). */
static int can_create_in(const char *dir)
{
    char probe[PATH_MAX];
    if (snprintf(probe, sizeof(probe), "%s/.tilerace-probe-XXXXXX", dir) >= (int)sizeof(probe)) {
        errno = ENAMETOOLONG;
        return 0;
    }
    if (!mkdtemp(probe))
        return 0;
    rmdir(probe);
    return 1;
}

enum verdict {
    PRIVATE,  /* only this user (and root) can change what is in it */
    UNUSABLE, /* cannot be created or written: try the next one */
    NOT_SAFE, /* others could write it or swap it: reported, then the next one */
};

/* Whether the folder at path, created when missing, is private; real gets its resolved path. */
static enum verdict check_private(const char *path, char *real, char *why, size_t len)
{
    struct stat st;
    uid_t me = geteuid();
    if (make_dirs(path) != 0 || lstat(path, &st) != 0) {
        snprintf(why, len, "cannot be created: %s", strerror(errno));
        return UNUSABLE;
    }
    if (S_ISLNK(st.st_mode)) {
        snprintf(why, len, "it is a symbolic link");
        return NOT_SAFE;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, len, "it is not a directory");
        return NOT_SAFE;
    }
    if (st.st_uid != me) {
        snprintf(why, len, "it belongs to uid %u, not %u", (unsigned)st.st_uid, (unsigned)me);
        return NOT_SAFE;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, len, "group or others can write it (mode %04o)",
                 (unsigned)(st.st_mode & 07777));
        return NOT_SAFE;
    }
    if (!realpath(path, real)) {
        snprintf(why, len, "cannot be resolved: %s", strerror(errno));
        return UNUSABLE;
    }
    /* Whoever can write a folder above it can rename it away and put another in its place. */
    char up[PATH_MAX];
    snprintf(up, sizeof(up), "%s", real);
    for (char *slash; (slash = strrchr(up, '/')) != NULL && up[1] != '\0';) {
        slash[slash == up] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
        if (stat(up, &st) != 0) {
            snprintf(why, len, "'%s' above it cannot be inspected: %s", up, strerror(errno));
            return UNUSABLE;
        }
        if (st.st_uid != 0 && st.st_uid != me) {
            snprintf(why, len, "'%s' above it belongs to uid %u", up, (unsigned)st.st_uid);
            return NOT_SAFE;
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
            snprintf(why, len, "group or others can write '%s' above it (mode %04o)", up,
                     (unsigned)(st.st_mode & 07777));
            return NOT_SAFE;
        }
    }
    if (!can_create_in(real)) {
        snprintf(why, len, "it is not writable");
        return UNUSABLE;
    }
    return PRIVATE;
}

/* Candidates that exist but others could write or swap: reported once a folder is chosen. */
static struct {
    char path[PATH_MAX], why[PATH_MAX + 128];
} rejected[3];
static int n_rejected;

/* Tries one candidate; 1 when it is chosen (cache_dir set). */
static int try_candidate(const char *path)
{
    char real[PATH_MAX], why[PATH_MAX + 128];
    enum verdict v = check_private(path, real, why, sizeof(why));
    if (v == PRIVATE) {
        snprintf(cache_dir, sizeof(cache_dir), "%s", real);
        return 1;
    }
    if (v == NOT_SAFE && n_rejected < (int)(sizeof(rejected) / sizeof(rejected[0]))) {
        snprintf(rejected[n_rejected].path, sizeof(rejected[0].path), "%s", path);
        snprintf(rejected[n_rejected].why, sizeof(rejected[0].why), "%s", why);
        n_rejected++;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void remove_temporary_dir(void)
{
    nftw(temporary_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The user's own POCL_CACHE_DIR: used as given, but say plainly when pocl cannot use it. */
static void check_user_dir(const char *dir)
{
    struct stat st;
    const char *hint = "pocl keeps the kernels it compiles there; unset it or name a writable "
                       "folder";
    snprintf(cache_dir, sizeof(cache_dir), "%s", dir);
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT && make_dirs(dir) == 0)
            return;
        snprintf(problem, sizeof(problem), "POCL_CACHE_DIR '%s' cannot be created: %s (%s)", dir,
                 strerror(errno), hint);
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(problem, sizeof(problem), "POCL_CACHE_DIR '%s' is not a directory (%s)", dir,
                 hint);
    } else if (!can_create_in(dir)) {
        snprintf(problem, sizeof(problem), "POCL_CACHE_DIR '%s' is not writable (%s)", dir, hint);
    }
}

void tr_cl_prepare_environment(void)
{
    if (prepared)
        return;
    prepared = 1;
    const char *user = getenv("POCL_CACHE_DIR");
    if (user && *user) {
        check_user_dir(user);
        return;
    }
    /* An empty POCL_CACHE_DIR makes pocl abort the process: treated as unset. */
    char path[PATH_MAX];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *tmp = getenv("TMPDIR");
    unsigned uid = (unsigned)geteuid();
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int chosen = 0;
    if ((xdg && *xdg) || (home && *home)) {
        /* pocl's own default, so the cache is shared with other pocl programs */
        if (xdg && *xdg)
            snprintf(path, sizeof(path), "%s/pocl/kcache", xdg);
        else
            snprintf(path, sizeof(path), "%s/.cache/pocl/kcache", home);
        chosen = try_candidate(path);
    }
    if (!chosen) {
        snprintf(path, sizeof(path), "%s/tilerace-pocl-cache-%u", tmp, uid);
        chosen = try_candidate(path);
    }
    for (int i = 0; !chosen && i < 2; i++) {
        snprintf(path, sizeof(path), "%s/tilerace-pocl-cache-%u-XXXXXX", i ? "/tmp" : tmp, uid);
        if (!mkdtemp(path))
            continue;
        if ((chosen = try_candidate(path)) != 0) {
            snprintf(temporary_dir, sizeof(temporary_dir), "%s", cache_dir);
            atexit(remove_temporary_dir);
        } else {
            rmdir(path);
        }
    }
    for (int i = 0; i < n_rejected; i++)
        fprintf(stderr, "tilerace: not using '%s' for pocl's kernel cache: %s; using %s%s%s\n",
                rejected[i].path, rejected[i].why, chosen ? "'" : "none", chosen ? cache_dir : "",
                chosen ? "'" : "");
    if (chosen) {
        setenv("POCL_CACHE_DIR", cache_dir, 1);
        return;
    }
    if (user)
        unsetenv("POCL_CACHE_DIR"); /* empty: pocl would abort while listing its devices */
    snprintf(problem, sizeof(problem),
             "no private folder for pocl's kernel cache under $XDG_CACHE_HOME or $HOME, in "
             "'%s' or in /tmp; set POCL_CACHE_DIR to a folder only you can write",
             tmp);
}
