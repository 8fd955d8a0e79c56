/*
 * The man page tilerace(1), made from the command and option tables (cli/commands.h,
 * core/options.h) and a hand-written roff template (docs/tilerace.1.in). The build writes it
 * with tilerace-gendoc; nothing keeps a copy by hand.
 */
#ifndef TILERACE_CLI_MANUAL_H
#define TILERACE_CLI_MANUAL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Copies the template to out, replacing each line that is a placeholder comment
 * (.\" @tilerace:synopsis, @tilerace:commands, @tilerace:exit-status) with the part made
 * from the tables, and @VERSION@ and @DATADIR@ (where the JSON schemas are installed) in
 * every line. Returns 0, or -1 with a message in err (an unknown placeholder).
 */
int tr_manual_write(FILE *out, FILE *template_file, const char *datadir, char *err, size_t errlen);

/* text as roff text: backslashes, minus signs, non-ASCII characters and lines that start
 * with a control character escaped; '\n' kept. */
void tr_roff_text(FILE *out, const char *text);

#endif
