/* `tilerace selftest`: every device renders the same small frames as the CPU reference. */
#ifndef TILERACE_SELFTEST_H
#define TILERACE_SELFTEST_H

int tr_cli_selftest(int argc, char **argv);

#endif
