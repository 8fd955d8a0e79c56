/* `tilerace devices [--json]`: every device --device can name, and what the shortcuts
 * (cpu, opencl, gpu, pocl) resolve to here. */
#ifndef TILERACE_CLI_DEVICES_H
#define TILERACE_CLI_DEVICES_H

int tr_cli_devices(int argc, char **argv);

#endif
