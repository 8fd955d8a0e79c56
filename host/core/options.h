/*
 * Every option of every command, once: its names on the command line and in the HTTP query,
 * its type, accepted range or choices, default, the commands that take it and its help. The
 * option parsers of every command, the HTTP query parser, the help texts and the README's
 * option tables all come from this table. Data only: cli/ prints it, core/params.c and the
 * commands parse with it.
 */
#ifndef TILERACE_OPTIONS_H
#define TILERACE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Limits that more than one option shares (a run parameter and the server's cap on it). */
#define TR_MAX_SIDE          65536        /* width, height, tile_w, tile_h */
#define TR_MAX_ITER          65535        /* counts are uint16 */
#define TR_MAX_TIME_LIMIT_MS 86400000     /* one day */
#define TR_MAX_THREADS       256          /* threads or lanes of one run */
#define TR_MAX_QUEUE_DEPTH   16           /* tiles an OpenCL lane may keep queued on its device */
#define TR_MAX_PIXELS        268435456ULL /* width * height */
#define TR_MAX_TILES         4194304ULL   /* tile grid cells; bounds record memory and JSON size */
#define TR_MAX_ALLOW_ORIGINS 32           /* serve --allow-origin */
#define TR_MAX_ALLOW_HOSTS   32           /* serve --allow-host */
#define TR_MAX_WARM          16           /* serve --warm */
#define TR_MAX_BENCH_RUNS    100          /* bench --runs */

/* The commands that take options; bit c of tr_option.commands is command c. */
enum tr_command_id {
    TR_CMD_RUN,
    TR_CMD_DEVICES,
    TR_CMD_SELFTEST,
    TR_CMD_REPLAY,
    TR_CMD_SERVE,
    TR_CMD_COMPARE,
    TR_CMD_BENCH,
    TR_CMD_COUNT,
};

/* Every option, in the order help texts and tables list them. */
enum tr_option_id {
    /* run parameters that are whole numbers: struct tr_params fields, in JSON order */
    TR_OPTION_WIDTH,
    TR_OPTION_HEIGHT,
    TR_OPTION_TILE_W,
    TR_OPTION_TILE_H,
    TR_OPTION_MAX_ITER,
    TR_OPTION_TIME_LIMIT_MS,
    TR_OPTION_NUM_THREADS,
    TR_OPTION_QUEUE_DEPTH,
    /* the other run parameters */
    TR_OPTION_MODE,
    TR_OPTION_DEVICE,
    TR_OPTION_PRECISION,
    TR_OPTION_KERNEL,
    /* what a run reads and writes */
    TR_OPTION_KERNEL_DIR,
    TR_OPTION_OUT,
    TR_OPTION_FORMAT,
    TR_OPTION_IMAGE,
    TR_OPTION_IMAGE_FORMAT,
    TR_OPTION_STREAM,
    TR_OPTION_RECORD_PIXELS,
    TR_OPTION_QUIET,
    /* replay */
    TR_OPTION_REPLAY_OUT,
    TR_OPTION_MAX_INPUT_MB,
    /* compare */
    TR_OPTION_COMPARE_JSON,
    TR_OPTION_COMPARE_MAX_INPUT_MB,
    TR_OPTION_FORCE,
    /* devices */
    TR_OPTION_JSON,
    TR_OPTION_SELECTORS,
    /* selftest */
    TR_OPTION_SELFTEST_DEVICE,
    TR_OPTION_SELFTEST_JSON,
    TR_OPTION_REQUIRE_OPENCL,
    /* serve */
    TR_OPTION_BIND,
    TR_OPTION_PORT,
    TR_OPTION_ALLOW_ORIGIN,
    TR_OPTION_CAP_PIXELS,
    TR_OPTION_CAP_TILES,
    TR_OPTION_CAP_TILE_PIXELS,
    TR_OPTION_CAP_MAX_ITER,
    TR_OPTION_CAP_TIME_LIMIT_MS,
    TR_OPTION_CAP_NUM_THREADS,
    TR_OPTION_MAX_RENDERS,
    TR_OPTION_MAX_QUEUED,
    TR_OPTION_ALLOW_HOST,
    TR_OPTION_MAX_CONNECTIONS,
    TR_OPTION_REQUEST_TIMEOUT_MS,
    TR_OPTION_SHUTDOWN_TIMEOUT_MS,
    TR_OPTION_LOG_REQUESTS,
    TR_OPTION_WARM,
    /* bench */
    TR_OPTION_BENCH_DEVICE,
    TR_OPTION_BENCH_WORKLOAD,
    TR_OPTION_BENCH_KERNEL,
    TR_OPTION_BENCH_MODE,
    TR_OPTION_BENCH_PRECISION,
    TR_OPTION_BENCH_THREADS,
    TR_OPTION_BENCH_RUNS,
    TR_OPTION_BENCH_WARMUP,
    TR_OPTION_BENCH_QUICK,
    TR_OPTION_BENCH_JSON,
    TR_OPTION_BENCH_CSV,
    /* every command */
    TR_OPTION_HELP,
    TR_OPTION_VERSION,
    TR_OPTION_COUNT,
};

