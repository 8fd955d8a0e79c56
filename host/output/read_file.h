/*
 * Whole input files named on the command line (replay's runs, --kernel-dir's kernel), read
 * safely: a FIFO, device, socket or directory is refused without blocking on it or reading
 * it, and a file above a size limit is refused before it fills memory.
 */
#ifndef TILERACE_READ_FILE_H
#define TILERACE_READ_FILE_H

#include <stddef.h>

#include "core/status.h"

/*
 * Reads the regular file at path into *data (NUL-terminated, free() it), *len bytes, at most
 * max_bytes. Returns 0, or with a one-line message in err that names the path:
 *   TR_ERR_IO       it cannot be opened or read, or is not a regular file
 *   TR_ERR_USAGE    it holds more than max_bytes
 *   TR_ERR_INTERNAL  out of memory
 */
enum tr_status tr_read_file(const char *path, size_t max_bytes, char **data, size_t *len, char *err,
                            size_t errlen);

#endif
