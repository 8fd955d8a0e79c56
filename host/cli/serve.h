/* `tilerace serve`: its options, then the server's life until SIGTERM or SIGINT. */
#ifndef TILERACE_SERVE_CLI_H
#define TILERACE_SERVE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "server/server.h"

int tr_serve_main(int argc, char **argv);

/* What the options of `tilerace serve` ask for. */
struct tr_serve_options {
    struct tr_server_config cfg;
    uint32_t shutdown_timeout_ms;
};

enum {
    TR_SERVE_GO = -1,   /* serve with o */
    TR_SERVE_HELP = -2, /* --help came first */
};

/*
 * Parses argv (argv[0]: the command's name) into o without printing or listening. Returns one
 * of the above, or a status with the first error's message in err (tr_serve_main prints
 * it with tr_text_print_line). May be called repeatedly.
 */
int tr_serve_parse(int argc, char **argv, struct tr_serve_options *o, char *err, size_t errlen);

#endif
