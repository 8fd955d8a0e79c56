/*
 * --stream: one line of JSON per finished tile (its record plus "data", the tile's counts),
 * written by the run's output thread as tiles finish, never by a lane. Each line is flushed
 * so a reader can draw the frame while it renders.
 */
#ifndef TILERACE_TILE_STREAM_H
#define TILERACE_TILE_STREAM_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "core/task_record.h"

struct tr_tile_stream {
    FILE *f;
    uint32_t frame_width;
    atomic_int *cancel; /* set when a write fails, so the run stops early */
    int failed;
    int error; /* errno of the failed write, or 0 */
};

void tr_tile_stream_init(struct tr_tile_stream *s, FILE *f, uint32_t frame_width,
                         atomic_int *cancel);
/* From one thread at a time (the run's output thread); frame must hold the tile's counts. */
void tr_tile_stream_write(struct tr_tile_stream *s, const struct tr_record *r,
                          const uint16_t *frame);
/* Nonzero when a line could not be written. Call after the run. */
int tr_tile_stream_failed(struct tr_tile_stream *s);
void tr_tile_stream_destroy(struct tr_tile_stream *s);

#endif
