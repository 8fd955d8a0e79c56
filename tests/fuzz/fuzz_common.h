/* What the fuzz targets share: how a broken property is reported (an abort, so that libFuzzer
 * saves the input as a crash) and the check that every error message is one printable line. */
#ifndef TILERACE_FUZZ_COMMON_H
#define TILERACE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

__attribute__((format(printf, 1, 2), noreturn)) static inline void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz property broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__VA_ARGS__);                                                                \
    } while (0)

/* An error message as it stands in a JSON answer: not empty, ended within its buffer, one line
 * without control bytes. */
static inline void fuzz_check_message(const char *what, const char *err, size_t errlen)
{
    size_t n = strnlen(err, errlen);
    FUZZ_CHECK(n > 0, "%s: an error came without a message", what);
    FUZZ_CHECK(n < errlen, "%s: the message is not NUL-terminated", what);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f,
                   "%s: the message holds byte 0x%02x at %zu (one printable line expected): %s",
                   what, (unsigned char)err[i], i, err);
}

/* An error message of a command, as it prints it (tr_text_print_line): not empty, and one line
 * of UTF-8 without control characters, whatever the message echoes. */
static inline void fuzz_check_printed(const char *what, const char *err, size_t errlen)
{
    char *line = NULL;
    size_t len = 0, n = strnlen(err, errlen);
    FUZZ_CHECK(n > 0, "%s: an error came without a message", what);
    FUZZ_CHECK(n < errlen, "%s: the message is not NUL-terminated", what);
    FILE *f = open_memstream(&line, &len);
    FUZZ_CHECK(f != NULL, "open_memstream failed");
    tr_text_print_line(f, "tilerace: ", err);
    FUZZ_CHECK(fclose(f) == 0, "the message could not be written");
    FUZZ_CHECK(len > 0 && line[len - 1] == '\n', "%s: the printed message has no newline", what);
    FUZZ_CHECK(tr_utf8_valid_prefix(line, len) == len, "%s: the printed message is not UTF-8: %s",
               what, line);
    for (size_t i = 0; i + 1 < len; i++) {
        const unsigned char *c = (const unsigned char *)line + i;
        FUZZ_CHECK(c[0] >= 0x20 && c[0] != 0x7f, "%s: the printed message holds byte 0x%02x: %s",
                   what, c[0], line);
        /* C1 controls (U+0080..U+009F), line and paragraph separators (U+2028, U+2029) */
        FUZZ_CHECK(!(c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) &&
                       !(c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9)),
                   "%s: the printed message holds a control or separator character: %s", what,
                   line);
    }
    free(line);
}

#endif
