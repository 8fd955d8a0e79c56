/* tilerace: the Mandelbrot set as a race of tiles across compute devices. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli_devices.h"
#include "cli_replay.h"
#include "cli_run.h"
#include "exit_codes.h"
#include "selftest.h"
#include "serve_cli.h"
#include "usage.h"

/* Each command parses its own options; argv[0] is the command's name. */
static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"run", tr_cli_run},       {"devices", tr_cli_devices}, {"selftest", tr_cli_selftest},
    {"replay", tr_cli_replay}, {"serve", tr_serve_main},
};

static int dispatch(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].main(argc - 1, argv + 1);
    }
    /* No command word: options of `run`, as in the seed's single endpoint. */
    return tr_cli_run(argc, argv);
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
