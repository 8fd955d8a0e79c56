/*
 * One command's options, parsed with getopt_long from the option table (core/options.h):
 * the long and short names, which take a value, and the errors for an unknown option (with a
 * suggestion when the name is close to one the command takes), a missing value or a stray
 * argument. Each command then reads optarg as the option's type asks.
 */
#ifndef TILERACE_CLI_OPTION_PARSER_H
#define TILERACE_CLI_OPTION_PARSER_H

#include <getopt.h>
#include <stddef.h>

#include "core/options.h"

struct tr_cli_parser {
    enum tr_command_id command;
    const char *help; /* where errors point: "tilerace serve --help" */
    int argc;
    char **argv;
    struct option longopts[TR_OPTION_COUNT + 1];
    char shortopts[2 * TR_OPTION_COUNT + 3];
    unsigned char given[TR_OPTION_COUNT]; /* a second one is an error unless repeatable */
};

enum {
    TR_CLI_END = -1,   /* no more options; operands start at optind */
    TR_CLI_ERROR = -2, /* a usage error (exit code 2), its message in err */
};

/*
 * Starts parsing argv (argv[0]: the command's name) for command's options. With permute,
 * options may follow operands (replay RUN... -o F); without, the first operand ends them.
 * help is what error messages tell the user to read. Resets getopt, so it may run again.
 */
void tr_cli_parser_init(struct tr_cli_parser *ps, enum tr_command_id command, int permute,
                        const char *help, int argc, char **argv);

/* The next option's id (its value in optarg), TR_CLI_END, or TR_CLI_ERROR (also for an
 * option given twice that the table does not mark repeatable). */
int tr_cli_next_option(struct tr_cli_parser *ps, char *err, size_t errlen);

/* After the options: 0, or TR_EXIT_USAGE with "unexpected argument 'X' (see HELP)" when an
 * operand is left. */
int tr_cli_no_operands(const struct tr_cli_parser *ps, char *err, size_t errlen);

/*
 * What typed may have meant among names[0..n): the names that typed abbreviates when there
 * are several (getopt refuses an ambiguous abbreviation), else the names closest to it by
 * edit distance (a letter missing, extra or wrong, or two swapped) when they are close
 * enough. Written to dst as "PREFIXa", "PREFIXa or PREFIXb", "PREFIXa, PREFIXb or PREFIXc";
 * "" when nothing is close. Returns dst.
 */
char *tr_cli_suggest(char *dst, size_t dstlen, const char *typed, const char *const *names,
                     size_t n, const char *prefix);

#endif
