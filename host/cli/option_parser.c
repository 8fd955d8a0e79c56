#include "cli/option_parser.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/usage.h"
#include "cli/exit_codes.h"
#include "core/text_escape.h"

/* getopt_long's value for a long option: past every short option's character. */
#define LONG_OPTION_BASE 256

void tr_cli_parser_init(struct tr_cli_parser *ps, enum tr_command_id command, int permute,
                        const char *help, int argc, char **argv)
{
    size_t n = 0, s = 0;
    ps->command = command;
    ps->help = help;
    ps->argc = argc;
    ps->argv = argv;
    if (!permute)
        ps->shortopts[s++] = '+'; /* the first operand ends the options */
    ps->shortopts[s++] = ':';     /* a missing value is ':', not '?' */
    for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
        const struct tr_option *o = &tr_options[i];
        if (!tr_option_of(o, command))
            continue;
        int has_arg = o->type == TR_VALUE_NONE ? no_argument : required_argument;
        ps->longopts[n++] = (struct option){o->name, has_arg, NULL, LONG_OPTION_BASE + (int)i};
        if (o->short_name) {
            ps->shortopts[s++] = o->short_name;
            if (has_arg == required_argument)
                ps->shortopts[s++] = ':';
        }
    }
    memset(ps->given, 0, sizeof(ps->given));
    ps->longopts[n] = (struct option){NULL, 0, NULL, 0};
    ps->shortopts[s] = '\0';
    opterr = 0;
    optind = 0; /* 0, not 1: glibc and musl then reset getopt fully, so this may run again */
}

/* The long names of command's options, for suggestions. */
static size_t option_names(enum tr_command_id command, const char **names)
{
    size_t n = 0;
    for (size_t i = 0; i < TR_OPTION_COUNT; i++)
        if (tr_option_of(&tr_options[i], command))
            names[n++] = tr_options[i].name;
    return n;
}

/*
 * "; did you mean --width?" for the option getopt just refused, named q: a long one
 * ("--widht", or "--tile", which abbreviates two), or a long name typed with one dash
 * ("-width", refused at its first letter).
 */
static void suggestion(const struct tr_cli_parser *ps, const char *q, char *dst, size_t dstlen)
{
    const char *names[TR_OPTION_COUNT];
    char typed[64], found[512];
    const char *name = NULL;
    dst[0] = '\0';
    if (strncmp(q, "--", 2) == 0) {
        /* getopt has moved past a long option */
        if (optind > 0 && optind - 1 < ps->argc)
            name = ps->argv[optind - 1] + 2;
    } else if (optind < ps->argc) {
        /* getopt stays on a cluster until its last letter */
        const char *here = ps->argv[optind];
        if (here[0] == '-' && here[1] != '-' && here[1] == (char)optopt && here[2] != '\0')
            name = here + 1;
    }
    if (!name)
        return;
    size_t len = strcspn(name, "=");
    if (len < 2 || len >= sizeof(typed))
        return;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '-')
            return;
    memcpy(typed, name, len);
    typed[len] = '\0';
    size_t n = option_names(ps->command, names);
    if (tr_cli_suggest(found, sizeof(found), typed, names, n, "--")[0])
        snprintf(dst, dstlen, "; did you mean %s?", found);
}

/* id, or TR_CLI_ERROR when it came before and may not repeat: last-wins would hide a
 * mistake (the HTTP API refuses a repeated parameter the same way). */
static int once(struct tr_cli_parser *ps, int id, char *err, size_t errlen)
{
    const struct tr_option *o = &tr_options[id];
    if (ps->given[id] && !tr_option_repeatable(o)) {
        char short_form[8] = "";
        if (o->short_name)
            snprintf(short_form, sizeof(short_form), " (-%c)", o->short_name);
        snprintf(err, errlen, "--%s%s: given more than once (give each option once, see %s)",
                 o->name, short_form, ps->help);
        return TR_CLI_ERROR;
    }
    ps->given[id] = 1;
    return id;
}

int tr_cli_next_option(struct tr_cli_parser *ps, char *err, size_t errlen)
{
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)], hint[600];
    int c = getopt_long(ps->argc, ps->argv, ps->shortopts, ps->longopts, NULL);
    if (c == -1)
        return TR_CLI_END;
    if (c >= LONG_OPTION_BASE)
        return once(ps, c - LONG_OPTION_BASE, err, errlen);
    if (c == ':') {
        snprintf(err, errlen, "%s: a value is missing (see %s)",
                 tr_usage_refused_option(q, sizeof(q), ps->argc, ps->argv), ps->help);
        return TR_CLI_ERROR;
    }
    for (size_t i = 0; i < TR_OPTION_COUNT && c != '?'; i++)
        if (tr_options[i].short_name == c && tr_option_of(&tr_options[i], ps->command))
            return once(ps, (int)i, err, errlen);
    tr_usage_refused_option(q, sizeof(q), ps->argc, ps->argv);
    suggestion(ps, q, hint, sizeof(hint));
    snprintf(err, errlen, "unknown option '%s'%s (see %s)", q, hint, ps->help);
    return TR_CLI_ERROR;
}

int tr_cli_no_operands(const struct tr_cli_parser *ps, char *err, size_t errlen)
{
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    if (optind >= ps->argc)
        return 0;
    snprintf(err, errlen, "unexpected argument %s (see %s)",
             tr_text_quote(q, sizeof(q), ps->argv[optind], TR_ECHO_CHARS), ps->help);
    return TR_EXIT_USAGE;
}

/* Optimal string alignment distance, ignoring case: insertions, deletions, substitutions
 * and swaps of two neighbours each cost 1. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAX = 64 };
    size_t la = strlen(a), lb = strlen(b), d[MAX + 1][MAX + 1];
    if (la > MAX || lb > MAX)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

char *tr_cli_suggest(char *dst, size_t dstlen, const char *typed, const char *const *names,
                     size_t n, const char *prefix)
{
    enum { MAX_NAMES = 64 };
    const char *pick[MAX_NAMES];
    size_t picked = 0, len = strlen(typed);
    dst[0] = '\0';
    if (n > MAX_NAMES)
        n = MAX_NAMES;
    for (size_t i = 0; i < n; i++)
        if (len > 0 && strncmp(names[i], typed, len) == 0 && names[i][len] != '\0')
            pick[picked++] = names[i];
    if (picked < 2) {
        /* a typo: about one mistake in three letters at most, so that "frobnicate" finds
         * nothing rather than something unrelated */
        size_t best = len <= 4 ? 1 : len <= 8 ? 2 : 3;
        picked = 0;
        for (size_t i = 0; i < n; i++) {
            size_t d = edit_distance(typed, names[i]);
            if (d > best)
                continue;
            if (d < best)
                picked = 0;
            best = d;
            pick[picked++] = names[i];
        }
    }
    size_t used = 0;
    for (size_t i = 0; i < picked && used < dstlen; i++) {
        const char *sep = i == 0 ? "" : i + 1 == picked ? " or " : ", ";
        int w = snprintf(dst + used, dstlen - used, "%s%s%s", sep, prefix, pick[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return dst;
}
