/* `tilerace compare RUN...`: runs side by side, with rate ratios and checksum agreement. */
#ifndef TILERACE_CLI_COMPARE_H
#define TILERACE_CLI_COMPARE_H

/* The most RUN files one comparison reads. */
#define TR_COMPARE_MAX_RUNS 64

int tr_cli_compare(int argc, char **argv);

#endif
