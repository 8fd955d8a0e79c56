#include "usage.h"

#include "version.h"

static const char usage_text[] =
    "Usage: tilerace [run] [OPTIONS]\n"
    "       tilerace devices [--json]\n"
    "       tilerace selftest [--kernel-dir DIR]\n"
    "       tilerace --help | --version\n"
    "\n"
    "Renders the Mandelbrot set as a grid of tiles under a time limit, on CPU threads or an\n"
    "OpenCL device, and prints one JSON document with a record for every tile rendered.\n"
    "\n"
    "Run options (default in brackets):\n"
    "  --width N            image width in pixels, 1..65536 [800]\n"
    "  --height N           image height in pixels, 1..65536 [600]\n"
    "                       width x height may be at most 268435456 pixels\n"
    "  --tile-w N           tile width, 1..65536 [64]\n"
    "  --tile-h N           tile height, 1..65536 [64]\n"
    "                       the grid may have at most 4194304 tiles\n"
    "  --max-iter N         iteration cap per pixel, 1..65535 [256]\n"
    "  --time-limit-ms N    no tile starts after N ms, 0..86400000; 0 = no limit [2000]\n"
    "  --num-threads N      threads (CPU) or lanes (OpenCL), 1..256 [4]\n"
    "  --mode M             sequential | concurrent | dynamic [concurrent]\n"
    "                         sequential: one thread, tiles in task_id order\n"
    "                         concurrent: contiguous chunks of ceil(tiles/threads) tiles,\n"
    "                                     one thread per chunk\n"
    "                         dynamic:    each thread takes the next free tile\n"
    "  --device D           cpu | opencl | gpu | pocl | opencl:P.D [cpu]\n"
    "                         cpu:        pthreads on this machine's processor\n"
    "                         opencl:     the first OpenCL GPU, else the first OpenCL device\n"
    "                         gpu:        the first OpenCL GPU\n"
    "                         pocl:       the first CPU device of the pocl platform\n"
    "                         opencl:P.D: platform P, device D as 'tilerace devices' lists\n"
    "  --precision P        double | float [double]; double is the seed's exact function\n"
    "  --kernel K           auto | scalar | vector [auto]\n"
    "                         scalar: the seed-equivalent one-pixel loop (the baseline)\n"
    "                         vector: SIMD on the CPU path (AVX-512, AVX2 or SSE2, picked at\n"
    "                                 run time); row segments in double8/float8 on OpenCL\n"
    "                         auto:   vector on CPU and OpenCL CPU devices, scalar on GPUs\n"
    "  --kernel-dir DIR     load OpenCL kernels (mandelbrot.cl) from DIR instead of the\n"
    "                       copy built into the program (for kernel development)\n"
    "  -o, --out FILE       write the JSON to FILE (atomically) instead of stdout [-]\n"
    "\n"
    "Commands:\n"
    "  run                  render one frame (the default command)\n"
    "  devices [--json]     list the devices --device can name\n"
    "  selftest             render small frames on the CPU path and on every OpenCL device\n"
    "                       and compare their checksums and records\n"
    "\n"
    "Output: {\"success\", \"data\": [records], \"params\", \"message\", \"summary\"}; a record\n"
    "is task_id, thread_id, tile_x, tile_y, tile_w, tile_h, start_time_ms, duration_ms,\n"
    "pixels_computed, start_time_us, duration_us (and device_time_us on OpenCL); times are\n"
    "from one monotonic origin taken just before the first tile. See the README.\n"
    "\n"
    "Exit codes:\n"
    "  0  success, also when the time limit cut the run short\n"
    "  1  internal failure (out of memory, self-test mismatch)\n"
    "  2  bad usage or out-of-range input\n"
    "  3  device failure (no such device, no double precision, OpenCL error, kernel build)\n"
    "  4  output could not be written\n";

void tr_usage(FILE *out)
{
    fputs(usage_text, out);
}

void tr_version(FILE *out)
{
    fprintf(out, "tilerace %s\n", TILERACE_VERSION);
}
