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

/* The pieces of an option's help, for the man page and the completions: "-o, --out FILE";
 * what it accepts ("1..65536", "a | b | c", the words of the table; "" for a flag); its
 * default in words (NULL: none); whether command's help lists it. */
const char *tr_help_option_spec(const struct tr_option *o, char *dst, size_t dstlen);
const char *tr_help_option_range(const struct tr_option *o, char *dst, size_t dstlen);
const char *tr_help_option_default(const struct tr_option *o, char *dst, size_t dstlen);
int tr_help_option_listed(const struct tr_option *o, enum tr_command_id command);

#endif
