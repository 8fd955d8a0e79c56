#include "cli/manual.h"

#include <string.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/help.h"
#include "core/options.h"
#include "version.h"

/* What each exit code means; the codes themselves come from cli/exit_codes.h. */
static const struct exit_status {
    int code;
    const char *meaning;
} exit_statuses[] = {
    {TR_EXIT_OK, "Success, also when the time limit cut a run short (serve: stopped by "
                 "SIGTERM or SIGINT)."},
    {TR_EXIT_FAILURE, "Internal failure: out of memory, a self-test mismatch."},
    {TR_EXIT_USAGE, "Bad usage or out-of-range input: an unknown command or option, a value "
                    "outside its range, a RUN file that is not a run."},
    {TR_EXIT_DEVICE, "Device failure: no such device, no double precision, an OpenCL error, "
                     "a kernel that does not build."},
    {TR_EXIT_IO, "Output could not be written (a full disk, a closed pipe, a missing folder); "
                 "replay: also an input that cannot be read; serve: cannot listen."},
};

/* The epilogue paragraphs that the page has sections of its own for. */
static const char *const own_sections[] = {"Environment:", "Exit codes:"};

/* Writes one UTF-8 character starting at s as a roff escape; returns its length. */
static size_t roff_utf8(FILE *out, const unsigned char *s)
{
    unsigned code = 0;
    size_t len = 1;
    if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
        code = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
        len = 2;
    } else if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        code = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
        len = 3;
    } else {
        fputc('?', out); /* the tables hold UTF-8; anything else is shown, not passed on */
        return 1;
    }
    if (code == 0xa0)
        fputs("\\ ", out); /* a space that never breaks */
    else
        fprintf(out, "\\[u%04X]", code);
    return len;
}

void tr_roff_text(FILE *out, const char *text)
{
    int line_start = 1;
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", out);
        line_start = *s == '\n';
        if (*s >= 0x80) {
            s += roff_utf8(out, s);
            continue;
        }
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
        /* where a long URL or list may break when it does not fit on a line */
        if ((*s == '&' || *s == '?' || *s == ',' || *s == '/') && s[1] && s[1] != ' ')
            fputs("\\:", out);
        s++;
    }
}

/* The leading spaces of a line. */
static size_t indent_of(const char *line)
{
    return strspn(line, " ");
}

/* A help line shorter than this ended where its item ended, not where the text wrapped. */
#define SHORT_LINE 60

/*
 * Help text (lines that end in '\n', blank lines between paragraphs, indented items with
 * deeper-indented continuations) as filled roff: a blank line starts a paragraph; a line
 * indented less than the one before it, indented after an unindented one, or indented as
 * much as a short line before it starts a new line; the other lines continue the text
 * before them. Paragraphs that start with one of skip[] are left out.
 */
static void roff_block(FILE *out, const char *text, const char *const *skip, size_t n_skip)
{
    size_t previous = 0, previous_len = 0;
    int skipping = 0, paragraph_start = 1;
    char line[1024];
    for (const char *s = text; *s;) {
        size_t len = strcspn(s, "\n");
        if (len >= sizeof(line))
            len = sizeof(line) - 1;
        memcpy(line, s, len);
        line[len] = '\0';
        s += strcspn(s, "\n");
        if (*s == '\n')
            s++;
        if (line[0] == '\0') {
            paragraph_start = 1;
            continue;
        }
        if (paragraph_start) {
            skipping = 0;
            for (size_t i = 0; i < n_skip; i++)
                skipping |= strncmp(line, skip[i], strlen(skip[i])) == 0;
            if (!skipping)
                fputs(".PP\n", out);
            previous = 0;
            paragraph_start = 0;
        }
        if (skipping)
            continue;
        size_t indent = indent_of(line);
        if (indent != previous ? indent < previous || previous == 0
                               : indent > 0 && previous_len < SHORT_LINE)
            fputs(".br\n", out);
        tr_roff_text(out, line + indent);
        fputc('\n', out);
        previous = indent;
        previous_len = strlen(line);
    }
}

/* "\fB\-o\fR, \fB\-\-out\fR \fIFILE\fR" */
static void option_tag(FILE *out, const struct tr_option *o)
{
    if (o->short_name)
        fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
    fputs("\\fB\\-\\-", out);
    tr_roff_text(out, o->name);
    fputs("\\fR", out);
    if (o->metavar) {
        fputs(" \\fI", out);
        tr_roff_text(out, o->metavar);
        fputs("\\fR", out);
    }
    fputc('\n', out);
}

