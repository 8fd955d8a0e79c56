/*
 * What a run writes besides the plain document: --format, --image, --stream, --record-pixels,
 * the progress bar and the time-limit note on stderr (--quiet). cli_run parses the options through
 * this module and hands it the job's hooks; the HTTP server can use the same pieces.
 */
#ifndef TILERACE_RUN_OUTPUTS_H
#define TILERACE_RUN_OUTPUTS_H

#include <stdatomic.h>
#include <stddef.h>

#include "core/job.h"
#include "core/options.h"
#include "output/atomic_file.h"
#include "output/png.h"
#include "output/progress.h"
#include "output/tile_stream.h"

/* In the order of --format's choices in the option table (core/options.c). */
enum tr_run_format { TR_FORMAT_JSON, TR_FORMAT_SUMMARY, TR_FORMAT_CSV };

struct tr_run_outputs {
    /* options */
    const char *image_path;
    enum tr_image_format image_format;
    int image_format_given, stream, record_pixels, quiet;
    enum tr_run_format format;
    int format_given;
    int out_given; /* --out was given (set by the caller, which parses --out) */
    int json_hint; /* the summary came by default: say how to get the JSON */
    /* during the run */
    const char *out_path;
    const struct tr_job *job;
    struct tr_atomic_file out, image;
    int out_open, image_open, stream_open;
    struct tr_tile_stream tiles;
    struct tr_progress *progress;
    atomic_int cancel;
};

void tr_run_outputs_init(struct tr_run_outputs *x);
/* Whether option id is one of this module's: --format, --image, --image-format, --stream,
 * --record-pixels, --quiet. */
int tr_run_outputs_takes(enum tr_option_id id);
/* One of this module's options; returns 0 or TR_ERR_USAGE with a message in err. */
int tr_run_outputs_option(struct tr_run_outputs *x, enum tr_option_id id, const char *arg,
                          char *err, size_t errlen);
/* After parsing: options that need each other, and --image naming the same file as out_path
 * (the --out value). Returns 0 or TR_ERR_USAGE. */
int tr_run_outputs_check(const struct tr_run_outputs *x, const char *out_path, char *err,
                         size_t errlen);

/*
 * Before the run: picks the summary when no format was asked for and stdout is a terminal,
 * opens the document's output (out_path, "-" for stdout) and the image, so an unwritable
 * path fails before any rendering; sets jo's hooks and starts the progress bar.
 * Returns 0 or an exit code with a message in err.
 */
int tr_run_outputs_begin(struct tr_run_outputs *x, const struct tr_params *p, const char *out_path,
                         const struct tr_job *job, struct tr_job_options *jo, char *err,
                         size_t errlen);
/*
 * After the run: stops the bar, writes the image and the document (in its format) and puts
 * the files in place together; then, when the time limit cut the run short, says so in one
 * line on stderr if it is a terminal (not with --quiet). The document goes to stdout last, once
 * every file is in place; if stdout then fails, the files are put back as they were. Returns 0 or
 * an exit code with a message in err; on failure every output file is as it was before the run.
 */
int tr_run_outputs_finish(struct tr_run_outputs *x, char *err, size_t errlen);
/* Always, last: leaves every file not yet committed as it was, stops the bar. Safe to call
 * twice. */
void tr_run_outputs_close(struct tr_run_outputs *x);

#endif
