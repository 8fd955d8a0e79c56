/* tilerace: the Mandelbrot set as a race of tiles across compute devices. */
#include <stdio.h>
#include <string.h>

#include "cli_run.h"
#include "exit_codes.h"
#include "usage.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "run") == 0)
        return tr_cli_run(argc - 1, argv + 1);
    return tr_cli_run(argc, argv);
}
