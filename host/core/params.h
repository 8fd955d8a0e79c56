/*
 * The parameters of one run. Their names, ranges and defaults are the option table's
 * (core/options.h), which serves the command line (--tile-w) and the HTTP API (tile_w), so
 * both reject the same values with the same words.
 */
#ifndef TILERACE_PARAMS_H
#define TILERACE_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/device_spec.h"
#include "core/options.h"

#define TR_DEVICE_MAXLEN 64

enum tr_mode { TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC, TR_MODE_STEAL };
enum tr_precision { TR_PRECISION_DOUBLE, TR_PRECISION_FLOAT };
enum tr_kernel { TR_KERNEL_AUTO, TR_KERNEL_SCALAR, TR_KERNEL_VECTOR };

struct tr_params {
    uint32_t width, height, tile_w, tile_h, max_iter, time_limit_ms, num_threads, queue_depth;
    enum tr_mode mode;
    enum tr_precision precision;
    enum tr_kernel kernel;
    char device[TR_DEVICE_LIST_MAXLEN]; /* one selector or a list (core/device_spec.h) */
};

/* The defaults of the option table. */
void tr_params_defaults(struct tr_params *p);

/* The command line's --num-threads default: the CPUs this process may run on (its affinity
 * mask), 1..TR_MAX_THREADS. The option table's default (4) is the HTTP API's. */
uint32_t tr_params_usable_cpus(void);

/*
 * Whether option id means something to a device of kind kind (enum tr_device_kind, as
 * tr_device_spec_parse resolves a selector): 0, or TR_ERR_USAGE with a one-line message
 * naming the option (as the command line or, with http set, as the query names it), the
 * device and the devices it applies to.
 */
int tr_option_device_check(enum tr_option_id id, int kind, int http, char *err, size_t errlen);

/*
 * An option that every device of p->device would ignore is an error: checks each option whose
 * bit is set in given (bit i: tr_options[i]) against the list's devices (all counts as having
 * OpenCL devices). Returns 0 or TR_ERR_USAGE as tr_option_device_check.
 */
int tr_params_check_ignored(const struct tr_params *p, uint64_t given, int http, char *err,
                            size_t errlen);

/* The whole-number parameter of option id (id < TR_PARAM_NUMBERS). */
uint32_t tr_params_number(const struct tr_params *p, enum tr_option_id id);

/*
 * Sets the parameter of a run option (a number, --mode, --device, --precision or --kernel)
 * from text. Returns 0, or TR_ERR_USAGE with a one-line message in err that names label
 * ("--width" or "width"), the value and the accepted range.
 */
int tr_params_set(struct tr_params *p, enum tr_option_id id, const char *label, const char *text,
                  char *err, size_t errlen);

/* The same for each kind of parameter. */
int tr_params_set_number(struct tr_params *p, enum tr_option_id id, const char *label,
                         const char *text, char *err, size_t errlen);
int tr_params_set_mode(struct tr_params *p, const char *label, const char *text, char *err,
                       size_t errlen);
int tr_params_set_precision(struct tr_params *p, const char *label, const char *text, char *err,
                            size_t errlen);
int tr_params_set_kernel(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen);
int tr_params_set_device(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen);

/* Checks that span fields: pixel and tile counts, the lanes of a device list. */
int tr_params_check(const struct tr_params *p, char *err, size_t errlen);

const char *tr_mode_name(enum tr_mode m);
const char *tr_precision_name(enum tr_precision p);
const char *tr_kernel_name(enum tr_kernel k);

/*
 * A whole number in min..max for the option or parameter label; returns 0, or TR_ERR_USAGE
 * with "LABEL: 'TEXT' is out of range (accepted range MIN..MAX)" (or "is negative", "is not a
 * whole number") in err. Every numeric option of every command words its errors this way.
 */
int tr_parse_number(const char *label, const char *text, uint64_t min, uint64_t max, uint64_t *out,
                    char *err, size_t errlen);

/*
 * One of a choice option's names: its index in *index, or TR_ERR_USAGE with "LABEL: 'TEXT'
 * is not one of the accepted values (A, B, C)" in err.
 */
int tr_parse_choice(const struct tr_option *o, const char *label, const char *text, int *index,
                    char *err, size_t errlen);

/* Parses a whole decimal number: no sign, no spaces, no trailing text. */
int tr_parse_u64(const char *text, uint64_t *out);

#endif
