/*
 * A test shim, preloaded (LD_PRELOAD) by test_cli_files.py: rename() waits
 * TILERACE_TEST_RENAME_DELAY_MS milliseconds before it renames, so that a test can send a
 * signal while tilerace is renaming its output files into place.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static long delay_ms = -1; /* read once, outside any signal handler */

int rename(const char *from, const char *to)
{
    static int (*real_rename)(const char *, const char *);
    if (!real_rename)
        *(void **)&real_rename = dlsym(RTLD_NEXT, "rename");
    if (delay_ms < 0) {
        const char *text = getenv("TILERACE_TEST_RENAME_DELAY_MS");
        delay_ms = text ? strtol(text, NULL, 10) : 0;
    }
    struct timespec wait = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&wait, NULL);
    return real_rename(from, to);
}
