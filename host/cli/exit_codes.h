/* Process exit codes, documented in usage() and the README, and the one place that maps the
 * library's statuses to them. */
#ifndef TILERACE_EXIT_CODES_H
#define TILERACE_EXIT_CODES_H

#include "core/status.h"

enum tr_exit {
    TR_EXIT_OK = 0,      /* success, also when the time limit cut the run short */
    TR_EXIT_FAILURE = 1, /* internal failure: out of memory, self-test mismatch */
    TR_EXIT_USAGE = 2,   /* bad usage or out-of-range input */
    TR_EXIT_DEVICE = 3,  /* device missing or failing (OpenCL errors, kernel build) */
    TR_EXIT_IO = 4,      /* output could not be written */
};

/* The exit code for a status returned by the library. */
static inline int tr_exit_code(enum tr_status status)
{
    switch (status) {
    case TR_OK:
        return TR_EXIT_OK;
    case TR_ERR_USAGE:
        return TR_EXIT_USAGE;
    case TR_ERR_DEVICE:
        return TR_EXIT_DEVICE;
    case TR_ERR_IO:
        return TR_EXIT_IO;
    case TR_ERR_INTERNAL:
        break;
    }
    return TR_EXIT_FAILURE;
}

#endif
