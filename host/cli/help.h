/*
 * Help texts, made from the command table (cli/commands.h) and the option table
 * (core/options.h): the overview, each command's help, and the Markdown option tables that
 * the README holds (a test checks that the two agree).
 */
#ifndef TILERACE_CLI_HELP_H
#define TILERACE_CLI_HELP_H

#include <stdio.h>

#include "cli/commands.h"
#include "core/options.h"

/* `tilerace help [COMMAND]`; hidden: `tilerace help --markdown [COMMAND...]`. */
int tr_cli_help(int argc, char **argv);

/* The overview: every command's usage and summary, the options of run and of the small
 * commands, what a run writes, the exit codes. */
void tr_help_overview(FILE *f);

/* One command's help: usage, description, its options, epilogue. */
void tr_help_command(FILE *f, const struct tr_cli_command *c);

/* One command's options as a Markdown table. */
void tr_help_markdown(FILE *f, enum tr_command_id id);

#endif
