#include "output/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "core/text_escape.h"

static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "something else";
}

/* Refuses what a plain read would block on, stream forever or fail on in odd ways. */
static int check_kind(const char *quoted, const struct stat *st, char *err, size_t errlen)
{
    if (S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "%s cannot be read: %s", quoted, strerror(EISDIR));
        return TR_ERR_IO;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s cannot be read: it is %s, not a regular file", quoted,
                 kind_of(st->st_mode));
        return TR_ERR_IO;
    }
    return 0;
}

static int too_large(const char *quoted, size_t max_bytes, char *err, size_t errlen)
{
    if (max_bytes % (1u << 20) == 0)
        snprintf(err, errlen, "%s is larger than %zu MiB, the most accepted", quoted,
                 max_bytes >> 20);
    else
        snprintf(err, errlen, "%s is larger than %zu bytes, the most accepted", quoted, max_bytes);
    return TR_ERR_USAGE;
}

enum tr_status tr_read_file(const char *path, size_t max_bytes, char **data, size_t *len, char *err,
                            size_t errlen)
{
    char quoted[TR_QUOTE_SIZE(TR_ECHO_PATH_CHARS)];
    struct stat st;
    char *buf = NULL;
    size_t have = 0, cap;
    int rc, fd = -1;

    *data = NULL;
    *len = 0;
    tr_text_quote(quoted, sizeof(quoted), path, TR_ECHO_PATH_CHARS);
    /* stat first: opening a device can have effects of its own (a tape rewinds) */
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s cannot be read: %s", quoted, strerror(errno));
        return TR_ERR_IO;
    }
    if ((rc = check_kind(quoted, &st, err, errlen)) != 0)
        return rc;
    /* O_NONBLOCK: if the path became a FIFO since, open does not wait for a writer */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s cannot be read: %s", quoted, strerror(errno));
        return TR_ERR_IO;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s cannot be read: %s", quoted, strerror(errno));
        rc = TR_ERR_IO;
        goto done;
    }
    if ((rc = check_kind(quoted, &st, err, errlen)) != 0)
        goto done;
    if ((uint64_t)st.st_size > max_bytes) {
        rc = too_large(quoted, max_bytes, err, errlen);
        goto done;
    }
    /* The size is a hint: the file may grow or shrink while it is read (and /proc files say
     * 0), so read to the end, never past max_bytes + 1. */
    cap = (size_t)st.st_size + 1;
    if (cap < 4096)
        cap = 4096;
    if (cap > max_bytes + 1)
        cap = max_bytes + 1;
    for (;;) {
        if (have + 1 >= cap || !buf) {
            size_t ncap = !buf ? cap : cap > max_bytes / 2 ? max_bytes + 2 : cap * 2;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                snprintf(err, errlen, "%s: out of memory reading %zu bytes", quoted, ncap);
                rc = TR_ERR_INTERNAL;
                goto done;
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + have, cap - have - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s cannot be read: %s", quoted, strerror(errno));
            rc = TR_ERR_IO;
            goto done;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        if (have > max_bytes) {
            rc = too_large(quoted, max_bytes, err, errlen);
            goto done;
        }
    }
    buf[have] = '\0';
    *data = buf;
    *len = have;
    buf = NULL;
    rc = 0;
done:
    free(buf);
    close(fd);
    return rc;
}
