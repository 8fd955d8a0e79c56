#include "output/run_outputs.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "core/status.h"
#include "core/params.h"
#include "core/text_escape.h"
#include "core/tile_grid.h"
#include "output/json_document.h"
#include "output/process_time.h"
#include "output/records_csv.h"
#include "output/summary_text.h"

/* A value or path as messages echo it: quoted, escaped, one line. */
static const char *quote(const char *text, size_t max_chars)
{
    static _Thread_local char quoted[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    return tr_text_quote(quoted, sizeof(quoted), text, max_chars);
}

void tr_run_outputs_init(struct tr_run_outputs *x)
{
    memset(x, 0, sizeof(*x));
    x->image_format = TR_IMAGE_COLOR;
    atomic_init(&x->cancel, 0);
}

int tr_run_outputs_takes(enum tr_option_id id)
{
    return id == TR_OPTION_FORMAT || id == TR_OPTION_IMAGE || id == TR_OPTION_IMAGE_FORMAT ||
           id == TR_OPTION_STREAM || id == TR_OPTION_RECORD_PIXELS || id == TR_OPTION_QUIET;
}

/* Whether path may name a PNG: its last name ends in .png (any case) or has no extension
 * (/dev/null, a FIFO, a folder that the open then refuses). */
static int png_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return 1; /* no extension; a leading dot starts a hidden name */
    return strcasecmp(dot, ".png") == 0;
}

int tr_run_outputs_option(struct tr_run_outputs *x, enum tr_option_id id, const char *arg,
                          char *err, size_t errlen)
{
    int format;
    switch (id) {
    case TR_OPTION_FORMAT:
        if (tr_parse_choice(&tr_options[id], "--format", arg, &format, err, errlen) != 0)
            return TR_ERR_USAGE;
        x->format = (enum tr_run_format)format;
        x->format_given = 1;
        return 0;
    case TR_OPTION_IMAGE:
        if (!arg[0] || strcmp(arg, "-") == 0) {
            snprintf(err, errlen, "--image: %s is not a file path (accepted: a .png path)",
                     quote(arg, TR_ECHO_CHARS));
            return TR_ERR_USAGE;
        }
        if (!png_name(arg)) {
            snprintf(err, errlen,
                     "--image: %s does not end in .png (accepted: a path ending in .png, any "
                     "case, or one without an extension: the image is always PNG)",
                     quote(arg, TR_ECHO_PATH_CHARS));
            return TR_ERR_USAGE;
        }
        x->image_path = arg;
        return 0;
    case TR_OPTION_IMAGE_FORMAT:
        /* the table lists the formats in the order of enum tr_image_format */
        if (tr_parse_choice(&tr_options[id], "--image-format", arg, &format, err, errlen) != 0)
            return TR_ERR_USAGE;
        x->image_format = (enum tr_image_format)format;
        x->image_format_given = 1;
        return 0;
    case TR_OPTION_STREAM:
        x->stream = 1;
        return 0;
    case TR_OPTION_RECORD_PIXELS:
        x->record_pixels = 1;
        return 0;
    case TR_OPTION_QUIET:
        x->quiet = 1;
        return 0;
    default:
        snprintf(err, errlen, "internal error: option --%s", tr_options[id].name);
        return TR_ERR_INTERNAL;
    }
}

int tr_run_outputs_check(const struct tr_run_outputs *x, const char *out_path, char *err,
                         size_t errlen)
{
    /* --stream's lines and --record-pixels' counts are JSON: neither fits a table */
    if (x->format != TR_FORMAT_JSON && (x->stream || x->record_pixels)) {
        snprintf(err, errlen,
                 "--format: '%s' cannot be used with %s, which writes JSON "
                 "(accepted with it: json)",
                 tr_options[TR_OPTION_FORMAT].choices[x->format].name,
                 x->stream ? "--stream" : "--record-pixels");
        return TR_ERR_USAGE;
    }
    if (x->image_format_given && !x->image_path) {
        snprintf(err, errlen, "--image-format: needs --image FILE (see tilerace --help)");
        return TR_ERR_USAGE;
    }
    if (x->image_path && tr_atomic_file_same_target(x->image_path, out_path)) {
        /* one would overwrite the other */
        if (strcmp(out_path, "-") == 0)
            snprintf(err, errlen,
                     "--image: '%.200s' is the same file as --out - (standard output) (accepted: "
                     "two different files)",
                     x->image_path);
        else
            snprintf(err, errlen,
                     "--image: '%.200s' is the same file as --out '%.200s' (accepted: two "
                     "different files)",
                     x->image_path, out_path);
        return TR_ERR_USAGE;
    }
    return 0;
}

static void out_failed(const struct tr_run_outputs *x, int errnum, char *err, size_t errlen)
{
    const char *why = errnum ? strerror(errnum) : NULL;
    if (x->out.to_stdout || strcmp(x->out_path, "-") == 0)
        tr_stdout_failure(err, errlen, errnum);
    else
        snprintf(err, errlen, "--out: %s cannot be written%s%s",
                 quote(x->out_path, TR_ECHO_PATH_CHARS), why ? ": " : "", why ? why : "");
}

