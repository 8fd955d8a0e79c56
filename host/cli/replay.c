#include "cli/replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli/commands.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "cli/exit_codes.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "output/atomic_file.h"
#include "replay/input.h"
#include "replay/page.h"

/* Where the page goes without -o: in the current folder. */
#define DEFAULT_PAGE "replay.html"

int tr_cli_replay(int argc, char **argv)
{
    struct tr_cli_parser ps;
    const char *out_path = NULL;
    int force = 0;
    struct stat st;
    uint64_t max_input_mb = tr_options[TR_OPTION_MAX_INPUT_MB].def;
    char err[1024], q[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    struct tr_atomic_file out;
    cJSON *runs = NULL;
    int id, rc;

    /* options may follow the runs: replay RUN... -o F */
    tr_cli_parser_init(&ps, TR_CMD_REPLAY, 1, "tilerace replay --help", argc, argv);
    while ((id = tr_cli_next_option(&ps, err, sizeof(err))) != TR_CLI_END) {
        const struct tr_option *o = &tr_options[TR_OPTION_MAX_INPUT_MB];
        switch (id) {
        case TR_OPTION_REPLAY_OUT:
            if (!optarg[0])
                return tr_cli_fail(TR_EXIT_USAGE, "replay: -o: '' is not a file path (accepted: "
                                                  "a file path, or - for standard output)");
            out_path = optarg;
            break;
        case TR_OPTION_MAX_INPUT_MB:
            if (tr_parse_number("--max-input-mb", optarg, o->min, o->max, &max_input_mb, err,
                                sizeof(err)))
                return tr_cli_fail(TR_EXIT_USAGE, "replay: %s", err);
            break;
        case TR_OPTION_FORCE:
            force = 1;
            break;
        case TR_OPTION_HELP:
            tr_help_command(stdout, tr_cli_command_of(TR_CMD_REPLAY));
            return TR_EXIT_OK;
        default:
            return tr_cli_fail(TR_EXIT_USAGE, "replay: %s", err);
        }
    }
    int n = argc - optind;
    if (n < 1)
        return tr_cli_fail(TR_EXIT_USAGE,
                           "replay: no run files given (usage: tilerace replay RUN.json "
                           "[RUN2.json ...] [-o FILE])");
    if (n > TR_REPLAY_MAX_RUNS)
        return tr_cli_fail(TR_EXIT_USAGE, "replay: %d run files given (accepted range 1..%d)", n,
                           TR_REPLAY_MAX_RUNS);
    if (!out_path) {
        /* the default name is never chosen over a page that is already there */
        out_path = DEFAULT_PAGE;
        if (!force && lstat(out_path, &st) == 0)
            return tr_cli_fail(TR_EXIT_USAGE,
                               "replay: '%s' exists in the current folder (accepted: --force to "
                               "replace it, or -o FILE)",
                               out_path);
    }
    int to_stdout = strcmp(out_path, "-") == 0;

    /* Every input is read and checked before the output is opened. */
    if (!(runs = cJSON_CreateArray()))
        return tr_cli_fail(TR_EXIT_FAILURE, "replay: out of memory");
    for (int i = optind; i < argc; i++) {
        cJSON *doc = NULL;
        rc = tr_replay_read_run(argv[i], (size_t)max_input_mb << 20, &doc, err, sizeof(err));
        if (rc) {
            cJSON_Delete(runs);
            return tr_cli_fail(rc, "replay: %s", err);
        }
        cJSON_AddItemToArray(runs, doc);
    }

    tr_atomic_file_install_signal_cleanup();
    if (tr_atomic_file_open(&out, out_path, err, sizeof(err)) != 0) {
        cJSON_Delete(runs);
        return tr_cli_fail(TR_EXIT_IO, "replay: -o: %s", err);
    }
    if ((rc = tr_replay_page_write(out.f, runs, NULL)) != 0) {
        tr_atomic_file_abort(&out);
        cJSON_Delete(runs);
        if (rc == TR_EXIT_IO && to_stdout)
            return tr_cli_fail(rc, "replay: %s", tr_stdout_failure(err, sizeof(err), errno));
        if (rc == TR_EXIT_IO)
            return tr_cli_fail(rc, "replay: -o: %s cannot be written",
                               tr_text_quote(q, sizeof(q), out_path, TR_ECHO_PATH_CHARS));
        return tr_cli_fail(rc, "replay: out of memory writing the page");
    }
    cJSON_Delete(runs);
    if (tr_atomic_file_commit(&out, err, sizeof(err)) != 0)
        return tr_cli_fail(TR_EXIT_IO, "replay: %s%s", to_stdout ? "" : "-o: ", err);
    return TR_EXIT_OK;
}
