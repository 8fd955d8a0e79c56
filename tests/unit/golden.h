/* Reads the reference frames: golden.tsv ($TILERACE_GOLDEN) and golden_float.tsv
 * ($TILERACE_GOLDEN_FLOAT). */
#ifndef TILERACE_TEST_GOLDEN_H
#define TILERACE_TEST_GOLDEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct golden_row {
    uint32_t width, height, max_iter;
    uint64_t fnv1a64, total_iterations;
};

/* Reads the table at path; returns the number of rows read (at most max), or -1. */
static inline int golden_load_path(const char *path, struct golden_row *rows, int max)
{
    char line[256];
    int n = 0;
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        fprintf(stderr, "cannot open golden file '%s'\n", path ? path : "(unset)");
        return -1;
    }
    while (n < max && fgets(line, sizeof(line), f)) {
        struct golden_row r;
        unsigned long long h, t;
        if (sscanf(line, "%u\t%u\t%u\t%llx\t%llu", &r.width, &r.height, &r.max_iter, &h, &t) != 5)
            continue; /* the header */
        r.fnv1a64 = h;
        r.total_iterations = t;
        rows[n++] = r;
    }
    fclose(f);
    return n;
}

/* The double frames ($TILERACE_GOLDEN). */
static inline int golden_load(struct golden_row *rows, int max)
{
    return golden_load_path(getenv("TILERACE_GOLDEN"), rows, max);
}

#endif
