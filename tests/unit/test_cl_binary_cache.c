/* Saved program binaries (opencl/binary_cache.h): what is read back, and what is refused. */
#include "cmocka_all.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opencl/binary_cache.h"

struct fixture {
    char dir[64];
    char path[160];
    struct tr_cl_binary_key key;
    unsigned char bin[5000];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct tr_cl_device dev;
    if (!f)
        return -1;
    memset(&dev, 0, sizeof(dev));
    snprintf(dev.name, sizeof(dev.name), "a device\nwith a newline");
    snprintf(dev.driver, sizeof(dev.driver), "1.2");
    snprintf(f->dir, sizeof(f->dir), "/tmp/tilerace-binary-test-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    tr_cl_binary_key_make(&f->key, &dev, "OpenCL 3.0", "kernel void k() {}", "-DX=1");
    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, f->key.file);
    for (size_t i = 0; i < sizeof(f->bin); i++)
        f->bin[i] = (unsigned char)(i * 7 + 3);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* 1 when key's binary loads from f's folder, 0 when it is refused; fails the test when what
 * loads differs from what was saved. */
static int loads(struct fixture *f, const struct tr_cl_binary_key *key)
{
    unsigned char *bin = NULL;
    size_t len = 0;
    if (tr_cl_binary_load(f->dir, key, &bin, &len) != 0) {
        assert_null(bin);
        return 0;
    }
    assert_int_equal(len, sizeof(f->bin));
    assert_memory_equal(bin, f->bin, len);
    free(bin);
    return 1;
}

static void rewrite(struct fixture *f, long cut, long flip)
{
    FILE *in = fopen(f->path, "rb");
    unsigned char buf[16384];
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    if (cut >= 0)
        n = (size_t)cut;
    if (flip >= 0)
        buf[flip] ^= 0x20;
    FILE *out = fopen(f->path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(out);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_saved_binary_loads_back(void **state)
{
    struct fixture *f = *state;
    assert_false(loads(f, &f->key));
    assert_int_equal(tr_cl_binary_save(f->dir, &f->key, f->bin, sizeof(f->bin)), 0);
    assert_true(loads(f, &f->key));
    /* control characters in names do not break the key's lines */
    assert_null(strstr(f->key.text, "device a device\nwith"));
    assert_non_null(strstr(f->key.text, "device a device with a newline\n"));
}

static void test_another_key_does_not_load(void **state)
{
    struct fixture *f = *state;
    struct tr_cl_device dev;
    struct tr_cl_binary_key other;
    memset(&dev, 0, sizeof(dev));
    snprintf(dev.name, sizeof(dev.name), "a device\nwith a newline");
    snprintf(dev.driver, sizeof(dev.driver), "1.2");
    assert_int_equal(tr_cl_binary_save(f->dir, &f->key, f->bin, sizeof(f->bin)), 0);
    /* other options, source, driver: other keys; a file copied under another's name too */
    tr_cl_binary_key_make(&other, &dev, "OpenCL 3.0", "kernel void k() {}", "-DX=2");
    assert_string_not_equal(other.file, f->key.file);
    assert_false(loads(f, &other));
    tr_cl_binary_key_make(&other, &dev, "OpenCL 3.0", "kernel void k() { }", "-DX=1");
    assert_false(loads(f, &other));
    snprintf(dev.driver, sizeof(dev.driver), "1.3");
    tr_cl_binary_key_make(&other, &dev, "OpenCL 3.0", "kernel void k() {}", "-DX=1");
    assert_false(loads(f, &other));
    char copy[200];
    snprintf(copy, sizeof(copy), "%s/%s", f->dir, other.file);
    assert_int_equal(link(f->path, copy), 0);
    assert_false(loads(f, &other));
    unlink(copy);
    assert_true(loads(f, &f->key));
}

static void test_truncated_or_damaged_file_is_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(tr_cl_binary_save(f->dir, &f->key, f->bin, sizeof(f->bin)), 0);
    long size = file_size(f->path);
    const long cuts[] = {0, 1, 20, (long)strlen(f->key.text), size / 2, size - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        rewrite(f, cuts[i], -1);
        assert_false(loads(f, &f->key));
        assert_int_equal(tr_cl_binary_save(f->dir, &f->key, f->bin, sizeof(f->bin)), 0);
    }
    const long flips[] = {0, 30, size - (long)sizeof(f->bin) - 3, size - 100, size - 1};
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        rewrite(f, -1, flips[i]);
        assert_false(loads(f, &f->key));
        assert_int_equal(tr_cl_binary_save(f->dir, &f->key, f->bin, sizeof(f->bin)), 0);
        assert_true(loads(f, &f->key));
    }
    /* bytes after the payload */
    FILE *out = fopen(f->path, "ab");
    assert_non_null(out);
    fputs("x", out);
    fclose(out);
    assert_false(loads(f, &f->key));
    tr_cl_binary_forget(f->dir, &f->key);
    assert_int_equal(file_size(f->path), -1);
}

static void test_only_a_regular_file_is_read(void **state)
{
    struct fixture *f = *state;
    char target[200];
    /* a FIFO is refused without waiting for a writer, a link is not followed */
    assert_int_equal(mkfifo(f->path, 0600), 0);
    assert_false(loads(f, &f->key));
    unlink(f->path);
    snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
    assert_int_equal(tr_cl_binary_save(f->dir, &f->key, f->bin, sizeof(f->bin)), 0);
    assert_int_equal(rename(f->path, target), 0);
    assert_int_equal(symlink(target, f->path), 0);
    assert_false(loads(f, &f->key));
    unlink(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_saved_binary_loads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_another_key_does_not_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_or_damaged_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_a_regular_file_is_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
