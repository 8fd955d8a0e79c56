/* The OpenCL API version we target, and error names for messages. */
#ifndef TILERACE_CL_COMMON_H
#define TILERACE_CL_COMMON_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

/* "CL_OUT_OF_RESOURCES" for -5; "CL_ERROR_<n>" for codes we don't know. */
const char *tr_cl_error_name(cl_int err);

#endif
