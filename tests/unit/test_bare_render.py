#!/usr/bin/env python3
"""tilerace-bare, the bench's anchor, renders the golden frames bit for bit (the same kernel
objects, built without fused multiply-adds) whatever its threads and tiles, and refuses bad
input with one line and exit 2."""
import csv
import json
import os
import subprocess
import unittest

BARE = os.environ.get("TILERACE_BARE_BIN", "build/tilerace-bare")
GOLDEN = os.environ.get("TILERACE_GOLDEN", "tests/data/golden.tsv")


def bare(*args):
    return subprocess.run([BARE] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=300)


class BareRender(unittest.TestCase):
    def test_golden_frames(self):
        with open(GOLDEN) as f:
            frames = list(csv.DictReader(f, delimiter="\t"))
        self.assertTrue(frames)
        for fr in frames:
            for threads, tile in ((1, 64), (2, 64), (3, 7)):
                with self.subTest(frame=fr, threads=threads, tile=tile):
                    p = bare("--width", fr["width"], "--height", fr["height"], "--max-iter",
                             fr["max_iter"], "--threads", threads, "--tile-w", tile,
                             "--tile-h", tile + 2)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    doc = json.loads(p.stdout)
                    self.assertEqual(doc["checksum"], "fnv1a64:" + fr["fnv1a64"])
                    self.assertEqual((doc["width"], doc["height"], doc["max_iter"],
                                      doc["threads"]),
                                     (int(fr["width"]), int(fr["height"]),
                                      int(fr["max_iter"]), threads))
                    self.assertGreaterEqual(doc["elapsed_us"], 0)

    def test_bad_input(self):
        for args, fragment in ((["--width", "0"], "--width: '0'"),
                               (["--threads", "257"], "1..256"),
                               (["--width", "65536", "--height", "65536"], "268435456"),
                               (["--bogus"], "'--bogus'"),
                               (["extra"], "'extra'"),
                               # a control character is echoed escaped, so the line stays one
                               (["--width", "1\x1b[2J\n2"], "'1\\x1b[2J\\n2'")):
            with self.subTest(args=args):
                p = bare(*args)
                self.assertEqual(p.returncode, 2)
                self.assertEqual(p.stdout, "")
                self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
                self.assertIn(fragment, p.stderr)
                self.assertNotIn("\x1b", p.stderr)


if __name__ == "__main__":
    unittest.main()
