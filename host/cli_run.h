/* `tilerace [run]`: parse the options, render, write the document. */
#ifndef TILERACE_CLI_RUN_H
#define TILERACE_CLI_RUN_H

int tr_cli_run(int argc, char **argv);

#endif
