/* Process exit codes, documented in usage() and the README. */
#ifndef TILERACE_EXIT_CODES_H
#define TILERACE_EXIT_CODES_H

enum tr_exit {
    TR_EXIT_OK = 0,      /* success, also when the time limit cut the run short */
    TR_EXIT_FAILURE = 1, /* internal failure: out of memory, self-test mismatch */
    TR_EXIT_USAGE = 2,   /* bad usage or out-of-range input */
    TR_EXIT_DEVICE = 3,  /* device missing or failing (OpenCL errors, kernel build) */
    TR_EXIT_IO = 4,      /* output could not be written */
};

#endif
