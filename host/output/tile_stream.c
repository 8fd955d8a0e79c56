#include "output/tile_stream.h"

#include <errno.h>

void tr_tile_stream_init(struct tr_tile_stream *s, FILE *f, uint32_t frame_width,
                         atomic_int *cancel)
{
    s->f = f;
    s->frame_width = frame_width;
    s->cancel = cancel;
    s->failed = 0;
    s->error = 0;
}

void tr_tile_stream_write(struct tr_tile_stream *s, const struct tr_record *r,
                          const uint16_t *frame)
{
    if (!s->failed && (tr_record_write_with_counts(s->f, r, frame, s->frame_width) != 0 ||
                       fputc('\n', s->f) == EOF || fflush(s->f) != 0)) {
        s->failed = 1;
        s->error = ferror(s->f) ? errno : 0;
        if (s->cancel)
            atomic_store(s->cancel, 1);
    }
}

int tr_tile_stream_failed(struct tr_tile_stream *s)
{
    return s->failed;
}

void tr_tile_stream_destroy(struct tr_tile_stream *s)
{
    (void)s;
}
