#include "cli_replay.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "atomic_file.h"
#include "exit_codes.h"
#include "replay_input.h"
#include "replay_page.h"
#include "usage.h"

static int fail(int code, const char *msg)
{
    fprintf(stderr, "tilerace: replay: %s\n", msg);
    return code;
}

int tr_cli_replay(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL;
    char err[512], msg[700];
    struct tr_atomic_file out;
    cJSON *runs = NULL;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            tr_usage(stdout);
            return TR_EXIT_OK;
        case ':':
            snprintf(msg, sizeof(msg), "%.60s: a value is missing (see tilerace --help)",
                     argv[optind - 1]);
            return fail(TR_EXIT_USAGE, msg);
        default:
            snprintf(msg, sizeof(msg), "unknown option '%.60s' (see tilerace --help)",
                     optopt > 0 && optopt < 128 ? (char[3]){'-', (char)optopt, '\0'}
                                                : argv[optind - 1]);
            return fail(TR_EXIT_USAGE, msg);
        }
    }
    int n = argc - optind;
    if (n < 1)
        return fail(TR_EXIT_USAGE, "no run files given (usage: tilerace replay RUN.json "
                                   "[RUN2.json ...] -o replay.html)");
    if (n > TR_REPLAY_MAX_RUNS) {
        snprintf(msg, sizeof(msg), "%d run files given (accepted range 1..%d)", n,
                 TR_REPLAY_MAX_RUNS);
        return fail(TR_EXIT_USAGE, msg);
    }
    if (!out_path)
        return fail(TR_EXIT_USAGE, "-o FILE is missing: where the page goes (- for stdout)");

    /* Every input is read and checked before the output is opened. */
    if (!(runs = cJSON_CreateArray()))
        return fail(TR_EXIT_FAILURE, "out of memory");
    for (int i = optind; i < argc; i++) {
        cJSON *doc = NULL;
        rc = tr_replay_read_run(argv[i], &doc, err, sizeof(err));
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
        return fail(TR_EXIT_IO, msg);
    }
    if (tr_replay_page_write(out.f, runs, NULL) != 0) {
        tr_atomic_file_abort(&out);
        cJSON_Delete(runs);
        snprintf(msg, sizeof(msg), "-o: '%s' cannot be written", out_path);
        return fail(TR_EXIT_IO, msg);
    }
    cJSON_Delete(runs);
    if (tr_atomic_file_commit(&out, err, sizeof(err)) != 0) {
        snprintf(msg, sizeof(msg), "-o: %s", err);
        return fail(TR_EXIT_IO, msg);
    }
    return TR_EXIT_OK;
}
