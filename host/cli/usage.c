#include "cli/usage.h"

#include <getopt.h>
#include <string.h>

#include "core/text_escape.h"
#include "version.h"

static const char usage_text[] =
    "Usage: tilerace [run] [OPTIONS]\n"
    "       tilerace replay RUN.json [RUN2.json ...] -o replay.html [--max-input-mb N]\n"
    "       tilerace devices [--json]\n"
    "       tilerace selftest [--kernel-dir DIR]\n"
    "       tilerace serve [OPTIONS]      (see tilerace serve --help)\n"
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
    "  --queue-depth N      tiles an OpenCL lane keeps queued on its device, 1..16 [4];\n"
    "                       with 2 or more the device starts a lane's next tile as soon\n"
    "                       as it ends the last. The time limit is checked as a tile is\n"
    "                       queued, so up to N-1 queued tiles per lane may begin after\n"
    "                       it; 1 keeps the limit strict. The CPU path renders each tile\n"
    "                       in the thread that takes it and does not use this option\n"
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
    "  --precision P        double | float [double]; double matches the Hardware Havoc API\n"
    "  --kernel K           auto | scalar | vector [auto]\n"
    "                         scalar: the one-pixel loop (the baseline)\n"
    "                         vector: SIMD on the CPU path (AVX-512, AVX2 or SSE2, picked at\n"
    "                                 run time); on OpenCL, strips of tile rows in\n"
    "                                 double8/float16 vectors with lanes refilled\n"
    "                         auto:   vector on CPU and OpenCL CPU devices, scalar on GPUs\n"
    "  --kernel-dir DIR     load OpenCL kernels (mandelbrot.cl) from DIR instead of the\n"
    "                       copy built into the program (for kernel development;\n"
    "                       OpenCL devices only: with --device cpu it is an error;\n"
    "                       DIR/mandelbrot.cl must be a regular file of at most 16 MiB)\n"
    "  -o, --out FILE       write the JSON to FILE (atomically) instead of stdout [-]\n"
    "  --image FILE         also write the frame as a PNG (atomically); tiles the time\n"
    "                       limit left unrendered are marked (see --image-format)\n"
    "  --image-format F     color | gray16 [color]\n"
    "                         color:  8-bit RGB, a smooth colour map over the counts,\n"
    "                                 black where a point never escaped; unrendered\n"
    "                                 tiles hatched in grey\n"
    "                         gray16: the raw counts as 16-bit grayscale; with unrendered\n"
    "                                 tiles, 16-bit gray+alpha with alpha 0 there\n"
    "  --stream             write NDJSON instead: one line per tile as it finishes (its\n"
    "                       record plus \"data\", its tile_w*tile_h counts, row-major),\n"
    "                       then the whole document as the last line\n"
    "  --record-pixels      every record of the document carries its counts as \"data\"\n"
    "  --quiet              no progress bar (otherwise shown on stderr when it is a\n"
    "                       terminal and the run takes longer than half a second)\n"
    "\n"
    "Commands:\n"
    "  run                  render one frame (the default command)\n"
    "  replay RUN... -o F   write F, one self-contained HTML page that plays 1..16 runs\n"
    "                       back side by side on one clock (tiles, lanes, timeline);\n"
    "                       RUN is a run document or the NDJSON of --stream; -o - for\n"
    "                       stdout. Unreadable RUN: exit 4; RUN not a run: exit 2\n"
    "    --max-input-mb N   the largest RUN file replay reads, in MiB, 1..4096 [64];\n"
    "                       a larger one exits 2. Reading takes about 35 times a\n"
    "                       file's size in memory (out of memory: exit 1). RUN must be\n"
    "                       a regular file (a FIFO or device exits 4) of UTF-8 text\n"
    "  devices [--json]     list the devices --device can name\n"
    "  selftest             render small frames on the CPU path and on every OpenCL device\n"
    "                       and compare their checksums and records\n"
    "  serve                the HTTP API (GET /api/compute/...); see tilerace serve --help\n"
    "\n"
    "Output: {\"success\", \"data\": [records], \"params\", \"message\", \"summary\"}; a record\n"
    "is task_id, thread_id, tile_x, tile_y, tile_w, tile_h, start_time_ms, duration_ms,\n"
    "pixels_computed, start_time_us, duration_us (and device_time_us on OpenCL); times are\n"
    "from one monotonic origin taken just before the first tile. See the README.\n"
    "\n"
    "Output files (--out, --image; replay -o the same way):\n"
    "  Every path is checked before the first tile: an empty --out or --image, or both\n"
    "  naming one file (also through links), exits 2; a missing or unwritable folder\n"
    "  or a folder named as the file exits 4. Files are written beside their names and\n"
    "  renamed into place together once all are complete; a replaced file keeps its\n"
    "  mode and owner, a new one gets 0666 less the umask. A run that fails, or that\n"
    "  SIGINT, SIGTERM or SIGHUP ends before its outputs are complete, leaves every\n"
    "  output path as it was; after SIGKILL or a crash each path holds its previous or\n"
    "  its complete new content, never a partial file, never nothing where a file was.\n"
    "  Devices and FIFOs (/dev/null) are written straight. stdout gets the document\n"
    "  only once every file is in place (--stream: tile lines as tiles finish, the\n"
    "  document line only on success). Any command whose stdout cannot be written\n"
    "  (a full disk, a closed pipe) exits 4.\n"
    "\n"
    "Environment:\n"
    "  TILERACE_CPU_ISA     avx512 | avx2 | sse2 | scalar: the instruction set of the CPU\n"
    "                       path's vector kernel instead of the best one the processor has\n"
    "                       (an unknown name exits 2, one the processor lacks exits 3)\n"
    "\n"
    "Exit codes:\n"
    "  0  success, also when the time limit cut the run short\n"
    "  1  internal failure (out of memory, self-test mismatch)\n"
    "  2  bad usage or out-of-range input\n"
    "  3  device failure (no such device, no double precision, OpenCL error, kernel build)\n"
    "  4  output could not be written (replay: also an input that cannot be read)\n"
    "\n"
    "Errors are one line on stderr; control characters and bytes that are not UTF-8 in\n"
    "the values they quote are written as escapes (\\n, \\xNN).\n";

