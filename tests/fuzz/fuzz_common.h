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

/* An error message: not empty, ended within its buffer, one line without control bytes (it
 * goes to stderr or into a JSON answer after the program's prefix). */
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

#endif
