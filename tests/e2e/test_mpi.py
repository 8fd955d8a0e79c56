#!/usr/bin/env python3
"""tilerace-mpi across the ranks of an MPI job (mpirun, as root with --oversubscribe): the
golden frames with 1, 2 and 3 ranks in every mode; each task_id once, thread_id numbered over
every rank's lanes, rank by rank, and records naming their rank; MPMD with cpu on one rank and
pocl on another (in a build with OpenCL); parameters that differ between ranks refused; a rank
with a missing device ends the run with one error and exit 3 and no output file; no tile starts
after the time limit on any rank; --stream's lines from every rank; --format csv with rank and
host columns; only rank 0 holds the frame; the warning for lanes bound to fewer CPUs; the
counter bench's bad options.

TILERACE_MPI_BIN is tilerace-mpi, TILERACE_MPI_COUNTER_BIN tilerace-mpi-counter, MPIEXEC mpirun
(ctest sets them)."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

MPI_BIN = os.environ.get("TILERACE_MPI_BIN", "build/tilerace-mpi")
COUNTER_BIN = os.environ.get("TILERACE_MPI_COUNTER_BIN", "build/tilerace-mpi-counter")
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
# -q: Open MPI's own notes on a rank's non-zero exit would add lines to stderr
# --bind-to none: by default mpirun binds a rank to one core, and its lanes would take turns
LAUNCH = [MPIEXEC, "-q", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
MODES = ("sequential", "concurrent", "dynamic", "steal")


def launch(ranks, timeout=300, launch_options=("--bind-to", "none")):
    """ranks: one argument list per rank group, [(count, [args...]), ...] (MPMD with ':').
    Returns (CompletedProcess, the document or None)."""
    cmd = LAUNCH[:-2] + list(launch_options)
    for i, (count, args) in enumerate(ranks):
        if i:
            cmd.append(":")
        cmd += ["-np", str(count), MPI_BIN] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    doc = None
    if p.returncode == 0 and p.stdout.startswith(b"{"):
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError:  # --stream's lines: the caller reads them
            pass
    return p, doc


def error_lines(p):
    """stderr's lines, less the warning Open MPI's event library may print when ranks end at
    once ("[warn] Epoll MOD(1) on fd 25 failed"): not tilerace's."""
    return [line for line in p.stderr.decode().splitlines()
            if line.strip() and not line.startswith("[warn] Epoll")]


