#include "core/checksum.h"

uint64_t tr_fnv1a64_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= TR_FNV1A64_PRIME;
    }
    return h;
}

uint64_t tr_fnv1a64_counts(const uint16_t *counts, size_t n)
{
    return tr_fnv1a64_counts_from(TR_FNV1A64_OFFSET, counts, n);
}

uint64_t tr_fnv1a64_counts_from(uint64_t h, const uint16_t *counts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* Byte order fixed by the format, not by the host. */
        h ^= (uint64_t)(counts[i] & 0xff);
        h *= TR_FNV1A64_PRIME;
        h ^= (uint64_t)(counts[i] >> 8);
        h *= TR_FNV1A64_PRIME;
    }
    return h;
}

uint64_t tr_sum_counts(const uint16_t *counts, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += counts[i];
    return s;
}