/* In the run's output thread: the lanes only queue the tile. */
static void on_tile(void *user, const struct tr_record *rec, const uint16_t *frame)
{
    struct tr_run_outputs *x = user;
    if (x->stream_open)
        tr_tile_stream_write(&x->tiles, rec, frame);
    /* The device's name was set before the lanes started, so reading it here is safe. */
    tr_progress_tile_done(x->progress, x->job->device.name);
}

int tr_run_outputs_begin(struct tr_run_outputs *x, const struct tr_params *p, const char *out_path,
                         const struct tr_job *job, struct tr_job_options *jo, char *err,
                         size_t errlen)
{
    char why[400];
    x->out_path = out_path;
    x->job = job;
    /* A person at a terminal who asked for nothing in particular gets the summary. */
    if (!x->format_given && !x->out_given && !x->stream && !x->record_pixels &&
        strcmp(out_path, "-") == 0 && isatty(STDOUT_FILENO)) {
        x->format = TR_FORMAT_SUMMARY;
        x->json_hint = 1;
    }
    if (tr_atomic_file_open(&x->out, out_path, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "--out: %s", why);
        return TR_ERR_IO;
    }
    x->out_open = 1;
    if (x->image_path) {
        if (tr_atomic_file_open(&x->image, x->image_path, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "--image: %s", why);
            return TR_ERR_IO;
        }
        x->image_open = 1;
    }
    if (x->stream) {
        tr_tile_stream_init(&x->tiles, x->out.f, p->width, &x->cancel);
        x->stream_open = 1;
    }
    if (!x->quiet) {
        struct tr_tile_grid g;
        tr_tile_grid_init(&g, p->width, p->height, p->tile_w, p->tile_h);
        x->progress = tr_progress_start(stderr, g.tiles, p->device);
    }
    if (x->stream_open || x->progress) {
        jo->hooks.on_tile = on_tile;
        jo->hooks.user = x;
        jo->hooks.want_counts = x->stream_open;
        jo->hooks.cancel = &x->cancel;
    }
    return 0;
}

static int write_document(struct tr_run_outputs *x, FILE *f)
{
    struct tr_process_time process;
    switch (x->format) {
    case TR_FORMAT_SUMMARY:
        tr_process_time_now(&process);
        return tr_summary_text_write(f, x->job, &process, x->json_hint);
    case TR_FORMAT_CSV:
        return tr_records_csv_write(f, x->job);
    case TR_FORMAT_JSON:
        break;
    }
    unsigned flags =
        (x->stream ? TR_JSON_ONE_LINE : 0) | (x->record_pixels ? TR_JSON_RECORD_COUNTS : 0);
    return tr_json_write_document_flags(f, x->job, flags);
}

int tr_run_outputs_finish(struct tr_run_outputs *x, char *err, size_t errlen)
{
    char why[400];
    tr_progress_stop(x->progress);
    x->progress = NULL;
    if (x->stream_open && tr_tile_stream_failed(&x->tiles)) {
        out_failed(x, x->tiles.error, err, errlen);
        return TR_ERR_IO;
    }
    if (x->image_open &&
        tr_png_write_job(x->image.f, x->job, x->image_format, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "--image: %s cannot be written: %s",
                 quote(x->image_path, TR_ECHO_PATH_CHARS), why);
        return TR_ERR_IO;
    }
    int doc_to_stdout = x->out.to_stdout;
    if (!doc_to_stdout && write_document(x, x->out.f) != 0) {
        out_failed(x, errno, err, errlen);
        return TR_ERR_IO;
    }
    /* Every file is complete; put them in place together. */
    struct tr_atomic_file *files[2];
    const char *labels[2];
    size_t n = 0, failed = 0;
    if (!doc_to_stdout) {
        files[n] = &x->out;
        labels[n++] = "--out";
    }
    if (x->image_open) {
        files[n] = &x->image;
        labels[n++] = "--image";
    }
    if (tr_atomic_files_place(files, n, &failed, why, sizeof(why)) != 0) {
        x->out_open = doc_to_stdout;
        x->image_open = 0;
        snprintf(err, errlen, "%s: %s", labels[failed], why);
        return TR_ERR_IO;
    }
    /* stdout last: nothing reaches it unless every file is in place */
    if (doc_to_stdout) {
        int failed_write = write_document(x, stdout) != 0;
        int saved = failed_write ? errno : 0;
        if (!failed_write && fflush(stdout) != 0) {
            failed_write = 1;
            saved = errno;
        }
        if (failed_write || ferror(stdout)) {
            tr_atomic_files_undo(files, n);
            x->out_open = x->image_open = 0;
            out_failed(x, saved, err, errlen);
            return TR_ERR_IO;
        }
    }
    tr_atomic_files_keep(files, n);
    x->out_open = x->image_open = 0;
    /* A run cut short exits 0 like a complete one: tell the person watching. */
    char note[200];
    if (!x->quiet && tr_summary_cut_short_note(x->job, note, sizeof(note)) && isatty(STDERR_FILENO))
        fprintf(stderr, "tilerace: %s\n", note);
    return 0;
}

void tr_run_outputs_close(struct tr_run_outputs *x)
{
    tr_progress_stop(x->progress);
    x->progress = NULL;
    if (x->stream_open)
        tr_tile_stream_destroy(&x->tiles);
    x->stream_open = 0;
    if (x->image_open)
        tr_atomic_file_abort(&x->image);
    x->image_open = 0;
    if (x->out_open)
        tr_atomic_file_abort(&x->out);
    x->out_open = 0;
}
