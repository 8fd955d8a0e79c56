#include "opencl/binary_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checksum.h"
#include "opencl/cache_dir.h"
#include "version.h"

#define MAGIC "tilerace-program-binary 1\n"

/* Appends "name value\n", value's control characters as spaces. */
static void add_field(char *text, size_t size, size_t *used, const char *name, const char *value)
{
    if (*used >= size)
        return;
    int n = snprintf(text + *used, size - *used, "%s %s\n", name, value);
    if (n < 0)
        return;
    size_t end = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
    for (size_t i = *used + strlen(name) + 1; i + 1 < end; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            text[i] = ' ';
    *used = end;
}

void tr_cl_binary_key_make(struct tr_cl_binary_key *key, const struct tr_cl_device *dev,
                           const char *platform_version, const char *src, const char *options)
{
    char source[64];
    size_t used = 0, src_len = strlen(src);
    snprintf(source, sizeof(source), "%zu %016" PRIx64, src_len,
             tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, src, src_len));
    key->text[0] = '\0';
    add_field(key->text, sizeof(key->text), &used, "tilerace", TILERACE_VERSION);
    add_field(key->text, sizeof(key->text), &used, "device", dev->name);
    add_field(key->text, sizeof(key->text), &used, "vendor", dev->vendor);
    add_field(key->text, sizeof(key->text), &used, "device-version", dev->version);
    add_field(key->text, sizeof(key->text), &used, "driver", dev->driver);
    add_field(key->text, sizeof(key->text), &used, "platform", dev->platform_name);
    add_field(key->text, sizeof(key->text), &used, "platform-version", platform_version);
    add_field(key->text, sizeof(key->text), &used, "options", options);
    add_field(key->text, sizeof(key->text), &used, "source", source);
    snprintf(key->file, sizeof(key->file), "%016" PRIx64 ".bin",
             tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, key->text, strlen(key->text)));
}

int tr_cl_binary_dir(char *dir, size_t len)
{
    struct stat st;
    const char *cache = tr_cl_cache_dir();
    if (!cache || snprintf(dir, len, "%s/%s", cache, TR_CL_BINARY_DIR_NAME) >= (int)len)
        return -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    /* Only this user may place files here: a driver loads what a binary holds. */
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        return -1;
    return 0;
}

static int path_of(char *path, size_t len, const char *dir, const char *name)
{
    return snprintf(path, len, "%s/%s", dir, name) < (int)len ? 0 : -1;
}

/* The whole file at path, if it is a regular file of this user's of at most max bytes. */
static unsigned char *read_whole(const char *path, size_t max, size_t *len)
{
    struct stat st;
    unsigned char *buf = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size <= 0 ||
        (uint64_t)st.st_size > max || !(buf = malloc((size_t)st.st_size)))
        goto fail;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

int tr_cl_binary_load(const char *dir, const struct tr_cl_binary_key *key, unsigned char **bin,
                      size_t *len)
{
    char path[PATH_MAX], line[64];
    size_t size = 0, key_len = strlen(key->text), magic_len = strlen(MAGIC);
    size_t header = magic_len + key_len;
    *bin = NULL;
    *len = 0;
    if (path_of(path, sizeof(path), dir, key->file) != 0)
        return -1;
    unsigned char *buf = read_whole(path, header + sizeof(line) + TR_CL_BINARY_MAX_BYTES, &size);
    if (!buf)
        return -1;
    /* MAGIC, then exactly our key, then "payload LENGTH HASH\n", then the payload */
    if (size <= header || memcmp(buf, MAGIC, magic_len) != 0 ||
        memcmp(buf + magic_len, key->text, key_len) != 0)
        goto fail;
    const unsigned char *rest = buf + header;
    size_t rest_len = size - header;
    const unsigned char *nl = memchr(rest, '\n', rest_len < sizeof(line) ? rest_len : sizeof(line));
    if (!nl)
        goto fail;
    memcpy(line, rest, (size_t)(nl - rest));
    line[nl - rest] = '\0';
    unsigned long long payload_len, hash;
    int end = 0;
    if (sscanf(line, "payload %llu %16llx%n", &payload_len, &hash, &end) != 2 ||
        line[end] != '\0' || payload_len == 0 || payload_len > TR_CL_BINARY_MAX_BYTES)
        goto fail;
    const unsigned char *payload = nl + 1;
    if ((size_t)(buf + size - payload) != payload_len ||
        tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, payload, (size_t)payload_len) != hash)
        goto fail;
    memmove(buf, payload, (size_t)payload_len);
    *bin = buf;
    *len = (size_t)payload_len;
    return 0;
fail:
    free(buf);
    return -1;
}

static int write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int tr_cl_binary_save(const char *dir, const struct tr_cl_binary_key *key, const unsigned char *bin,
                      size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX], line[64];
    if (len == 0 || len > TR_CL_BINARY_MAX_BYTES || path_of(path, sizeof(path), dir, key->file) ||
        snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, key->file) >= (int)sizeof(tmp))
        return -1;
    snprintf(line, sizeof(line), "payload %zu %016" PRIx64 "\n", len,
             tr_fnv1a64_bytes(TR_FNV1A64_OFFSET, bin, len));
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    int ok = write_all(fd, MAGIC, strlen(MAGIC)) == 0 &&
             write_all(fd, key->text, strlen(key->text)) == 0 &&
             write_all(fd, line, strlen(line)) == 0 && write_all(fd, bin, len) == 0 &&
             fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

void tr_cl_binary_forget(const char *dir, const struct tr_cl_binary_key *key)
{
    char path[PATH_MAX];
    if (path_of(path, sizeof(path), dir, key->file) == 0)
        unlink(path);
}
