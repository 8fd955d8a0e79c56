/*
 * Shell completion for bash and zsh, made from the command and option tables: the commands,
 * each command's options, the choices of choice options, files or folders for path options,
 * and for --device the selectors `tilerace devices --selectors` prints when the user presses
 * Tab. The build writes them with tilerace-gendoc.
 */
#ifndef TILERACE_CLI_COMPLETION_H
#define TILERACE_CLI_COMPLETION_H

#include <stdio.h>

void tr_completion_bash(FILE *out);
void tr_completion_zsh(FILE *out);

#endif
