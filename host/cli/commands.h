/*
 * The commands: each one's name, summary, usage, help text and entry point. main() picks
 * the command from this table; every help text comes from it and from the option table
 * (core/options.h), which says which options each command takes.
 */
#ifndef TILERACE_CLI_COMMANDS_H
#define TILERACE_CLI_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

#include "core/options.h"

struct tr_cli_command {
    const char *name;
    int options;             /* its options in the option table: an enum tr_command_id, or -1 */
    const char *summary;     /* one line for the overview */
    const char *usage;       /* its arguments, after "tilerace " */
    const char *description; /* help before the options: lines that end in '\n' */
    const char *epilogue;    /* help after the options, or NULL */
    int (*main)(int argc, char **argv); /* argv[0]: the command's name; NULL: not built */
    const char *not_built;              /* why main is NULL */
    int opencl; /* may use OpenCL: pocl's environment is set before it runs */
};

extern const struct tr_cli_command tr_cli_commands[];
extern const size_t tr_cli_command_count;

/* The command called name, or NULL. */
const struct tr_cli_command *tr_cli_command_find(const char *name);

/* The command whose options are id's. */
const struct tr_cli_command *tr_cli_command_of(enum tr_command_id id);

/*
 * "unknown command 'X'; did you mean Y? (commands: run, ...)" on stderr after "tilerace: "
 * and prefix ("" or "help: "); returns 2.
 */
int tr_cli_unknown_command(const char *prefix, const char *word);

/* "serve: not in this build (...)" on stderr; returns 2. */
int tr_cli_not_built(const struct tr_cli_command *c);

#endif
