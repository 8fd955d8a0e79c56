/*
 * Built programs kept between runs: CL_PROGRAM_BINARIES saved per device in a folder inside
 * the verified kernel cache folder (tr_cl_cache_dir()/tilerace-binaries), so that a later run
 * creates its program with clCreateProgramWithBinary instead of compiling (or, on pocl,
 * preprocessing the source to find its own cache entry).
 *
 * A file is found by a hash of its key and used only when the whole key it holds equals the
 * one asked for: the device's name, vendor, version and driver version, the platform's name
 * and version, the build options, the kernel source (length and FNV-1a hash) and tilerace's
 * version. Its payload carries its length and FNV-1a hash, so a truncated or damaged file is
 * refused before a driver sees it; a binary the driver then refuses is rebuilt from source.
 * Files are written to a temporary name and renamed into place.
 */
#ifndef TILERACE_CL_BINARY_CACHE_H
#define TILERACE_CL_BINARY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "opencl/device.h"

#define TR_CL_BINARY_DIR_NAME "tilerace-binaries"
/* A program binary larger than this is not ours (pocl's are about 1 MiB). */
#define TR_CL_BINARY_MAX_BYTES (256u << 20)

struct tr_cl_binary_key {
    char text[4096]; /* "field value" lines */
    char file[40];   /* "<hash of text>.bin" */
};

/* Makes the key of a program built from src with options for dev on a platform of
 * platform_version. Control characters in names become spaces. */
void tr_cl_binary_key_make(struct tr_cl_binary_key *key, const struct tr_cl_device *dev,
                           const char *platform_version, const char *src, const char *options);

/*
 * The folder for binaries inside the kernel cache folder, created (mode 0700) when missing:
 * 0 with its path in dir, or -1 when there is no cache folder or the folder is not a
 * directory owned by this user that only this user can write.
 */
int tr_cl_binary_dir(char *dir, size_t len);

/* Reads key's binary from dir: 0 with a malloc'd copy in *bin (*len bytes), or -1 when there
 * is none or it is not intact (wrong key, truncated, damaged, not a regular file of ours). */
int tr_cl_binary_load(const char *dir, const struct tr_cl_binary_key *key, unsigned char **bin,
                      size_t *len);

/* Writes key's binary to dir through a temporary file renamed into place: 0 or -1. */
int tr_cl_binary_save(const char *dir, const struct tr_cl_binary_key *key, const unsigned char *bin,
                      size_t len);

/* Removes key's file from dir (one the driver refused). */
void tr_cl_binary_forget(const char *dir, const struct tr_cl_binary_key *key);

#endif
