/*
 * --format summary: a short table for people (device, kernel, frame, tiles, time, rate,
 * checksum) and, when the time limit cut the run short, a sentence that says so and how to
 * lift the limit.
 */
#ifndef TILERACE_SUMMARY_TEXT_H
#define TILERACE_SUMMARY_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "core/job.h"
#include "output/process_time.h"

/* A time for people: "12.3 ms" below a second, "4.56 s" from one. Returns buf. */
const char *tr_duration_text(char *buf, size_t len, double seconds);

/*
 * Writes the summary of job. process: what the whole process cost (NULL or negative fields:
 * that line is left out). json_hint: end with a line on how to get the JSON document instead
 * (for the summary shown by default on a terminal). Returns 0, or -1 when writing failed.
 */
int tr_summary_text_write(FILE *f, const struct tr_job *job, const struct tr_process_time *process,
                          int json_hint);

/*
 * For a run the time limit (or a cancel) cut short: one line, without a newline, saying how
 * many tiles of how many were rendered and how to lift the limit; returns 1. For a complete
 * run: returns 0 and leaves buf empty.
 */
int tr_summary_cut_short_note(const struct tr_job *job, char *buf, size_t len);

#endif
