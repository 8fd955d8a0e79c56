/*
 * The replay page (web/replay.html, built into the binary): one self-contained HTML file
 * that plays runs back. `tilerace replay` writes it with the runs inside; the HTTP server
 * serves it without runs and with its own form in the page's extra slot, and loads runs
 * through the page's JavaScript API (window.tilerace.load).
 */
#ifndef TILERACE_REPLAY_PAGE_H
#define TILERACE_REPLAY_PAGE_H

#include <stdio.h>

#include "core/status.h"

struct cJSON;

/* The template as built in, NUL-terminated. */
extern const char tr_replay_html[];
extern const size_t tr_replay_html_len;

/*
 * Writes the page. runs: a JSON array of run documents, or NULL for none. extra_html:
 * trusted HTML for the slot under the controls (a form), or NULL. Returns 0, TR_ERR_IO
 * (a write failed) or TR_ERR_INTERNAL (out of memory, or a template without its slots).
 */
enum tr_status tr_replay_page_write(FILE *f, const struct cJSON *runs, const char *extra_html);

/*
 * Writes JSON text so that it can sit inside a <script> element: '<', '>', '&' and the
 * line separators U+2028/U+2029 become \u escapes (valid JSON, and no "</script>" or
 * "<!--" can appear). Returns 0 or -1.
 */
int tr_write_script_safe_json(FILE *f, const char *json);

#endif
