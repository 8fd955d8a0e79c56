/* The output document: {"success", "data", "params", "message", "summary"}. */
#ifndef TILERACE_OUTPUT_JSON_H
#define TILERACE_OUTPUT_JSON_H

#include <stdio.h>

#include "core/job.h"

struct cJSON;

struct cJSON *tr_json_params(const struct tr_params *p);
struct cJSON *tr_json_summary(const struct tr_job *job);
/* "Concurrent tasks executed successfully" and the like (the Hardware Havoc API's words), or
 * "Completed N/M tiles (time limit reached)". */
void tr_json_message(const struct tr_job *job, char *buf, size_t len);

/*
 * Writes the whole document, one record a line, so that a frame of many tiles never needs
 * the whole tree in memory. Returns 0, or -1 when writing or allocation failed.
 */
int tr_json_write_document(FILE *f, const struct tr_job *job);

enum {
    TR_JSON_ONE_LINE = 1,      /* the whole document on one line, ending in a newline: --stream's
                                * last line and the data of the event stream's complete event */
    TR_JSON_RECORD_COUNTS = 2, /* each record carries its tile's counts as "data" */
};
/* The same with TR_JSON_* flags; tr_json_write_document is flags 0. */
int tr_json_write_document_flags(FILE *f, const struct tr_job *job, unsigned flags);

#endif
