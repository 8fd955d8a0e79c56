/* The folder pocl keeps the kernels it compiles in (POCL_CACHE_DIR), chosen once at start-up. */
#ifndef TILERACE_CL_CACHE_DIR_H
#define TILERACE_CL_CACHE_DIR_H

/*
 * Chooses pocl's kernel cache folder and exports it as POCL_CACHE_DIR.
 *
 * Call it exactly once, from main(), before any command runs: it calls setenv(), and setenv()
 * is not thread-safe (a getenv() in another thread, pocl's included, may read a string that
 * setenv() has just freed). No command has started a thread at that point, so this is the only
 * place the environment changes. tr_cl_list_devices() refuses to run before it has happened, so
 * no code path can reach pocl with the environment unprepared.
 *
 * pocl loads the kernel .so files it finds in that folder into this process, so a folder that
 * someone else could write, or swap for another, is never used. In order:
 *   1. POCL_CACHE_DIR as the user set it (not empty): used as given; when it is not a writable
 *      folder, tr_cl_cache_problem() says so and pocl devices refuse to run.
 *   2. pocl's own default, $XDG_CACHE_HOME/pocl/kcache, else $HOME/.cache/pocl/kcache;
 *   3. $TMPDIR/tilerace-pocl-cache-<uid> (TMPDIR defaults to /tmp);
 *   4. a fresh mkdtemp() folder there, removed at exit.
 * 2-4 are created with mode 0700 where missing and used only if, looked at with lstat(), the
 * folder is a directory (not a symbolic link), owned by this user, not writable by group or
 * others, and every folder above it (symbolic links resolved) belongs to root or this user and
 * is not writable by group or others unless sticky (as /tmp is). pocl is then given the
 * resolved path. A candidate that exists but fails this check is reported on stderr (someone
 * may have planted it) and skipped; one that cannot be created is skipped silently.
 */
void tr_cl_prepare_environment(void);

/* Whether tr_cl_prepare_environment() has run. */
int tr_cl_environment_prepared(void);

/* The folder pocl keeps compiled kernels in, or NULL when there is none. */
const char *tr_cl_cache_dir(void);

/*
 * NULL, or why pocl cannot build kernels here, as a phrase that names POCL_CACHE_DIR and its
 * value, e.g. "POCL_CACHE_DIR '/x' is not a directory (...)".
 */
const char *tr_cl_cache_problem(void);

#endif
