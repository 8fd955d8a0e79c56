#include "core/options.h"

#include <string.h>

#define RUN      (1u << TR_CMD_RUN)
#define DEVICES  (1u << TR_CMD_DEVICES)
#define SELFTEST (1u << TR_CMD_SELFTEST)
#define REPLAY   (1u << TR_CMD_REPLAY)
#define SERVE    (1u << TR_CMD_SERVE)
#define COMPARE  (1u << TR_CMD_COMPARE)
#define BENCH    (1u << TR_CMD_BENCH)
#define ALL      ((1u << TR_CMD_COUNT) - 1)

/* A whole number: range, default. */
#define NUMBER(lo, hi, dflt)                                                                       \
    .type = TR_VALUE_NUMBER, .metavar = "N", .min = lo, .max = hi, .def = dflt

/* The order of each list is that of its enum (tr_mode, tr_precision, tr_kernel,
 * tr_image_format): a choice is stored as its index. */
static const struct tr_option_choice modes[] = {
    {"sequential", "one thread, tiles in task_id order"},
    {"concurrent", "contiguous chunks of ceil(tiles/threads) tiles, one thread per chunk"},
    {"dynamic", "each thread takes the next free tile"},
    {"steal", "each thread starts with its concurrent chunk; an idle thread steals the back "
              "half of the richest thread's remaining tiles"},
    {NULL, NULL},
};

static const struct tr_option_choice devices[] = {
    {"cpu", "pthreads on this machine's processor"},
    {"opencl", "the first OpenCL GPU, else the first OpenCL device"},
    {"gpu", "the first OpenCL GPU"},
    {"pocl", "the first CPU device of the pocl platform"},
    {"opencl:P.D", "platform P, device D, as 'tilerace devices' lists them"},
    {"all", "the CPU path and every OpenCL device that can render the precision, together"},
    {NULL, NULL},
};

static const struct tr_option_choice precisions[] = {
    {"double", NULL},
    {"float", NULL},
    {NULL, NULL},
};

static const struct tr_option_choice kernels[] = {
    {"auto", "vector on CPU and OpenCL CPU devices, scalar on GPUs"},
    {"scalar", "the one-pixel loop (the baseline)"},
    {"vector", "SIMD on the CPU path (AVX-512, AVX2 or SSE2, picked at run time); on OpenCL, "
               "strips of tile rows in double8/float16 vectors with lanes refilled"},
    {NULL, NULL},
};

static const struct tr_option_choice output_formats[] = {
    {"json", "the run document: params, a record per tile, summary"},
    {"summary", "a short table for people: device, frame, tiles, time, rate, checksum"},
    {"csv", "a header, then one row per record (the record's fields)"},
    {NULL, NULL},
};

static const struct tr_option_choice image_formats[] = {
    {"color", "8-bit RGB, a smooth colour map over the counts, black where a point never "
              "escaped; unrendered tiles hatched in grey"},
    {"gray16", "the raw counts as 16-bit grayscale; with unrendered tiles, 16-bit gray+alpha "
               "with alpha 0 there"},
    {NULL, NULL},
};

