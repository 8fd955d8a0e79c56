#include "cli/usage.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "core/text_escape.h"
#include "version.h"

void tr_version(FILE *out)
{
    fprintf(out, "tilerace %s\n", TILERACE_VERSION);
}

int tr_cli_fail(int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tr_text_print_line(stderr, "tilerace: ", msg);
    return code;
}

/* Whether arg is a cluster of short options ("-ab"), not "-", "--" or a long option. */
static int short_cluster(const char *arg)
{
    return arg && arg[0] == '-' && arg[1] != '\0' && arg[1] != '-';
}

const char *tr_usage_refused_option(char *dst, size_t dstlen, int argc, char *const argv[])
{
    /* getopt hands a short option's byte over as a char: a negative one outside ASCII */
    int byte = optopt < 0 ? optopt + 256 : optopt;
    const char *arg = NULL;
    size_t at = 0;
    if (byte > 0 && byte < 256) {
        /* getopt stays on an argument until its last option character: the refused one is
         * inside argv[optind], or it ended argv[optind - 1]. */
        const char *here = optind < argc ? argv[optind] : NULL;
        const char *before = optind > 1 && optind - 1 < argc ? argv[optind - 1] : NULL;
        const char *hit;
        if (short_cluster(here) && (hit = strchr(here + 1, byte)) && hit[1] != '\0') {
            arg = here;
            at = (size_t)(hit - here);
        } else if (short_cluster(before) && (unsigned char)before[strlen(before) - 1] == byte) {
            arg = before;
            at = strlen(before) - 1;
        }
    }
    if (arg) {
        /* the whole character the byte begins, as typed: "-\xc3" would name no option */
        char option[8] = "-";
        unsigned cp;
        size_t rest = strlen(arg + at);
        size_t n = tr_utf8_char((const unsigned char *)arg + at, rest, &cp);
        memcpy(option + 1, arg + at, n ? n : 1);
        option[1 + (n ? n : 1)] = '\0';
        return tr_text_escape(dst, dstlen, option, TR_ECHO_CHARS);
    }
    /* a long option: getopt has always moved past it */
    return tr_text_escape(dst, dstlen, optind > 0 && optind - 1 < argc ? argv[optind - 1] : "",
                          TR_ECHO_CHARS);
}
