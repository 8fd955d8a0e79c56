#include "bench/list.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "core/text_escape.h"

int tr_bench_list_split(const char *option, const char *text, struct tr_bench_list *out, char *err,
                        size_t errlen)
{
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)], qi[TR_QUOTE_SIZE(TR_ECHO_CHARS)];
    const char *s = text;
    out->n = 0;
    for (;;) {
        size_t len = strcspn(s, ",");
        const char *why = NULL;
        if (len == 0)
            why = "has an empty item";
        else if (len >= TR_BENCH_ITEM_SIZE)
            why = "has an item too long";
        else if (out->n == TR_BENCH_LIST_MAX)
            why = "has too many items (at most 16)";
        if (why) {
            snprintf(err, errlen, "%s: %s %s", option,
                     tr_text_quote(q, sizeof(q), text, TR_ECHO_CHARS), why);
            return TR_ERR_USAGE;
        }
        char *item = out->items[out->n];
        memcpy(item, s, len);
        item[len] = '\0';
        for (size_t i = 0; i < out->n; i++) {
            if (strcmp(out->items[i], item) == 0) {
                snprintf(err, errlen, "%s: %s names %s twice", option,
                         tr_text_quote(q, sizeof(q), text, TR_ECHO_CHARS),
                         tr_text_quote(qi, sizeof(qi), item, TR_ECHO_CHARS));
                return TR_ERR_USAGE;
            }
        }
        out->n++;
        if (s[len] == '\0')
            return 0;
        s += len + 1;
    }
}
