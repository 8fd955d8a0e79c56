/* The usage text: the command's documentation. */
#ifndef TILERACE_USAGE_H
#define TILERACE_USAGE_H

#include <stdio.h>

void tr_usage(FILE *out);
void tr_usage_serve(FILE *out); /* tilerace serve --help */
void tr_version(FILE *out);

#endif
