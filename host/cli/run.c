#include "cli/run.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/exit_codes.h"
#include "cli/usage.h"
#include "core/text_escape.h"
#include "devices/job.h"
#include "output/json_document.h"
#include "output/run_outputs.h"

enum {
    OPT_NUMBER = 1000, /* + index into tr_num_params */
    OPT_MODE = 2000,
    OPT_DEVICE,
    OPT_PRECISION,
    OPT_KERNEL,
    OPT_KERNEL_DIR,
};

/* Prints msg and returns the exit code for status. */
static int fail(enum tr_status status, const char *msg)
{
    tr_text_print_line(stderr, "tilerace: ", msg);
    return tr_exit_code(status);
}

/* After --help or --version: 0, or 4 when the text could not be written. */
static int stdout_status(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return fail(TR_ERR_IO, "standard output cannot be written");
    return TR_EXIT_OK;
}

int tr_cli_run_parse(int argc, char **argv, struct tr_run_options *o, char *err, size_t errlen)
{
    static const struct option fixed[] = {
        {"mode", required_argument, NULL, OPT_MODE},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"kernel-dir", required_argument, NULL, OPT_KERNEL_DIR},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        TR_RUN_OUTPUT_OPTIONS,
    };
    struct option longopts[sizeof(fixed) / sizeof(fixed[0]) + 16];
    size_t n = 0;
    char q[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    for (size_t i = 0; i < tr_num_params_count; i++)
        longopts[n++] = (struct option){tr_num_params[i].cli_name, required_argument, NULL,
                                        OPT_NUMBER + (int)i};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        longopts[n++] = fixed[i];
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    tr_params_defaults(&o->params);
    o->out = "-";
    o->kernel_dir = NULL;
    tr_run_outputs_init(&o->extras);
    opterr = 0;
    optind = 0; /* 0, not 1: glibc and musl then reset getopt fully, so this may run again */
    int c, rc = 0;
    while ((c = getopt_long(argc, argv, "+:ho:V", longopts, NULL)) != -1) {
        char label[48];
        if (c >= TR_OPT_IMAGE && c < TR_OPT_RUN_OUTPUTS_END) {
            rc = tr_run_outputs_option(&o->extras, c, optarg, err, errlen);
        } else if (c >= OPT_NUMBER && c < OPT_NUMBER + (int)tr_num_params_count) {
            snprintf(label, sizeof(label), "--%s", tr_num_params[c - OPT_NUMBER].cli_name);
            rc = tr_params_set_number(&o->params, &tr_num_params[c - OPT_NUMBER], label, optarg,
                                      err, errlen);
        } else {
            switch (c) {
            case OPT_MODE:
                rc = tr_params_set_mode(&o->params, "--mode", optarg, err, errlen);
                break;
            case OPT_DEVICE:
                rc = tr_params_set_device(&o->params, "--device", optarg, err, errlen);
                break;
            case OPT_PRECISION:
                rc = tr_params_set_precision(&o->params, "--precision", optarg, err, errlen);
                break;
            case OPT_KERNEL:
                rc = tr_params_set_kernel(&o->params, "--kernel", optarg, err, errlen);
                break;
            case OPT_KERNEL_DIR:
                o->kernel_dir = optarg;
                break;
            case 'o':
                o->out = optarg;
                if (!optarg[0]) {
                    snprintf(err, errlen,
                             "--out: '' is not a file path (accepted: a file path, or - for "
                             "stdout)");
                    rc = TR_ERR_USAGE;
                }
                break;
            case 'h':
                return TR_CLI_RUN_HELP;
            case 'V':
                return TR_CLI_RUN_VERSION;
            case ':':
                snprintf(err, errlen, "%s: a value is missing (see tilerace --help)",
                         tr_usage_refused_option(q, sizeof(q), argc, argv));
                rc = TR_ERR_USAGE;
                break;
            default:
                snprintf(err, errlen, "unknown option '%s' (see tilerace --help)",
                         tr_usage_refused_option(q, sizeof(q), argc, argv));
                rc = TR_ERR_USAGE;
                break;
            }
        }
        if (rc)
            return rc;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument %s (see tilerace --help)",
                 tr_text_quote(q, sizeof(q), argv[optind], TR_ECHO_CHARS));
        return TR_ERR_USAGE;
    }
    if ((rc = tr_params_check(&o->params, err, errlen)) != 0 ||
        (rc = tr_run_outputs_check(&o->extras, o->out, err, errlen)) != 0)
        return rc;
    if (o->kernel_dir && strcmp(o->params.device, "cpu") == 0) {
        snprintf(err, errlen,
                 "--kernel-dir: %s holds OpenCL kernels, and --device cpu runs none "
                 "(accepted with --device opencl, gpu, pocl or opencl:P.D)",
                 tr_text_quote(q, sizeof(q), o->kernel_dir, TR_ECHO_PATH_CHARS));
        return TR_ERR_USAGE;
    }
    return TR_CLI_RUN_GO;
}

int tr_cli_run(int argc, char **argv)
{
    struct tr_run_options o;
    struct tr_job job;
    struct tr_job_options jo;
    char err[512];
    int rc = tr_cli_run_parse(argc, argv, &o, err, sizeof(err));
    if (rc == TR_CLI_RUN_HELP || rc == TR_CLI_RUN_VERSION) {
        if (rc == TR_CLI_RUN_HELP)
            tr_usage(stdout);
        else
            tr_version(stdout);
        return stdout_status();
    }
    if (rc != TR_CLI_RUN_GO)
        return fail(rc, err);

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
    return rc ? fail(rc, err) : TR_EXIT_OK;
}