/* The first TR_PARAM_NUMBERS options are the run's whole-number parameters. */
#define TR_PARAM_NUMBERS (TR_OPTION_QUEUE_DEPTH + 1)

/* What an option's value is. */
enum tr_value_type {
    TR_VALUE_NUMBER, /* a whole number in min..max */
    TR_VALUE_CHOICE, /* one of choices[], stored as its index */
    TR_VALUE_DEVICE, /* a device selector; choices[] are its forms */
    TR_VALUE_PATH,   /* a file or folder */
    TR_VALUE_TEXT,   /* an address, origin or name that its command checks */
    TR_VALUE_NONE,   /* a flag: no value */
};

struct tr_option_choice {
    const char *name;
    const char *help; /* NULL: the name says it */
};

struct tr_option {
    const char *name;  /* long name: "tile-w" for --tile-w */
    char short_name;   /* 'o' for -o, or 0 */
    const char *query; /* the HTTP query parameter ("tile_w"), or NULL */
    enum tr_value_type type;
    const char *metavar; /* the value in help texts: "N", "FILE"; NULL for a flag */
    unsigned commands;   /* bit c: command c (enum tr_command_id) takes it */
    /* TR_VALUE_NUMBER: the accepted range and the default; TR_VALUE_CHOICE and
     * TR_VALUE_DEVICE: def is the default's index in choices; TR_VALUE_TEXT: max > 0 is how
     * many values it may be given, and makes it repeatable. TR_VALUE_NUMBER: default_text,
     * when set, says the default where it is not def everywhere. */
    uint64_t min, max, def;
    const struct tr_option_choice *choices; /* ends with a NULL name */
    /* a limit this option shares with others: "width x height" <= span_max */
    const char *span;
    uint64_t span_max;
    const char *accepted;     /* PATH, TEXT: what it accepts, in words */
    const char *default_text; /* PATH, TEXT, FLAG: the default in words; NULL: none */
    const char *help;         /* one line: what it does */
    const char *details;      /* more for --help: lines of at most 52 characters, or NULL */
    int opencl_only;          /* a run on the CPU path refuses it (tr_option_device_check) */
};

extern const struct tr_option tr_options[TR_OPTION_COUNT];

/* Whether command takes option. */
int tr_option_of(const struct tr_option *o, enum tr_command_id command);

/* The option of command named name (the long name without "--"), or NULL. */
const struct tr_option *tr_option_find(enum tr_command_id command, const char *name);

/* The run parameter whose HTTP query name is name, or NULL. */
const struct tr_option *tr_option_by_query(const char *name);

/* Whether o may be given more than once on the command line (a TEXT option with a count):
 * any other option given twice is an error, as a repeated HTTP query parameter is. */
int tr_option_repeatable(const struct tr_option *o);

/* How many choices o has. */
size_t tr_option_choice_count(const struct tr_option *o);

#endif
