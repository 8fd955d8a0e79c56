/* `tilerace bench`: devices, kernels and modes head to head on named workloads. */
#ifndef TILERACE_CLI_BENCH_H
#define TILERACE_CLI_BENCH_H

int tr_cli_bench(int argc, char **argv);

#endif
