/* tilerace: the Mandelbrot set as a race of tiles across compute devices. */
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

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].main(argc - 1, argv + 1);
    }
    /* No command word: options of `run`, as in the seed's single endpoint. */
    return tr_cli_run(argc, argv);
}
