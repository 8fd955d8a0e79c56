/* A bench's results, written three ways: a table for people, JSON
 * (docs/tilerace-bench.schema.json) and CSV, one row per result, for programs. */
#ifndef TILERACE_BENCH_REPORT_H
#define TILERACE_BENCH_REPORT_H

#include <stdio.h>

#include "bench/bench.h"

/* What every figure is, in one paragraph: the table's and the JSON's "measured". */
extern const char tr_bench_measured[];

/* The table. Returns 0, or -1 when f could not be written. */
int tr_bench_write_table(FILE *f, const struct tr_bench_report *rep);
/* One JSON document, compact, and a newline. Returns 0, -1 when f could not be written, or
 * -2 when out of memory. */
int tr_bench_write_json(FILE *f, const struct tr_bench_report *rep, const char *version);
/* A header line, then one line per result (RFC 4180 quoting). Returns 0, or -1. */
int tr_bench_write_csv(FILE *f, const struct tr_bench_report *rep);

#endif
