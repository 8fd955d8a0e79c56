#!/usr/bin/env python3
"""`tilerace replay`: a self-contained page with the runs inside, safely escaped, from both
input formats (documents and --stream NDJSON). The browser test plays it."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
FRAME = ["--width", 120, "--height", 80, "--tile-w", 32, "--tile-h", 32, "--max-iter", 60,
         "--time-limit-ms", 0]
RUNS_RE = re.compile(r'<script id="tilerace-runs" type="application/json">(.*?)</script>', re.S)


def runs_in(html):
    m = RUNS_RE.search(html)
    assert m, "no runs element"
    return json.loads(m.group(1))


class Replay(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="tilerace-replay-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def tilerace(self, *args):
        p = subprocess.run([tt.BINARY] + [str(a) for a in args], capture_output=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p

    def replay(self, *inputs):
        out = self.path("replay.html")
        self.tilerace("replay", *inputs, "-o", out)
        with open(out, encoding="utf-8") as f:
            return f.read()

    def test_steal_runs_keep_their_stolen_marks_and_steals(self):
        # 4 lanes over 12 tiles: on a shared machine some lane usually finishes early and
        # steals, but the reader must take the document as it is either way
        self.tilerace("--device", DEVICE, *FRAME, "--mode", "steal", "--num-threads", 4,
                      "--record-pixels", "-o", self.path("s.json"))
        self.tilerace("--device", DEVICE, *FRAME, "--mode", "steal", "--num-threads", 4,
                      "--stream", "-o", self.path("s.ndjson"))
        runs = runs_in(self.replay(self.path("s.json"), self.path("s.ndjson")))
        with open(self.path("s.json")) as f:
            self.assertEqual(runs[0], json.load(f))
        with open(self.path("s.ndjson")) as f:
            env = [json.loads(line) for line in f][-1]
        self.assertEqual(runs[1]["summary"], env["summary"])
        self.assertEqual([r.get("stolen") for r in runs[1]["data"]],
                         [r.get("stolen") for r in env["data"]])
        for run in runs:
            tt.validate(run)
            tt.check_records(self, run)
            self.assertEqual(len(run["summary"]["steals"]), run["summary"]["threads_used"])

    def test_both_formats_become_documents_with_counts(self):
        self.tilerace("--device", DEVICE, *FRAME, "--record-pixels", "-o", self.path("a.json"))
        self.tilerace("--device", DEVICE, *FRAME, "--mode", "dynamic", "--stream", "-o",
                      self.path("b.ndjson"))
        self.tilerace("--device", DEVICE, *FRAME, "-o", self.path("c.json"))
        html = self.replay(self.path("a.json"), self.path("b.ndjson"), self.path("c.json"))
        runs = runs_in(html)
        self.assertEqual(len(runs), 3)
        with open(self.path("a.json")) as f:
            self.assertEqual(runs[0], json.load(f))
        with open(self.path("b.ndjson")) as f:
            lines = [json.loads(line) for line in f]
        env, tiles = lines[-1], {t["task_id"]: t["data"] for t in lines[:-1]}
        self.assertEqual(len(runs[1]["data"]), len(env["data"]))
        for r, e in zip(runs[1]["data"], env["data"]):
            self.assertEqual(r, dict(e, data=tiles[e["task_id"]]))
        self.assertEqual(runs[1]["summary"], env["summary"])
        self.assertFalse(any("data" in r for r in runs[2]["data"]))
        for run in runs:
            tt.validate(run)

    def test_self_contained(self):
        html = self.replay(self.path_small())
        self.assertTrue(html.startswith("<!doctype html>"))
        for pattern in (r"<script[^>]+src\s*=", r"<link\b", r"@import", r"url\(",
                        r"https?://", r"<iframe", r"<img\b", r"fetch\(\s*['\"]http"):
            self.assertIsNone(re.search(pattern, html, re.I), pattern)
        self.assertNotIn("@TILERACE_", html)
        self.assertIn('<div id="tilerace-extra"></div>', html)

    def path_small(self):
        self.tilerace("--device", DEVICE, "--width", 9, "--height", 7, "--tile-w", 4,
                      "--tile-h", 4, "-o", self.path("small.json"))
        return self.path("small.json")

    def test_hostile_text_cannot_end_the_script(self):
        with open(self.path_small()) as f:
            doc = json.load(f)
        evil = "</script><script>document.title='pwned'</script><!-- \u2028\u2029 & > </SCRIPT >"
        doc["message"] = evil
        doc["summary"]["device"]["name"] = evil
        with open(self.path("evil.json"), "w") as f:
            json.dump(doc, f)
        html = self.replay(self.path("evil.json"))
        self.assertEqual(len(re.findall(r"</script", html, re.I)), 2)  # the page's own two
        self.assertNotIn("<!--", html[html.index('id="tilerace-runs"'):])
        self.assertNotIn("\u2028", html)
        runs = runs_in(html)
        self.assertEqual(runs[0]["message"], evil)
        self.assertEqual(runs[0]["summary"]["device"]["name"], evil)

    def test_output_is_atomic_and_bad_input_writes_nothing(self):
        with open(self.path("bad.json"), "w") as f:
            f.write('{"success": true')
        p = subprocess.run([tt.BINARY, "replay", self.path_small(), self.path("bad.json"),
                            "-o", self.path("out.html")], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.decode().splitlines()), 1)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["bad.json", "small.json"])

    def test_stream_tile_line_for_unknown_task_is_rejected(self):
        self.tilerace("--device", DEVICE, *FRAME, "--stream", "-o", self.path("s.ndjson"))
        with open(self.path("s.ndjson")) as f:
            lines = f.read().splitlines()
        tile = json.loads(lines[0])
        tile["task_id"] = 10 ** 6
        lines.insert(0, json.dumps(tile))
        with open(self.path("s2.ndjson"), "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([tt.BINARY, "replay", self.path("s2.ndjson"), "-o",
                            self.path("out.html")], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("task_id", p.stderr.decode())
        self.assertFalse(os.path.exists(self.path("out.html")))

    def test_invalid_line_is_named(self):
        self.tilerace("--device", DEVICE, *FRAME, "--stream", "-o", self.path("s.ndjson"))
        with open(self.path("s.ndjson")) as f:
            lines = f.read().splitlines()
        lines[2] = lines[2][:40]
        with open(self.path("s3.ndjson"), "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([tt.BINARY, "replay", self.path("s3.ndjson"), "-o",
                            self.path("out.html")], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("line 3, column 41: not valid JSON", p.stderr.decode())

    def replay_fails(self, *args, code):
        p = subprocess.run([tt.BINARY, "replay", *args, "-o", self.path("out.html")],
                           capture_output=True, timeout=60)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, code, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertFalse(os.path.exists(self.path("out.html")))
        return err

    def test_fifo_input_is_refused_at_once(self):
        # a FIFO with no writer: read, it would block forever
        os.mkfifo(self.path("pipe.json"))
        err = self.replay_fails(self.path_small(), self.path("pipe.json"), code=4)
        self.assertIn("pipe.json' cannot be read: it is a FIFO, not a regular file", err)

    def test_input_size_limit(self):
        self.tilerace("--device", DEVICE, "--width", 800, "--height", 600, "--record-pixels",
                      "--time-limit-ms", 0, "--quiet", "-o", self.path("big.json"))
        size = os.path.getsize(self.path("big.json"))
        self.assertGreater(size, 1 << 20)
        self.assertLess(size, 3 << 20)
        err = self.replay_fails("--max-input-mb", "1", self.path("big.json"), code=2)
        self.assertIn("big.json' is larger than 1 MiB, the most accepted (raise it with "
                      "--max-input-mb, accepted range 1..4096)", err)
        # the same file under a raised limit, and under the default
        self.replay(self.path("big.json"))
        self.tilerace("replay", "--max-input-mb", 3, self.path("big.json"), "-o",
                      self.path("ok.html"))
        # above the default: 64 MiB of spaces around a small run
        with open(self.path_small(), "rb") as f:
            small = f.read()
        with open(self.path("padded.json"), "wb") as f:
            f.write(small + b" " * (64 << 20))
        err = self.replay_fails(self.path("padded.json"), code=2)
        self.assertIn("is larger than 64 MiB", err)

    def test_thread_ids_the_page_draws(self):
        with open(self.path_small()) as f:
            doc = json.load(f)
        doc["data"][0]["thread_id"] = 65535
        with open(self.path("lanes.json"), "w") as f:
            json.dump(doc, f)
        self.assertEqual(runs_in(self.replay(self.path("lanes.json")))[0], doc)
        doc["data"][0]["thread_id"] = 2 ** 53 - 1
        with open(self.path("lanes.json"), "w") as f:
            json.dump(doc, f)
        err = self.replay_fails(self.path("lanes.json"), code=2)
        self.assertIn("thread_id is missing or not a count in 0..65535", err)

    def test_text_that_is_not_utf8(self):
        with open(self.path_small(), "rb") as f:
            text = f.read()
        # a cut character, a lone continuation byte, an encoded surrogate: each refused where it is
        for bad in (b"\xc3", b"\x80", b"\xed\xa0\x80"):
            with self.subTest(bad=bad):
                at = text.index(b'"cpu"') + 2
                line = text.count(b"\n", 0, at) + 1
                column = at - (text.rfind(b"\n", 0, at) + 1) + 1  # ASCII before it
                with open(self.path("bad.json"), "wb") as f:
                    f.write(text[:at] + bad + text[at:])
                err = self.replay_fails(self.path("bad.json"), code=2)
                self.assertIn(f"line {line}, column {column}: byte 0x{bad[0]:02x} is not UTF-8",
                              err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
