/*
 * Run files for `tilerace replay`: a run document (with or without --record-pixels) or the
 * NDJSON of --stream (tile lines, then the document). Each becomes one document whose records
 * carry "data" wherever the input had the tile's counts. Checked so that the page
 * (web/replay.html) accepts every run that passes: its own rules (params ranges, task_id
 * within the grid, thread_id 0..65535) and the shapes it draws from (record fields, data
 * lengths and ranges, the summary's numbers). The text must be UTF-8.
 */
#ifndef TILERACE_REPLAY_INPUT_H
#define TILERACE_REPLAY_INPUT_H

#include <stddef.h>

#include "core/status.h"

struct cJSON;

/*
 * Parses text (len bytes). Returns 0 with *doc set (free with cJSON_Delete), or
 * TR_ERR_USAGE (not a run: the reason in err, with the line and column of a JSON syntax
 * error or of a byte that is not UTF-8) or TR_ERR_INTERNAL (out of memory). The first call
 * routes cJSON's allocations through a counter (cJSON_InitHooks), so make it while no other
 * thread uses cJSON.
 */
enum tr_status tr_replay_parse_run(const char *text, size_t len, struct cJSON **doc, char *err,
                                   size_t errlen);

/*
 * Reads and parses one file of at most max_bytes; also TR_ERR_IO when it cannot be read or
 * is not a regular file (a FIFO is refused, never waited on), TR_ERR_USAGE when it is larger.
 * err names the path.
 */
enum tr_status tr_replay_read_run(const char *path, size_t max_bytes, struct cJSON **doc, char *err,
                                  size_t errlen);

/*
 * The allocator behind the parse's JSON trees (NULL: malloc); tests pass one that fails, to
 * check that exhausted memory is reported as such rather than as bad JSON.
 */
void tr_replay_input_set_malloc(void *(*alloc)(size_t size));

#endif
