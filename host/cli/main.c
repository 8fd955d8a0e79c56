/* tilerace: the Mandelbrot set as a race of tiles across compute devices. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/cache_dir.h"
#endif
#include "cli/devices.h"
#include "cli/exit_codes.h"
#include "cli/replay.h"
#include "cli/run.h"
#include "cli/selftest.h"
#ifdef TILERACE_HAVE_SERVER
#include "cli/serve.h"
#endif
#include "cli/usage.h"

/* Each command parses its own options; argv[0] is the command's name. */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
    int opencl; /* may use OpenCL */
} commands[] = {
    {"run", tr_cli_run, 1},           {"devices", tr_cli_devices, 1},
    {"selftest", tr_cli_selftest, 1}, {"replay", tr_cli_replay, 0},
#ifdef TILERACE_HAVE_SERVER
    {"serve", tr_serve_main, 1},
#endif
};

static int dispatch(int argc, char **argv)
{
    /* No command word: the options are `run`'s. */
    int (*command)(int, char **) = tr_cli_run;
    int opencl = 1;
    if (argc > 1) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(argv[1], commands[i].name) == 0) {
                command = commands[i].main;
                opencl = commands[i].opencl;
                argc--;
                argv++;
                break;
            }
    }
    /* The environment pocl reads is set here and nowhere else: setenv() is not thread-safe,
     * and no thread exists before the command runs (the server, lanes and pocl start theirs). */
#ifdef TILERACE_HAVE_OPENCL
    if (opencl)
        tr_cl_prepare_environment();
#else
    (void)opencl;
#endif
    return command(argc, argv);
}

/*
 * Whatever a command printed must have reached stdout: a command that succeeded but whose
 * output was lost (a full disk, a closed pipe) exits 4. A command that failed has already
 * said why on stderr and keeps its own code.
 */
static int stdout_status(int rc)
{
    int saved = 0;
    int failed = fflush(stdout) != 0;
    if (failed)
        saved = errno;
    else if (ferror(stdout))
        failed = 1; /* an earlier write failed; its errno is gone */
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed || rc != TR_EXIT_OK)
        return rc;
    if (saved)
        fprintf(stderr, "tilerace: standard output cannot be written: %s\n", strerror(saved));
    else
        fprintf(stderr, "tilerace: standard output cannot be written\n");
    return TR_EXIT_IO;
}

int main(int argc, char **argv)
{
    /* A reader that went away is a write error (EPIPE, exit 4), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    return stdout_status(dispatch(argc, argv));
}
