/* The option table, the command table and what is made from them: help texts, Markdown
 * tables and suggestions for a mistyped name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cmocka_all.h"
#include "core/params.h"

/* What print writes for command c, as a string to free. */
static char *capture(void (*print)(FILE *, const struct tr_cli_command *),
                     const struct tr_cli_command *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    print(f, c);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void print_markdown(FILE *f, const struct tr_cli_command *c)
{
    tr_help_markdown(f, (enum tr_command_id)c->options);
}

static void print_overview(FILE *f, const struct tr_cli_command *c)
{
    (void)c;
    tr_help_overview(f);
}

static void test_table_is_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
        const struct tr_option *o = &tr_options[i];
        assert_non_null(o->name);
        assert_non_null(o->help);
        assert_true(o->commands != 0);
        /* a value has a name in the help, a flag none */
        assert_true((o->metavar == NULL) == (o->type == TR_VALUE_NONE));
        if (o->type == TR_VALUE_NUMBER) {
            assert_true(o->min <= o->def && o->def <= o->max);
        } else if (o->type == TR_VALUE_CHOICE || o->type == TR_VALUE_DEVICE) {
            assert_true(o->def < tr_option_choice_count(o));
        } else if (o->type == TR_VALUE_PATH || o->type == TR_VALUE_TEXT) {
            assert_non_null(o->accepted);
        }
        /* no two options of one command, and no two query parameters, share a name */
        for (size_t j = 0; j < i; j++) {
            const struct tr_option *p = &tr_options[j];
            if (o->commands & p->commands) {
                assert_string_not_equal(o->name, p->name);
                assert_true(!o->short_name || o->short_name != p->short_name);
            }
            if (o->query && p->query)
                assert_string_not_equal(o->query, p->query);
        }
    }
    /* the run's parameters come first, and each has its query name but mode (the path's) */
    for (int id = 0; id <= TR_OPTION_KERNEL; id++)
        assert_true(tr_options[id].query != NULL || id == TR_OPTION_MODE);
}

static void test_defaults_are_the_tables(void **state)
{
    (void)state;
    struct tr_params p;
    tr_params_defaults(&p);
    for (int id = 0; id < TR_PARAM_NUMBERS; id++)
        assert_int_equal(tr_params_number(&p, (enum tr_option_id)id), tr_options[id].def);
    assert_int_equal(p.queue_depth, 4); /* the README once said 2 */
    assert_string_equal(tr_mode_name(p.mode), "concurrent");
    assert_string_equal(p.device, "cpu");
}

/* Every option a command takes is in its own help, and in no other command's (unless that
 * command has an option of the same name). */
static void test_each_help_lists_its_options(void **state)
{
    (void)state;
    char spec[96];
    for (size_t k = 0; k < tr_cli_command_count; k++) {
        const struct tr_cli_command *c = &tr_cli_commands[k];
        if (c->options < 0)
            continue;
        char *help = capture(tr_help_command, c);
        for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
            const struct tr_option *o = &tr_options[i];
            snprintf(spec, sizeof(spec), "--%s%s%s ", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
            if (tr_option_of(o, (enum tr_command_id)c->options)) {
                if (!strstr(help, spec))
                    fail_msg("'%s' is not in the help of %s", spec, c->name);
                if (o->short_name) {
                    char s[8];
                    snprintf(s, sizeof(s), "-%c, --", o->short_name);
                    assert_non_null(strstr(help, s));
                }
            } else if (strstr(help, spec) &&
                       !tr_option_find((enum tr_command_id)c->options, o->name)) {
                /* (an option of the same name that this command takes has its own entry:
                 * run's and replay's --out, devices' and selftest's --json) */
                fail_msg("'%s' is in the help of %s, which does not take it", spec, c->name);
            }
        }
        free(help);
    }
}

