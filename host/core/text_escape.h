/*
 * User text (arguments, file names, values read from files or URLs) echoed in messages. A
 * message is always one line: control bytes, DEL, C1 controls, line and paragraph separators,
 * bidirectional overrides and bytes that are not UTF-8 are written as escapes (\n, \t, \r,
 * \xNN, \uNNNN), and text is cut at a character boundary, never inside a UTF-8 sequence.
 */
#ifndef TILERACE_TEXT_ESCAPE_H
#define TILERACE_TEXT_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* How many characters of a value a message echoes before cutting it with "...". */
#define TR_ECHO_CHARS 40
/* How many characters of a file path a message echoes. */
#define TR_ECHO_PATH_CHARS 200
/* Room for tr_text_quote(..., chars): an escape is at most 6 bytes, plus quotes, "..." and NUL. */
#define TR_QUOTE_SIZE(chars) ((chars)*6 + 8)

/*
 * Writes at most max_chars characters of src, escaped, into dst (dstlen bytes, always
 * terminated when dstlen > 0), then "..." when src was cut (by max_chars or by dstlen).
 * Backslashes are doubled so an escape cannot be mistaken for text. Returns dst.
 */
char *tr_text_escape(char *dst, size_t dstlen, const char *src, size_t max_chars);

/* The same between single quotes: 'value' or 'the first max_chars characters...'. */
char *tr_text_quote(char *dst, size_t dstlen, const char *src, size_t max_chars);

/*
 * Writes prefix, msg and one newline to f in one call, with any control byte or non-UTF-8
 * byte left in msg escaped (backslashes are left alone, so text quoted by tr_text_quote
 * passes unchanged): whatever a message holds, it stays one line.
 */
void tr_text_print_line(FILE *f, const char *prefix, const char *msg);

/* The length of the longest prefix of s (len bytes) that is valid UTF-8. */
size_t tr_utf8_valid_prefix(const char *s, size_t len);

/*
 * The length in bytes of the UTF-8 character at s (1..4), or 0 when the bytes at s (at most
 * len) do not start a valid one: overlong forms, surrogates and code points above U+10FFFF
 * are invalid. *cp gets the code point.
 */
size_t tr_utf8_char(const unsigned char *s, size_t len, unsigned *cp);

#endif