const struct tr_option tr_options[TR_OPTION_COUNT] = {
    [TR_OPTION_WIDTH] = {.name = "width",
                         .query = "width",
                         .commands = RUN,
                         NUMBER(1, TR_MAX_SIDE, 800),
                         .span = "width x height",
                         .span_max = TR_MAX_PIXELS,
                         .help = "image width in pixels"},
    [TR_OPTION_HEIGHT] = {.name = "height",
                          .query = "height",
                          .commands = RUN,
                          NUMBER(1, TR_MAX_SIDE, 600),
                          .span = "width x height",
                          .span_max = TR_MAX_PIXELS,
                          .help = "image height in pixels"},
    [TR_OPTION_TILE_W] = {.name = "tile-w",
                          .query = "tile_w",
                          .commands = RUN,
                          NUMBER(1, TR_MAX_SIDE, 64),
                          .span = "tiles in the grid",
                          .span_max = TR_MAX_TILES,
                          .help = "tile width (edge tiles are clipped)"},
    [TR_OPTION_TILE_H] = {.name = "tile-h",
                          .query = "tile_h",
                          .commands = RUN,
                          NUMBER(1, TR_MAX_SIDE, 64),
                          .span = "tiles in the grid",
                          .span_max = TR_MAX_TILES,
                          .help = "tile height (edge tiles are clipped)"},
    [TR_OPTION_MAX_ITER] = {.name = "max-iter",
                            .query = "max_iter",
                            .commands = RUN,
                            NUMBER(1, TR_MAX_ITER, 256),
                            .help = "iteration cap per pixel (counts are uint16)"},
    [TR_OPTION_TIME_LIMIT_MS] = {.name = "time-limit-ms",
                                 .query = "time_limit_ms",
                                 .commands = RUN,
                                 NUMBER(0, TR_MAX_TIME_LIMIT_MS, 2000),
                                 .help = "no tile starts after N ms (0: no limit)"},
    [TR_OPTION_NUM_THREADS] = {.name = "num-threads",
                               .query = "num_threads",
                               .commands = RUN,
                               NUMBER(1, TR_MAX_THREADS, 4),
                               .default_text = "the CPUs tilerace may use; HTTP: 4",
                               .help = "threads (CPU) or lanes (OpenCL)",
                               .details = "On the command line the default is the number of "
                                          "CPUs this process may run on (its affinity mask, "
                                          "as taskset sets it), at most 256; the HTTP API's "
                                          "default is 4, as in Hardware Havoc."},
    [TR_OPTION_QUEUE_DEPTH] =
        {.name = "queue-depth",
         .query = "queue_depth",
         .commands = RUN,
         NUMBER(1, TR_MAX_QUEUE_DEPTH, 4),
         .help = "tiles an OpenCL lane keeps queued on its device",
         .details = "With 2 or more the device starts a lane's next tile as soon as it ends the "
                    "last. A queued tile starts only once the time-limit check allows it, so "
                    "the limit is exact at every depth. The CPU path renders each tile in the "
                    "thread that takes it: --device cpu refuses this option.",
         .opencl_only = 1},
    [TR_OPTION_MODE] = {.name = "mode",
                        .commands = RUN,
                        .type = TR_VALUE_CHOICE,
                        .metavar = "M",
                        .choices = modes,
                        .def = 1,
                        .help = "how tiles are shared out"},
    [TR_OPTION_DEVICE] = {.name = "device",
                          .query = "device",
                          .commands = RUN,
                          .type = TR_VALUE_DEVICE,
                          .metavar = "D",
                          .choices = devices,
                          .def = 0,
                          .help = "where tiles run: one device, or several together (D1,D2)",
                          .details = "A comma-separated list renders one frame on several "
                                     "devices at once (at most 16, each named once): "
                                     "SELECTOR@N gives a device N lanes, else it gets "
                                     "--num-threads; all lanes together at most 256. Lanes "
                                     "are numbered across the devices in the list's order, "
                                     "and every mode shares the tiles out over all of them."},
    [TR_OPTION_PRECISION] =
        {.name = "precision",
         .query = "precision",
         .commands = RUN,
         .type = TR_VALUE_CHOICE,
         .metavar = "P",
         .choices = precisions,
         .def = 0,
         .help = "floating-point type (double is the Hardware Havoc API's exact function)"},
    [TR_OPTION_KERNEL] = {.name = "kernel",
                          .query = "kernel",
                          .commands = RUN,
                          .type = TR_VALUE_CHOICE,
                          .metavar = "K",
                          .choices = kernels,
                          .def = 0,
                          .help = "the pixel loop (scalar: the one-pixel loop)"},
    [TR_OPTION_KERNEL_DIR] =
        {.name = "kernel-dir",
         .commands = RUN | SELFTEST,
         .type = TR_VALUE_PATH,
         .metavar = "DIR",
         .accepted = "a folder with mandelbrot.cl",
         .default_text = "built in",
         .help = "load the OpenCL kernels from DIR instead of the built-in copy, for kernel "
                 "development",
         .details = "OpenCL devices only: tilerace run refuses it with --device cpu. "
                    "DIR/mandelbrot.cl must be a regular file of at most 16\u00a0MiB.",
         .opencl_only = 1},
    [TR_OPTION_OUT] = {.name = "out",
                       .short_name = 'o',
                       .commands = RUN,
                       .type = TR_VALUE_PATH,
                       .metavar = "FILE",
                       .accepted = "a writable path, or - for stdout",
                       .default_text = "-",
                       .help = "where the output goes, written atomically"},
    [TR_OPTION_FORMAT] =
        {.name = "format",
         .commands = RUN,
         .type = TR_VALUE_CHOICE,
         .metavar = "F",
         .choices = output_formats,
         .def = 0,
         .help = "the form of the output (json; summary when stdout is a terminal)",
         .details = "Without --format, --out, --stream and --record-pixels, a terminal on "
                    "stdout gets the summary and a line on how to get the JSON. --stream and "
                    "--record-pixels need json. --quiet silences only stderr."},
    [TR_OPTION_IMAGE] =
        {.name = "image",
         .commands = RUN,
         .type = TR_VALUE_PATH,
         .metavar = "FILE",
         .accepted = "a writable path ending in .png (any case), or one without an extension",
         .default_text = "none",
         .help = "also write the frame as PNG, atomically",
         .details = "Tiles the time limit left unrendered are marked (see --image-format). "
                    "Another extension (x.jpg) is refused: the image is always PNG."},
    [TR_OPTION_IMAGE_FORMAT] = {.name = "image-format",
                                .commands = RUN,
                                .type = TR_VALUE_CHOICE,
                                .metavar = "F",
                                .choices = image_formats,
                                .def = 0,
                                .help =
                                    "colour map, or the raw counts as 16-bit gray; needs --image",
                                .details =
                                    "A gray16 pixel is its iteration count, 0..max-iter out of "
                                    "65535, so most viewers show the frame black: stretch its "
                                    "levels to see it (ImageMagick: magick x.png -auto-level "
                                    "y.png; GIMP: Colors > Auto > Stretch Contrast), or read "
                                    "the counts with a program. color is for looking at."},
    [TR_OPTION_STREAM] =
        {.name = "stream",
         .commands = RUN,
         .type = TR_VALUE_NONE,
         .help = "NDJSON: a line per tile as it finishes, then the document as the last line",
         .details = "A tile's line is its record plus \"data\", its tile_w*tile_h counts, "
                    "row-major."},
    [TR_OPTION_RECORD_PIXELS] = {.name = "record-pixels",
                                 .commands = RUN,
                                 .type = TR_VALUE_NONE,
                                 .help = "every record carries its tile's counts as \"data\""},
    [TR_OPTION_QUIET] = {.name = "quiet",
                         .commands = RUN,
                         .type = TR_VALUE_NONE,
                         .help = "no progress bar on stderr",
                         .details = "Otherwise the bar is shown when stderr is a terminal and "
                                    "the run takes longer than half a second."},

    [TR_OPTION_REPLAY_OUT] = {.name = "out",
                              .short_name = 'o',
                              .commands = REPLAY,
                              .type = TR_VALUE_PATH,
                              .metavar = "FILE",
                              .accepted = "a writable path, or - for stdout",
                              .default_text = "replay.html",
                              .help = "where the page goes, written atomically",
                              .details = "Without -o the page is replay.html in the current "
                                         "folder, and an existing replay.html is kept (exit 2) "
                                         "unless --force is given. -o FILE replaces FILE."},
    [TR_OPTION_MAX_INPUT_MB] =
        {.name = "max-input-mb",
         .commands = REPLAY,
         NUMBER(1, 4096, 64),
         .help = "the largest RUN file replay reads, in MiB",
         .details = "A larger one exits 2. Reading takes about 35 times a file's size in memory "
                    "(out of memory: exit 1). RUN must be a regular file (a FIFO or device exits "
                    "4) of UTF-8 text."},

    [TR_OPTION_COMPARE_JSON] = {.name = "json",
                                .commands = COMPARE,
                                .type = TR_VALUE_NONE,
                                .help = "the comparison as JSON instead of a table"},
    [TR_OPTION_COMPARE_MAX_INPUT_MB] = {.name = "max-input-mb",
                                        .commands = COMPARE,
                                        NUMBER(1, 4096, 64),
                                        .help = "the largest RUN file compare reads, in MiB",
                                        .details =
                                            "A larger one exits 2; RUN must be a regular file."},
    [TR_OPTION_FORCE] = {.name = "force",
                         .commands = REPLAY,
                         .type = TR_VALUE_NONE,
                         .help = "replace an existing replay.html when -o is not given"},

    [TR_OPTION_JSON] = {.name = "json",
                        .commands = DEVICES,
                        .type = TR_VALUE_NONE,
                        .help = "the list as JSON, with pocl's kernel cache folder"},
    [TR_OPTION_SELECTORS] = {.name = "selectors",
                             .commands = DEVICES,
                             .type = TR_VALUE_NONE,
                             .help = "only the --device selectors that name a device here, one "
                                     "a line (for scripts and shell completion)"},

    [TR_OPTION_SELFTEST_DEVICE] =
        {.name = "device",
         .commands = SELFTEST,
         .type = TR_VALUE_TEXT,
         .metavar = "LIST",
         .accepted = "cpu, opencl, gpu, pocl or opencl:P.D, comma-separated; at most 16",
         .default_text = "cpu and every OpenCL device",
         .help = "the devices to test",
         .details = "Each is resolved as --device resolves it ('tilerace devices' says to "
                    "what); two names for one device are an error, one that names nothing "
                    "here exits 3."},
    [TR_OPTION_SELFTEST_JSON] = {.name = "json",
                                 .commands = SELFTEST,
                                 .type = TR_VALUE_NONE,
                                 .help = "the result as one JSON document: per device and "
                                         "frame, its checksum against the CPU reference"},
    [TR_OPTION_REQUIRE_OPENCL] =
        {.name = "require-opencl",
         .commands = SELFTEST,
         .type = TR_VALUE_NONE,
         .help = "fail (exit 3) when no OpenCL device is tested",
         .details = "For CI: without it, a machine with no OpenCL platform (no ICD file, "
                    "an empty OCL_ICD_VENDORS folder) tests the CPU path alone and passes."},

    [TR_OPTION_BIND] = {.name = "bind",
                        .commands = SERVE,
                        .type = TR_VALUE_TEXT,
                        .metavar = "ADDR",
                        .accepted = "an IPv4 or IPv6 address",
                        .default_text = "127.0.0.1",
                        .help = "where to listen"},
    [TR_OPTION_PORT] = {.name = "port",
                        .commands = SERVE,
                        NUMBER(0, 65535, 8405),
                        .help = "TCP port (0: any free port; the URL printed says which)"},
    [TR_OPTION_ALLOW_ORIGIN] =
        {.name = "allow-origin",
         .commands = SERVE,
         .type = TR_VALUE_TEXT,
         .metavar = "ORIGIN",
         .accepted = "http[s]://HOST[:PORT] or http[s]://HOST:*, repeatable",
         .max = TR_MAX_ALLOW_ORIGINS,
         .default_text = "loopback on any port",
         .help = "a browser origin allowed by CORS (the first replaces the default)",
         .details = "HOST:* allows any port. The default is http://127.0.0.1:*, "
                    "http://localhost:* and http://[::1]:*."},
    [TR_OPTION_CAP_PIXELS] = {.name = "cap-pixels",
                              .commands = SERVE,
                              NUMBER(1, TR_MAX_PIXELS, 16777216), /* 4096 x 4096: 32 MiB */
                              .help = "largest width x height per request"},
    [TR_OPTION_CAP_TILES] = {.name = "cap-tiles",
                             .commands = SERVE,
                             NUMBER(1, TR_MAX_TILES, 65536), /* about 13 MB of JSON records */
                             .help = "largest tile count per request (bounds the answer's size)"},
    [TR_OPTION_CAP_TILE_PIXELS] =
        {.name = "cap-tile-pixels",
         .commands = SERVE,
         NUMBER(1, TR_MAX_PIXELS, 1048576), /* 1024 x 1024 */
         .help = "largest tile (clipped tile_w x tile_h) per request",
         .details = "A render is cancelled, or meets its time limit, only between tiles, so this "
                    "bounds how long one tile can hold a render slot (on OpenCL too: queued "
                    "tiles that have not started are cancelled)."},
    [TR_OPTION_CAP_MAX_ITER] = {.name = "cap-max-iter",
                                .commands = SERVE,
                                NUMBER(1, TR_MAX_ITER, TR_MAX_ITER),
                                .help = "largest max_iter"},
    [TR_OPTION_CAP_TIME_LIMIT_MS] =
        {.name = "cap-time-limit-ms",
         .commands = SERVE,
         NUMBER(0, TR_MAX_TIME_LIMIT_MS, 60000),
         .help = "largest time_limit_ms (0: no cap, and only then is time_limit_ms=0, no limit, "
                 "accepted)"},
    [TR_OPTION_CAP_NUM_THREADS] = {.name = "cap-num-threads",
                                   .commands = SERVE,
                                   NUMBER(1, TR_MAX_THREADS, 64),
                                   .help = "largest num_threads"},
    [TR_OPTION_MAX_RENDERS] = {.name = "max-renders",
                               .commands = SERVE,
                               NUMBER(1, 256, 4),
                               .help = "renders at once"},
    [TR_OPTION_MAX_QUEUED] = {.name = "max-queued",
                              .commands = SERVE,
                              NUMBER(0, 4096, 16),
                              .help = "requests waiting (first come, first served) for a render "
                                      "slot (more: 503 with Retry-After)"},
    [TR_OPTION_ALLOW_HOST] =
        {.name = "allow-host",
         .commands = SERVE,
         .type = TR_VALUE_TEXT,
         .metavar = "NAME",
         .accepted = "a host name, IPv4 or [IPv6] address, or *, repeatable or comma-separated",
         .max = TR_MAX_ALLOW_HOSTS,
         .default_text = "none",
         .help = "a Host name answered besides the loopback ones",
         .details = "A server on a loopback address answers only to localhost, 127.0.0.1, [::1] "
                    "and its own address on its port, and to these names on any port; other "
                    "Hosts get 403 (against DNS rebinding). '*' turns the check off. A server "
                    "on another address checks Host only when names are given. An "
                    "HTTP/1.0\u00a0request\u00a0without\u00a0Host is served."},
    [TR_OPTION_MAX_CONNECTIONS] =
        {.name = "max-connections",
         .commands = SERVE,
         NUMBER(1, 65536, 4096),
         .help = "open connections (more wait in the kernel's listen queue)",
         .details = "The open-file limit is raised to fit, or the count lowered with a log "
                    "line."},
    [TR_OPTION_REQUEST_TIMEOUT_MS] =
        {.name = "request-timeout-ms",
         .commands = SERVE,
         NUMBER(100, 3600000, 10000),
         .help = "a connection must deliver a whole request within N ms of opening or of its "
                 "previous answer, or it is closed"},
    [TR_OPTION_SHUTDOWN_TIMEOUT_MS] =
        {.name = "shutdown-timeout-ms",
         .commands = SERVE,
         NUMBER(0, 3600000, 10000),
         .help = "on SIGTERM/SIGINT, how long requests in progress may finish before their "
                 "renders are cancelled"},
    [TR_OPTION_LOG_REQUESTS] = {.name = "log-requests",
                                .commands = SERVE,
                                .type = TR_VALUE_NONE,
                                .help = "one line per request on stderr",
                                .details = "The line: the UTC time the request arrived (ISO 8601, "
                                           "ms), the client's address and port, \"METHOD TARGET\" "
                                           "(escaped), the status (000: closed unanswered) and the "
                                           "duration in ms."},
    [TR_OPTION_WARM] =
        {.name = "warm",
         .commands = SERVE,
         .type = TR_VALUE_TEXT,
         .metavar = "DEVICE",
         .accepted = "opencl, gpu, pocl or opencl:P.D, repeatable or comma-separated",
         .max = TR_MAX_WARM,
         .default_text = "none: each on its first request",
         .help = "an OpenCL device prepared (context, built program) before listening",
         .details = "Requests on an OpenCL device share one context and built program per "
                    "precision, made here or by the first request that needs them. A selector "
                    "that is not one exits 2; a device that is missing or fails to build "
                    "exits 3. cpu needs nothing."},

    [TR_OPTION_BENCH_DEVICE] =
        {.name = "device",
         .commands = BENCH,
         .type = TR_VALUE_TEXT,
         .metavar = "LIST",
         .accepted = "single devices (cpu, opencl, gpu, pocl, opencl:P.D), comma-separated; "
                     "each runs alone",
         .default_text = "cpu and every OpenCL device",
         .help = "the devices to compare",
         .details = "Two selectors that name one device exit 2, one that names no device "
                    "exits 3."},
    [TR_OPTION_BENCH_WORKLOAD] =
        {.name = "workload",
         .commands = BENCH,
         .type = TR_VALUE_TEXT,
         .metavar = "LIST",
         .accepted = "small, default, deep, tiny-tiles, large or WxH/ITER[/TILE], "
                     "comma-separated",
         .default_text = "small, default, deep, tiny-tiles; --quick: small, tiny-tiles",
         .help = "the frames to render (the named ones: Workloads in 'tilerace help bench')"},
    [TR_OPTION_BENCH_KERNEL] =
        {.name = "kernel",
         .commands = BENCH,
         .type = TR_VALUE_TEXT,
         .metavar = "LIST",
         .accepted = "scalar, sse2, avx2, avx512, vector, auto, comma-separated",
         .default_text = "cpu: scalar, each ISA here; OpenCL: scalar, vector",
         .help = "the kernels to compare",
         .details = "sse2, avx2 and avx512 are the CPU path's vector kernel on that "
                    "instruction set (OpenCL devices skip them; one this processor lacks "
                    "exits 3); vector and auto as run's --kernel. --quick: scalar and auto."},
    [TR_OPTION_BENCH_MODE] = {.name = "mode",
                              .commands = BENCH,
                              .type = TR_VALUE_TEXT,
                              .metavar = "LIST",
                              .accepted = "sequential, concurrent, dynamic, steal, comma-separated",
                              .default_text = "all four",
                              .help = "the modes to compare (sequential runs on one thread)"},
    [TR_OPTION_BENCH_PRECISION] = {.name = "precision",
                                   .commands = BENCH,
                                   .type = TR_VALUE_TEXT,
                                   .metavar = "LIST",
                                   .accepted = "double, float, comma-separated",
                                   .default_text = "double",
                                   .help = "the floating-point types to compare"},
    [TR_OPTION_BENCH_THREADS] = {.name = "threads",
                                 .commands = BENCH,
                                 NUMBER(0, TR_MAX_THREADS, 0),
                                 .help = "threads (CPU) or lanes (OpenCL) of the concurrent and "
                                         "dynamic runs (0: one per CPU this process may use)"},
    [TR_OPTION_BENCH_RUNS] = {.name = "runs",
                              .commands = BENCH,
                              NUMBER(1, TR_MAX_BENCH_RUNS, 5),
                              .help = "timed runs per row, after the warm-up (--quick: 3 unless "
                                      "given)"},
    [TR_OPTION_BENCH_WARMUP] = {.name = "warmup",
                                .commands = BENCH,
                                NUMBER(0, 10, 1),
                                .help = "untimed runs per row before the timed ones"},
    [TR_OPTION_BENCH_QUICK] = {.name = "quick",
                               .commands = BENCH,
                               .type = TR_VALUE_NONE,
                               .help = "fewer workloads, kernels and runs: a few seconds per "
                                       "device"},
    [TR_OPTION_BENCH_JSON] = {.name = "json",
                              .commands = BENCH,
                              .type = TR_VALUE_PATH,
                              .metavar = "FILE",
                              .accepted = "a writable path, or - for stdout",
                              .default_text = "none",
                              .help = "also write the results as JSON "
                                      "(docs/tilerace-bench.schema.json), atomically"},
    [TR_OPTION_BENCH_CSV] = {.name = "csv",
                             .commands = BENCH,
                             .type = TR_VALUE_PATH,
                             .metavar = "FILE",
                             .accepted = "a writable path, or - for stdout",
                             .default_text = "none",
                             .help = "also write the results as CSV, a row per result, "
                                     "atomically"},

    [TR_OPTION_HELP] = {.name = "help",
                        .short_name = 'h',
                        .commands = ALL,
                        .type = TR_VALUE_NONE,
                        .help = "this help"},
    [TR_OPTION_VERSION] = {.name = "version",
                           .short_name = 'V',
                           .commands = RUN,
                           .type = TR_VALUE_NONE,
                           .help = "the version"},
};

int tr_option_of(const struct tr_option *o, enum tr_command_id command)
{
    return (o->commands >> command) & 1u;
}

const struct tr_option *tr_option_find(enum tr_command_id command, const char *name)
{
    for (size_t i = 0; i < TR_OPTION_COUNT; i++)
        if (tr_option_of(&tr_options[i], command) && strcmp(tr_options[i].name, name) == 0)
            return &tr_options[i];
    return NULL;
}

const struct tr_option *tr_option_by_query(const char *name)
{
    for (size_t i = 0; i < TR_OPTION_COUNT; i++)
        if (tr_options[i].query && strcmp(tr_options[i].query, name) == 0)
            return &tr_options[i];
    return NULL;
}

int tr_option_repeatable(const struct tr_option *o)
{
    return o->type == TR_VALUE_TEXT && o->max > 0;
}

size_t tr_option_choice_count(const struct tr_option *o)
{
    size_t n = 0;
    while (o->choices && o->choices[n].name)
        n++;
    return n;
}
