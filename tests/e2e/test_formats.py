#!/usr/bin/env python3
"""--format json|summary|csv on TILERACE_DEVICE (cpu by default, pocl under ctest's _pocl
test): the CSV has one row per record of the same run's JSON, the summary carries the JSON
run's checksum, a terminal on stdout gets the summary by default, and a run the time limit cut
short says so on a terminal's stderr (not with --quiet, not on a pipe)."""
import csv
import io
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
# concurrent mode: which lane renders which tile is fixed, so two runs have the same records
# but for their times
FRAME = ["--device", DEVICE, "--width", 203, "--height", 145, "--tile-w", 32, "--tile-h", 24,
         "--max-iter", 300, "--num-threads", 3, "--mode", "concurrent", "--time-limit-ms", 0]
# far more work than fits in 300 ms on any device: the time limit always cuts it short
CUT = ["--device", DEVICE, "--width", 2048, "--height", 2048, "--tile-w", 32, "--tile-h", 32,
       "--max-iter", 65535, "--time-limit-ms", 300, "--num-threads", 2]
TIMING = ("start_time_ms", "duration_ms", "start_time_us", "duration_us", "device_time_us")
NOTE = "time limit cut the run short"


def tilerace(*args, check=True):
    p = subprocess.run([tt.BINARY] + [str(a) for a in args], capture_output=True, timeout=300)
    if check:
        assert p.returncode == 0, f"tilerace {args} exited {p.returncode}: {p.stderr.decode()}"
    return p


def on_pty(args, terminal):
    """Runs tilerace with stdout or stderr (terminal: "stdout" or "stderr") on a
    pseudo-terminal and the other in a file; returns (terminal text, the other's bytes, rc)."""
    master, slave = pty.openpty()
    other = tempfile.TemporaryFile()  # not a pipe: a full pipe would block the run
    streams = {"stdout": slave, "stderr": other} if terminal == "stdout" else \
        {"stdout": other, "stderr": slave}
    proc = subprocess.Popen([tt.BINARY] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                            **streams)
    os.close(slave)
    seen = tt.read_terminal(master)
    proc.wait(timeout=300)
    os.close(master)
    other.seek(0)
    rest = other.read()
    other.close()
    # the terminal turns each "\n" into "\r\n"
    return seen.decode("utf-8", "replace").replace("\r\n", "\n"), rest, proc.returncode


CSV_COLUMNS = ["task_id", "thread_id", "tile_x", "tile_y", "tile_w", "tile_h", "start_time_ms",
               "duration_ms", "pixels_computed", "start_time_us", "duration_us", "device_time_us",
               "device", "stolen"]


def without_times(record):
    return {k: v for k, v in record.items() if k not in TIMING}


