#include "cli/completion.h"

#include <ctype.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/help.h"
#include "core/options.h"

/* What a command's operands are, read from its usage line: "help [COMMAND]" takes command
 * names, "replay RUN.json ..." files; an option's value in the line ("-o replay.html") is
 * not an operand. */
enum operands { OPERANDS_NONE, OPERANDS_FILES, OPERANDS_COMMANDS };

static enum operands operands_of(const struct tr_cli_command *c)
{
    char word[128];
    const char *s = c->usage;
    int value_next = 0;
    while (*s) {
        s += strspn(s, " ");
        size_t len = strcspn(s, " ");
        if (len == 0)
            break;
        snprintf(word, sizeof(word), "%.*s", (int)len, s + strspn(s, "["));
        s += len;
        if (value_next) {
            value_next = 0;
            continue;
        }
        if (word[0] == '-') {
            value_next = 1;
            continue;
        }
        if (strncmp(word, "COMMAND", 7) == 0)
            return OPERANDS_COMMANDS;
        if (strncmp(word, "RUN", 3) == 0 || strncmp(word, "FILE", 4) == 0)
            return OPERANDS_FILES;
    }
    return OPERANDS_NONE;
}

/* Whether command c is in this build and takes options. */
static int has_options(const struct tr_cli_command *c)
{
    return c->main && c->options >= 0;
}

static int takes(const struct tr_cli_command *c, const struct tr_option *o)
{
    return has_options(c) && tr_help_option_listed(o, (enum tr_command_id)c->options);
}

/* A folder, not a file: the value's name says it. */
static int is_folder(const struct tr_option *o)
{
    return o->type == TR_VALUE_PATH && o->metavar && strcmp(o->metavar, "DIR") == 0;
}

static void bash_words(FILE *out, const struct tr_option *o)
{
    fputs("_tilerace_words '", out);
    for (size_t i = 0; o->choices[i].name; i++)
        fprintf(out, "%s%s", i ? " " : "", o->choices[i].name);
    fputs("'", out);
}

static const char bash_head[] =
    "# bash completion for tilerace, made from its command and option tables by\n"
    "# tilerace-gendoc; installed as share/bash-completion/completions/tilerace.\n"
    "\n"
    "_tilerace_words()\n"
    "{\n"
    "    mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\")\n"
    "}\n"
    "\n"
    "_tilerace_files()\n"
    "{\n"
    "    compopt -o filenames 2>/dev/null\n"
    "    mapfile -t COMPREPLY < <(compgen \"$1\" -- \"$cur\")\n"
    "}\n"
    "\n"
    "# What --device can name on this machine, from the tilerace being completed (the\n"
    "# table's forms when it cannot say); a list (a,b) completes its last entry.\n"
    "_tilerace_devices()\n"
    "{\n"
    "    local program=${words[0]/#\\~/$HOME} selectors\n"
    "    selectors=$(\"$program\" devices --selectors 2>/dev/null) ||\n"
    "        selectors=$(tilerace devices --selectors 2>/dev/null) ||\n"
    "        selectors=";

static const char bash_head2[] =
    "\n"
    "    local head=\"\"\n"
    "    [[ $cur == *,* ]] && head=${cur%,*},\n"
    "    mapfile -t COMPREPLY < <(compgen -P \"$head\" -W \"$selectors\" -- \"${cur##*,}\")\n"
    "}\n"
    "\n"
    "_tilerace()\n"
    "{\n"
    "    # Words as the user typed them: bash splits opencl:0.0 and --mode=dynamic at ':'\n"
    "    # and '=' (COMP_WORDBREAKS).\n"
    "    local -a words=()\n"
    "    local i w cword=0\n"
    "    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        if ((${#words[@]} > 1)) &&\n"
    "            [[ $w == : || ${words[-1]} == *: || ${words[-1]} == --*= ||\n"
    "               ($w == = && ${words[-1]} == --*) ]]; then\n"
    "            words[-1]+=$w\n"
    "        else\n"
    "            words+=(\"$w\")\n"
    "        fi\n"
    "        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))\n"
    "    done\n"
    "    local cur=${words[cword]} prev=${words[cword - 1]} value_of=\"\" command=run\n"
    "    COMPREPLY=()\n"
    "    if ((cword == 1)) && [[ $cur != -* ]]; then\n"
    "        _tilerace_words '";

static const char bash_head3[] = "'\n"
                                 "        return 0\n"
                                 "    fi\n"
                                 "    # No command word: the options are run's.\n"
                                 "    [[ ${words[1]} != -* ]] && command=${words[1]}\n"
                                 "    local options valued\n"
                                 "    case $command in\n";