void tr_usage(FILE *out)
{
    fputs(usage_text, out);
}

void tr_version(FILE *out)
{
    fprintf(out, "tilerace %s\n", TILERACE_VERSION);
}

static const char serve_usage_text[] =
    "Usage: tilerace serve [OPTIONS]\n"
    "\n"
    "Serves the Hardware Havoc HTTP API until SIGTERM or SIGINT:\n"
    "  GET /api/compute/health\n"
    "  GET /api/compute/{sequential,concurrent,dynamic}?width=..&height=..&tile_w=..&tile_h=..\n"
    "      &max_iter=..&time_limit_ms=..&num_threads=..&queue_depth=..&device=..&precision=..\n"
    "      &kernel=..\n"
    "      the same JSON document as 'tilerace run' with the same parameters\n"
    "  GET /api/compute/{sequential,concurrent,dynamic}/stream?...\n"
    "      Server-Sent Events: one 'tile' event per finished tile, then 'complete'\n"
    "Parameters take the run options' ranges and defaults; unknown or repeated ones are\n"
    "errors. Errors are JSON {\"success\": false, \"error\", \"message\"}.\n"
    "\n"
    "Options (default in brackets):\n"
    "  --bind ADDR              IPv4 or IPv6 address to listen on [127.0.0.1]\n"
    "  --port N                 TCP port, 0..65535; 0 = any free port [8405]\n"
    "                           (the URL is printed on stdout once listening)\n"
    "  --allow-origin ORIGIN    a browser origin allowed by CORS, e.g. http://host:5173 or\n"
    "                           http://host:* for any port; repeatable, at most 32; the\n"
    "                           first replaces the default [http://127.0.0.1:*,\n"
    "                           http://localhost:*, http://[::1]:*]\n"
    "  --cap-pixels N           largest width x height a request may ask,\n"
    "                           1..268435456 [16777216]\n"
    "  --cap-tiles N            largest tile count a request may ask, 1..4194304 [65536]\n"
    "  --cap-tile-pixels N      largest tile (tile_w x tile_h, clipped) a request may ask,\n"
    "                           1..268435456 [1048576]; renders stop only between tiles\n"
    "  --cap-max-iter N         largest max_iter, 1..65535 [65535]\n"
    "  --cap-time-limit-ms N    largest time_limit_ms, 0..86400000; 0 = no cap, and only\n"
    "                           then may a request ask time_limit_ms=0 (no limit) [60000]\n"
    "  --cap-num-threads N      largest num_threads, 1..256 [64]\n"
    "  --max-renders N          renders at once, 1..256 [4]\n"
    "  --max-queued N           requests waiting for a render slot, 0..4096 [16];\n"
    "                           beyond them: 503 with Retry-After\n"
    "  --allow-host NAME        a Host name (or IPv4, [IPv6]) the server answers to\n"
    "                           besides localhost, 127.0.0.1 and [::1] on its port;\n"
    "                           repeatable or comma-separated, at most 32; '*' = any.\n"
    "                           Other Hosts get 403 (against DNS rebinding); a server on a\n"
    "                           non-loopback address checks Host only when names are\n"
    "                           given; an HTTP/1.0 request without Host is served\n"
    "  --max-connections N      open connections, 1..65536 [4096]; beyond them new ones\n"
    "                           wait in the listen queue (the open-file limit is raised\n"
    "                           to fit, or the count lowered with a log line)\n"
    "  --request-timeout-ms N   a connection must send a whole request within N ms of\n"
    "                           opening or of its previous answer, or it is closed,\n"
    "                           100..3600000 [10000]\n"
    "  --shutdown-timeout-ms N  on SIGTERM/SIGINT, how long requests in progress may\n"
    "                           finish before their renders are cancelled,\n"
    "                           0..3600000 [10000]\n"
    "  --log-requests           one line per request on stderr\n"
    "  -h, --help               this text\n"
    "\n"
    "HTTP statuses: 200 answer; 204 CORS preflight; 400 bad parameter, malformed URL or\n"
    "unsupported Transfer-Encoding; 403 origin or Host not allowed; 404 unknown path;\n"
    "405 method other than GET or OPTIONS; 414 URL longer than 8192 bytes; 500 internal\n"
    "failure; 503 busy or shutting down (with Retry-After) or the device is unavailable\n"
    "on this server.\n"
    "\n"
    "Exit codes: 0 stopped by SIGTERM/SIGINT; 2 bad option; 4 cannot listen (address in\n"
    "use, permission); 1 internal failure.\n";

