/*
 * Where JSON text goes wrong, exactly: cJSON says only that parsing failed, and its position
 * can be a character late. Used to report the line and column of a syntax error; it builds
 * nothing, so it needs no memory.
 */
#ifndef TILERACE_JSON_SYNTAX_H
#define TILERACE_JSON_SYNTAX_H

/* Nesting deeper than this is refused, as cJSON does (CJSON_NESTING_LIMIT). */
#define TR_JSON_MAX_DEPTH 1000

/*
 * Checks that [text, end) is one JSON value (RFC 8259) with only whitespace around it.
 * Returns NULL when it is; otherwise the first byte at fault (end when the text stops inside
 * the value) and, in *why, a short reason such as "expected ':'".
 */
const char *tr_json_syntax_error(const char *text, const char *end, const char **why);

#endif
