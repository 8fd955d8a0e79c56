#include "output/png.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "output/colormap.h"

struct png_error_ctx {
    jmp_buf jmp;
    char msg[160];
};

static void on_png_error(png_structp png, png_const_charp msg)
{
    struct png_error_ctx *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof(e->msg), "%s", msg);
    longjmp(e->jmp, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static int any_missing(const struct tr_image_frame *img)
{
    if (!img->tile_done)
        return 0;
    uint64_t cols = (img->width + img->tile_w - 1) / img->tile_w;
    uint64_t rows = (img->height + img->tile_h - 1) / img->tile_h;
    for (uint64_t i = 0; i < cols * rows; i++)
        if (!img->tile_done[i])
            return 1;
    return 0;
}

/* Fills one row of output pixels. */
static void fill_row(const struct tr_image_frame *img, enum tr_image_format fmt, int alpha,
                     const uint8_t *lut, uint32_t y, uint8_t *row)
{
    const uint16_t *counts = img->counts + (size_t)y * img->width;
    uint32_t cols = (img->width + img->tile_w - 1) / img->tile_w;
    const unsigned char *done =
        img->tile_done ? img->tile_done + (size_t)(y / img->tile_h) * cols : NULL;
    for (uint32_t x = 0; x < img->width; x++) {
        int rendered = !done || done[x / img->tile_w];
        uint32_t c = counts[x];
        if (fmt == TR_IMAGE_GRAY16) {
            uint8_t *px = row + (size_t)x * (alpha ? 4 : 2);
            px[0] = (uint8_t)(c >> 8); /* PNG samples are big-endian */
            px[1] = (uint8_t)c;
            if (alpha)
                px[2] = px[3] = rendered ? 0xff : 0;
        } else if (rendered) {
            memcpy(row + (size_t)x * 3, lut + 3 * (size_t)(c < img->max_iter ? c : img->max_iter),
                   3);
        } else {
            tr_hatch_rgb(x, y, row + (size_t)x * 3);
        }
    }
}

static void write_rows(png_structp png, const struct tr_image_frame *img, enum tr_image_format fmt,
                       int alpha, const uint8_t *lut, uint8_t *row)
{
    for (uint32_t y = 0; y < img->height; y++) {
        fill_row(img, fmt, alpha, lut, y, row);
        png_write_row(png, row);
    }
}

/* Everything between setjmp and the end, in a frame of its own: no local is clobbered. */
static int encode(png_structp png, png_infop info, struct png_error_ctx *ectx, FILE *f,
                  const struct tr_image_frame *img, enum tr_image_format fmt, int alpha,
                  const uint8_t *lut, uint8_t *row, char *err, size_t errlen)
{
    char comment[64];
    png_text text = {
        .compression = PNG_TEXT_COMPRESSION_NONE, .key = (png_charp) "tilerace", .text = comment};
    snprintf(comment, sizeof(comment), "max_iter=%u", img->max_iter);
    if (setjmp(ectx->jmp)) {
        snprintf(err, errlen, "%s", errno ? strerror(errno) : ectx->msg);
        return -1;
    }
    png_init_io(png, f);
    /* Fixed settings: the bytes must not depend on libpng's defaults changing. */
    png_set_compression_level(png, 6);
    png_set_compression_mem_level(png, 8);
    png_set_compression_strategy(png, Z_FILTERED);
    png_set_compression_window_bits(png, 15);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_ALL_FILTERS);
    png_set_IHDR(png, info, img->width, img->height, fmt == TR_IMAGE_COLOR ? 8 : 16,
                 fmt == TR_IMAGE_COLOR ? PNG_COLOR_TYPE_RGB
                 : alpha               ? PNG_COLOR_TYPE_GRAY_ALPHA
                                       : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_set_text(png, info, &text, 1);
    errno = 0;
    png_write_info(png, info);
    write_rows(png, img, fmt, alpha, lut, row);
    png_write_end(png, info);
    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

int tr_png_write(FILE *f, const struct tr_image_frame *img, enum tr_image_format fmt, char *err,
                 size_t errlen)
{
    struct png_error_ctx ectx;
    png_structp png = NULL;
    png_infop info = NULL;
    uint8_t *row = NULL, *lut = NULL;
    int rc = -1;
    int alpha = fmt == TR_IMAGE_GRAY16 && any_missing(img);
    size_t px_bytes = fmt == TR_IMAGE_COLOR ? 3 : alpha ? 4 : 2;

    row = malloc((size_t)img->width * px_bytes);
    lut = fmt == TR_IMAGE_COLOR ? malloc(3 * ((size_t)img->max_iter + 1)) : NULL;
    if (!row || (fmt == TR_IMAGE_COLOR && !lut)) {
        snprintf(err, errlen, "out of memory for a %u-pixel image row", img->width);
        goto cleanup;
    }
    if (lut)
        tr_colormap_table(img->max_iter, lut);
    ectx.msg[0] = '\0';
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ectx, on_png_error, on_png_warning);
    info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        snprintf(err, errlen, "out of memory for the PNG encoder");
        goto cleanup;
    }
    rc = encode(png, info, &ectx, f, img, fmt, alpha, lut, row, err, errlen);
cleanup:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(lut);
    free(row);
    return rc;
}

int tr_png_write_job(FILE *f, const struct tr_job *job, enum tr_image_format fmt, char *err,
                     size_t errlen)
{
    const struct tr_params *p = &job->params;
    if (!job->frame) {
        snprintf(err, errlen, "internal error: an image of a run that kept no frame");
        return -1;
    }
    struct tr_image_frame img = {.counts = job->frame,
                                 .width = p->width,
                                 .height = p->height,
                                 .tile_w = p->tile_w,
                                 .tile_h = p->tile_h,
                                 .max_iter = p->max_iter};
    unsigned char *done = NULL;
    if (!job->run.complete) {
        done = calloc(job->run.tiles_total ? job->run.tiles_total : 1, 1);
        if (!done) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < job->run.n_records; i++)
            done[job->run.records[i].task_id] = 1;
        img.tile_done = done;
    }
    int rc = tr_png_write(f, &img, fmt, err, errlen);
    free(done);
    return rc;
}
