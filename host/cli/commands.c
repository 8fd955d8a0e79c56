#include "cli/commands.h"

#include <string.h>

#include "cli/compare.h"
#include "cli/bench.h"
#include "cli/devices.h"
#include "cli/help.h"
#include "cli/option_parser.h"
#include "cli/replay.h"
#include "cli/run.h"
#include "cli/selftest.h"
#include "cli/usage.h"
#include "cli/exit_codes.h"
#include "core/text_escape.h"
#ifdef TILERACE_HAVE_SERVER
#include "cli/serve.h"
#define SERVE_MAIN tr_serve_main
#else
#define SERVE_MAIN NULL
#endif

/* A number macro as text, for help texts that are string literals. */
#define STRING(x)      #x
#define NUMBER_TEXT(x) STRING(x)

static const char run_description[] =
    "Renders the Mandelbrot set as a grid of tiles under a time limit, on CPU threads or an\n"
    "OpenCL device, and prints one JSON document with a record for every tile rendered\n"
    "(--format: a summary for people, or CSV; the summary on a terminal).\n";

static const char run_epilogue[] =
    "Output: {\"success\", \"data\": [records], \"params\", \"message\", \"summary\"}; a record\n"
    "is task_id, thread_id, tile_x, tile_y, tile_w, tile_h, start_time_ms, duration_ms,\n"
    "pixels_computed, start_time_us, duration_us (and device_time_us on OpenCL), device;\n"
    "times are from one monotonic origin taken just before the first tile. See the README.\n"
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

static const char replay_description[] =
    "Writes one self-contained HTML page that plays 1.." NUMBER_TEXT(
        TR_REPLAY_MAX_RUNS) " runs back side by side on one\n"
                            "clock (tiles, lanes, timeline). RUN is a run document or the NDJSON "
                            "of --stream.\n"
                            "An unreadable RUN exits 4, a RUN that is not a run exits 2.\n";

static const char compare_description[] =
    "Prints runs side by side: device, kernel, mode, threads, frame, tiles done, elapsed\n"
    "time and rate, each rate as a ratio to the first run's (list the baseline first),\n"
    "and whether the checksums of runs that render the same frame (width x height,\n"
    "max_iter, precision) agree. A run the time limit cut short has no checksum and is\n"
    "marked incomplete. RUN is a run document or the NDJSON of --stream.\n";

static const char compare_epilogue[] =
    "Exit codes: 0 the checksums agree (or there is none to compare); 1 two complete\n"
    "runs of one frame have different checksums; 2 bad usage, a RUN that is not a run\n"
    "or is too large; 4 a RUN that cannot be read or stdout that cannot be written.\n";

static const char devices_description[] =
    "Lists the devices --device can name, a block per device: the CPU path and\n"
    "every OpenCL device, with the shortcuts (cpu, opencl, gpu, pocl) that resolve\n"
    "to it here and the kernel --kernel auto runs on it; then what each shortcut\n"
    "resolves to.\n";

static const char selftest_description[] =
    "Renders small frames on the CPU path and on every OpenCL device (or the\n"
    "--device list), in double and float with the scalar and vector kernels, and\n"
    "compares their checksums and records with the CPU reference. Exits 1 on a\n"
    "mismatch, 3 when a device fails or, with --require-opencl, when no OpenCL\n"
    "device was tested.\n";

static const char serve_description[] =
    "Serves the Hardware Havoc HTTP API until SIGTERM or SIGINT:\n"
    "  GET /api/compute/health\n"
    "  GET /api/compute/{sequential,concurrent,dynamic,steal}?width=..&height=..\n"
    "      &tile_w=..&tile_h=..&max_iter=..&time_limit_ms=..&num_threads=..&queue_depth=..\n"
    "      &device=..&precision=..&kernel=..\n"
    "      the same JSON document as 'tilerace run' with the same parameters\n"
    "  GET /api/compute/{sequential,concurrent,dynamic,steal}/stream?...\n"
    "      Server-Sent Events: one 'tile' event per finished tile, then 'complete'\n"
    "Parameters take the run options' ranges and defaults; unknown or repeated ones are\n"
    "errors. Errors are JSON {\"success\": false, \"error\", \"message\"}.\n";

static const char serve_epilogue[] =
    "HTTP statuses: 200 answer; 204 CORS preflight; 400 bad parameter, malformed URL or\n"
    "unsupported Transfer-Encoding; 403 origin or Host not allowed; 404 unknown path;\n"
    "405 method other than GET or OPTIONS; 414 URL longer than 8192 bytes; 500 internal\n"
    "failure; 503 busy or shutting down (with Retry-After) or the device is unavailable\n"
    "on this server.\n"
    "\n"
    "Exit codes: 0 stopped by SIGTERM/SIGINT; 2 bad option; 4 cannot listen (address in\n"
    "use, permission); 1 internal failure.\n";

static const char bench_description[] =
    "Compares devices (the CPU path and each OpenCL device), kernels and modes head\n"
    "to head on named workloads: each row runs after a warm-up, several times, and\n"
    "shows the median rate in Giga-iterations/s with its min..max and spread, the\n"
    "elapsed time, the time per tile and, for rows on this CPU, the rate as a\n"
    "fraction of the ceiling (the same loop with every lane always busy, as\n"
    "tilerace-ceiling measures it). A figure that cannot be true is flagged, never\n"
    "printed plain: a rate above the ceiling, runs that disagree by more than 20%,\n"
    "a frame whose checksum is not the other rows'. Runs have no time limit and are\n"
    "timed in this process (the JSON's \"measured\" says exactly what; process start-\n"
    "up is not in them).\n";

