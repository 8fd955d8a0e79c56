#!/usr/bin/env python3
"""Defaults and small things a user meets first: --num-threads follows the CPUs the process may
use (taskset), gray16 images come with a note on how to view them, --image refuses a name that
is not a PNG's, replay writes replay.html without -o but never over one, and whatever is written
to stdout is called standard output when it fails (a closed pipe, a closed descriptor), with no
file left behind."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

BINARY = os.path.abspath(tt.BINARY)  # the tests run it from their own folders
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
RUN_SMALL = os.path.join(DATA, "replay", "run_small.json")
SMALL = ["--width", "16", "--height", "16", "--tile-w", "8", "--tile-h", "8", "--quiet"]
# More JSON than a pipe holds (1024 records), so the writer meets the closed pipe.
BIG = ["--width", "2048", "--height", "2048", "--max-iter", "16", "--time-limit-ms", "0",
       "--quiet"]
STDOUT_FAILS = "tilerace: standard output cannot be written: "


def run(args, timeout=300, **kw):
    kw.setdefault("capture_output", True)
    return subprocess.run([BINARY] + [str(a) for a in args], timeout=timeout, **kw)


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="tilerace-defaults-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def one_error_line(self, p, code):
        err = p.stderr.decode()
        self.assertEqual(p.returncode, code, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("tilerace: "), err)
        return err.rstrip("\n")


class NumThreads(Base):
    def threads_of(self, prefix=()):
        p = subprocess.run(list(prefix) + [BINARY] + SMALL, capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["params"]["num_threads"]

    def test_default_is_the_cpus_the_process_may_use(self):
        self.assertEqual(self.threads_of(), min(len(os.sched_getaffinity(0)), 256))

    def test_taskset_to_one_cpu_gives_one_lane(self):
        first = min(os.sched_getaffinity(0))
        self.assertEqual(self.threads_of(["taskset", "-c", str(first)]), 1)

    def test_an_explicit_count_wins(self):
        p = run(SMALL + ["--num-threads", 3])
        self.assertEqual(json.loads(p.stdout)["params"]["num_threads"], 3)

    def test_help_says_both_defaults(self):
        text = " ".join(run(["--help"]).stdout.decode().split())
        self.assertIn("[the CPUs tilerace may use; HTTP: 4]", text)
        self.assertIn("the HTTP API's default is 4", text)


class Gray16AndImageNames(Base):
    def test_help_tells_how_to_view_gray16(self):
        text = " ".join(run(["--help"]).stdout.decode().split())
        self.assertIn("most viewers show the frame black", text)
        self.assertIn("-auto-level", text)

    def test_names_that_are_not_png_are_refused_before_rendering(self):
        for name in ("out.jpg", "out.JPEG", "out.png.gz", "a.b/out.webp", "out."):
            with self.subTest(name=name):
                # minutes of rendering if the name were checked after it
                p = run(["--width", 8192, "--height", 8192, "--max-iter", 65535,
                         "--time-limit-ms", 0, "--quiet", "--image", name], cwd=self.tmp,
                        timeout=60)
                line = self.one_error_line(p, 2)
                self.assertIn(f"--image: '{name}' does not end in .png", line)
                self.assertEqual(p.stdout, b"")
                self.assertEqual(os.listdir(self.tmp), [])

    def test_png_in_any_case_and_names_without_extension_are_written(self):
        for name in ("x.png", "y.PNG", "z.Png", "noext", ".hidden"):
            with self.subTest(name=name):
                p = run(SMALL + ["--image", name, "--out", "/dev/null"], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(os.path.join(self.tmp, name), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class ReplayDefaultPage(Base):
    def test_writes_replay_html_here_and_never_over_one(self):
        p = run(["replay", RUN_SMALL], cwd=self.tmp)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        page = os.path.join(self.tmp, "replay.html")
        with open(page, "rb") as f:
            self.assertIn(b"<title>tilerace replay</title>", f.read())
        with open(page, "wb") as f:
            f.write(b"MINE")
        p = run(["replay", RUN_SMALL], cwd=self.tmp)
        self.assertEqual(self.one_error_line(p, 2),
                         "tilerace: replay: 'replay.html' exists in the current folder "
                         "(accepted: --force to replace it, or -o FILE)")
        with open(page, "rb") as f:
            self.assertEqual(f.read(), b"MINE")
        self.assertEqual(os.listdir(self.tmp), ["replay.html"])
        p = run(["replay", "--force", RUN_SMALL], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(page, "rb") as f:
            self.assertIn(b"<title>tilerace replay</title>", f.read())

    def test_a_link_named_replay_html_counts_as_there(self):
        os.symlink("elsewhere.html", os.path.join(self.tmp, "replay.html"))
        p = run(["replay", RUN_SMALL], cwd=self.tmp)
        self.one_error_line(p, 2)
        self.assertEqual(os.listdir(self.tmp), ["replay.html"])

    def test_explicit_out_replaces_its_file(self):
        page = os.path.join(self.tmp, "mine.html")
        with open(page, "wb") as f:
            f.write(b"OLD")
        p = run(["replay", RUN_SMALL, "-o", page])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(page, "rb") as f:
            self.assertIn(b"<title>tilerace replay</title>", f.read())

    def test_help_documents_the_default(self):
        text = " ".join(run(["replay", "--help"]).stdout.decode().split())
        self.assertIn("--force", text)
        self.assertIn("Without -o the page is replay.html in the current folder", text)


class StandardOutput(Base):
    def pipe_to_head(self, args):
        """Runs tilerace | head -c 10; returns tilerace's CompletedProcess-like result."""
        r, w = os.pipe()
        head = subprocess.Popen(["head", "-c", "10"], stdin=r, stdout=subprocess.PIPE)
        os.close(r)
        p = subprocess.Popen([BINARY] + [str(a) for a in args], cwd=self.tmp, stdout=w,
                             stderr=subprocess.PIPE)
        os.close(w)  # only tilerace holds the writing end
        got = head.communicate(timeout=300)[0]
        _, err = p.communicate(timeout=300)
        self.assertEqual(len(got), 10)
        return subprocess.CompletedProcess(args, p.returncode, b"", err)

    def test_document_into_a_pipe_that_head_closes(self):
        p = self.pipe_to_head(BIG + ["--image", "x.png"])
        line = self.one_error_line(p, 4)
        self.assertEqual(line, STDOUT_FAILS + "Broken pipe (its reader has exited)")
        self.assertEqual(os.listdir(self.tmp), [])  # the image was put back: nothing

    def test_stream_into_a_pipe_that_head_closes(self):
        p = self.pipe_to_head(BIG + ["--stream", "--image", "x.png"])
        line = self.one_error_line(p, 4)
        self.assertEqual(line, STDOUT_FAILS + "Broken pipe (its reader has exited)")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_replay_into_a_pipe_that_head_closes(self):
        # a page with pixels: far more than a pipe holds
        run_path = os.path.join(self.tmp, "run.json")
        self.assertEqual(run(["--width", 512, "--height", 512, "--record-pixels", "--quiet",
                              "-o", run_path]).returncode, 0)
        p = self.pipe_to_head(["replay", run_path, "-o", "-"])
        line = self.one_error_line(p, 4)
        self.assertEqual(line, "tilerace: replay: standard output cannot be written: "
                               "Broken pipe (its reader has exited)")

    def closed_stdout(self, args):
        return subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', BINARY] + [str(a) for a in args],
                              cwd=self.tmp, capture_output=True, timeout=300)

    def test_closed_stdout(self):
        for args in (SMALL + ["--image", "x.png"], SMALL + ["--stream", "--image", "x.png"],
                     ["replay", RUN_SMALL, "-o", "-"], ["--help"], ["--version"]):
            with self.subTest(args=args):
                p = self.closed_stdout(args)
                line = self.one_error_line(p, 4)
                # why is known when the failing write is the last one (help text is written
                # in several, and stdio keeps only that one failed)
                why = "" if "--help" in args else ": Bad file descriptor"
                self.assertIn("standard output cannot be written" + why, line)
                self.assertNotIn("--out", line)
                self.assertNotIn("-o:", line)
                self.assertEqual(os.listdir(self.tmp), [])

    def test_a_named_out_file_is_still_named(self):
        os.mkdir(os.path.join(self.tmp, "dir"))
        p = run(SMALL + ["--out", "dir"], cwd=self.tmp)
        self.assertIn("--out: 'dir' is a directory", self.one_error_line(p, 4))


if __name__ == "__main__":
    if not shutil.which("taskset"):
        sys.exit("taskset (util-linux) is needed")
    unittest.main(verbosity=2)
