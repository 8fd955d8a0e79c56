/*
 * --image: the frame as a PNG file. Bytes depend only on the counts and on which tiles were
 * rendered (no time stamps, fixed compression settings), so identical runs on different
 * devices give identical files.
 *   color:  8-bit RGB through the colour map (colormap.h); unrendered tiles hatched.
 *   gray16: the raw counts as 16-bit grayscale. When the time limit left tiles unrendered,
 *           16-bit gray+alpha instead: alpha 0 on unrendered pixels, 65535 elsewhere.
 */
#ifndef TILERACE_IMAGE_PNG_H
#define TILERACE_IMAGE_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/job.h"

/* In the order of --image-format's choices in the option table (core/options.c). */
enum tr_image_format { TR_IMAGE_COLOR, TR_IMAGE_GRAY16 };

struct tr_image_frame {
    const uint16_t *counts; /* width * height, row-major */
    uint32_t width, height, tile_w, tile_h, max_iter;
    const unsigned char *tile_done; /* by task_id, nonzero = rendered; NULL = every tile */
};

/* Returns 0, or -1 with a message in err (write error, out of memory). */
int tr_png_write(FILE *f, const struct tr_image_frame *img, enum tr_image_format fmt, char *err,
                 size_t errlen);

/* The frame of a finished job; its records say which tiles were rendered. */
int tr_png_write_job(FILE *f, const struct tr_job *job, enum tr_image_format fmt, char *err,
                     size_t errlen);

#endif
