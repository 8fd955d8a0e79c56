#!/usr/bin/env python3
"""End-to-end tests of `tilerace run` on the CPU path: schema, golden frames, records, time
limit, --out atomicity."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")


class Output(unittest.TestCase):
    def test_schema_every_mode(self):
        for mode in ("sequential", "concurrent", "dynamic", "steal"):
            _, doc = tt.run("--device", DEVICE, "--mode", mode, "--width", 333, "--height", 217,
                            "--tile-w", 50, "--tile-h", 40, "--max-iter", 77,
                            "--time-limit-ms", 0, "--num-threads", 3)
            tt.validate(doc)
            tt.check_records(self, doc)
            self.assertEqual(doc["params"]["mode"], mode)
            self.assertEqual(doc["params"]["device"], DEVICE)
            self.assertIs(doc["success"], True)
            self.assertEqual(doc["message"],
                             f"{mode.capitalize()} tasks executed successfully")

    def test_defaults_are_the_seeds(self):
        _, doc = tt.run("--device", DEVICE)
        tt.validate(doc)
        p = doc["params"]
        self.assertEqual((p["width"], p["height"], p["tile_w"], p["tile_h"], p["max_iter"],
                          p["time_limit_ms"], p["num_threads"], p["mode"]),
                         (800, 600, 64, 64, 256, 2000,
                          min(len(os.sched_getaffinity(0)), 256), "concurrent"))
        self.assertEqual(doc["summary"]["tiles_total"], 130)
        # the seed's default frame is a golden row
        row = next(r for r in tt.golden_rows() if (r["width"], r["height"]) == (800, 600))
        if not doc["summary"]["time_limited"]:
            self.assertEqual(doc["summary"]["checksum"], row["checksum"])

    def test_golden_frames(self):
        configs = [("sequential", 1, 64, 64), ("concurrent", 4, 64, 64),
                   ("concurrent", 3, 37, 23), ("dynamic", 2, 100, 7), ("steal", 3, 37, 23),
                   ("steal", 4, 16, 16)]
        for row in tt.golden_rows():
            for mode, threads, tw, th in configs:
                with self.subTest(row=row, mode=mode, threads=threads, tile=(tw, th)):
                    _, doc = tt.run("--device", DEVICE, "--width", row["width"],
                                    "--height", row["height"], "--max-iter", row["max_iter"],
                                    "--mode", mode, "--num-threads", threads, "--tile-w", tw,
                                    "--tile-h", th, "--time-limit-ms", 0)
                    s = doc["summary"]
                    self.assertEqual(s["checksum"], row["checksum"])
                    self.assertEqual(s["total_iterations"], row["total_iterations"])
                    self.assertFalse(s["time_limited"])
                    tt.check_records(self, doc)

    def test_time_limit(self):
        # The limit is checked as each tile is taken, and an OpenCL lane's queued tiles start
        # on the device only once the same check allows it: none begins after the limit.
        limit = 150
        # the CPU path refuses --queue-depth: it keeps no tiles queued
        for depth in (1, 3) if DEVICE != "cpu" else (None,):
            with self.subTest(queue_depth=depth):
                depth_args = ["--queue-depth", depth] if depth else []
                _, doc = tt.run("--device", DEVICE, "--width", 4096, "--height", 4096,
                                "--tile-w", 32, "--tile-h", 32, "--max-iter", 65535,
                                "--time-limit-ms", limit, "--num-threads", 2, *depth_args)
                tt.validate(doc)
                tt.check_records(self, doc)
                s = doc["summary"]
                self.assertTrue(s["time_limited"])
                self.assertIsNone(s["checksum"])
                self.assertLess(s["tiles_completed"], s["tiles_total"])
                self.assertGreater(s["tiles_completed"], 0)
                self.assertEqual(doc["message"],
                                 f"Completed {s['tiles_completed']}/{s['tiles_total']} tiles "
                                 "(time limit reached)")
                late = [r for r in doc["data"] if r["start_time_us"] >= limit * 1000]
                self.assertEqual(late, [])

    def test_out_file_is_written_whole(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.json")
            p, _ = tt.run("--device", DEVICE, "--width", 64, "--height", 48, "--out", path)
            self.assertEqual(p.stdout, b"")
            with open(path) as f:
                doc = json.load(f)
            tt.validate(doc)
            self.assertEqual(os.listdir(tmp), ["run.json"])
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o666 & ~_umask())

    def test_out_to_a_device_or_through_a_link(self):
        # a device is written straight, never renamed over (that would replace /dev/null)
        p, _ = tt.run("--device", DEVICE, "--width", 16, "--height", 16, "--out", "/dev/null")
        self.assertEqual(p.stdout, b"")
        self.assertTrue(os.path.exists("/dev/null") and not os.path.isfile("/dev/null"))
        # a symbolic link keeps pointing at its target, which gets the document
        with tempfile.TemporaryDirectory() as tmp:
            target = os.path.join(tmp, "target.json")
            link = os.path.join(tmp, "link.json")
            open(target, "w").close()
            os.symlink("target.json", link)
            tt.run("--device", DEVICE, "--width", 16, "--height", 16, "--out", link)
            self.assertTrue(os.path.islink(link))
            with open(target) as f:
                tt.validate(json.load(f))
            self.assertEqual(sorted(os.listdir(tmp)), ["link.json", "target.json"])

    def test_interrupted_run_leaves_no_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.json")
            proc = subprocess.Popen([tt.BINARY, "--device", DEVICE, "--width", "8192",
                                     "--height", "8192", "--max-iter", "65535",
                                     "--time-limit-ms", "0", "--out", path],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.time() + 30
            while time.time() < deadline and not any(".tmp-" in n for n in os.listdir(tmp)):
                time.sleep(0.02)
            self.assertTrue(any(".tmp-" in n for n in os.listdir(tmp)),
                            "the temporary file never appeared")
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, -signal.SIGTERM)
            self.assertEqual(os.listdir(tmp), [])

    def test_closed_pipe_is_an_io_error(self):
        p = subprocess.Popen([tt.BINARY, "--device", DEVICE, "--width", "2000", "--height",
                              "2000", "--stream", "--quiet"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdout.read(10)
        p.stdout.close()  # the reader goes away, like `| head -c 10`
        err = p.stderr.read().decode()
        self.assertEqual(p.wait(timeout=120), 4, err)
        self.assertEqual(len(err.splitlines()), 1)

    def test_help_to_a_full_stdout_is_an_io_error(self):
        for arg in ("--help", "--version"):
            with open("/dev/full", "wb") as full:
                p = subprocess.run([tt.BINARY, arg], stdout=full, stderr=subprocess.PIPE,
                                   timeout=60)
            self.assertEqual(p.returncode, 4, arg)

    def test_out_through_a_dangling_link(self):
        with tempfile.TemporaryDirectory() as tmp:
            link = os.path.join(tmp, "link.json")
            os.symlink("new.json", link)  # the target does not exist yet
            tt.run("--device", DEVICE, "--width", 16, "--height", 16, "--out", link)
            self.assertTrue(os.path.islink(link))
            with open(os.path.join(tmp, "new.json")) as f:
                tt.validate(json.load(f))

    def test_full_stdout_is_an_io_error(self):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([tt.BINARY, "--device", DEVICE, "--width", "64", "--height", "48"],
                               stdout=full, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 4)
        lines = p.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertIn("cannot be written", lines[0])


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    unittest.main(verbosity=2)
