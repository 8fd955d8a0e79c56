"""Shared helpers for the end-to-end tests: run the binary, load golden rows, validate."""
import csv
import json
import os
import subprocess

BINARY = os.environ.get("TILERACE_BIN", "build/tilerace")
GOLDEN = os.environ.get("TILERACE_GOLDEN", "tests/data/golden.tsv")
SCHEMA = os.environ.get("TILERACE_SCHEMA", "docs/tilerace-output.schema.json")
# What the build under test has (ctest sets it from TILERACE_OPENCL and TILERACE_SERVER).
BUILD_HAS = frozenset(f for f in os.environ.get("TILERACE_BUILD_HAS", "opencl,server").split(",")
                      if f)
CLI_CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli", "cli_cases.tsv")
# Which builds a CLI case belongs to, by the prefix of its name (tests/cli/CMakeLists.txt
# applies the same rule): (prefix, feature, whether the build must have it).
CASE_NEEDS = (("serve_", "server", True), ("opencl_", "opencl", True),
              ("without_server_", "server", False), ("without_opencl_", "opencl", False))


def run(*args, check=True, timeout=300, **kw):
    """Runs tilerace; returns (CompletedProcess, parsed JSON or None)."""
    p = subprocess.run([BINARY] + [str(a) for a in args], capture_output=True, timeout=timeout,
                       **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"tilerace {' '.join(map(str, args))} exited {p.returncode}: "
                             f"{p.stderr.decode()}")
    doc = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip().startswith(b"{") else None
    return p, doc


# TILERACE_REQUIRE_OPENCL=1 (scripts/test.sh sets it for builds with OpenCL): a test that
# would skip for want of an OpenCL device fails instead, so a CI whose OpenCL platform is
# missing or broken cannot pass while testing nothing. Builds without OpenCL have no such tests.
REQUIRE_OPENCL = os.environ.get("TILERACE_REQUIRE_OPENCL") == "1" and "opencl" in BUILD_HAS


def opencl_devices():
    """The selectors (opencl:P.D) of the OpenCL devices `tilerace devices --json` lists, and
    what the shortcuts resolve to: (selectors, {"opencl": ..., "gpu": ..., "pocl": ...})."""
    _, doc = run("devices", "--json")
    return ([d["selector"] for d in doc["devices"] if d["selector"].startswith("opencl:")],
            doc.get("aliases", {}), doc.get("opencl"))


def without_opencl(what):
    """Where an OpenCL device a test needs is missing: returns normally (the caller skips)
    unless TILERACE_REQUIRE_OPENCL=1, where it raises with what was missing."""
    if REQUIRE_OPENCL:
        raise AssertionError(f"TILERACE_REQUIRE_OPENCL=1 and {what}: failing rather than "
                             "skipping")


def cli_case_applies(name):
    return all((feature in BUILD_HAS) == wanted
               for prefix, feature, wanted in CASE_NEEDS if name.startswith(prefix))


def cli_cases():
    """The rows of cli_cases.tsv that apply to this build: (name, exit, fragment, arguments)."""
    with open(CLI_CASES) as f:
        rows = [line.rstrip("\n").split("\t") for line in f
                if line.strip() and not line.startswith("#")]
    return [(r[0], int(r[1]), r[2], r[3]) for r in rows if cli_case_applies(r[0])]


def golden_rows():
    with open(GOLDEN, newline="") as f:
        return [dict(width=int(r["width"]), height=int(r["height"]), max_iter=int(r["max_iter"]),
                     checksum="fnv1a64:" + r["fnv1a64"],
                     total_iterations=int(r["total_iterations"]))
                for r in csv.DictReader(f, delimiter="\t")]


_validator = None


def validate(doc):
    global _validator
    if _validator is None:
        import jsonschema
        with open(SCHEMA) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema)
    _validator.validate(doc)


def tile_key(rec):
    return (rec["task_id"], rec["thread_id"], rec["tile_x"], rec["tile_y"], rec["tile_w"],
            rec["tile_h"], rec["pixels_computed"])


def lanes_of(doc):
    """The run's lanes: num_threads, or for several devices all of theirs together."""
    devices = doc["summary"].get("devices")
    return sum(d["lanes"] for d in devices) if devices else doc["params"]["num_threads"]


def check_records(tc, doc):
    """Structural checks every run must pass, whatever the device."""
    p = doc["params"]
    cols = -(-p["width"] // p["tile_w"])
    rows = -(-p["height"] // p["tile_h"])
    tc.assertEqual(doc["summary"]["tiles_total"], cols * rows)
    tc.assertEqual(doc["summary"]["tiles_completed"], len(doc["data"]))
    seen = set()
    prev = None
    for r in doc["data"]:
        tc.assertNotIn(r["task_id"], seen)
        seen.add(r["task_id"])
        x = (r["task_id"] % cols) * p["tile_w"]
        y = (r["task_id"] // cols) * p["tile_h"]
        tc.assertEqual((r["tile_x"], r["tile_y"]), (x, y))
        tc.assertEqual(r["tile_w"], min(p["tile_w"], p["width"] - x))
        tc.assertEqual(r["tile_h"], min(p["tile_h"], p["height"] - y))
        tc.assertEqual(r["pixels_computed"], r["tile_w"] * r["tile_h"])
        tc.assertEqual(r["start_time_ms"], r["start_time_us"] // 1000)
        tc.assertEqual(r["duration_ms"], r["duration_us"] // 1000)
        key = (r["start_time_us"], r["task_id"])
        if prev is not None:
            tc.assertLess(prev, key)
        prev = key
        tiles = cols * rows
        chunk = -(-tiles // min(lanes_of(doc), tiles))
        if p["mode"] == "sequential":
            tc.assertEqual(r["thread_id"], 0)
        elif p["mode"] == "concurrent":
            tc.assertEqual(r["thread_id"], r["task_id"] // chunk)
        else:
            tc.assertLess(r["thread_id"], lanes_of(doc))
        if p["mode"] == "steal":
            # stolen exactly when another thread than the concurrent-mode one rendered it
            tc.assertEqual(r.get("stolen", False), r["thread_id"] != r["task_id"] // chunk, r)
        else:
            tc.assertNotIn("stolen", r)
    s = doc["summary"]
    if p["mode"] == "steal":
        tc.assertEqual(len(s["steals"]), s["threads_used"])
        tc.assertEqual(sum(s["steals"]), s["steals_total"])
    else:
        tc.assertNotIn("steals", s)
        tc.assertNotIn("steals_total", s)
    # one lane renders one tile at a time: its records do not overlap. Within one microsecond
    # the document's order (task_id) need not be the lane's (a steal can go back to a lower
    # task_id), but a tile that ended in the microsecond it started shows 0 us: it goes first.
    lane_end = {}
    for r in sorted(doc["data"], key=lambda r: (r["start_time_us"], r["duration_us"])):
        tc.assertGreaterEqual(r["start_time_us"], lane_end.get(r["thread_id"], 0), r)
        lane_end[r["thread_id"]] = r["start_time_us"] + r["duration_us"]
    if doc["summary"]["tiles_completed"] == doc["summary"]["tiles_total"]:
        tc.assertEqual(sum(r["pixels_computed"] for r in doc["data"]),
                       p["width"] * p["height"])


def read_terminal(master):
    """Everything written to a pseudo-terminal, read from its master side until every writer
    has closed it."""
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen
