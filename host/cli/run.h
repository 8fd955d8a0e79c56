/* `tilerace [run]`: parse the options, render, write the document. */
#ifndef TILERACE_CLI_RUN_H
#define TILERACE_CLI_RUN_H

#include <stddef.h>

#include "core/params.h"
#include "output/run_outputs.h"

/* `tilerace run ...`: --help prints run's help. */
int tr_cli_run(int argc, char **argv);
/* `tilerace [OPTIONS]`, without a command word: --help prints the overview. */
int tr_cli_run_default(int argc, char **argv);

/* What the options of `tilerace run` ask for. */
struct tr_run_options {
    struct tr_params params;
    const char *out;        /* "-": standard output */
    const char *kernel_dir; /* NULL: the kernels built into the program */
    struct tr_run_outputs extras;
};

enum {
    TR_CLI_RUN_GO = -1,      /* render with o */
    TR_CLI_RUN_HELP = -2,    /* --help came first */
    TR_CLI_RUN_VERSION = -3, /* --version came first */
};

/*
 * Parses argv (argv[0]: the command's name) into o without printing, opening or rendering
 * anything. Returns one of the above, or a status with the first error's message in err
 * (tr_cli_run prints it with tr_text_print_line). May be called repeatedly.
 */
int tr_cli_run_parse(int argc, char **argv, struct tr_run_options *o, char *err, size_t errlen);

#endif
