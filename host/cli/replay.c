#include "cli/replay.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/exit_codes.h"
#include "cli/usage.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "output/atomic_file.h"
#include "replay/input.h"
#include "replay/page.h"

/* Prints msg and returns the exit code for status. */
static int fail(enum tr_status status, const char *msg)
{
    tr_text_print_line(stderr, "tilerace: replay: ", msg);
    return tr_exit_code(status);
}

enum { OPT_MAX_INPUT_MB = 1000 };

int tr_cli_replay(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"max-input-mb", required_argument, NULL, OPT_MAX_INPUT_MB},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL;
    uint64_t max_input_mb = TR_REPLAY_INPUT_MB_DEFAULT;
    char err[1024], msg[1400], q[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    struct tr_atomic_file out;
    cJSON *runs = NULL;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!optarg[0])
                return fail(TR_ERR_USAGE,
                            "-o: '' is not a file path (accepted: a file path, or - for stdout)");
            out_path = optarg;
            break;
        case OPT_MAX_INPUT_MB:
            if (tr_parse_number("--max-input-mb", optarg, TR_REPLAY_INPUT_MB_MIN,
                                TR_REPLAY_INPUT_MB_MAX, &max_input_mb, err, sizeof(err)))
                return fail(TR_ERR_USAGE, err);
            break;
        case 'h':
            tr_usage(stdout);
            return TR_EXIT_OK;
        case ':':
            snprintf(msg, sizeof(msg), "%s: a value is missing (see tilerace --help)",
                     tr_usage_refused_option(q, sizeof(q), argc, argv));
            return fail(TR_ERR_USAGE, msg);
        default:
            snprintf(msg, sizeof(msg), "unknown option '%s' (see tilerace --help)",
                     tr_usage_refused_option(q, sizeof(q), argc, argv));
            return fail(TR_ERR_USAGE, msg);
        }
    }
    int n = argc - optind;
    if (n < 1)
        return fail(TR_ERR_USAGE, "no run files given (usage: tilerace replay RUN.json "
                                  "[RUN2.json ...] -o replay.html)");
    if (n > TR_REPLAY_MAX_RUNS) {
        snprintf(msg, sizeof(msg), "%d run files given (accepted range 1..%d)", n,
                 TR_REPLAY_MAX_RUNS);
        return fail(TR_ERR_USAGE, msg);
    }
    if (!out_path)
        return fail(TR_ERR_USAGE, "-o FILE is missing: where the page goes (- for stdout)");

    /* Every input is read and checked before the output is opened. */
    if (!(runs = cJSON_CreateArray()))
        return fail(TR_ERR_INTERNAL, "out of memory");
    for (int i = optind; i < argc; i++) {
        cJSON *doc = NULL;
        rc = tr_replay_read_run(argv[i], (size_t)max_input_mb << 20, &doc, err, sizeof(err));
        if (rc) {
            cJSON_Delete(runs);
            return fail(rc, err);
        }
        cJSON_AddItemToArray(runs, doc);
    }

    tr_atomic_file_install_signal_cleanup();
    if (tr_atomic_file_open(&out, out_path, err, sizeof(err)) != 0) {
        cJSON_Delete(runs);
        snprintf(msg, sizeof(msg), "-o: %s", err);
        return fail(TR_ERR_IO, msg);
    }
    if ((rc = tr_replay_page_write(out.f, runs, NULL)) != 0) {
        tr_atomic_file_abort(&out);
        cJSON_Delete(runs);
        if (rc == TR_ERR_IO)
            snprintf(msg, sizeof(msg), "-o: %s cannot be written",
                     tr_text_quote(q, sizeof(q), out_path, TR_ECHO_PATH_CHARS));
        else
            snprintf(msg, sizeof(msg), "out of memory writing the page");
        return fail(rc, msg);
    }
    cJSON_Delete(runs);
    if (tr_atomic_file_commit(&out, err, sizeof(err)) != 0) {
        snprintf(msg, sizeof(msg), "-o: %s", err);
        return fail(TR_ERR_IO, msg);
    }
    return TR_EXIT_OK;
}
