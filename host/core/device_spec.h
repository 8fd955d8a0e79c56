/* The --device syntax: cpu | opencl | gpu | pocl | opencl:P.D */
#ifndef TILERACE_DEVICE_SPEC_H
#define TILERACE_DEVICE_SPEC_H

#include <stddef.h>

enum tr_device_kind {
    TR_DEVICE_CPU,    /* the pthread path */
    TR_DEVICE_OPENCL, /* first GPU, else first OpenCL device */
    TR_DEVICE_GPU,    /* first GPU */
    TR_DEVICE_POCL,   /* first CPU device of the pocl platform */
    TR_DEVICE_INDEX,  /* opencl:P.D */
};

struct tr_device_spec {
    enum tr_device_kind kind;
    unsigned platform, device; /* for TR_DEVICE_INDEX */
};

/* Returns 0, or -1 with a message (without the option name) in err. */
int tr_device_spec_parse(const char *text, struct tr_device_spec *spec, char *err, size_t errlen);

#endif
