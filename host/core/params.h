/*
 * The parameters of one run, their defaults and accepted ranges. The same table serves the
 * command line (--tile-w) and the HTTP API (tile_w), so both reject the same values with the
 * same words.
 */
#ifndef TILERACE_PARAMS_H
#define TILERACE_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define TR_MAX_PIXELS      268435456ULL /* width * height */
#define TR_MAX_TILES       4194304ULL   /* tile grid cells; bounds record memory and JSON size */
#define TR_DEVICE_MAXLEN   64
#define TR_MAX_QUEUE_DEPTH 16 /* tiles an OpenCL lane may keep queued on its device */

enum tr_mode { TR_MODE_SEQUENTIAL, TR_MODE_CONCURRENT, TR_MODE_DYNAMIC };
enum tr_precision { TR_PRECISION_DOUBLE, TR_PRECISION_FLOAT };
enum tr_kernel { TR_KERNEL_AUTO, TR_KERNEL_SCALAR, TR_KERNEL_VECTOR };

struct tr_params {
    uint32_t width, height, tile_w, tile_h, max_iter, time_limit_ms, num_threads, queue_depth;
    enum tr_mode mode;
    enum tr_precision precision;
    enum tr_kernel kernel;
    char device[TR_DEVICE_MAXLEN];
};

struct tr_num_param {
    const char *cli_name;   /* "tile-w" for --tile-w */
    const char *query_name; /* "tile_w" for the HTTP API and the JSON params */
    uint32_t min, max, def;
    size_t offset; /* of the uint32_t field in struct tr_params */
};

extern const struct tr_num_param tr_num_params[];
extern const size_t tr_num_params_count;

void tr_params_defaults(struct tr_params *p);

/*
 * Each setter returns 0, or TR_ERR_USAGE with a one-line message in err that names label
 * ("--width" or "width"), the value and the accepted range.
 */
int tr_params_set_number(struct tr_params *p, const struct tr_num_param *spec, const char *label,
                         const char *text, char *err, size_t errlen);
int tr_params_set_mode(struct tr_params *p, const char *label, const char *text, char *err,
                       size_t errlen);
int tr_params_set_precision(struct tr_params *p, const char *label, const char *text, char *err,
                            size_t errlen);
int tr_params_set_kernel(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen);
int tr_params_set_device(struct tr_params *p, const char *label, const char *text, char *err,
                         size_t errlen);

/* Checks that span fields: pixel and tile counts. */
int tr_params_check(const struct tr_params *p, char *err, size_t errlen);

const struct tr_num_param *tr_num_param_by_cli(const char *name);
const struct tr_num_param *tr_num_param_by_query(const char *name);

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

/* Parses a whole decimal number: no sign, no spaces, no trailing text. */
int tr_parse_u64(const char *text, uint64_t *out);

#endif
