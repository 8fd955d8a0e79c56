/* What the commands say to the user besides their results: errors, the version. */
#ifndef TILERACE_USAGE_H
#define TILERACE_USAGE_H

#include <stddef.h>
#include <stdio.h>

void tr_version(FILE *out);

/*
 * Prints "tilerace: " and the formatted message on stderr as one line (control bytes and
 * bytes that are not UTF-8 escaped, so a message that quotes user text stays one line), and
 * returns code: return tr_cli_fail(TR_EXIT_USAGE, "replay: %s", err);
 */
int tr_cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Names the option getopt_long just refused (it returned '?' or ':') as the user typed it,
 * escaped for a message: "--frobnicate", "-x", "-é" (the whole character, not its first
 * byte). Reads optind and optopt; returns dst.
 */
const char *tr_usage_refused_option(char *dst, size_t dstlen, int argc, char *const argv[]);

#endif
