#!/usr/bin/env python3
"""Output files and stdout of every command: one file named twice, paths checked before the
first tile, the previous file kept when a run fails or is interrupted (failed renames, signals
at random moments), modes and owners kept, stdout written only by a run that succeeds, and
exit 4 whenever stdout cannot be written."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import png_reader  # noqa: E402
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
SMALL = ["--device", DEVICE, "--width", "64", "--height", "48", "--quiet"]
# Long enough that a run which rendered it before failing would break the time bound below.
HUGE = ["--device", DEVICE, "--width", "8192", "--height", "8192", "--max-iter", "65535",
        "--time-limit-ms", "60000", "--quiet"]
EARLY_S = 20  # far above start-up, far below the HUGE frame


BINARY = os.path.abspath(tt.BINARY)  # the tests run it from their own folders


def run(args, **kw):
    if "stdout" not in kw and "stderr" not in kw:
        kw["capture_output"] = True
    return subprocess.run([BINARY] + [str(a) for a in args], timeout=300, **kw)


class Base(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="tilerace-files-")
        self.tmp = self._tmp.name

    def tearDown(self):
        for root, dirs, _ in os.walk(self.tmp):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o700)
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, data, mode=None):
        with open(self.path(name), "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(self.path(name), mode)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def assert_one_error_line(self, p, code, *fragments):
        err = p.stderr.decode()
        self.assertEqual(p.returncode, code, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("tilerace: "), err)
        for frag in fragments:
            self.assertIn(frag, lines[0])


class SameFileTwice(Base):
    def check_refused(self, out, image, **kw):
        before = sorted(os.listdir(self.tmp))
        p = run(HUGE + ["--out", out, "--image", image], cwd=self.tmp, **kw)
        self.assert_one_error_line(p, 2, "is the same file as --out")
        self.assertEqual(sorted(os.listdir(self.tmp)), before)
        return p

    def test_same_name(self):
        self.check_refused("x", "x")
        self.check_refused(self.path("x"), "x")
        self.check_refused("./a.png", "a.png")
        os.mkdir(self.path("sub"))
        self.check_refused("sub/../a.png", "a.png")

    def test_same_existing_file_through_links(self):
        self.write("target.png", b"OLD")
        os.symlink("target.png", self.path("soft.png"))
        os.link(self.path("target.png"), self.path("hard.png"))
        self.check_refused("soft.png", "target.png")
        self.check_refused("target.png", "hard.png")
        self.check_refused("hard.png", "soft.png")
        self.assertEqual(self.read("target.png"), b"OLD")

    def test_dangling_link_and_its_target(self):
        os.symlink("new.png", self.path("link.json"))
        self.check_refused("link.json", "new.png")
        os.mkdir(self.path("d"))
        os.symlink(self.tmp, self.path("d/up"))  # a directory reached two ways
        self.check_refused("d/up/z.png", "z.png")

    def test_stdout_redirected_to_the_image(self):
        self.write("x.png", b"OLD")
        with open(self.path("x.png"), "ab") as f:
            p = run(HUGE + ["--image", "x.png"], cwd=self.tmp, stdout=f, stderr=subprocess.PIPE)
        self.assert_one_error_line(p, 2, "is the same file as --out")
        self.assertEqual(self.read("x.png"), b"OLD")

    def test_different_files_and_devices_are_accepted(self):
        for out, image in (("a.json", "a.png"), ("/dev/null", "/dev/null"), ("-", "b.png")):
            p = run(SMALL + ["--out", out, "--image", image], cwd=self.tmp)
            self.assertEqual(p.returncode, 0, (out, image, p.stderr))
        png_reader.read(self.path("a.png"))
        png_reader.read(self.path("b.png"))
        json.loads(self.read("a.json"))


class CheckedBeforeTheFirstTile(Base):
    def check_early(self, args, code, fragment):
        start = time.monotonic()
        p = run(args, cwd=self.tmp)
        elapsed = time.monotonic() - start
        self.assert_one_error_line(p, code, fragment)
        self.assertEqual(p.stdout, b"")
        self.assertLess(elapsed, EARLY_S, f"{args}: the frame was rendered before failing")
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".")], [])

    def test_bad_out_and_image_paths(self):
        self.write("file", b"")
        os.mkdir(self.path("dir"))
        os.symlink("loop", self.path("loop"))
        cases = [
            (["--out", ""], 2, "--out: '' is not a file path"),
            (["--image", ""], 2, "--image: '' is not a file path"),
            (["--out", "missing/x.json"], 4, "--out: 'missing/x.json' cannot be written"),
            (["--image", "missing/x.png"], 4, "--image: 'missing/x.png' cannot be written"),
            (["--out", "dir"], 4, "--out: 'dir' is a directory"),
            (["--image", "dir/"], 4, "--image: 'dir/' is a directory"),
            (["--out", "file/x.json"], 4, "Not a directory"),
            (["--out", "loop"], 4, "--out: 'loop' cannot be written: Too many levels"),
            (["--image", "/proc/tilerace.png"], 4, "--image: '/proc/tilerace.png' cannot be"),
            (["--out", "ok.json", "--image", "dir"], 4, "--image: 'dir' is a directory"),
            (["--stream", "--image", "missing/x.png"], 4, "--image: 'missing/x.png'"),
        ]
        for extra, code, fragment in cases:
            with self.subTest(args=extra):
                self.check_early(HUGE + extra, code, fragment)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["dir", "file", "loop"])

    def test_unwritable_directory(self):
        os.mkdir(self.path("ro"), 0o500)
        if os.access(self.path("ro"), os.W_OK):
            # root writes anywhere: a read-only mount stands in for the folder
            target = "/proc/sys/tilerace.json"
        else:
            target = self.path("ro/x.json")
        self.check_early(HUGE + ["--out", target], 4, "cannot be written")

    def test_replay_empty_out(self):
        p = run(["replay", os.path.join(DATA, "replay", "run_small.json"), "-o", ""])
        self.assert_one_error_line(p, 2, "'' is not a file path")


class PreviousFilesKept(Base):
    """A failed or interrupted run leaves each output path as it was, or (exit 0) complete."""

    def start_and_wait_for_temporaries(self, args):
        proc = subprocess.Popen([BINARY] + [str(a) for a in args], cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sum(".tmp-" in n for n in os.listdir(self.tmp)) == 2:
                return proc
            time.sleep(0.01)
        proc.kill()
        proc.communicate()
        self.fail("the temporary files never appeared")

    def test_failed_image_rename_keeps_the_previous_document(self):
        # The image's name turns into a folder during the run, so its rename fails after the
        # document's succeeded: the document must be put back.
        self.write("run.json", b"OLD-JSON", 0o640)
        self.write("x.png", b"OLD-PNG")
        args = ["--device", DEVICE, "--width", 2048, "--height", 2048, "--max-iter", 65535,
                "--time-limit-ms", 1500, "--num-threads", 2, "--quiet",
                "--out", "run.json", "--image", "x.png"]
        proc = self.start_and_wait_for_temporaries(args)
        os.remove(self.path("x.png"))
        os.mkdir(self.path("x.png"))
        self.write("x.png/keep", b"")
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 4, err)
        self.assertEqual(err.decode().splitlines(),
                         ["tilerace: --image: 'x.png' cannot be written: Is a directory"])
        self.assertEqual(out, b"")
        self.assertEqual(self.read("run.json"), b"OLD-JSON")
        self.assertEqual(os.stat(self.path("run.json")).st_mode & 0o777, 0o640)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["run.json", "x.png"])

    def test_failed_document_rename_keeps_the_previous_image(self):
        self.write("run.json", b"OLD-JSON")
        self.write("x.png", b"OLD-PNG")
        args = ["--device", DEVICE, "--width", 2048, "--height", 2048, "--max-iter", 65535,
                "--time-limit-ms", 1500, "--num-threads", 2, "--quiet",
                "--out", "run.json", "--image", "x.png"]
        proc = self.start_and_wait_for_temporaries(args)
        os.remove(self.path("run.json"))
        os.mkdir(self.path("run.json"))
        self.write("run.json/keep", b"")
        _, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 4, err)
        self.assertIn("--out: 'run.json' cannot be written", err.decode())
        self.assertEqual(self.read("x.png"), b"OLD-PNG")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["run.json", "x.png"])

    def test_unwritable_stdout_puts_the_image_back(self):
        self.write("x.png", b"OLD-PNG")
        with open("/dev/full", "wb") as full:
            p = run(SMALL + ["--image", "x.png"], cwd=self.tmp, stdout=full,
                    stderr=subprocess.PIPE)
        self.assert_one_error_line(p, 4, "tilerace: standard output cannot be written: No space")
        self.assertNotIn("--out", p.stderr.decode())
        self.assertEqual(self.read("x.png"), b"OLD-PNG")
        with open("/dev/full", "wb") as full:
            p = run(SMALL + ["--image", "new.png"], cwd=self.tmp, stdout=full,
                    stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 4)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["x.png"])

    def test_signal_between_the_two_renames(self):
        # rename() is slowed down (tests/cli/slow_rename.c), and the signal is sent as soon as the
        # document has been renamed into place, while the image's rename waits: the run must
        # end with both files as they were.
        with tempfile.TemporaryDirectory(prefix="tilerace-shim-") as shim_dir:
            shim = os.path.join(shim_dir, "slow_rename.so")
            here = os.path.dirname(os.path.abspath(__file__))
            subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O1", "-o", shim,
                            os.path.join(here, "slow_rename.c"), "-ldl"], check=True,
                           timeout=120)
            env = dict(os.environ, LD_PRELOAD=shim, TILERACE_TEST_RENAME_DELAY_MS="500",
                       # the shim is preloaded before the sanitizer runtime of an ASan build
                       ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                       ":verify_asan_link_order=0")
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                with self.subTest(signal=sig.name):
                    self.write("run.json", b"OLD-JSON")
                    self.write("x.png", b"OLD-PNG")
                    proc = subprocess.Popen([BINARY] + SMALL +
                                            ["--out", "run.json", "--image", "x.png"],
                                            cwd=self.tmp, env=env, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE)
                    deadline = time.monotonic() + 120
                    while self.read("run.json") == b"OLD-JSON" and proc.poll() is None \
                            and time.monotonic() < deadline:
                        time.sleep(0.005)
                    proc.send_signal(sig)
                    _, err = proc.communicate(timeout=120)
                    self.assertEqual(proc.returncode, -sig, err)
                    self.assertEqual(self.read("run.json"), b"OLD-JSON")
                    self.assertEqual(self.read("x.png"), b"OLD-PNG")
                    self.assertEqual(sorted(os.listdir(self.tmp)), ["run.json", "x.png"])

    def test_signals_at_random_moments(self):
        # Each path holds its previous bytes or its complete new content; with SIGINT,
        # SIGTERM or SIGHUP both files are old (the run was interrupted) or both new (exit 0).
        args = ["--device", DEVICE, "--width", 700, "--height", 500, "--max-iter", 3000,
                "--time-limit-ms", 0, "--num-threads", 2, "--quiet", "--out", "run.json",
                "--image", "x.png"]
        start = time.monotonic()
        p = run(args, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        duration = time.monotonic() - start
        rng = random.Random(int(os.environ.get("TILERACE_TEST_SEED", "20240607")))
        sigs = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL]
        outcomes = set()
        for i in range(32):
            sig = sigs[i % len(sigs)]
            old_json, old_png = f"OLD-JSON-{i}".encode(), f"OLD-PNG-{i}".encode()
            self.write("run.json", old_json, 0o600)
            self.write("x.png", old_png, 0o600)
            for n in os.listdir(self.tmp):
                if n.startswith("."):
                    os.remove(self.path(n))  # left by an earlier SIGKILL
            proc = subprocess.Popen([BINARY] + [str(a) for a in args], cwd=self.tmp,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # the first run is cut short at once, the second one ends before its signal
            delay = (0, duration * 3)[i] if i < 2 else rng.uniform(0, duration * 1.2)
            time.sleep(delay)
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=300)
            rc = proc.returncode
            with self.subTest(i=i, signal=sig.name, rc=rc):
                self.assertIn(rc, (0, -sig), err)
                j, png = self.read("run.json"), self.read("x.png")
                json_new, png_new = j != old_json, png != old_png
                if json_new:
                    self.assertIs(json.loads(j)["success"], True)
                if png_new:
                    png_reader.read(self.path("x.png"))
                for name in ("run.json", "x.png"):
                    self.assertEqual(os.stat(self.path(name)).st_mode & 0o777, 0o600)
                if rc == 0:
                    self.assertTrue(json_new and png_new)
                if sig != signal.SIGKILL:
                    self.assertEqual(json_new, png_new, "one file new, the other old")
                    self.assertEqual(sorted(os.listdir(self.tmp)), ["run.json", "x.png"])
                outcomes.add(rc == 0)
        self.assertEqual(outcomes, {True, False}, "every signal came too early or too late")


class ModeAndOwner(Base):
    def test_replaced_files_keep_mode_and_owner(self):
        names = ["run.json", "x.png", "page.html"]
        for n in names:
            self.write(n, b"OLD", 0o600)
        root = os.geteuid() == 0
        if root:
            for n in names:
                os.chown(self.path(n), 4321, 4322)
        p = run(SMALL + ["--out", "run.json", "--image", "x.png"], cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run(["replay", os.path.join(DATA, "replay", "run_small.json"), "-o", "page.html"],
                cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        for n in names:
            st = os.stat(self.path(n))
            self.assertNotEqual(self.read(n), b"OLD", n)
            self.assertEqual(st.st_mode & 0o7777, 0o600, n)
            if root:
                self.assertEqual((st.st_uid, st.st_gid), (4321, 4322), n)

    def test_new_files_follow_the_umask(self):
        p = run(SMALL + ["--out", "run.json", "--image", "x.png"], cwd=self.tmp,
                preexec_fn=lambda: os.umask(0o027))
        self.assertEqual(p.returncode, 0, p.stderr)
        for n in ("run.json", "x.png"):
            self.assertEqual(os.stat(self.path(n)).st_mode & 0o777, 0o640, n)


class StdoutOnlyOnSuccess(Base):
    def test_image_failure_prints_no_document(self):
        p = run(SMALL + ["--image", "/dev/full"])
        self.assert_one_error_line(p, 4, "--image: '/dev/full' cannot be written")
        self.assertEqual(p.stdout, b"")

    def test_stream_without_its_last_line(self):
        # Tile lines go out as tiles finish; the document, the last line, only on success.
        p = run(SMALL + ["--stream", "--tile-w", 16, "--tile-h", 16, "--image", "/dev/full"])
        self.assert_one_error_line(p, 4, "--image: '/dev/full' cannot be written")
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 12)
        self.assertTrue(all("summary" not in json.loads(line) for line in lines))


COMMANDS = [
    ["--help"], ["--version"], ["run", "--help"], ["run", "--width", "16", "--height", "16"],
    ["--width", "16", "--height", "16", "--stream"], ["devices"], ["devices", "--json"],
    ["devices", "--help"], ["selftest"], ["selftest", "--help"],
    ["replay", "--help"], ["replay", os.path.join(DATA, "replay", "run_small.json"), "-o", "-"],
] + ([["serve", "--help"]] if "server" in tt.BUILD_HAS else [])


class EveryCommandChecksStdout(Base):
    def test_full_stdout(self):
        for args in COMMANDS:
            with self.subTest(args=args), open("/dev/full", "wb") as full:
                p = run(args, stdout=full, stderr=subprocess.PIPE)
                self.assert_one_error_line(p, 4, "cannot be written")

    def test_closed_pipe(self):
        for args in COMMANDS:
            with self.subTest(args=args):
                r, w = os.pipe()
                os.close(r)
                try:
                    p = run(args, stdout=w, stderr=subprocess.PIPE)
                finally:
                    os.close(w)
                self.assert_one_error_line(p, 4, "cannot be written")


if __name__ == "__main__":
    unittest.main(verbosity=2)
