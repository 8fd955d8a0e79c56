/* What a library function reports: success or the kind of failure. The command line maps a
 * status to a process exit code (cli/exit_codes.h), the server to an HTTP status. */
#ifndef TILERACE_STATUS_H
#define TILERACE_STATUS_H

enum tr_status {
    TR_OK = 0,           /* success, also when the time limit cut the run short */
    TR_ERR_INTERNAL = 1, /* internal failure: out of memory, self-test mismatch */
    TR_ERR_USAGE = 2,    /* bad usage or out-of-range input */
    TR_ERR_DEVICE = 3,   /* device missing or failing (OpenCL errors, kernel build) */
    TR_ERR_IO = 4,       /* a file or stream could not be read or written */
};

#endif
