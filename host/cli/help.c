#include "cli/help.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/usage.h"
#include "cli/exit_codes.h"

#define WIDTH       79 /* help lines are at most this long */
#define MIN_COLUMN  23 /* where option help starts, at least */
#define COLUMN_SLIP 2  /* spaces between the longest option and its help */

/* "-o, --out FILE" or "--width N": how help texts and tables name an option. */
static const char *option_spec(const struct tr_option *o, char *dst, size_t dstlen)
{
    char shortname[8] = "";
    if (o->short_name)
        snprintf(shortname, sizeof(shortname), "-%c, ", o->short_name);
    snprintf(dst, dstlen, "%s--%s%s%s", shortname, o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
    return dst;
}

/* "width x height <= 268435456": the limit o shares with other options. */
static const char *span_text(const struct tr_option *o, char *dst, size_t dstlen)
{
    snprintf(dst, dstlen, "%s <= %" PRIu64, o->span, o->span_max);
    return dst;
}

/* What o accepts: "1..65536" (with span: "1..65536; width x height <= 268435456"), "a | b"
 * (choices joined by sep), or the words of the table. */
static const char *range_text(const struct tr_option *o, const char *sep, int span, char *dst,
                              size_t dstlen)
{
    size_t used = 0;
    char limit[128];
    dst[0] = '\0';
    switch (o->type) {
    case TR_VALUE_NUMBER:
        used = (size_t)snprintf(dst, dstlen, "%" PRIu64 "..%" PRIu64, o->min, o->max);
        if (span && o->span && used < dstlen)
            snprintf(dst + used, dstlen - used, "; %s", span_text(o, limit, sizeof(limit)));
        break;
    case TR_VALUE_CHOICE:
    case TR_VALUE_DEVICE:
        for (size_t i = 0; o->choices[i].name && used < dstlen; i++)
            used += (size_t)snprintf(dst + used, dstlen - used, "%s%s", i ? sep : "",
                                     o->choices[i].name);
        break;
    case TR_VALUE_PATH:
    case TR_VALUE_TEXT:
        used = (size_t)snprintf(dst, dstlen, "%s", o->accepted);
        if (o->max && used < dstlen)
            snprintf(dst + used, dstlen - used, "; at most %" PRIu64, o->max);
        break;
    case TR_VALUE_NONE:
        break;
    }
    return dst;
}

/* The default in words, or NULL when there is none to show. */
static const char *default_text(const struct tr_option *o, char *dst, size_t dstlen)
{
    switch (o->type) {
    case TR_VALUE_NUMBER:
        if (o->default_text)
            return o->default_text; /* not the same everywhere */
        snprintf(dst, dstlen, "%" PRIu64, o->def);
        return dst;
    case TR_VALUE_CHOICE:
    case TR_VALUE_DEVICE:
        return o->choices[o->def].name;
    default:
        return o->default_text;
    }
}

/* Whether a help text or table shows o for command: --help and --version are in every
 * overview and usage line, and in each command's own help, but in no table. */
static int listed(const struct tr_option *o, enum tr_command_id command, int table)
{
    if (!tr_option_of(o, command))
        return 0;
    return !table || (o != &tr_options[TR_OPTION_HELP] && o != &tr_options[TR_OPTION_VERSION]);
}

static void spaces(FILE *f, int n)
{
    fprintf(f, "%*s", n > 0 ? n : 0, "");
}

/* A no-break space (U+00A0) in the tables' text keeps words on one line, and prints as a
 * space. */
#define NO_BREAK_SPACE "\xc2\xa0"

/* The columns word (len bytes) takes. */
static int word_width(const char *word, size_t len)
{
    int width = 0;
    for (size_t i = 0; i < len; i++)
        width += ((unsigned char)word[i] & 0xc0) != 0x80; /* UTF-8: one per character */
    return width;
}

static void put_word(FILE *f, const char *word, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (strncmp(word + i, NO_BREAK_SPACE, 2) == 0 && i + 1 < len) {
            fputc(' ', f);
            i++;
        } else {
            fputc(word[i], f);
        }
    }
}

/*
 * Writes text word by word from column at (where the line already is), breaking lines
 * before WIDTH and starting each new one at column indent; a '\n' in text breaks the line
 * there. Returns the column it ends on.
 */
