/* The comma-separated lists bench's options take: "cpu,pocl", "scalar,avx2". */
#ifndef TILERACE_BENCH_LIST_H
#define TILERACE_BENCH_LIST_H

#include <stddef.h>

#define TR_BENCH_LIST_MAX  16 /* items in one list */
#define TR_BENCH_ITEM_SIZE 64 /* bytes of one item, NUL included */

struct tr_bench_list {
    char items[TR_BENCH_LIST_MAX][TR_BENCH_ITEM_SIZE];
    size_t n;
};

/*
 * Splits text at commas. Returns 0, or TR_ERR_USAGE with a message naming option ("--device")
 * and text: an empty item ("cpu,,pocl", ""), an item named twice, an item too long or too
 * many items.
 */
int tr_bench_list_split(const char *option, const char *text, struct tr_bench_list *out, char *err,
                        size_t errlen);

#endif