/* The overview: every command and every option of run. */
static void test_overview(void **state)
{
    (void)state;
    char *text = capture(print_overview, NULL), spec[96];
    for (size_t k = 0; k < tr_cli_command_count; k++)
        assert_non_null(strstr(text, tr_cli_commands[k].usage));
    for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
        if (!tr_option_of(&tr_options[i], TR_CMD_RUN))
            continue;
        snprintf(spec, sizeof(spec), "--%s ", tr_options[i].name);
        assert_non_null(strstr(text, spec));
    }
    assert_non_null(strstr(text, "Exit codes:"));
    free(text);
}

/* One Markdown row per option a command takes, besides --help and --version. */
static void test_markdown_rows(void **state)
{
    (void)state;
    char row[96];
    for (size_t k = 0; k < tr_cli_command_count; k++) {
        const struct tr_cli_command *c = &tr_cli_commands[k];
        if (c->options < 0)
            continue;
        char *md = capture(print_markdown, c);
        size_t rows = 0, expected = 0;
        for (const char *s = md; (s = strstr(s, "\n| `")) != NULL; s++)
            rows++;
        for (size_t i = 0; i < TR_OPTION_COUNT; i++) {
            const struct tr_option *o = &tr_options[i];
            if (!tr_option_of(o, (enum tr_command_id)c->options) || i == TR_OPTION_HELP ||
                i == TR_OPTION_VERSION)
                continue;
            expected++;
            snprintf(row, sizeof(row), "--%s", o->name);
            assert_non_null(strstr(md, row));
        }
        assert_int_equal(rows, expected);
        free(md);
    }
}

static void test_suggestions(void **state)
{
    (void)state;
    static const char *const names[] = {"width", "height", "tile-w", "tile-h", "max-iter", "json"};
    const size_t n = sizeof(names) / sizeof(names[0]);
    char s[256];
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "widht", names, n, "--"), "--width");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "heigt", names, n, "--"), "--height");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "WIDTH", names, n, "--"), "--width");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "tile", names, n, "--"),
                        "--tile-w or --tile-h");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "tile-x", names, n, "--"),
                        "--tile-w or --tile-h");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "max-itre", names, n, ""), "max-iter");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "jsno", names, n, ""), "json");
    /* nothing close: no guess */
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "frobnicate", names, n, "--"), "");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "xyz", names, n, "--"), "");
    assert_string_equal(tr_cli_suggest(s, sizeof(s), "", names, n, "--"), "");
}

/* What a command line typo gets back from the parser. */
static void test_parser_suggests(void **state)
{
    (void)state;
    char *argv[] = {"tilerace", "--widht", "5", NULL};
    char *one_dash[] = {"tilerace", "-width", "5", NULL};
    char *serve[] = {"serve", "--max-renderz", "2", NULL};
    struct tr_cli_parser ps;
    char err[512];
    tr_cli_parser_init(&ps, TR_CMD_RUN, 0, "tilerace --help", 3, argv);
    assert_int_equal(tr_cli_next_option(&ps, err, sizeof(err)), TR_CLI_ERROR);
    assert_string_equal(err,
                        "unknown option '--widht'; did you mean --width? (see tilerace --help)");
    tr_cli_parser_init(&ps, TR_CMD_RUN, 0, "tilerace --help", 3, one_dash);
    assert_int_equal(tr_cli_next_option(&ps, err, sizeof(err)), TR_CLI_ERROR);
    assert_string_equal(err, "unknown option '-w'; did you mean --width? (see tilerace --help)");
    tr_cli_parser_init(&ps, TR_CMD_SERVE, 0, "tilerace serve --help", 3, serve);
    assert_int_equal(tr_cli_next_option(&ps, err, sizeof(err)), TR_CLI_ERROR);
    assert_string_equal(err, "unknown option '--max-renderz'; did you mean --max-renders? (see "
                             "tilerace serve --help)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_defaults_are_the_tables),
        cmocka_unit_test(test_each_help_lists_its_options),
        cmocka_unit_test(test_overview),
        cmocka_unit_test(test_markdown_rows),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_parser_suggests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