class Formats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = json.loads(tilerace(*FRAME, "--quiet").stdout)

    def test_json_is_the_default_off_a_terminal(self):
        asked = json.loads(tilerace(*FRAME, "--format", "json").stdout)
        tt.validate(asked)
        tt.check_records(self, asked)
        for doc in (self.doc, asked):
            self.assertEqual(doc["summary"]["tiles_completed"], doc["summary"]["tiles_total"])
        self.assertEqual(asked["params"], self.doc["params"])
        self.assertEqual(asked["summary"]["checksum"], self.doc["summary"]["checksum"])
        self.assertEqual(sorted(map(without_times, asked["data"]), key=lambda r: r["task_id"]),
                         sorted(map(without_times, self.doc["data"]), key=lambda r: r["task_id"]))

    def check_csv(self, text, doc):
        rows = list(csv.DictReader(io.StringIO(text)))
        first_line = text.split("\n", 1)[0].split(",")
        # the JSON record's fields in its order; the optional ones (device_time_us where a
        # device has it, stolen in steal mode) are columns on every run
        self.assertEqual(first_line, CSV_COLUMNS)
        for r in doc["data"]:
            self.assertEqual([k for k in CSV_COLUMNS if k in r], list(r.keys()))
        self.assertEqual(len(rows), len(doc["data"]))
        self.assertEqual(len({r["task_id"] for r in rows}), len(rows))
        by_id = {r["task_id"]: r for r in doc["data"]}
        for row in rows:
            rec = by_id[int(row["task_id"])]
            for k, v in without_times(rec).items():
                if k == "device":
                    self.assertEqual(row[k], v)
                elif k != "stolen":
                    self.assertEqual(int(row[k]), v, (k, row))
            self.assertEqual(row["stolen"], "true" if rec.get("stolen") else "false")
            self.assertEqual(int(row["start_time_ms"]), int(row["start_time_us"]) // 1000)
            self.assertEqual(int(row["duration_ms"]), int(row["duration_us"]) // 1000)
            if "device_time_us" in rec:
                self.assertGreaterEqual(int(row["device_time_us"]), 0)
            else:
                self.assertEqual(row["device_time_us"], "")
        return rows

    def test_csv_row_per_record(self):
        p = tilerace(*FRAME, "--format", "csv")
        self.assertEqual(p.stderr, b"")
        self.check_csv(p.stdout.decode(), self.doc)

    def test_csv_marks_stolen_tiles(self):
        # a frame whose top rows are cheap and bottom rows dear, in steal mode: the stolen
        # column says exactly which tiles left their concurrent-mode chunk
        frame = [a if a != "concurrent" else "steal" for a in FRAME]
        p = tilerace(*frame, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(p.stdout.decode())))
        tiles = len(rows)
        chunk = -(-tiles // 3)
        self.assertEqual(tiles, 7 * 7)
        for row in rows:
            self.assertEqual(row["device"], self.doc["data"][0]["device"])
            moved = int(row["thread_id"]) != int(row["task_id"]) // chunk
            self.assertEqual(row["stolen"], "true" if moved else "false", row)

    def test_csv_of_a_cut_run_has_only_the_tiles_rendered(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.csv")
            p = tilerace(*CUT, "--format", "csv", "-o", path)
            self.assertEqual((p.stdout, p.stderr), (b"", b""))  # no terminal: no note
            with open(path) as f:
                rows = list(csv.DictReader(f))
        self.assertGreater(len(rows), 0)
        self.assertLess(len(rows), (2048 // 32) ** 2)

    def test_summary_carries_the_checksum(self):
        p = tilerace(*FRAME, "--format", "summary")
        text = p.stdout.decode()
        s = self.doc["summary"]
        self.assertIn(s["checksum"], text)
        self.assertIn(f"tiles      {s['tiles_total']}/{s['tiles_total']}\n", text)
        self.assertIn(s["device"]["kernel"], text)
        self.assertIn(f"{DEVICE}: ", text)
        self.assertIn("203x145/300", text)
        self.assertIn("Giga-iterations/s", text)
        self.assertNotIn(NOTE, text)
        self.assertNotIn("--format json", text)  # asked for: no hint
        self.assertEqual(p.stderr, b"")

    def test_summary_of_a_cut_run(self):
        text = tilerace(*CUT, "--format", "summary").stdout.decode()
        self.assertIn("(time limit reached)", text)
        self.assertIn("checksum   none", text)
        self.assertIn(f"The 300 ms {NOTE}", text)
        self.assertIn("of 4096 tiles were rendered", text)
        self.assertIn("--time-limit-ms 0", text)

    def test_summary_on_a_terminal_by_default(self):
        term, err, rc = on_pty(FRAME, "stdout")
        self.assertEqual(rc, 0, err)
        self.assertIn(self.doc["summary"]["checksum"], term)
        self.assertIn("--format json", term)  # how to get the document
        self.assertNotIn('"success"', term)
        # asking for JSON, or for a file, or for the stream, keeps the JSON
        for extra in (["--format", "json"], ["-o", "-"], ["--stream"], ["--record-pixels"]):
            with self.subTest(extra=extra):
                term, _, rc = on_pty(FRAME + ["--quiet"] + extra, "stdout")
                self.assertEqual(rc, 0)
                self.assertIn('"success":true', term)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.json")
            term, _, rc = on_pty(FRAME + ["-o", path], "stdout")
            self.assertEqual((rc, term), (0, ""))
            with open(path) as f:
                tt.validate(json.load(f))

    def test_time_limit_note_on_a_terminal(self):
        for fmt in ("json", "summary", "csv"):
            with self.subTest(format=fmt):
                term, out, rc = on_pty(CUT + ["--format", fmt], "stderr")
                self.assertEqual(rc, 0, term)
                lines = [line for line in term.split("\r")[-1].split("\n") if NOTE in line]
                self.assertEqual(len(lines), 1, term)
                self.assertTrue(lines[0].startswith("tilerace: the 300 ms time limit"), term)
                self.assertIn("of 4096 tiles rendered", lines[0])
                self.assertIn("--time-limit-ms 0", lines[0])
                self.assertNotIn(NOTE.encode(), out if fmt != "summary" else b"")

    def test_no_note_with_quiet_off_a_terminal_or_when_complete(self):
        term, _, rc = on_pty(CUT + ["--quiet"], "stderr")
        self.assertEqual((rc, term), (0, ""))
        p = tilerace(*CUT)
        self.assertEqual(p.stderr, b"")
        self.assertIn(b'"time_limited":true', p.stdout)
        term, _, rc = on_pty(FRAME, "stderr")
        self.assertEqual(rc, 0)
        self.assertNotIn(NOTE, term)


if __name__ == "__main__":
    unittest.main(verbosity=2)
