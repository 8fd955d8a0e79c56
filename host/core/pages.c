#include "core/pages.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PAGE_BYTES      ((size_t)4096)
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

void *tr_pages_alloc(size_t bytes, size_t *mapped)
{
    *mapped = 0;
    if (bytes < HUGE_PAGE_BYTES)
        return calloc(bytes ? bytes : 1, 1);
    /* One huge page more than asked, to start on a boundary; anonymous memory comes zeroed.
     * The ends outside the span go back at once. */
    size_t span = (bytes + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
    if (span < bytes || span + HUGE_PAGE_BYTES < span)
        return NULL;
    size_t whole = span + HUGE_PAGE_BYTES;
    void *map = mmap(NULL, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)map + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    size_t head = start - (uintptr_t)map, tail = whole - head - span;
    if (head)
        munmap(map, head);
    if (tail)
        munmap((void *)(start + span), tail);
    madvise((void *)start, span, MADV_HUGEPAGE);
    *mapped = span;
    return (void *)start;
}

void tr_pages_free(void *p, size_t mapped)
{
    if (mapped)
        munmap(p, mapped);
    else
        free(p);
}

void tr_touch_pages(void *p, size_t bytes)
{
    unsigned char *base = p;
    if (!p || bytes == 0)
        return;
    /* a large buffer from the heap: the whole huge pages inside it as huge pages */
    uintptr_t first = ((uintptr_t)base + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    uintptr_t end = ((uintptr_t)base + bytes) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    if (end > first)
        madvise((void *)first, end - first, MADV_HUGEPAGE);
    /* an atomic add of 0: a write the compiler keeps, whatever the memory holds */
    for (size_t at = 0; at < bytes; at += PAGE_BYTES)
        __atomic_fetch_add(base + at, 0, __ATOMIC_RELAXED);
    __atomic_fetch_add(base + bytes - 1, 0, __ATOMIC_RELAXED);
}