static int wrap(FILE *f, const char *text, int at, int indent)
{
    const char *s = text;
    while (*s) {
        if (*s == '\n') {
            fputc('\n', f);
            spaces(f, indent);
            at = indent;
            s++;
            continue;
        }
        size_t gap = strspn(s, " ");
        const char *word = s + gap;
        size_t len = strcspn(word, " \n");
        if (len == 0) {
            s = word;
            continue;
        }
        int width = word_width(word, len);
        if (at > indent && at + (int)gap + width > WIDTH) {
            fputc('\n', f);
            spaces(f, indent);
            at = indent;
            gap = 0;
        }
        spaces(f, (int)gap);
        put_word(f, word, len);
        at += (int)gap + width;
        s = word + len;
    }
    return at;
}

/* Where the help of command's options starts: past the longest option, at least
 * MIN_COLUMN. */
static int help_column(enum tr_command_id command)
{
    char spec[96];
    int column = MIN_COLUMN;
    for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
        if (!listed(&tr_options[i], command, 0))
            continue;
        int end = 2 + (int)strlen(option_spec(&tr_options[i], spec, sizeof(spec))) + COLUMN_SLIP;
        if (end > column)
            column = end;
    }
    return column;
}

/* One option's help: "  --mode M   how tiles are shared out: a | b | c [b]", then a line
 * per described choice, the shared limit and the details, each wrapped at the help's
 * column. */
static void option_help(FILE *f, const struct tr_option *o, int column)
{
    char spec[96], range[512], line[1024], dflt[32], bracket[64] = "";
    const char *def = default_text(o, dflt, sizeof(dflt));
    const char *sep = ": "; /* "how tiles are shared out: a | b | c" */
    option_spec(o, spec, sizeof(spec));
    range_text(o, " | ", 0, range, sizeof(range));
    if (!range[0])
        sep = "";
    else if (o->type == TR_VALUE_NUMBER)
        sep = ", "; /* "image width in pixels, 1..65536" */
    else if (o->type == TR_VALUE_PATH || o->type == TR_VALUE_TEXT)
        sep = "; "; /* "where to listen; an IPv4 or IPv6 address" */
    if (def && o->type != TR_VALUE_NONE)
        snprintf(bracket, sizeof(bracket), " [%s]", def);
    snprintf(line, sizeof(line), "%s%s%s%s", o->help, sep, range, bracket);
    fprintf(f, "  %s", spec);
    int at = 2 + (int)strlen(spec);
    if (at + 1 > column) {
        fputc('\n', f);
        at = 0;
    }
    spaces(f, column - at);
    wrap(f, line, column, column);
    fputc('\n', f);

    size_t name_width = 0;
    for (size_t i = 0; o->choices && o->choices[i].name; i++)
        if (o->choices[i].help && strlen(o->choices[i].name) > name_width)
            name_width = strlen(o->choices[i].name);
    for (size_t i = 0; o->choices && o->choices[i].name; i++) {
        if (!o->choices[i].help)
            continue;
        spaces(f, column + 2);
        fprintf(f, "%s:", o->choices[i].name);
        spaces(f, (int)(name_width - strlen(o->choices[i].name)) + 1);
        int indent = column + 2 + (int)name_width + 2;
        wrap(f, o->choices[i].help, indent, indent);
        fputc('\n', f);
    }
    if (o->span) {
        spaces(f, column);
        wrap(f, span_text(o, range, sizeof(range)), column, column);
        fputc('\n', f);
    }
    if (o->details) {
        spaces(f, column);
        wrap(f, o->details, column, column);
        fputc('\n', f);
    }
}

static void options_help(FILE *f, enum tr_command_id command)
{
    int column = help_column(command);
    for (size_t i = 0; i < TR_OPTION_COUNT; i++)
        if (listed(&tr_options[i], command, 0))
            option_help(f, &tr_options[i], column);
}

void tr_help_command(FILE *f, const struct tr_cli_command *c)
{
    fprintf(f, "Usage: tilerace %s\n\n%s", c->usage, c->description);
    if (c->options >= 0) {
        fprintf(f, "\nOptions (default in brackets):\n");
        options_help(f, (enum tr_command_id)c->options);
    }
    if (c->epilogue)
        fprintf(f, "\n%s", c->epilogue);
}

