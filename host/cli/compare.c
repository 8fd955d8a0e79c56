#include "cli/compare.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "output/run_comparison.h"
#include "replay/input.h"

int tr_cli_compare(int argc, char **argv)
{
    struct tr_cli_parser ps;
    const struct tr_option *max_mb = &tr_options[TR_OPTION_COMPARE_MAX_INPUT_MB];
    uint64_t max_input_mb = max_mb->def;
    int as_json = 0, id;
    char err[1024], a[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)], b[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];

    /* options may follow the runs: compare A.json B.json --json */
    tr_cli_parser_init(&ps, TR_CMD_COMPARE, 1, "tilerace compare --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, sizeof(err))) != TR_CLI_END) {
        switch (id) {
        case TR_OPTION_COMPARE_JSON:
            as_json = 1;
            break;
        case TR_OPTION_COMPARE_MAX_INPUT_MB:
            if (tr_parse_number("--max-input-mb", optarg, max_mb->min, max_mb->max, &max_input_mb,
                                err, sizeof(err)))
                return tr_cli_fail(TR_EXIT_USAGE, "compare: %s", err);
            break;
        case TR_OPTION_HELP:
            tr_help_command(stdout, tr_cli_command_of(TR_CMD_COMPARE));
            return TR_EXIT_OK;
        default:
            return tr_cli_fail(TR_EXIT_USAGE, "compare: %s", err);
        }
    }
    int n = argc - optind;
    if (n < 1)
        return tr_cli_fail(TR_EXIT_USAGE, "compare: no run files given (usage: tilerace compare "
                                          "RUN.json [RUN2.json ...])");
    if (n > TR_COMPARE_MAX_RUNS)
        return tr_cli_fail(TR_EXIT_USAGE, "compare: %d run files given (accepted range 1..%d)", n,
                           TR_COMPARE_MAX_RUNS);

    /* One document at a time: only the numbers compared stay in memory. */
    struct tr_compared_run *runs = calloc((size_t)n, sizeof(*runs));
    if (!runs)
        return tr_cli_fail(TR_EXIT_FAILURE, "compare: out of memory");
    for (int i = 0; i < n; i++) {
        cJSON *doc = NULL;
        int rc = tr_replay_read_run(argv[optind + i], (size_t)max_input_mb << 20, &doc, err,
                                    sizeof(err));
        if (rc) {
            free(runs);
            return tr_cli_fail(tr_exit_code((enum tr_status)rc), "compare: %s", err);
        }
        tr_compared_run_from_json(&runs[i], doc, argv[optind + i]);
        cJSON_Delete(doc);
    }
    size_t differ = tr_compare_runs(runs, (size_t)n);
    int rc = as_json ? tr_comparison_write_json(stdout, runs, (size_t)n)
                     : tr_comparison_write_text(stdout, runs, (size_t)n);
    if (rc == 0 && fflush(stdout) != 0)
        rc = -1;
    if (rc != 0) {
        free(runs);
        return tr_cli_fail(ferror(stdout) ? TR_EXIT_IO : TR_EXIT_FAILURE,
                           ferror(stdout) ? "compare: standard output cannot be written"
                                          : "compare: out of memory");
    }
    /* Like a self-test mismatch: complete runs of one frame must have the same pixels. */
    for (int i = 0; i < n && differ; i++)
        if (runs[i].verdict == TR_CHECKSUM_DIFFERS) {
            tr_text_quote(a, sizeof(a), runs[i].label, TR_ECHO_PATH_CHARS);
            tr_text_quote(b, sizeof(b), runs[runs[i].reference].label, TR_ECHO_PATH_CHARS);
            free(runs);
            return tr_cli_fail(TR_EXIT_FAILURE,
                               "compare: %s and %s render the same frame with different "
                               "checksums (%zu run%s differ%s)",
                               b, a, differ, differ == 1 ? "" : "s", differ == 1 ? "s" : "");
        }
    free(runs);
    return TR_EXIT_OK;
}
