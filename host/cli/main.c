/* tilerace: the Mandelbrot set as a race of tiles across compute devices. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#ifdef TILERACE_HAVE_OPENCL
#include "opencl/cache_dir.h"
#endif
#include "cli/commands.h"
#include "cli/run.h"
#include "cli/exit_codes.h"
#include "output/atomic_file.h"

static int dispatch(int argc, char **argv)
{
    /* No command word: the options are `run`'s. */
    const struct tr_cli_command *c = NULL;
    if (argc > 1 && argv[1][0] != '-') {
        if (!(c = tr_cli_command_find(argv[1])))
            return tr_cli_unknown_command("", argv[1]);
        if (!c->main)
            return tr_cli_not_built(c);
        argc--;
        argv++;
    }
    /* The environment pocl reads is set here and nowhere else: setenv() is not thread-safe,
     * and no thread exists before the command runs (the server, lanes and pocl start theirs). */
#ifdef TILERACE_HAVE_OPENCL
    if (!c || c->opencl)
        tr_cl_prepare_environment();
#endif
    return c ? c->main(argc, argv) : tr_cli_run_default(argc, argv);
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
    char msg[200];
    fprintf(stderr, "tilerace: %s\n", tr_stdout_failure(msg, sizeof(msg), saved));
    return TR_EXIT_IO;
}

int main(int argc, char **argv)
{
    /* A reader that went away is a write error (EPIPE, exit 4), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    return stdout_status(dispatch(argc, argv));
}