void tr_usage_serve(FILE *out)
{
    fputs(serve_usage_text, out);
}

/* Whether arg is a cluster of short options ("-ab"), not "-", "--" or a long option. */
static int short_cluster(const char *arg)
{
    return arg && arg[0] == '-' && arg[1] != '\0' && arg[1] != '-';
}

const char *tr_usage_refused_option(char *dst, size_t dstlen, int argc, char *const argv[])
{
    /* getopt hands a short option's byte over as a char: a negative one outside ASCII */
    int byte = optopt < 0 ? optopt + 256 : optopt;
    const char *arg = NULL;
    size_t at = 0;
    if (byte > 0 && byte < 256) {
        /* getopt stays on an argument until its last option character: the refused one is
         * inside argv[optind], or it ended argv[optind - 1]. */
        const char *here = optind < argc ? argv[optind] : NULL;
        const char *before = optind > 1 && optind - 1 < argc ? argv[optind - 1] : NULL;
        const char *hit;
        if (short_cluster(here) && (hit = strchr(here + 1, byte)) && hit[1] != '\0') {
            arg = here;
            at = (size_t)(hit - here);
        } else if (short_cluster(before) && (unsigned char)before[strlen(before) - 1] == byte) {
            arg = before;
            at = strlen(before) - 1;
        }
    }
    if (arg) {
        /* the whole character the byte begins, as typed: "-\xc3" would name no option */
        char option[8] = "-";
        unsigned cp;
        size_t rest = strlen(arg + at);
        size_t n = tr_utf8_char((const unsigned char *)arg + at, rest, &cp);
        memcpy(option + 1, arg + at, n ? n : 1);
        option[1 + (n ? n : 1)] = '\0';
        return tr_text_escape(dst, dstlen, option, TR_ECHO_CHARS);
    }
    /* a long option: getopt has always moved past it */
    return tr_text_escape(dst, dstlen, optind > 0 && optind - 1 < argc ? argv[optind - 1] : "",
                          TR_ECHO_CHARS);
}
