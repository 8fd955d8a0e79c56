/*
 * tilerace-gendoc: writes the man page and the shell completions from the command and option
 * tables, at build time (host/CMakeLists.txt), so that they always match the binary.
 *   tilerace-gendoc man TEMPLATE DATADIR OUTPUT
 *   tilerace-gendoc bash OUTPUT | zsh OUTPUT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/completion.h"
#include "cli/manual.h"

static int usage(void)
{
    fputs("usage: tilerace-gendoc man TEMPLATE DATADIR OUTPUT | bash OUTPUT | zsh OUTPUT\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *output;
    char err[512] = "";
    int man = argc == 5 && strcmp(argv[1], "man") == 0;
    int bash = argc == 3 && strcmp(argv[1], "bash") == 0;
    int zsh = argc == 3 && strcmp(argv[1], "zsh") == 0;
    if (!man && !bash && !zsh)
        return usage();
    output = argv[argc - 1];
    FILE *out = fopen(output, "w");
    if (!out) {
        fprintf(stderr, "tilerace-gendoc: %s: %s\n", output, strerror(errno));
        return 4;
    }
    int rc = 0;
    if (man) {
        FILE *template_file = fopen(argv[2], "r");
        if (!template_file) {
            snprintf(err, sizeof(err), "%s: %s", argv[2], strerror(errno));
            rc = -1;
        } else {
            rc = tr_manual_write(out, template_file, argv[3], err, sizeof(err));
            fclose(template_file);
        }
    } else if (bash) {
        tr_completion_bash(out);
    } else {
        tr_completion_zsh(out);
    }
    if (fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof(err), "%s: %s", output, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "tilerace-gendoc: %s\n", err);
        remove(output);
        return 1;
    }
    return 0;
}
