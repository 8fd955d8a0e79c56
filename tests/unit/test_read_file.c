/* Input files read whole: regular files only, never blocking, never above their limit. */
#include "cmocka_all.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "output/read_file.h"
#ifdef TILERACE_HAVE_OPENCL
#include "opencl/program.h"
#endif

struct folder {
    char path[64];
};

static void make_folder(struct folder *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/tilerace-read-XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static void remove_folder(struct folder *d, const char *entry)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", d->path, entry);
    remove(p);
    rmdir(d->path);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_regular_file(void **state)
{
    (void)state;
    struct folder d;
    char path[128], err[512], *data;
    size_t len;
    make_folder(&d);
    snprintf(path, sizeof(path), "%s/f", d.path);
    write_file(path, "hello\0world", 11);
    assert_int_equal(tr_read_file(path, 11, &data, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 11);
    assert_memory_equal(data, "hello\0world", 12); /* and NUL-terminated */
    free(data);
    /* one byte over the limit */
    assert_int_equal(tr_read_file(path, 10, &data, &len, err, sizeof(err)), TR_ERR_USAGE);
    assert_null(data);
    assert_non_null(strstr(err, "is larger than 10 bytes"));
    write_file(path, "", 0);
    assert_int_equal(tr_read_file(path, 10, &data, &len, err, sizeof(err)), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    remove_folder(&d, "f");
}

static void test_refuses_what_is_not_a_regular_file(void **state)
{
    (void)state;
    struct folder d;
    char path[128], err[512], *data;
    size_t len;
    make_folder(&d);
    /* a FIFO with no writer: refused at once, not waited on */
    snprintf(path, sizeof(path), "%s/fifo", d.path);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20); /* a hang fails the test instead of stalling it */
    assert_int_equal(tr_read_file(path, 1 << 20, &data, &len, err, sizeof(err)), TR_ERR_IO);
    alarm(0);
    assert_non_null(strstr(err, "it is a FIFO, not a regular file"));
    /* a device that never ends */
    assert_int_equal(tr_read_file("/dev/zero", 1 << 20, &data, &len, err, sizeof(err)), TR_ERR_IO);
    assert_string_equal(err, "'/dev/zero' cannot be read: it is a character device, not a regular "
                             "file");
    /* a directory */
    assert_int_equal(tr_read_file(d.path, 1 << 20, &data, &len, err, sizeof(err)), TR_ERR_IO);
    assert_non_null(strstr(err, "cannot be read: Is a directory"));
    /* missing */
    snprintf(path, sizeof(path), "%s/missing\nname", d.path);
    assert_int_equal(tr_read_file(path, 1 << 20, &data, &len, err, sizeof(err)), TR_ERR_IO);
    assert_non_null(strstr(err, "/missing\\nname' cannot be read: No such file or directory"));
    assert_null(data);
    remove_folder(&d, "fifo");
}

#ifdef TILERACE_HAVE_OPENCL
/* --kernel-dir reads its mandelbrot.cl the same way. */
static void test_kernel_dir_source(void **state)
{
    (void)state;
    struct folder d;
    char path[128], err[1024], *src = NULL;
    make_folder(&d);
    snprintf(path, sizeof(path), "%s/%s", d.path, TR_KERNEL_FILE);

    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20);
    assert_int_equal(tr_cl_load_source(d.path, &src, err, sizeof(err)), TR_ERR_USAGE);
    alarm(0);
    assert_non_null(strstr(err, "--kernel-dir: '"));
    assert_non_null(strstr(err, "/mandelbrot.cl' cannot be read: it is a FIFO, not a regular file "
                                "(accepted: a folder holding mandelbrot.cl)"));
    assert_null(src);
    remove(path);

    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(tr_cl_load_source(d.path, &src, err, sizeof(err)), TR_ERR_USAGE);
    assert_non_null(strstr(err, "cannot be read: Is a directory"));
    assert_null(strstr(err, "File too large"));
    rmdir(path);

    write_file(path, "kernel void k(void) {}\n", 23);
    assert_int_equal(tr_cl_load_source(d.path, &src, err, sizeof(err)), 0);
    assert_string_equal(src, "kernel void k(void) {}\n");
    free(src);
    remove_folder(&d, TR_KERNEL_FILE);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_file),
        cmocka_unit_test(test_refuses_what_is_not_a_regular_file),
#ifdef TILERACE_HAVE_OPENCL
        cmocka_unit_test(test_kernel_dir_source),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
