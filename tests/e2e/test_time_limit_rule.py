#!/usr/bin/env python3
"""The time-limit rule on every path: before each tile a lane checks the shared flag and the
clock, a tile starts only while elapsed < limit, a started tile always finishes. On OpenCL the
queued tiles are held back on the device until that check lets them start, so no record starts
at or after the limit at any queue depth, in any mode, with any number of lanes.

TILERACE_DEVICE picks the device (default cpu); on OpenCL TILERACE_OPENCL_GATE=host is tried
too (queued tiles opened by the lane rather than by completion callbacks)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
LIMIT_MS = 80
# 475 tiles of up to a few ms each on a 2-core machine: the limit always cuts the run.
FRAME = ["--width", 800, "--height", 600, "--max-iter", 20000, "--tile-w", 32, "--tile-h", 32]
SHAPES = [("sequential", 1)] + [(m, n) for m in ("concurrent", "dynamic", "steal")
                                 for n in (1, 2, 3)]


class TimeLimitRule(unittest.TestCase):
    def check_run(self, mode, lanes, depth, env=None):
        # the CPU path refuses --queue-depth: it keeps no tiles queued
        depth_args = ["--queue-depth", depth] if depth else []
        p, doc = tt.run("--device", DEVICE, *FRAME, "--time-limit-ms", LIMIT_MS, "--mode", mode,
                        "--num-threads", lanes, *depth_args, env=env)
        self.assertEqual(p.returncode, 0)
        tt.validate(doc)
        tt.check_records(self, doc)
        s = doc["summary"]
        self.assertTrue(s["time_limited"])
        self.assertFalse(s["cancelled"])
        self.assertGreater(s["tiles_completed"], 0)
        self.assertLess(s["tiles_completed"], s["tiles_total"])  # the limit cut the run
        self.assertEqual(doc["message"], f"Completed {s['tiles_completed']}/{s['tiles_total']} "
                                         "tiles (time limit reached)")
        late = [r for r in doc["data"] if r["start_time_us"] >= LIMIT_MS * 1000]
        self.assertEqual(late, [])
        for r in doc["data"]:
            self.assertLess(r["start_time_ms"], LIMIT_MS)
            self.assertGreaterEqual(r["duration_us"], 0)

    def test_no_tile_starts_at_or_after_the_limit(self):
        # the CPU path takes no --queue-depth
        for depth in (1, 2, 4, 16) if DEVICE != "cpu" else (None,):
            for mode, lanes in SHAPES:
                with self.subTest(depth=depth, mode=mode, lanes=lanes):
                    self.check_run(mode, lanes, depth)

    @unittest.skipIf(DEVICE == "cpu", "the lane-opened gates exist only on OpenCL")
    def test_lane_opened_gates_keep_the_rule(self):
        env = dict(os.environ, TILERACE_OPENCL_GATE="host")
        for depth, mode, lanes in ((4, "dynamic", 2), (16, "concurrent", 3), (2, "sequential", 1),
                                   (3, "steal", 3)):
            with self.subTest(depth=depth, mode=mode, lanes=lanes):
                self.check_run(mode, lanes, depth, env=env)


if __name__ == "__main__":
    unittest.main(verbosity=2)