static void option_entry(FILE *out, const struct tr_option *o)
{
    char range[512], dflt[64];
    const char *def = tr_help_option_default(o, dflt, sizeof(dflt));
    tr_help_option_range(o, range, sizeof(range));
    const char *sep = o->type == TR_VALUE_NUMBER                             ? ", "
                      : o->type == TR_VALUE_PATH || o->type == TR_VALUE_TEXT ? "; "
                                                                             : ": ";
    fputs(".TP\n", out);
    option_tag(out, o);
    tr_roff_text(out, o->help);
    if (range[0]) {
        tr_roff_text(out, sep);
        tr_roff_text(out, range);
    }
    if (def) {
        fputs(" (default: ", out);
        tr_roff_text(out, def);
        fputs(")", out);
    }
    fputs(".\n", out);
    int described = 0;
    for (size_t i = 0; o->choices && o->choices[i].name; i++)
        described |= o->choices[i].help != NULL;
    if (described) {
        fputs(".RS\n", out);
        for (size_t i = 0; o->choices[i].name; i++) {
            if (!o->choices[i].help)
                continue;
            fputs(".TP\n.B ", out);
            tr_roff_text(out, o->choices[i].name);
            fputc('\n', out);
            tr_roff_text(out, o->choices[i].help);
            fputc('\n', out);
        }
        fputs(".RE\n", out);
    }
    if (o->span) {
        fputs(".IP\n", out);
        fprintf(out, "%s <= %llu\n", o->span, (unsigned long long)o->span_max);
    }
    if (o->details) {
        fputs(".IP\n", out);
        tr_roff_text(out, o->details);
        fputc('\n', out);
    }
}

static void synopsis(FILE *out)
{
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        if (!c->main)
            continue;
        fputs(i ? ".br\n\\fBtilerace\\fR " : "\\fBtilerace\\fR ", out);
        tr_roff_text(out, c->usage);
        fputc('\n', out);
    }
    fputs(".br\n\\fBtilerace\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR\n", out);
    fputs(".br\n\\fBtilerace \\-\\-version\\fR\n", out);
}

static void commands(FILE *out)
{
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        if (!c->main)
            continue; /* not in this build */
        fputs(".SS ", out);
        tr_roff_text(out, c->name);
        fputs("\n\\fBtilerace\\fR ", out);
        tr_roff_text(out, c->usage);
        fputs("\n.br\n", out);
        tr_roff_text(out, c->summary);
        fputs(".\n", out);
        roff_block(out, c->description, NULL, 0);
        if (c->options >= 0) {
            fputs(".PP\nOptions:\n", out);
            for (size_t j = 0; j < TR_OPTION_COUNT; j++)
                if (tr_help_option_listed(&tr_options[j], (enum tr_command_id)c->options))
                    option_entry(out, &tr_options[j]);
        }
        if (c->epilogue)
            roff_block(out, c->epilogue, own_sections,
                       sizeof(own_sections) / sizeof(own_sections[0]));
    }
}

static void exit_status(FILE *out)
{
    for (size_t i = 0; i < sizeof(exit_statuses) / sizeof(exit_statuses[0]); i++) {
        fprintf(out, ".TP\n.B %d\n", exit_statuses[i].code);
        tr_roff_text(out, exit_statuses[i].meaning);
        fputc('\n', out);
    }
}

/* line with @VERSION@ and @DATADIR@ replaced (their values are not escaped: a version and a
 * path without backslashes). */
static void substitute(FILE *out, const char *line, const char *datadir)
{
    static const char version_key[] = "@VERSION@", datadir_key[] = "@DATADIR@";
    for (const char *s = line; *s;) {
        if (strncmp(s, version_key, sizeof(version_key) - 1) == 0) {
            fputs(TILERACE_VERSION, out);
            s += sizeof(version_key) - 1;
        } else if (strncmp(s, datadir_key, sizeof(datadir_key) - 1) == 0) {
            tr_roff_text(out, datadir);
            s += sizeof(datadir_key) - 1;
        } else {
            fputc(*s++, out);
        }
    }
}

int tr_manual_write(FILE *out, FILE *template_file, const char *datadir, char *err, size_t errlen)
{
    static const char placeholder[] = ".\\\" @tilerace:";
    char line[4096];
    unsigned number = 0;
    while (fgets(line, sizeof(line), template_file)) {
        number++;
        if (strncmp(line, placeholder, sizeof(placeholder) - 1) != 0) {
            substitute(out, line, datadir);
            continue;
        }
        const char *what = line + sizeof(placeholder) - 1;
        if (strcmp(what, "synopsis\n") == 0) {
            synopsis(out);
        } else if (strcmp(what, "commands\n") == 0) {
            commands(out);
        } else if (strcmp(what, "exit-status\n") == 0) {
            exit_status(out);
        } else {
            snprintf(err, errlen, "line %u: unknown placeholder '%.*s'", number,
                     (int)strcspn(what, "\n"), what);
            return -1;
        }
    }
    return 0;
}
