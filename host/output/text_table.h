/* A table for people: columns padded to their widest cell, two spaces apart. */
#ifndef TILERACE_TEXT_TABLE_H
#define TILERACE_TEXT_TABLE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes rows x cols cells (row-major; row 0 is the header), each row on one line without
 * trailing spaces. right[c] nonzero aligns column c to the right (numbers). Widths count
 * UTF-8 characters, so cells must be one-line text (escape what came from outside).
 * Returns 0, or -1 when writing failed.
 */
int tr_text_table_write(FILE *f, const char *const *cells, size_t rows, size_t cols,
                        const unsigned char *right);

/* The columns text takes on a terminal: its UTF-8 characters. */
size_t tr_text_width(const char *text);

#endif
