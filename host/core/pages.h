/*
 * Memory by the page, for the run's large buffers (the frame, tile slots, messages on their
 * way): a page fault is slow on a VM (about 13 us a 4 KiB page on the 2-core development
 * VM, against 0.9 ms for a 2 MiB huge page, 1.7 us per 4 KiB of it), so large buffers come
 * on huge pages where the kernel gives them, and are made present before the clock rather
 * than by the first lane or thread that writes there.
 */
#ifndef TILERACE_PAGES_H
#define TILERACE_PAGES_H

#include <stddef.h>

/*
 * bytes of zeroed memory, or NULL. From 2 MiB up: mapped on a huge-page boundary with
 * MADV_HUGEPAGE (an advice: without it, base pages), *mapped set to the bytes to give back;
 * below that from the heap, *mapped set to 0.
 */
void *tr_pages_alloc(size_t bytes, size_t *mapped);

/* Gives back what tr_pages_alloc returned, with its *mapped. NULL is accepted. */
void tr_pages_free(void *p, size_t mapped);

/*
 * Makes every page of [p, p + bytes) present by writing it, keeping its contents; the whole
 * huge pages inside it are advised as such first. (A memset to zero does not do this: the
 * compiler may turn malloc + memset into calloc, which touches nothing.)
 */
void tr_touch_pages(void *p, size_t bytes);

#endif