static const char bench_epilogue[] =
    "Workloads (--workload; any frame as WxH/ITER[/TILE], 64x64 tiles by default):\n"
    "  small       800x600, max_iter 256, 64x64 tiles: tilerace run's default frame\n"
    "  default     1920x1080, max_iter 1000, 64x64: the head-to-head frame\n"
    "  deep        320x240, max_iter 20000, 32x32: the inner loop, little else\n"
    "  tiny-tiles  512x512, max_iter 64, 8x8: 4096 tiles of little work each\n"
    "  large       4096x4096, max_iter 256, 64x64: memory, many tiles (when named)\n"
    "\n"
    "Output: a table on stdout (unless --json - or --csv - takes stdout), rows\n"
    "grouped by workload, flags footnoted under it. --quick: small and tiny-tiles,\n"
    "the scalar kernel and auto's, 3 runs: about 15 s for the CPU path and pocl on\n"
    "2 busy cores.\n"
    "\n"
    "Exit codes: 0 done (flagged rows included); 1 rows rendered different frames;\n"
    "2 bad option; 3 a device is missing, or a row failed on one (the other rows\n"
    "still run and are written); 4 an output cannot be written.\n";

static const char help_description[] =
    "Prints the overview of every command, or the help of one: the same as\n"
    "'tilerace COMMAND --help'.\n";

const struct tr_cli_command tr_cli_commands[] = {
    {"run", TR_CMD_RUN, "render one frame, print its JSON document (the default command)",
     "[run] [OPTIONS]", run_description, run_epilogue, tr_cli_run, NULL, 1},
    {"replay", TR_CMD_REPLAY,
     "one self-contained HTML page that plays 1.." NUMBER_TEXT(
         TR_REPLAY_MAX_RUNS) " runs (documents or --stream NDJSON) back side by side",
     "replay RUN.json [RUN2.json ...] [-o FILE] [--force] [--max-input-mb N]", replay_description,
     NULL, tr_cli_replay, NULL, 0},
    {"compare", TR_CMD_COMPARE, "runs side by side: rates, their ratios, checksums",
     "compare RUN.json [RUN2.json ...] [--json]", compare_description, compare_epilogue,
     tr_cli_compare, NULL, 0},
    {"devices", TR_CMD_DEVICES, "list the devices --device can name", "devices [--json]",
     devices_description, NULL, tr_cli_devices, NULL, 1},
    {"selftest", TR_CMD_SELFTEST, "the CPU path against every OpenCL device on small frames",
     "selftest [--device LIST] [--json] [--require-opencl] [OPTIONS]",
     selftest_description, NULL, tr_cli_selftest, NULL, 1},
    {"serve", TR_CMD_SERVE, "the HTTP API (GET /api/compute/...)", "serve [OPTIONS]",
     serve_description, serve_epilogue, SERVE_MAIN,
     "not in this build (configured with -DTILERACE_SERVER=OFF)", 1},
    {"bench", TR_CMD_BENCH, "devices, kernels and modes head to head: medians, spread, ceiling",
     "bench [--quick] [--device LIST] [OPTIONS]", bench_description, bench_epilogue, tr_cli_bench,
     NULL, 1},
    {"help", -1, "this overview, or one command's help", "help [COMMAND]", help_description, NULL,
     tr_cli_help, NULL, 0},
};
const size_t tr_cli_command_count = sizeof(tr_cli_commands) / sizeof(tr_cli_commands[0]);

const struct tr_cli_command *tr_cli_command_find(const char *name)
{
    for (size_t i = 0; i < tr_cli_command_count; i++)
        if (strcmp(tr_cli_commands[i].name, name) == 0)
            return &tr_cli_commands[i];
    return NULL;
}

const struct tr_cli_command *tr_cli_command_of(enum tr_command_id id)
{
    for (size_t i = 0; i < tr_cli_command_count; i++)
        if (tr_cli_commands[i].options == (int)id)
            return &tr_cli_commands[i];
    return NULL;
}

int tr_cli_unknown_command(const char *prefix, const char *word)
{
    const char *names[sizeof(tr_cli_commands) / sizeof(tr_cli_commands[0])];
    char q[TR_QUOTE_SIZE(TR_ECHO_CHARS)], found[256], list[256] = "";
    for (size_t i = 0; i < tr_cli_command_count; i++) {
        names[i] = tr_cli_commands[i].name;
        strncat(list, names[i], sizeof(list) - strlen(list) - 1);
        if (i + 1 < tr_cli_command_count)
            strncat(list, ", ", sizeof(list) - strlen(list) - 1);
    }
    tr_cli_suggest(found, sizeof(found), word, names, tr_cli_command_count, "");
    return tr_cli_fail(TR_EXIT_USAGE, "%sunknown command %s%s%s%s (commands: %s)", prefix,
                       tr_text_quote(q, sizeof(q), word, TR_ECHO_CHARS),
                       found[0] ? "; did you mean " : "", found, found[0] ? "?" : "", list);
}

int tr_cli_not_built(const struct tr_cli_command *c)
{
    return tr_cli_fail(TR_EXIT_USAGE, "%s: %s", c->name, c->not_built);
}
