/*
 * The --device syntax: one selector (cpu | opencl | gpu | pocl | opencl:P.D), or a
 * comma-separated list of them, each with an optional lane count SELECTOR@N, or all.
 */
#ifndef TILERACE_DEVICE_SPEC_H
#define TILERACE_DEVICE_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* Devices one run may use together. */
#define TR_MAX_DEVICES 16
/* Room for one selector with its @N, and for a whole list. */
#define TR_SELECTOR_MAXLEN    64
#define TR_DEVICE_LIST_MAXLEN 512

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

struct tr_device_entry {
    struct tr_device_spec spec;
    char text[TR_SELECTOR_MAXLEN]; /* the selector as given, without its @N */
    uint32_t lanes;                /* @N, or 0: the run's num_threads */
};

/*
 * A parsed --device value. all: the value was "all" (or "all@N", lanes in entries[0]), which
 * the device layer expands into the CPU path plus every OpenCL device that can run the
 * precision; count is then 1 and entries[0].text "all".
 */
struct tr_device_list {
    struct tr_device_entry entries[TR_MAX_DEVICES];
    uint32_t count;
    int all;
};

/*
 * Parses a list: entries separated by commas, none empty, at most TR_MAX_DEVICES, each
 * SELECTOR or SELECTOR@N with N in 1..max_lanes, no selector written twice, "all" only alone.
 * Returns 0, or -1 with a one-line message (without the option name) in err.
 */
int tr_device_list_parse(const char *text, uint32_t max_lanes, struct tr_device_list *list,
                         char *err, size_t errlen);

/* The lanes entry i gets: its @N, else num_threads. */
uint32_t tr_device_entry_lanes(const struct tr_device_entry *e, uint32_t num_threads);

/* The lanes of every entry of the list together. */
uint32_t tr_device_list_lanes(const struct tr_device_list *list, uint32_t num_threads);

#endif