static const char bash_tail[] = "    *) return 0 ;;\n"
                                "    esac\n"
                                "    if [[ $cur == --*=* ]]; then\n"
                                "        value_of=${cur%%=*}\n"
                                "        cur=${cur#*=}\n"
                                "    elif [[ $valued == *\" $prev \"* ]]; then\n"
                                "        value_of=$prev\n"
                                "    fi\n"
                                "    if [[ -n $value_of ]]; then\n"
                                "        case \"$command $value_of\" in\n";

static const char bash_tail2[] = "        esac\n"
                                 "    elif [[ $cur == -* ]]; then\n"
                                 "        _tilerace_words \"$options\"\n"
                                 "    else\n"
                                 "        case $command in\n";

static const char bash_tail3[] = "        *) _tilerace_words \"$options\" ;;\n"
                                 "        esac\n"
                                 "    fi\n"
                                 "    # bash replaces only what follows the last ':' of the word\n"
                                 "    if [[ $cur == *:* ]]; then\n"
                                 "        local typed=${cur%\"${cur##*:}\"}\n"
                                 "        COMPREPLY=(\"${COMPREPLY[@]#\"$typed\"}\")\n"
                                 "    fi\n"
                                 "    return 0\n"
                                 "}\n"
                                 "complete -F _tilerace tilerace\n";

static void command_names(FILE *out)
{
    int first = 1;
    for (size_t i = 0; i < tr_cli_command_count; i++)
        if (tr_cli_commands[i].main) {
            fprintf(out, "%s%s", first ? "" : " ", tr_cli_commands[i].name);
            first = 0;
        }
}

/* The value cases of the bash function: "run --mode") _tilerace_words '...' ;; */
static void bash_value_cases(FILE *out)
{
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        for (size_t j = 0; j < TR_OPTION_COUNT; j++) {
            const struct tr_option *o = &tr_options[j];
            if (!takes(c, o) || o->type == TR_VALUE_NONE)
                continue;
            fputs("        ", out);
            if (o->short_name)
                fprintf(out, "\"%s -%c\" | ", c->name, o->short_name);
            fprintf(out, "\"%s --%s\") ", c->name, o->name);
            switch (o->type) {
            case TR_VALUE_CHOICE:
                bash_words(out, o);
                break;
            case TR_VALUE_DEVICE:
                fputs("_tilerace_devices", out);
                break;
            case TR_VALUE_PATH:
                fputs(is_folder(o) ? "_tilerace_files -d" : "_tilerace_files -f", out);
                break;
            default:
                fputs(":", out); /* a number or text: nothing to offer */
                break;
            }
            fputs(" ;;\n", out);
        }
    }
}

static void bash_operand_cases(FILE *out)
{
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        enum operands kind = c->main ? operands_of(c) : OPERANDS_NONE;
        if (kind == OPERANDS_FILES)
            fprintf(out, "        %s) _tilerace_files -f ;;\n", c->name);
        else if (kind == OPERANDS_COMMANDS) {
            fprintf(out, "        %s) _tilerace_words '", c->name);
            command_names(out);
            fputs("' ;;\n", out);
        }
    }
}

static void device_forms(FILE *out)
{
    const struct tr_option *o = &tr_options[TR_OPTION_DEVICE];
    fputs("'", out);
    for (size_t i = 0, n = 0; o->choices[i].name; i++)
        if (!strchr(o->choices[i].name, ':'))
            fprintf(out, "%s%s", n++ ? " " : "", o->choices[i].name);
    fputs("'", out);
}

void tr_completion_bash(FILE *out)
{
    fputs(bash_head, out);
    device_forms(out);
    fputs(bash_head2, out);
    command_names(out);
    fputs(bash_head3, out);
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        if (!c->main)
            continue;
        fprintf(out, "    %s)\n        options='", c->name);
        int n = 0;
        for (size_t j = 0; j < TR_OPTION_COUNT; j++)
            if (takes(c, &tr_options[j]))
                fprintf(out, "%s--%s", n++ ? " " : "", tr_options[j].name);
        fputs("'\n        valued=' ", out);
        for (size_t j = 0; j < TR_OPTION_COUNT; j++) {
            const struct tr_option *o = &tr_options[j];
            if (!takes(c, o) || o->type == TR_VALUE_NONE)
                continue;
            if (o->short_name)
                fprintf(out, "-%c ", o->short_name);
            fprintf(out, "--%s ", o->name);
        }
        fputs("'\n        ;;\n", out);
    }
    fputs(bash_tail, out);
    bash_value_cases(out);
    fputs(bash_tail2, out);
    bash_operand_cases(out);
    fputs(bash_tail3, out);
}

static const char zsh_head[] =
    "#compdef tilerace\n"
    "# zsh completion for tilerace, made from its command and option tables by\n"
    "# tilerace-gendoc; installed as share/zsh/vendor-completions/_tilerace.\n"
    "\n"
    "# What --device can name on this machine, from the tilerace being completed (the\n"
    "# table's forms when it cannot say); a list (a,b) completes each entry.\n"
    "(( $+functions[_tilerace_devices] )) ||\n"
    "_tilerace_devices() {\n"
    "  local -a selectors\n"
    "  selectors=(${(f)\"$(_call_program device-selectors ${~words[1]} devices --selectors "
    "2>/dev/null)\"})\n"
    "  (( $#selectors )) || selectors=(";

