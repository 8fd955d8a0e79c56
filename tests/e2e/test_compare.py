#!/usr/bin/env python3
"""`tilerace compare`: run documents and --stream NDJSON side by side, rate ratios against the
first run, checksum agreement (exit 1 when two complete runs of one frame differ), incomplete
runs marked as such, and bad inputs refused in one line. The second run of each pair is on
TILERACE_DEVICE (cpu by default, pocl under ctest's _pocl test)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
FRAME = ["--width", 240, "--height", 160, "--tile-w", 32, "--tile-h", 32, "--max-iter", 500,
         "--time-limit-ms", 0, "--quiet"]
CUT = ["--width", 2048, "--height", 2048, "--tile-w", 32, "--tile-h", 32, "--max-iter", 65535,
       "--time-limit-ms", 300, "--quiet"]


def tilerace(*args):
    return subprocess.run([tt.BINARY] + [str(a) for a in args], capture_output=True, timeout=300)


class Compare(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.cpu = os.path.join(d, "cpu.json")
        cls.stream = os.path.join(d, f"{DEVICE}.ndjson")
        cls.float = os.path.join(d, "float.json")
        cls.cut = os.path.join(d, "cut.json")
        for args in (["--device", "cpu", "-o", cls.cpu],
                     ["--device", DEVICE, "--stream", "-o", cls.stream, "--mode", "dynamic"],
                     ["--device", DEVICE, "--precision", "float", "-o", cls.float]):
            p = tilerace(*FRAME, *args)
            assert p.returncode == 0, p.stderr
        p = tilerace(*CUT, "--device", DEVICE, "-o", cls.cut)
        assert p.returncode == 0, p.stderr
        with open(cls.cpu) as f:
            cls.cpu_doc = json.load(f)
        with open(cls.stream) as f:
            cls.stream_doc = json.loads(f.read().splitlines()[-1])
        with open(cls.cut) as f:
            cls.cut_doc = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def compare_json(self, *paths):
        p = tilerace("compare", "--json", *paths)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        return json.loads(p.stdout)

    def test_json_and_ndjson_agree(self):
        out = self.compare_json(self.cpu, self.stream)
        first, second = out["runs"]
        self.assertTrue(out["checksums_agree"])
        self.assertEqual(out["ratio_to"], "first")
        self.assertEqual((first["label"], second["label"]), (self.cpu, self.stream))
        self.assertEqual(first["checksum"], self.cpu_doc["summary"]["checksum"])
        self.assertEqual(second["checksum"], self.stream_doc["summary"]["checksum"])
        self.assertEqual((first["checksum_verdict"], second["checksum_verdict"]),
                         ("reference", "agrees"))
        self.assertEqual(second["checksum_reference"], 0)
        self.assertEqual(second["mode"], "dynamic")
        self.assertEqual(second["device"]["selector"], DEVICE)
        self.assertEqual(second["device"]["kernel"], self.stream_doc["summary"]["device"]["kernel"])
        self.assertEqual(first["ratio"], 1)
        rate = [d["summary"]["giga_iterations_per_s"] for d in (self.cpu_doc, self.stream_doc)]
        self.assertAlmostEqual(second["ratio"], rate[1] / rate[0], places=9)
        self.assertEqual((second["tiles_completed"], second["tiles_total"]), (40, 40))

    def test_table(self):
        p = tilerace("compare", self.cpu, self.stream)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        text = p.stdout.decode()
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("#  run"), text)
        for column in ("device", "kernel", "mode", "threads", "frame", "tiles", "elapsed",
                       "Giter/s", "ratio", "checksum"):
            self.assertIn(column, lines[0])
        self.assertIn(self.cpu_doc["summary"]["checksum"], lines[1])
        self.assertIn("1.00x", lines[1])
        self.assertIn("agrees with #1", lines[2])
        self.assertIn("240x160/500", lines[2])
        self.assertIn("40/40", lines[2])
        self.assertIn("over #1's", text)
        self.assertIn(f"device {DEVICE}: ", text)
        self.assertIn("every complete run agrees", text)

    def test_incomplete_run_is_not_compared(self):
        out = self.compare_json(self.cpu, self.cut)
        cut = out["runs"][1]
        self.assertEqual(cut["checksum_verdict"], "incomplete")
        self.assertIsNone(cut["checksum"])
        self.assertIsNone(cut["checksum_reference"])
        self.assertFalse(cut["complete"])
        self.assertEqual(cut["tiles_completed"], self.cut_doc["summary"]["tiles_completed"])
        self.assertLess(cut["tiles_completed"], cut["tiles_total"])
        self.assertTrue(out["checksums_agree"])
        text = tilerace("compare", self.cpu, self.cut).stdout.decode()
        self.assertIn("none: incomplete run", text)
        self.assertIn(f"#2 ({self.cut}) is incomplete (", text)
        self.assertIn("the time limit cut it short", text)
        self.assertIn("frames differ", text)

    def test_other_precision_is_another_frame(self):
        out = self.compare_json(self.cpu, self.float)
        self.assertEqual(out["runs"][1]["checksum_verdict"], "reference")
        self.assertIn("240x160/500 float", tilerace("compare", self.cpu, self.float).stdout.decode())

    def test_checksums_that_differ_exit_1(self):
        doc = json.loads(json.dumps(self.cpu_doc))
        doc["summary"]["checksum"] = "fnv1a64:0123456789abcdef"
        bad = os.path.join(self.tmp.name, "bad.json")
        with open(bad, "w") as f:
            json.dump(doc, f)
        p = tilerace("compare", self.stream, bad, self.cpu)
        self.assertEqual(p.returncode, 1)
        self.assertIn("DIFFERS from #1", p.stdout.decode())
        self.assertEqual(len(p.stderr.decode().splitlines()), 1, p.stderr)
        self.assertIn("render the same frame with different checksums (1 run differs)",
                      p.stderr.decode())
        p = tilerace("compare", "--json", bad, self.cpu)
        self.assertEqual(p.returncode, 1)
        out = json.loads(p.stdout)
        self.assertFalse(out["checksums_agree"])
        self.assertEqual(out["runs"][1]["checksum_verdict"], "differs")

    def test_a_hostile_checksum_is_escaped(self):
        doc = json.loads(json.dumps(self.cpu_doc))
        doc["summary"]["checksum"] = "\x1b[31mred\nforged line"
        bad = os.path.join(self.tmp.name, "hostile.json")
        with open(bad, "w") as f:
            json.dump(doc, f)
        p = tilerace("compare", self.cpu, bad)
        text = p.stdout.decode()
        self.assertNotIn("\x1b", text)
        self.assertFalse(any(line.startswith("forged") for line in text.splitlines()), text)
        self.assertIn("DIFFERS", text)

    def test_huge_file_refused(self):
        big = os.path.join(self.tmp.name, "big.json")
        with open(big, "w") as f:
            f.write(" " * ((1 << 20) + 1))
        p = tilerace("compare", "--max-input-mb", "1", self.cpu, big)
        self.assertEqual((p.returncode, p.stdout), (2, b""))
        self.assertEqual(len(p.stderr.splitlines()), 1)
        self.assertIn(b"is larger than 1 MiB", p.stderr)
        self.assertIn(b"--max-input-mb", p.stderr)

    def test_long_label_shows_its_end(self):
        folder = os.path.join(self.tmp.name, "a" * 60)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "the-end.json")
        with open(self.cpu) as src, open(path, "w") as dst:
            dst.write(src.read())
        line = tilerace("compare", path).stdout.decode().splitlines()[1]
        self.assertIn("...", line)
        self.assertIn("aaa/the-end.json", line)

    def test_stdout_unwritable_exits_4(self):
        with open("/dev/full", "w") as full:
            p = subprocess.run([tt.BINARY, "compare", self.cpu], stdout=full,
                               stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 4)
        self.assertEqual(len(p.stderr.splitlines()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
