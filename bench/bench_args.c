#include "bench_args.h"

#include <stdio.h>

#include "cli/exit_codes.h"
#include "core/params.h"
#include "core/text_escape.h"

int tr_bench_usage_error(const char *program, const char *msg)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s: ", program);
    tr_text_print_line(stderr, prefix, msg);
    return TR_EXIT_USAGE;
}

int tr_bench_parse_number(const char *program, const char *name, const char *text, uint64_t lo,
                          uint64_t hi, uint64_t *out)
{
    char quoted[TR_QUOTE_SIZE(TR_ECHO_CHARS)], msg[400];
    if (tr_parse_u64(text, out) == 0 && *out >= lo && *out <= hi)
        return 0;
    snprintf(msg, sizeof(msg), "%s: %s is not a whole number in the accepted range %llu..%llu",
             name, tr_text_quote(quoted, sizeof(quoted), text, TR_ECHO_CHARS),
             (unsigned long long)lo, (unsigned long long)hi);
    return tr_bench_usage_error(program, msg);
}

int tr_bench_option_error(const char *program, int ret, const char *option)
{
    char shown[TR_QUOTE_SIZE(TR_ECHO_CHARS)], msg[400];
    if (ret == ':')
        snprintf(msg, sizeof(msg), "%s: a value is missing",
                 tr_text_escape(shown, sizeof(shown), option, TR_ECHO_CHARS));
    else
        snprintf(msg, sizeof(msg), "unknown option %s (see %s --help)",
                 tr_text_quote(shown, sizeof(shown), option, TR_ECHO_CHARS), program);
    return tr_bench_usage_error(program, msg);
}