static const char zsh_head2[] = ")\n"
                                "  _sequence compadd - $selectors\n"
                                "}\n"
                                "\n"
                                "_tilerace() {\n"
                                "  local -a commands\n"
                                "  commands=(\n";

static const char zsh_head3[] = "  )\n"
                                "  local command=run\n"
                                "  if (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then\n"
                                "    _describe -t commands 'tilerace command' commands\n"
                                "    return\n"
                                "  fi\n"
                                "  # No command word: the options are run's.\n"
                                "  if [[ $words[2] != -* ]]; then\n"
                                "    command=$words[2]\n"
                                "    shift words\n"
                                "    (( CURRENT-- ))\n"
                                "  fi\n"
                                "  case $command in\n";

static const char zsh_tail[] = "  esac\n"
                               "}\n"
                               "\n"
                               "_tilerace \"$@\"\n";

/* text for an _arguments description inside single quotes: brackets and backslashes
 * escaped, a single quote closed and reopened */
static void zsh_description(FILE *out, const char *text)
{
    for (const char *s = text; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else if (*s == '[' || *s == ']' || *s == '\\' || *s == ':')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s >= 0x80 || !isprint((unsigned char)*s))
            fputc(' ', out); /* the no-break space of the tables */
        else
            fputc(*s, out);
    }
}

/* After the description: ":N: " (nothing to offer), ":M:(a b c)", ":D:_tilerace_devices",
 * ":FILE:_files". */
static void zsh_action(FILE *out, const struct tr_option *o)
{
    if (o->type == TR_VALUE_NONE)
        return;
    fprintf(out, ":%s:", o->metavar);
    switch (o->type) {
    case TR_VALUE_CHOICE:
        fputc('(', out);
        for (size_t i = 0; o->choices[i].name; i++)
            fprintf(out, "%s%s", i ? " " : "", o->choices[i].name);
        fputc(')', out);
        break;
    case TR_VALUE_DEVICE:
        fputs("_tilerace_devices", out);
        break;
    case TR_VALUE_PATH:
        fputs(is_folder(o) ? "_files -/" : "_files", out);
        break;
    default:
        fputc(' ', out);
        break;
    }
}

/* One spec of _arguments for one of o's names. */
static void zsh_spec(FILE *out, const struct tr_option *o, int short_form)
{
    fputs("    '", out);
    /* a repeatable option may come again; the others exclude themselves and their twin */
    if (o->type == TR_VALUE_TEXT && o->max > 1)
        fputc('*', out);
    else if (o->short_name)
        fprintf(out, "(-%c --%s)", o->short_name, o->name);
    if (short_form)
        fprintf(out, "-%c%s[", o->short_name, o->type == TR_VALUE_NONE ? "" : "+");
    else
        fprintf(out, "--%s%s[", o->name, o->type == TR_VALUE_NONE ? "" : "=");
    zsh_description(out, o->help);
    fputc(']', out);
    zsh_action(out, o);
    fputs("' \\\n", out);
}

void tr_completion_zsh(FILE *out)
{
    fputs(zsh_head, out);
    const struct tr_option *device = &tr_options[TR_OPTION_DEVICE];
    for (size_t i = 0, n = 0; device->choices[i].name; i++)
        if (!strchr(device->choices[i].name, ':'))
            fprintf(out, "%s%s", n++ ? " " : "", device->choices[i].name);
    fputs(zsh_head2, out);
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        if (!c->main)
            continue;
        fprintf(out, "    '%s:", c->name);
        zsh_description(out, c->summary);
        fputs("'\n", out);
    }
    fputs(zsh_head3, out);
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        const struct tr_cli_command *c = &tr_cli_commands[i];
        if (!c->main)
            continue;
        fprintf(out, "  %s)\n    _arguments -s -S : \\\n", c->name);
        for (size_t j = 0; j < TR_OPTION_COUNT; j++) {
            const struct tr_option *o = &tr_options[j];
            if (!takes(c, o))
                continue;
            if (o->short_name)
                zsh_spec(out, o, 1);
            zsh_spec(out, o, 0);
        }
        switch (operands_of(c)) {
        case OPERANDS_FILES:
            fputs("    '*:file:_files'\n", out);
            break;
        case OPERANDS_COMMANDS:
            fputs("    '1:command:(", out);
            command_names(out);
            fputs(")'\n", out);
            break;
        case OPERANDS_NONE:
            fputs("    && return\n", out);
            break;
        }
        fputs("    ;;\n", out);
    }
    fputs(zsh_tail, out);
}
