/* `tilerace serve`: its options, then the server's life until SIGTERM or SIGINT. */
#ifndef TILERACE_SERVE_CLI_H
#define TILERACE_SERVE_CLI_H

int tr_serve_main(int argc, char **argv);

#endif
