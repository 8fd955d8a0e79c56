#!/usr/bin/env python3
"""The progress bar: on a terminal (a pseudo-terminal here) for runs longer than half a
second; never with --quiet, on a pipe, or for quick runs; never in the JSON."""
import json
import os
import pty
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
# far more work than fits in 1.2 s even vectorised (2048x2048 at max_iter 65535), cut short by
# the time limit, so the bar has time to appear on any build
SLOW = ["--width", "2048", "--height", "2048", "--tile-w", "32", "--tile-h", "32",
        "--max-iter", "65535", "--time-limit-ms", "1200", "--num-threads", "2"]
QUICK = ["--width", "32", "--height", "32", "--max-iter", "10"]


def run_on_pty(args):
    """Runs tilerace with stderr on a pseudo-terminal; returns (stdout, terminal text, rc)."""
    master, slave = pty.openpty()
    out_file = tempfile.TemporaryFile()  # not a pipe: a full pipe would block the run
    proc = subprocess.Popen([tt.BINARY, "--device", DEVICE] + args, stdout=out_file,
                            stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    seen = tt.read_terminal(master)
    proc.wait(timeout=120)
    os.close(master)
    out_file.seek(0)
    out = out_file.read()
    out_file.close()
    return out, seen.decode("utf-8", "replace"), proc.returncode


class Progress(unittest.TestCase):
    def test_bar_on_a_terminal(self):
        out, term, rc = run_on_pty(SLOW)
        self.assertEqual(rc, 0, term)
        doc = json.loads(out)
        tt.validate(doc)
        total = doc["summary"]["tiles_total"]
        self.assertIn("\r[", term)
        self.assertIn(f"/{total} tiles", term)
        self.assertIn("tiles/s", term)
        self.assertIn(DEVICE, term)
        self.assertTrue(term.endswith("\n"), repr(term[-80:]))
        # the bar's line, then the line saying that the time limit cut the run short
        bar, note = term.rstrip("\r\n").rsplit("\n", 1)
        self.assertIn("time limit cut the run short", note)
        # the last drawing shows the final count
        last = bar.rstrip("\r").split("\r")[-1]
        self.assertIn(f"{doc['summary']['tiles_completed']}/{total} tiles", last)
        self.assertNotIn(b"tiles/s", out)

    def test_quiet_silences_it(self):
        out, term, rc = run_on_pty(SLOW + ["--quiet"])
        self.assertEqual(rc, 0)
        self.assertEqual(term, "")
        json.loads(out)

    def test_never_on_a_pipe(self):
        p = subprocess.run([tt.BINARY, "--device", DEVICE] + SLOW, capture_output=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, b"")
        json.loads(p.stdout)

    def test_not_for_quick_runs(self):
        out, term, rc = run_on_pty(QUICK)
        self.assertEqual(rc, 0)
        self.assertEqual(term, "")
        json.loads(out)

    def test_errors_stay_one_line(self):
        out, term, rc = run_on_pty(["--width", "0"])
        self.assertEqual(rc, 2)
        self.assertEqual(out, b"")
        self.assertEqual(term.count("\n"), 1, repr(term))


if __name__ == "__main__":
    unittest.main(verbosity=2)
