/*
 * The progress bar on stderr: tiles done / total, elapsed, rate and device, redrawn by a
 * thread of its own every 100 ms. It appears only on a terminal and only once a run has taken
 * longer than half a second, so quick runs and redirected output never see it.
 */
#ifndef TILERACE_PROGRESS_H
#define TILERACE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct tr_progress;

/* Returns NULL (and draws nothing) when tty is not a terminal or the thread cannot start. */
struct tr_progress *tr_progress_start(FILE *tty, uint64_t tiles_total, const char *device);
/* From any thread: one more tile done. device_name, if not NULL, replaces the label once. */
void tr_progress_tile_done(struct tr_progress *pg, const char *device_name);
/* Stops the thread; when the bar was shown, draws it a last time and ends its line. */
void tr_progress_stop(struct tr_progress *pg);

#endif
