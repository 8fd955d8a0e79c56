/* `tilerace devices --selectors`: what --device can name on this machine, one a line. */
#ifndef TILERACE_CLI_DEVICE_SELECTORS_H
#define TILERACE_CLI_DEVICE_SELECTORS_H

#include <stdio.h>

/*
 * Writes cpu, each shortcut of the option table (opencl, gpu, pocl, ...) that resolves to a
 * device here, then every opencl:P.D, one a line, nothing else: shell completion and
 * scripts read it. Returns an exit code (3 when OpenCL cannot be listed).
 */
int tr_cli_print_device_selectors(FILE *f);

#endif
