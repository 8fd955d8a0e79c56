/* 64-bit FNV-1a over iteration counts as little-endian uint16, the golden files' hash. */
#ifndef TILERACE_CHECKSUM_H
#define TILERACE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#define TR_FNV1A64_OFFSET 0xcbf29ce484222325ULL
#define TR_FNV1A64_PRIME  0x100000001b3ULL

uint64_t tr_fnv1a64_bytes(uint64_t h, const void *data, size_t len);
uint64_t tr_fnv1a64_counts(const uint16_t *counts, size_t n);
/* The same hash continued from h (a previous part's result) over the next n counts. */
uint64_t tr_fnv1a64_counts_from(uint64_t h, const uint16_t *counts, size_t n);
uint64_t tr_sum_counts(const uint16_t *counts, size_t n);

#endif
