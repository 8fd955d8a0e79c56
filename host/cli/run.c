#include "cli/run.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/usage.h"
#include "cli/exit_codes.h"
#include "core/device_spec.h"
#include "core/text_escape.h"
#include "devices/job.h"
#include "output/json_document.h"
#include "output/run_outputs.h"

/* Where run's errors point: the overview lists run's options too. */
#define RUN_HELP "tilerace --help"

int tr_cli_run_parse(int argc, char **argv, struct tr_run_options *o, char *err, size_t errlen)
{
    struct tr_cli_parser ps;
    char label[48];
    int id, rc = 0;

    tr_params_defaults(&o->params);
    o->params.num_threads = tr_params_usable_cpus(); /* the HTTP API keeps the table's 4 */
    o->out = tr_options[TR_OPTION_OUT].default_text;
    o->kernel_dir = NULL;
    tr_run_outputs_init(&o->extras);
    tr_cli_parser_init(&ps, TR_CMD_RUN, 0, RUN_HELP, argc, argv);
    while ((id = tr_cli_next_option(&ps, err, errlen)) != TR_CLI_END) {
        if (id == TR_CLI_ERROR)
            return TR_EXIT_USAGE;
        snprintf(label, sizeof(label), "--%s", tr_options[id].name);
        if (id <= TR_OPTION_KERNEL) {
            rc = tr_params_set(&o->params, (enum tr_option_id)id, label, optarg, err, errlen);
        } else if (tr_run_outputs_takes((enum tr_option_id)id)) {
            rc = tr_run_outputs_option(&o->extras, (enum tr_option_id)id, optarg, err, errlen);
        } else {
            switch (id) {
            case TR_OPTION_KERNEL_DIR:
                o->kernel_dir = optarg;
                break;
            case TR_OPTION_OUT:
                o->out = optarg;
                o->extras.out_given = 1;
                if (!optarg[0]) {
                    snprintf(err, errlen,
                             "--out: '' is not a file path (accepted: a file path, or - for "
                             "stdout)");
                    rc = TR_EXIT_USAGE;
                }
                break;
            case TR_OPTION_HELP:
                return TR_CLI_RUN_HELP;
            case TR_OPTION_VERSION:
                return TR_CLI_RUN_VERSION;
            default:
                snprintf(err, errlen, "internal error: %s is not handled", label);
                return TR_EXIT_FAILURE;
            }
        }
        if (rc)
            return rc;
    }
    if ((rc = tr_cli_no_operands(&ps, err, errlen)) != 0)
        return rc;
    if ((rc = tr_params_check(&o->params, err, errlen)) != 0 ||
        (rc = tr_run_outputs_check(&o->extras, o->out, err, errlen)) != 0)
        return rc;
    /* an option every device of the run would ignore is a mistake */
    uint64_t given = 0;
    for (int i = 0; i < TR_OPTION_COUNT; i++)
        given |= (uint64_t)(ps.given[i] != 0) << i;
    if (tr_params_check_ignored(&o->params, given, 0, err, errlen) != 0)
        return TR_EXIT_USAGE;
    return TR_CLI_RUN_GO;
}

/* The run itself; help_of: what --help prints (NULL: the overview). */
static int run(int argc, char **argv, const struct tr_cli_command *help_of)
{
    struct tr_run_options o;
    struct tr_job job;
    struct tr_job_options jo;
    char err[512];
    int rc = tr_cli_run_parse(argc, argv, &o, err, sizeof(err));
    if (rc == TR_CLI_RUN_HELP || rc == TR_CLI_RUN_VERSION) {
        if (rc == TR_CLI_RUN_VERSION)
            tr_version(stdout);
        else if (help_of)
            tr_help_command(stdout, help_of);
        else
            tr_help_overview(stdout);
        /* 0, or 4 when the text could not be written */
        int flush_failed = fflush(stdout) != 0, flush_errno = flush_failed ? errno : 0;
        if (flush_failed || ferror(stdout)) {
            char why[200];
            return tr_cli_fail(TR_EXIT_IO, "%s", tr_stdout_failure(why, sizeof(why), flush_errno));
        }
        return TR_EXIT_OK;
    }
    if (rc != TR_CLI_RUN_GO)
        return tr_cli_fail(rc, "%s", err);
    /* Every output is opened first: an unwritable path fails before minutes of rendering. */
    tr_atomic_file_install_signal_cleanup();
    memset(&jo, 0, sizeof(jo));
    memset(&job, 0, sizeof(job));
    jo.kernel_dir = o.kernel_dir;
    jo.hooks.pin_lanes = 1; /* one run per process: spread the lanes over the CPUs at once */
    rc = tr_run_outputs_begin(&o.extras, &o.params, o.out, &job, &jo, err, sizeof(err));
    if (rc == 0)
        rc = tr_job_run(&o.params, &jo, &job, err, sizeof(err));
    if (rc == 0)
        rc = tr_run_outputs_finish(&o.extras, err, sizeof(err));
    tr_run_outputs_close(&o.extras);
    tr_job_free(&job);
    return rc ? tr_cli_fail(rc, "%s", err) : TR_EXIT_OK;
}

int tr_cli_run(int argc, char **argv)
{
    return run(argc, argv, tr_cli_command_of(TR_CMD_RUN));
}

int tr_cli_run_default(int argc, char **argv)
{
    return run(argc, argv, NULL);
}
