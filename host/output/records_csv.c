#include "output/records_csv.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

/* How a column's cell comes from its struct tr_record field. */
enum cell_kind {
    CELL_U32,               /* uint32_t as it is */
    CELL_U64,               /* uint64_t as it is */
    CELL_NS_AS_MS,          /* int64_t nanoseconds as whole milliseconds, truncated through whole
                             * microseconds as the JSON does */
    CELL_NS_AS_US,          /* int64_t nanoseconds as whole microseconds, truncated */
    CELL_NS_AS_US_OR_EMPTY, /* the same, empty when negative (the field is absent) */
    CELL_TEXT_OR_EMPTY,     /* const char *, empty when NULL; a resolved selector needs no
                             * quoting (no comma, quote or line break) */
    CELL_FLAG,              /* int as true or false */
    CELL_TEXT_QUOTED,       /* const char *, between double quotes (each one doubled) when it
                             * holds a comma, a double quote or a line break (RFC 4180) */
};

struct column {
    const char *name; /* the JSON record's key */
    enum cell_kind kind;
    size_t offset;  /* of the field in struct tr_record */
    int ranks_only; /* a column of runs across processes (job->ranks set) only */
};

#define COLUMN(name, kind, field)                                                                  \
    {                                                                                              \
        name, kind, offsetof(struct tr_record, field), 0                                           \
    }
#define RANKS_COLUMN(name, kind, field)                                                            \
    {                                                                                              \
        name, kind, offsetof(struct tr_record, field), 1                                           \
    }

/* The JSON record's fields in its order (core/task_record.c); a new field is a new line. */
static const struct column columns[] = {
    COLUMN("task_id", CELL_U32, task_id),
    COLUMN("thread_id", CELL_U32, thread_id),
    COLUMN("tile_x", CELL_U32, tile_x),
    COLUMN("tile_y", CELL_U32, tile_y),
    COLUMN("tile_w", CELL_U32, tile_w),
    COLUMN("tile_h", CELL_U32, tile_h),
    COLUMN("start_time_ms", CELL_NS_AS_MS, start_ns),
    COLUMN("duration_ms", CELL_NS_AS_MS, duration_ns),
    COLUMN("pixels_computed", CELL_U64, pixels_computed),
    COLUMN("start_time_us", CELL_NS_AS_US, start_ns),
    COLUMN("duration_us", CELL_NS_AS_US, duration_ns),
    COLUMN("device_time_us", CELL_NS_AS_US_OR_EMPTY, device_time_ns),
    COLUMN("device", CELL_TEXT_OR_EMPTY, device),
    RANKS_COLUMN("rank", CELL_U32, rank),
    RANKS_COLUMN("host", CELL_TEXT_QUOTED, host),
    COLUMN("stolen", CELL_FLAG, stolen),
};
#define COLUMN_COUNT (sizeof(columns) / sizeof(columns[0]))

static int write_quoted(FILE *f, const char *text)
{
    if (!text)
        return 0;
    if (!text[strcspn(text, ",\"\r\n")])
        return fputs(text, f);
    if (fputc('"', f) == EOF)
        return -1;
    for (const char *c = text; *c; c++)
        if ((*c == '"' && fputc('"', f) == EOF) || fputc(*c, f) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

static int write_cell(FILE *f, const struct tr_record *r, const struct column *c)
{
    const char *field = (const char *)r + c->offset;
    int64_t ns;
    switch (c->kind) {
    case CELL_U32:
        return fprintf(f, "%" PRIu32, *(const uint32_t *)(const void *)field);
    case CELL_U64:
        return fprintf(f, "%" PRIu64, *(const uint64_t *)(const void *)field);
    case CELL_NS_AS_MS:
        ns = *(const int64_t *)(const void *)field;
        return fprintf(f, "%" PRId64, ns / 1000 / 1000);
    case CELL_NS_AS_US:
        ns = *(const int64_t *)(const void *)field;
        return fprintf(f, "%" PRId64, ns / 1000);
    case CELL_NS_AS_US_OR_EMPTY:
        ns = *(const int64_t *)(const void *)field;
        return ns < 0 ? 0 : fprintf(f, "%" PRId64, ns / 1000);
    case CELL_TEXT_OR_EMPTY: {
        const char *text = *(const char *const *)(const void *)field;
        return text ? fputs(text, f) : 0;
    }
    case CELL_FLAG:
        return fputs(*(const int *)(const void *)field ? "true" : "false", f);
    case CELL_TEXT_QUOTED:
        return write_quoted(f, *(const char *const *)(const void *)field);
    }
    return -1;
}

int tr_records_csv_write(FILE *f, const struct tr_job *job)
{
    int ranks = job->ranks != NULL;
    for (size_t c = 0; c < COLUMN_COUNT; c++)
        if ((ranks || !columns[c].ranks_only) &&
            fprintf(f, "%s%s", c ? "," : "", columns[c].name) < 0)
            return -1;
    if (fputc('\n', f) == EOF)
        return -1;
    for (size_t i = 0; i < job->run.n_records; i++) {
        for (size_t c = 0; c < COLUMN_COUNT; c++)
            if ((ranks || !columns[c].ranks_only) &&
                ((c && fputc(',', f) == EOF) ||
                 write_cell(f, &job->run.records[i], &columns[c]) < 0))
                return -1;
        if (fputc('\n', f) == EOF)
            return -1;
    }
    return 0;
}
