#!/usr/bin/env python3
"""--stream (NDJSON tile updates, then the document on one line) and --record-pixels."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import see_frames as sf  # noqa: E402
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
FRAME = ["--width", 333, "--height", 217, "--tile-w", 20, "--tile-h", 20, "--max-iter", 200,
         "--time-limit-ms", 0]


def run_raw(*args):
    p = subprocess.run([tt.BINARY] + [str(a) for a in args], capture_output=True, timeout=300)
    assert p.returncode == 0, f"tilerace {args} exited {p.returncode}: {p.stderr.decode()}"
    return p


def stream(*args):
    text = run_raw("--device", DEVICE, "--quiet", "--stream", *args).stdout.decode()
    assert text.endswith("\n"), "the stream must end with a newline"
    lines = text[:-1].split("\n")
    return [json.loads(line) for line in lines], lines


class Stream(unittest.TestCase):
    def check_stream(self, docs):
        *tiles, env = docs
        tt.validate(env)
        tt.check_records(self, env)
        self.assertEqual(len(tiles), env["summary"]["tiles_completed"])
        by_id = {r["task_id"]: r for r in env["data"]}
        seen = set()
        for t in tiles:
            self.assertNotIn("summary", t)
            self.assertEqual(len(t["data"]), t["tile_w"] * t["tile_h"])
            self.assertTrue(all(0 <= c <= env["params"]["max_iter"] for c in t["data"]))
            rec = {k: v for k, v in t.items() if k != "data"}
            self.assertEqual(rec, {k: v for k, v in by_id[t["task_id"]].items() if k != "data"})
            self.assertNotIn(t["task_id"], seen)
            seen.add(t["task_id"])
            # each tile line is a valid record of the schema
            tt.validate(dict(env, data=[t]))
        frame = sf.frame_from_records(env["params"], tiles)
        self.assertEqual(sum(frame), env["summary"]["total_iterations"])
        return tiles, env, frame

    def test_every_mode(self):
        for mode in ("sequential", "concurrent", "dynamic"):
            with self.subTest(mode=mode):
                docs, lines = stream(*FRAME, "--mode", mode, "--num-threads", 7)
                tiles, env, frame = self.check_stream(docs)
                self.assertEqual(len(tiles), 17 * 11)
                self.assertEqual(sf.fnv1a64_counts(frame), env["summary"]["checksum"])
                self.assertEqual(env["params"]["mode"], mode)
                # the envelope is the last line and only there
                self.assertTrue(lines[-1].startswith('{"success":true'))
                self.assertFalse(any(line.startswith('{"success"') for line in lines[:-1]))

    def test_golden_frame(self):
        row = tt.golden_rows()[0]
        docs, _ = stream("--width", row["width"], "--height", row["height"], "--max-iter",
                         row["max_iter"], "--time-limit-ms", 0, "--mode", "dynamic")
        _, env, frame = self.check_stream(docs)
        self.assertEqual(sf.fnv1a64_counts(frame), row["checksum"])
        self.assertEqual(env["summary"]["checksum"], row["checksum"])

    def test_time_limited(self):
        docs, _ = stream(*sf.LIMITED)
        tiles, env, _ = self.check_stream(docs)
        self.assertTrue(env["summary"]["time_limited"])
        self.assertIsNone(env["summary"]["checksum"])
        self.assertGreater(len(tiles), 0)

    def test_with_record_pixels(self):
        docs, _ = stream(*FRAME, "--record-pixels", "--num-threads", 3)
        tiles, env, _ = self.check_stream(docs)
        data = {t["task_id"]: t["data"] for t in tiles}
        for r in env["data"]:
            self.assertEqual(r["data"], data[r["task_id"]])

    def test_to_a_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.ndjson")
            p = run_raw("--device", DEVICE, *FRAME, "--stream", "--out", path)
            self.assertEqual(p.stdout, b"")
            with open(path) as f:
                docs = [json.loads(line) for line in f]
            self.check_stream(docs)

    def test_lines_arrive_while_rendering(self):
        proc = subprocess.Popen([tt.BINARY, "--device", DEVICE, "--stream", "--quiet"] +
                                [str(a) for a in sf.LIMITED[:-4]] +
                                ["--time-limit-ms", "1500", "--num-threads", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = json.loads(proc.stdout.readline())
        running = proc.poll() is None
        rest, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("data", first)
        self.assertTrue(running, "the first tile line came only after the run ended")
        self.assertIn(b'"summary"', rest.splitlines()[-1])

    def test_same_as_without_stream(self):
        """--stream hands tiles to an output thread: its lines keep the record's fields in the
        schema's order, the document matches a run without --stream but for timings and the
        summary's output_wait_us, which only a run with a consumer carries."""
        with open(tt.SCHEMA) as f:
            schema = json.load(f)["definitions"]
        record_order = list(schema["record"]["properties"])
        summary_order = list(schema["summary"]["properties"])
        for mode in ("concurrent", "dynamic"):
            with self.subTest(mode=mode):
                args = (*FRAME, "--mode", mode, "--num-threads", 3)
                docs, lines = stream(*args)
                tiles, env, _ = self.check_stream(docs)
                _, plain = tt.run("--device", DEVICE, "--quiet", *args)
                self.assertEqual(len(lines), plain["summary"]["tiles_total"] + 1)
                for t in tiles:
                    self.assertEqual(list(t), [k for k in record_order if k in t])
                    self.assertEqual(list(t)[-1], "data")
                    self.assertTrue(set(schema["record"]["required"]) <= set(t))
                self.assertEqual(list(env), list(plain))
                self.assertEqual(list(env["summary"]),
                                 [k for k in summary_order if k in env["summary"]])
                self.assertIn("output_wait_us", env["summary"])
                self.assertGreaterEqual(env["summary"]["output_wait_us"], 0)
                self.assertNotIn("output_wait_us", plain["summary"])
                self.assertEqual([k for k in env["summary"] if k != "output_wait_us"],
                                 list(plain["summary"]))
                for key in ("checksum", "total_iterations", "tiles_total", "tiles_completed"):
                    self.assertEqual(env["summary"][key], plain["summary"][key])
                self.assertEqual(env["params"], plain["params"])
                self.assertEqual(env["message"], plain["message"])
                # the same tiles (which thread took one may differ in dynamic mode)
                same = ("task_id", "tile_x", "tile_y", "tile_w", "tile_h", "pixels_computed")
                self.assertEqual(sorted(tuple(r[k] for k in same) for r in env["data"]),
                                 sorted(tuple(r[k] for k in same) for r in plain["data"]))

    def test_full_stdout_is_an_io_error(self):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([tt.BINARY, "--device", DEVICE, "--stream", "--width", "64",
                                "--height", "48"], stdout=full, stderr=subprocess.PIPE,
                               timeout=60)
        self.assertEqual(p.returncode, 4)
        lines = p.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("cannot be written", lines[0])


class RecordPixels(unittest.TestCase):
    def test_document_carries_counts(self):
        for mode in ("sequential", "concurrent", "dynamic"):
            with self.subTest(mode=mode):
                p, doc = tt.run("--device", DEVICE, *FRAME, "--record-pixels", "--mode", mode)
                tt.validate(doc)
                tt.check_records(self, doc)
                # still one record a line
                self.assertEqual(len(p.stdout.decode().splitlines()), len(doc["data"]) + 2)
                frame = sf.frame_from_records(doc["params"], doc["data"])
                self.assertEqual(sf.fnv1a64_counts(frame), doc["summary"]["checksum"])

    def test_without_the_flag_no_counts(self):
        _, doc = tt.run("--device", DEVICE, *FRAME)
        self.assertFalse(any("data" in r for r in doc["data"]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