def lanes_used(mode, tiles, lanes):
    """Lanes a mode uses for this many tiles (core's tr_lane_count)."""
    if mode == "sequential":
        return 1
    if mode == "dynamic":
        return min(lanes, tiles)
    chunk = -(-tiles // min(lanes, tiles))
    return -(-tiles // chunk)


class Mpi(unittest.TestCase):
    def check_cluster(self, doc, n_ranks, lanes_per_rank):
        """Records, ranks and lanes of a complete run of n_ranks ranks."""
        tt.validate(doc)
        tt.check_records(self, doc)
        s, p = doc["summary"], doc["params"]
        ranks = s["ranks"]
        self.assertEqual([k["rank"] for k in ranks], list(range(n_ranks)))
        ids = sorted(r["task_id"] for r in doc["data"])
        self.assertEqual(ids, list(range(s["tiles_total"])))  # each task_id exactly once
        # thread_id: rank 0's lanes first, then rank 1's, ...
        owner = [k["rank"] for k in ranks for _ in range(k["lanes"])]
        for r in doc["data"]:
            self.assertEqual(owner[r["thread_id"]], r["rank"], r)
            self.assertEqual(r["host"], ranks[r["rank"]]["host"])
        # the mode shares the tiles over every rank's lanes; a rank runs those of its own
        used = lanes_used(p["mode"], s["tiles_total"], lanes_per_rank * n_ranks)
        self.assertEqual([k["lanes"] for k in ranks],
                         [max(0, min(lanes_per_rank, used - r * lanes_per_rank))
                          for r in range(n_ranks)])
        self.assertEqual(s["threads_used"], used)
        self.assertEqual(sum(k["tiles"] for k in ranks), s["tiles_completed"])
        self.assertGreaterEqual(s["gather_us"], 0)
        self.assertEqual(sum(k["pixels"] for k in ranks), p["width"] * p["height"])
        self.assertEqual(sum(k["total_iterations"] for k in ranks), s["total_iterations"])

    def test_golden_every_mode_and_rank_count(self):
        for row in tt.golden_rows():
            # the largest frame once per rank count: the others cover every mode
            big = row["width"] * row["height"] * row["max_iter"] > 10 ** 8
            for n in (1, 2, 3):
                for mode in MODES[2:3] if big else MODES:
                    with self.subTest(ranks=n, mode=mode, w=row["width"], h=row["height"]):
                        p, doc = launch([(n, ["--width", row["width"], "--height",
                                              row["height"], "--max-iter", row["max_iter"],
                                              "--tile-w", 32, "--tile-h", 32, "--mode", mode,
                                              "--num-threads", 2, "--time-limit-ms", 0,
                                              "--device", "cpu"])])
                        self.assertEqual(p.returncode, 0, p.stderr.decode())
                        self.check_cluster(doc, n, 2)
                        s = doc["summary"]
                        self.assertEqual(s["checksum"], row["checksum"])
                        self.assertEqual(s["total_iterations"], row["total_iterations"])

    def mpmd_cpu_and_pocl(self):
        row = tt.golden_rows()[0]
        frame = ["--width", row["width"], "--height", row["height"], "--max-iter",
                 row["max_iter"], "--tile-w", 16, "--tile-h", 16, "--time-limit-ms", 0]
        # pocl on rank 0 too: its tiles come back from the device while the other rank's
        # reach the same frame, and no read of the whole device frame may cover them
        for mode in MODES:
            for first, second in (("cpu@2", "pocl@2"), ("pocl@2", "cpu@2")):
                with self.subTest(mode=mode, rank0=first):
                    p, doc = launch([(1, frame + ["--mode", mode, "--device", first]),
                                     (1, frame + ["--mode", mode, "--device", second])])
                    self.assertEqual(p.returncode, 0, p.stderr.decode())
                    self.check_cluster(doc, 2, 2)
                    s = doc["summary"]
                    self.assertEqual(s["checksum"], row["checksum"])
                    self.assertEqual(s["total_iterations"], row["total_iterations"])
                    on_pocl = 1 if first == "cpu@2" else 0
                    self.assertEqual(s["ranks"][1 - on_pocl]["devices"], ["cpu"])
                    self.assertTrue(s["ranks"][on_pocl]["devices"][0].startswith("opencl:"))
                    for r in doc["data"]:
                        self.assertEqual(r["device"], s["ranks"][r["rank"]]["devices"][0])

    # a build without OpenCL has no pocl to pair with the CPU: there the test does not exist
    if "opencl" in tt.BUILD_HAS:
        test_mpmd_cpu_and_pocl = mpmd_cpu_and_pocl

    def test_mismatched_parameters_refused(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "run.json")
            base = ["--width", 64, "--height", 64, "--out", out]
            for other, word in ((["--max-iter", 100], "--max-iter 100"),
                                (["--mode", "dynamic"], "--mode dynamic"),
                                (["--tile-w", 8], "--tile-w 8"),
                                (["--time-limit-ms", 5], "--time-limit-ms 5"),
                                (["--precision", "float"], "--precision float")):
                with self.subTest(other=other):
                    p, _ = launch([(1, base), (2, base + other)])
                    self.assertEqual(p.returncode, 2)
                    lines = error_lines(p)
                    self.assertEqual(len(lines), 1, lines)
                    self.assertIn("rank 1 has " + word, lines[0])
                    self.assertFalse(os.path.exists(out))
            # what does not change the frame may differ: the devices, the lanes
            p, doc = launch([(1, base + ["--num-threads", 1]), (1, base + ["--num-threads", 3])])
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            self.assertTrue(os.path.exists(out))

    def test_rank_with_missing_device(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "run.json")
            base = ["--width", 64, "--height", 64, "--out", out]
            for bad_rank in (0, 1, 2):
                with self.subTest(bad_rank=bad_rank):
                    groups = [(1, base + (["--device", "opencl:9.9"] if r == bad_rank else []))
                              for r in range(3)]
                    p, _ = launch(groups)
                    self.assertEqual(p.returncode, 3)
                    lines = error_lines(p)
                    self.assertEqual(len(lines), 1, lines)
                    self.assertIn("opencl:9.9", lines[0])
                    if bad_rank:
                        self.assertIn(f"rank {bad_rank}:", lines[0])
                    self.assertFalse(os.path.exists(out))

    def test_time_limit_across_ranks(self):
        limit_ms = 40
        for mode in ("concurrent", "dynamic", "steal"):
            with self.subTest(mode=mode):
                # far more work than 40 ms on any machine: the limit always cuts it short
                p, doc = launch([(3, ["--width", 1920, "--height", 1080, "--max-iter", 20000,
                                      "--tile-w", 32, "--tile-h", 32, "--mode", mode,
                                      "--num-threads", 1, "--time-limit-ms", limit_ms])])
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                tt.validate(doc)
                s = doc["summary"]
                self.assertTrue(s["time_limited"])
                self.assertLess(s["tiles_completed"], s["tiles_total"])
                self.assertIsNone(s["checksum"])
                for r in doc["data"]:
                    self.assertLess(r["start_time_us"], limit_ms * 1000, r)
                ids = [r["task_id"] for r in doc["data"]]
                self.assertEqual(len(ids), len(set(ids)))

    def test_image_and_counts_from_rank_zero(self):
        """The PNG is byte for byte a one-process run's; --record-pixels' counts come from
        the frame rank 0 assembled."""
        frame = ["--width", 200, "--height", 150, "--max-iter", 200, "--tile-w", 16,
                 "--tile-h", 16, "--time-limit-ms", 0]
        with tempfile.TemporaryDirectory() as d:
            one, many = os.path.join(d, "one.png"), os.path.join(d, "many.png")
            tt.run(*frame, "--image", one)
            # concurrent: each rank has a chunk of its own (in dynamic mode one rank may take
            # every tile before the others start)
            p, doc = launch([(3, frame + ["--mode", "concurrent", "--image", many,
                                          "--record-pixels"])])
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            with open(one, "rb") as a, open(many, "rb") as b:
                self.assertEqual(a.read(), b.read())
            _, ref = tt.run(*frame, "--record-pixels")
            counts = {r["task_id"]: r["data"] for r in ref["data"]}
            self.assertEqual({r["rank"] for r in doc["data"]}, {0, 1, 2})
            for r in doc["data"]:
                self.assertEqual(r["data"], counts[r["task_id"]])

    def test_stream_from_every_rank(self):
        """--stream: each rank's tiles reach rank 0 as they finish, one line each with its
        rank, host and counts, then the document; the counts are a one-process run's."""
        frame = ["--width", 200, "--height", 150, "--max-iter", 200, "--tile-w", 16,
                 "--tile-h", 16, "--time-limit-ms", 0]
        _, ref = tt.run(*frame, "--record-pixels")
        counts = {r["task_id"]: r["data"] for r in ref["data"]}
        for mode in ("concurrent", "dynamic", "steal"):
            with self.subTest(mode=mode):
                p, _ = launch([(3, frame + ["--mode", mode, "--num-threads", 1, "--stream"])])
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                lines = p.stdout.decode().splitlines()
                doc = json.loads(lines[-1])
                tiles = [json.loads(line) for line in lines[:-1]]
                self.check_cluster(doc, 3, 1)
                self.assertEqual(doc["summary"]["checksum"], ref["summary"]["checksum"])
                self.assertEqual(sorted(t["task_id"] for t in tiles),
                                 list(range(doc["summary"]["tiles_total"])))
                hosts = {k["rank"]: k["host"] for k in doc["summary"]["ranks"]}
                by_id = {r["task_id"]: r for r in doc["data"]}
                for t in tiles:
                    self.assertEqual(t["data"], counts[t["task_id"]])
                    self.assertEqual(t["host"], hosts[t["rank"]])
                    rec = dict(t)
                    del rec["data"]
                    self.assertEqual(rec, by_id[t["task_id"]])
                if mode == "concurrent":  # each rank has a chunk of its own
                    self.assertEqual({t["rank"] for t in tiles}, {0, 1, 2})
                for k in doc["summary"]["ranks"]:
                    # the other ranks' tiles came to rank 0 as messages: records and counts
                    if k["rank"]:
                        self.assertGreaterEqual(k["sent_bytes"], 2 * k["pixels"])
                    else:
                        self.assertEqual(k["sent_bytes"], 0)

    def test_csv_has_rank_and_host(self):
        """--format csv across ranks: rank and host after device (the JSON record's order),
        each row's the same as the JSON record of its tile."""
        frame = ["--width", 96, "--height", 64, "--max-iter", 100, "--tile-w", 16, "--tile-h",
                 16, "--mode", "concurrent", "--num-threads", 2, "--time-limit-ms", 0]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.csv")
            p, _ = launch([(2, frame + ["--format", "csv", "--out", path])])
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            with open(path, newline="") as f:
                text = f.read()
        p, doc = launch([(2, frame)])
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        header = text.split("\n", 1)[0].split(",")
        self.assertEqual(header[header.index("device"):], ["device", "rank", "host", "stolen"])
        for r in doc["data"]:
            self.assertEqual([k for k in header if k in r], list(r.keys()))
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(len(rows), len(doc["data"]))
        by_id = {r["task_id"]: r for r in doc["data"]}
        for row in rows:
            rec = by_id[int(row["task_id"])]
            # concurrent: a tile's lane, and so its rank, is the same in both runs
            self.assertEqual(int(row["thread_id"]), rec["thread_id"])
            self.assertEqual(int(row["rank"]), rec["rank"])
            self.assertEqual(row["host"], rec["host"])
        self.assertEqual({int(row["rank"]) for row in rows}, {0, 1})

    def test_only_rank_zero_holds_the_frame(self):
        """A 4096x4096 frame is 32 MiB of counts: rank 0 holds it, the other ranks render into
        a few tile-sized slots, so their peak memory stays well below rank 0's."""
        p, doc = launch([(2, ["--width", 4096, "--height", 4096, "--max-iter", 1,
                              "--num-threads", 1, "--time-limit-ms", 0])])
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.check_cluster(doc, 2, 1)
        rss = [k["max_rss_kib"] for k in doc["summary"]["ranks"]]
        self.assertGreater(rss[0], 32 * 1024, rss)
        self.assertLess(rss[1], rss[0] - 16 * 1024, rss)  # less than rank 0 by half a frame

    def test_lanes_bound_to_fewer_cpus(self):
        """A rank bound to one core with two lanes: one line on stderr says so and how to
        launch instead; the run goes on; --quiet leaves the line out."""
        frame = ["--width", 64, "--height", 64, "--num-threads", 2, "--time-limit-ms", 0]
        p, doc = launch([(1, frame)], launch_options=("--bind-to", "core"))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.check_cluster(doc, 1, 2)
        lines = error_lines(p)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("rank 0 has 2 lanes and may use 1 CPU", lines[0])
        self.assertIn("--bind-to none", lines[0])
        p, _ = launch([(1, frame + ["--quiet"])], launch_options=("--bind-to", "core"))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(error_lines(p), [])
        p, _ = launch([(1, frame)])  # --bind-to none: both CPUs
        self.assertEqual(error_lines(p), [])

    def test_counter_bench_bad_options(self):
        """tilerace-mpi-counter (bench/): a bad option is one line naming it and its accepted
        range, exit 2, nothing on stdout."""
        for args, named in ((["--threads", "0"], "--threads '0'"),
                            (["--numbers", "x"], "--numbers 'x'"),
                            (["--repeats", "1001"], "--repeats '1001'"),
                            (["--bogus"], "'--bogus'"),
                            (["--no-rank0-lanes"], "--no-rank0-lanes")):
            with self.subTest(args=args):
                ranks = 1 if args == ["--no-rank0-lanes"] else 2
                p = subprocess.run(LAUNCH + ["-np", str(ranks), COUNTER_BIN] + args,
                                   capture_output=True, timeout=120)
                self.assertEqual(p.returncode, 2, p.stderr.decode())
                lines = error_lines(p)
                self.assertEqual(len(lines), 1, lines)
                self.assertIn(named, lines[0])
                self.assertIn("accepted", lines[0])
                self.assertEqual(p.stdout, b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
