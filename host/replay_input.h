/*
 * Run files for `tilerace replay`: a run document (with or without --record-pixels) or the
 * NDJSON of --stream (tile lines, then the document). Each becomes one document whose records
 * carry "data" wherever the input had the tile's counts. Checked enough that the page can
 * trust the shapes: frame and tile sizes, record fields, data lengths and ranges.
 */
#ifndef TILERACE_REPLAY_INPUT_H
#define TILERACE_REPLAY_INPUT_H

#include <stddef.h>

struct cJSON;

/*
 * Parses text (len bytes). Returns 0 with *doc set (free with cJSON_Delete), or
 * TR_EXIT_USAGE (not a run: the reason in err) or TR_EXIT_FAILURE (out of memory).
 */
int tr_replay_parse_run(const char *text, size_t len, struct cJSON **doc, char *err, size_t errlen);

/* Reads and parses one file; also TR_EXIT_IO when it cannot be read. err names the path. */
int tr_replay_read_run(const char *path, struct cJSON **doc, char *err, size_t errlen);

#endif
