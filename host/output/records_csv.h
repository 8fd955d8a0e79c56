/* --format csv: a header, then one row per record, in the document's order. */
#ifndef TILERACE_RECORDS_CSV_H
#define TILERACE_RECORDS_CSV_H

#include <stdio.h>

#include "core/job.h"

/*
 * Writes the header and a row for each of job's records: comma-separated, each row
 * ending in '\n'. The columns are the JSON record's fields in its order; a field a record
 * lacks (device_time_us on the CPU path) is an empty cell. A run across processes
 * (job->ranks set) adds rank and host after device; host is the one cell that may need
 * quotes, and gets them (RFC 4180) when it does.
 * Returns 0, or -1 when writing failed.
 */
int tr_records_csv_write(FILE *f, const struct tr_job *job);

#endif