void tr_help_overview(FILE *f)
{
    const struct tr_cli_command *run = tr_cli_command_of(TR_CMD_RUN);
    size_t name_width = 0;
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        fprintf(f, "%s tilerace %s\n", i == 0 ? "Usage:" : "      ", c->usage);
        if (strlen(c->name) > name_width)
            name_width = strlen(c->name);
    }
    fprintf(f, "       tilerace COMMAND --help | tilerace --version\n\n%s", run->description);
    fprintf(f, "\nCommands (tilerace help COMMAND: its help):\n");
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        int indent = 2 + (int)name_width + 2;
        fprintf(f, "  %-*s  ", (int)name_width, c->name);
        wrap(f, c->summary, indent, indent);
        if (!c->main)
            wrap(f, " (not in this build)", indent, indent);
        fputc('\n', f);
    }
    fprintf(f, "\nRun options (default in brackets):\n");
    options_help(f, TR_CMD_RUN);
    /* the small commands' options too; serve has many, and its own help */
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        if (c->options < 0 || c->options == TR_CMD_RUN || c->options == TR_CMD_SERVE)
            continue;
        fprintf(f, "\nOptions of %s:\n", c->name);
        options_help(f, (enum tr_command_id)c->options);
    }
    fprintf(f, "\n%s", run->epilogue);
}

/* A table cell: '|' escaped so that it stays one cell, and '*' outside code so that it
 * stays a star. */
static void cell(FILE *f, const char *text, int code)
{
    fputs(code ? " `" : " ", f);
    for (const char *s = text; *s; s++) {
        if (*s == '|' || (*s == '*' && !code))
            fputc('\\', f);
        if (strncmp(s, NO_BREAK_SPACE, 2) == 0) {
            fputc(' ', f);
            s++;
        } else {
            fputc(*s, f);
        }
    }
    fputs(code ? "` |" : " |", f);
}

void tr_help_markdown(FILE *f, enum tr_command_id command)
{
    char spec[96], range[512], dflt[32];
    int queries = 0;
    for (size_t i = 0; i < TR_OPTION_COUNT; i++)
        queries |= listed(&tr_options[i], command, 1) && tr_options[i].query;
    fprintf(f, "| option |%s range | default | meaning |\n", queries ? " HTTP |" : "");
    fprintf(f, "|---|%s---|---|---|\n", queries ? "---|" : "");
    for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
        const struct tr_option *o = &tr_options[i];
        if (!listed(o, command, 1))
            continue;
        const char *def = default_text(o, dflt, sizeof(dflt));
        fputc('|', f);
        cell(f, option_spec(o, spec, sizeof(spec)), 1);
        if (queries)
            cell(f, o->query ? o->query : "", o->query != NULL);
        cell(f, range_text(o, ", ", 1, range, sizeof(range)), 0);
        cell(f, o->type == TR_VALUE_NONE ? "off" : def ? def : "none", 0);
        cell(f, o->help, 0);
        fputc('\n', f);
    }
}

int tr_cli_help(int argc, char **argv)
{
    const struct tr_cli_command *c;
    if (argc >= 2 && strcmp(argv[1], "--markdown") == 0) {
        /* for the README: each command's options as a table */
        for (int i = 2; i < argc; i++) {
            c = tr_cli_command_find(argv[i]);
            if (!c || c->options < 0)
                return tr_cli_unknown_command("help: ", argv[i]);
        }
        for (int i = 2; i < argc; i++)
            tr_help_markdown(stdout, (enum tr_command_id)tr_cli_command_find(argv[i])->options);
        return TR_EXIT_OK;
    }
    if (argc == 1) {
        tr_help_overview(stdout);
        return TR_EXIT_OK;
    }
    if (argc > 2)
        return tr_cli_fail(TR_EXIT_USAGE, "help: one command at most (usage: tilerace help "
                                          "[COMMAND])");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        c = tr_cli_command_find("help");
    else if (!(c = tr_cli_command_find(argv[1])))
        return tr_cli_unknown_command("help: ", argv[1]);
    if (!c->main)
        return tr_cli_not_built(c);
    tr_help_command(stdout, c);
    return TR_EXIT_OK;
}

/* For the man page and the completions (cli/manual.c, cli/completion.c): the same words
 * as the help texts. */
const char *tr_help_option_spec(const struct tr_option *o, char *dst, size_t dstlen)
{
    return option_spec(o, dst, dstlen);
}

const char *tr_help_option_range(const struct tr_option *o, char *dst, size_t dstlen)
{
    return range_text(o, " | ", 0, dst, dstlen);
}

const char *tr_help_option_default(const struct tr_option *o, char *dst, size_t dstlen)
{
    return o->type == TR_VALUE_NONE ? NULL : default_text(o, dst, dstlen);
}

int tr_help_option_listed(const struct tr_option *o, enum tr_command_id command)
{
    return listed(o, command, 0);
}
