/*
 * Command-line errors of the bench programs (tilerace-ceiling, tilerace-bare): one line on
 * stderr naming the program, the bad value (quoted, control characters escaped) and the
 * accepted range, and the usage exit code.
 */
#ifndef TILERACE_BENCH_ARGS_H
#define TILERACE_BENCH_ARGS_H

#include <stdint.h>

/* Prints "PROGRAM: msg" (escaped) and returns TR_EXIT_USAGE. */
int tr_bench_usage_error(const char *program, const char *msg);
/* 0 with *out = text as a whole number in lo..hi; else tr_bench_usage_error's return. */
int tr_bench_parse_number(const char *program, const char *name, const char *text, uint64_t lo,
                          uint64_t hi, uint64_t *out);

/* getopt's refusal of the option at argv[optind - 1]: its value is missing (ret ':') or
 * it is unknown; returns tr_bench_usage_error's return. */
int tr_bench_option_error(const char *program, int ret, const char *option);

#endif
