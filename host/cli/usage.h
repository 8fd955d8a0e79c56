/* The usage text: the command's documentation. */
#ifndef TILERACE_USAGE_H
#define TILERACE_USAGE_H

#include <stdio.h>

void tr_usage(FILE *out);
void tr_usage_serve(FILE *out); /* tilerace serve --help */
void tr_version(FILE *out);

/*
 * Names the option getopt_long just refused (it returned '?' or ':') as the user typed it,
 * escaped for a message: "--frobnicate", "-x", "-é" (the whole character, not its first
 * byte). Reads optind and optopt; returns dst.
 */
const char *tr_usage_refused_option(char *dst, size_t dstlen, int argc, char *const argv[]);

#endif
