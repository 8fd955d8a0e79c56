#!/usr/bin/env python3
"""End-to-end tests of the OpenCL path on pocl: golden frames, identity with the CPU path,
device selection, kernel overrides and failures, the self-test. (test_cli_output.py runs on
pocl too, as the ctest cli_output_pocl: schema, time limit, --out.)

Run through with_opencl.py: skipped only where no OpenCL platform exists; CI has pocl."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "kernels")


def summary(*args):
    return tt.run(*args)[1]


SMALL = ["--width", "96", "--height", "96", "--max-iter", "128"]


def cache_env(tmp, **extra):
    """An environment where pocl's default cache folder is unusable and TMPDIR is tmp."""
    env = {k: v for k, v in os.environ.items() if k not in ("POCL_CACHE_DIR", "XDG_CACHE_HOME")}
    env["HOME"] = "/proc/self"  # not writable: pocl's default cache is unusable
    env["TMPDIR"] = tmp
    env.update(extra)
    return env


def run_env(env, *args, timeout=300):
    return subprocess.run([tt.BINARY] + [str(a) for a in args], capture_output=True, env=env,
                          timeout=timeout)


def files_under(folder):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs)


class Pocl(unittest.TestCase):
    def test_golden_frames_both_modes(self):
        configs = [("sequential", 1, 64, 64, "auto"), ("concurrent", 2, 64, 64, "auto"),
                   ("concurrent", 3, 37, 23, "scalar"), ("concurrent", 5, 100, 7, "vector"),
                   ("dynamic", 3, 50, 50, "auto")]
        for row in tt.golden_rows():
            for mode, lanes, tw, th, kernel in configs:
                if row["total_iterations"] > 100e6 and kernel == "scalar":
                    continue  # the scalar baseline on the big frame adds seconds, nothing more
                with self.subTest(row=row, mode=mode, lanes=lanes, tile=(tw, th), kernel=kernel):
                    doc = summary("--device", "pocl", "--width", row["width"],
                                  "--height", row["height"], "--max-iter", row["max_iter"],
                                  "--mode", mode, "--num-threads", lanes, "--tile-w", tw,
                                  "--tile-h", th, "--time-limit-ms", 0, "--kernel", kernel)
                    tt.validate(doc)
                    tt.check_records(self, doc)
                    self.assertEqual(doc["summary"]["checksum"], row["checksum"])
                    self.assertEqual(doc["summary"]["total_iterations"], row["total_iterations"])
                    self.assertEqual(doc["summary"]["device"]["type"], "CPU")
                    for r in doc["data"]:
                        self.assertIn("device_time_us", r)

    def test_same_records_and_pixels_as_cpu(self):
        for precision in ("double", "float"):
            for mode, lanes in (("sequential", 1), ("concurrent", 3), ("concurrent", 8)):
                args = ["--width", 301, "--height", 203, "--tile-w", 33, "--tile-h", 29,
                        "--max-iter", 500, "--time-limit-ms", 0, "--mode", mode,
                        "--num-threads", lanes, "--precision", precision]
                with self.subTest(precision=precision, mode=mode, lanes=lanes):
                    cpu = summary("--device", "cpu", *args)
                    for kernel in ("scalar", "vector"):
                        cl = summary("--device", "pocl", "--kernel", kernel, *args)
                        self.assertEqual(cl["summary"]["checksum"], cpu["summary"]["checksum"])
                        self.assertIsNotNone(cl["summary"]["checksum"])
                        self.assertEqual(cl["summary"]["total_iterations"],
                                         cpu["summary"]["total_iterations"])
                        self.assertEqual(sorted(map(tt.tile_key, cl["data"])),
                                         sorted(map(tt.tile_key, cpu["data"])))
                        self.assertNotIn("device_time_us", cpu["data"][0])

    def test_max_iter_around_the_vector_block(self):
        # The vector kernel runs blocks of 16 iterations without testing max_iter while every
        # lane is 16 or more short of it: caps below, at and just above that, with pixels in
        # the set (they reach the cap) and edge tiles of odd sizes
        for precision in ("double", "float"):
            for max_iter in (1, 2, 15, 16, 17, 33):
                args = ["--width", 97, "--height", 61, "--tile-w", 23, "--tile-h", 17,
                        "--max-iter", max_iter, "--time-limit-ms", 0, "--num-threads", 2,
                        "--precision", precision]
                with self.subTest(precision=precision, max_iter=max_iter):
                    cpu = summary("--device", "cpu", "--kernel", "scalar", *args)
                    cl = summary("--device", "pocl", "--kernel", "vector", *args)
                    self.assertEqual(cl["summary"]["checksum"], cpu["summary"]["checksum"])
                    self.assertEqual(cl["summary"]["total_iterations"],
                                     cpu["summary"]["total_iterations"])

    def test_float_table(self):
        # float on pocl against the table an independent numpy implementation computed
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                               "golden_float.tsv")) as f:
            rows = [line.split("\t") for line in f.read().splitlines()[1:] if line]
        for w, h, it, fnv, total in rows:
            if int(total) > 100e6:
                continue  # the big frame: covered in double above
            for kernel in ("scalar", "vector"):
                with self.subTest(frame=(w, h, it), kernel=kernel):
                    doc = summary("--device", "pocl", "--precision", "float", "--kernel", kernel,
                                  "--width", w, "--height", h, "--max-iter", it,
                                  "--time-limit-ms", 0, "--tile-w", 37, "--tile-h", 23)
                    self.assertEqual(doc["summary"]["checksum"], "fnv1a64:" + fnv)
                    self.assertEqual(doc["summary"]["total_iterations"], int(total))

    def test_selectors(self):
        p, doc = tt.run("devices", "--json")
        sel = next(d["selector"] for d in doc["devices"] if d["selector"].startswith("opencl:"))
        for device in ("pocl", "opencl", sel):
            with self.subTest(device=device):
                d = summary("--device", device, "--width", 96, "--height", 96, "--max-iter", 128)
                self.assertEqual(d["params"]["device"], device)
                self.assertEqual(d["summary"]["checksum"], tt.golden_rows()[0]["checksum"])
        p, out = tt.run("devices")
        self.assertIn(sel, p.stdout.decode())
        self.assertIn("cpu", p.stdout.decode())

    def test_missing_device_is_exit_3(self):
        for device in ("opencl:9.9", "opencl:0.99"):
            p, _ = tt.run("--device", device, check=False)
            self.assertEqual(p.returncode, 3)
            err = p.stderr.decode()
            self.assertEqual(len(err.splitlines()), 1)
            self.assertIn(f"'{device}'", err)
            self.assertIn("available: cpu, opencl:0.0", err)
            self.assertEqual(p.stdout, b"")

    def test_kernel_dir_override(self):
        with tempfile.TemporaryDirectory() as tmp:
            # the shipped kernel, loaded from a folder, gives the same pixels
            with open(os.path.join(KERNELS, "mandelbrot.cl")) as f:
                src = f.read()
            with open(os.path.join(tmp, "mandelbrot.cl"), "w") as f:
                f.write(src)
            d = summary("--device", "pocl", "--kernel-dir", tmp, "--width", 96, "--height", 96,
                        "--max-iter", 128)
            self.assertEqual(d["summary"]["checksum"], tt.golden_rows()[0]["checksum"])
            # a kernel that loops one iteration too few: the override really is used
            with open(os.path.join(tmp, "mandelbrot.cl"), "w") as f:
                f.write(src.replace("for (; i < max_iter; i++)", "for (; i + 1 < max_iter; i++)"))
            d = summary("--device", "pocl", "--kernel", "scalar", "--kernel-dir", tmp,
                        "--width", 96, "--height", 96, "--max-iter", 128)
            self.assertNotEqual(d["summary"]["checksum"], tt.golden_rows()[0]["checksum"])

    def test_missing_kernel_dir_is_exit_2(self):
        p, _ = tt.run("--device", "pocl", "--kernel-dir", "/nonexistent-kernels", check=False)
        self.assertEqual(p.returncode, 2)
        err = p.stderr.decode()
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("--kernel-dir: '/nonexistent-kernels/mandelbrot.cl' cannot be read", err)
        self.assertEqual(p.stdout, b"")

    def test_broken_kernel_prints_build_log(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "mandelbrot.cl"), "w") as f:
                f.write("__kernel void mandelbrot_vector_double(__global ushort *c) { c[0] = }\n")
            out = os.path.join(tmp, "run.json")
            p, _ = tt.run("--device", "pocl", "--kernel-dir", tmp, "--out", out, check=False)
            self.assertEqual(p.returncode, 3)
            err = p.stderr.decode()
            self.assertIn("--- OpenCL build log", err)
            self.assertIn("error", err)
            self.assertIn("clBuildProgram failed", err)
            self.assertIn("CL_BUILD_PROGRAM_FAILURE", err)
            self.assertEqual(p.stdout, b"")
            self.assertEqual(sorted(os.listdir(tmp)), ["mandelbrot.cl"])

    def test_cache_folder_fallback_and_cold_build(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items()
                   if k not in ("POCL_CACHE_DIR", "XDG_CACHE_HOME")}
            env["HOME"] = "/proc/self"  # not writable: pocl's default cache is unusable
            env["TMPDIR"] = tmp
            p = subprocess.run([tt.BINARY, "--device", "pocl", "--width", "96", "--height", "96",
                                "--max-iter", "128"], capture_output=True, env=env, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            doc = json.loads(p.stdout)
            self.assertEqual(doc["summary"]["checksum"], tt.golden_rows()[0]["checksum"])
            cache = os.path.join(tmp, f"tilerace-pocl-cache-{os.getuid()}")
            self.assertTrue(os.path.isdir(cache))
            self.assertTrue(os.listdir(cache), "pocl wrote nothing into the fallback cache")

    def render(self, env):
        """A pocl render under env; its stderr."""
        p = run_env(env, "--device", "pocl", *SMALL)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(json.loads(p.stdout)["summary"]["checksum"],
                         tt.golden_rows()[0]["checksum"])
        return p.stderr.decode()

    def cache_dir_of(self, env):
        d = run_env(env, "devices", "--json")
        self.assertEqual(d.returncode, 0, d.stderr.decode())
        return json.loads(d.stdout)["pocl_cache_dir"]

    def render_in(self, env):
        """A pocl render and `devices --json` under env: (stderr of the render, cache folder)."""
        return self.render(env), self.cache_dir_of(env)

    def assert_not_used(self, planted, watched, env):
        """pocl must neither write into watched (the planted folder, or where its link points)
        nor be pointed at planted; the program says once that it skips it."""
        before = files_under(watched)
        err = self.render(env)
        self.assertEqual(files_under(watched), before, "pocl wrote into the planted folder")
        used = self.cache_dir_of(env)
        self.assertNotEqual(os.path.realpath(used), os.path.realpath(planted))
        self.assertNotEqual(os.path.realpath(used), os.path.realpath(watched))
        self.assertIn(f"not using '{planted}' for pocl's kernel cache", err)
        self.assertEqual(len(err.splitlines()), 1, err)
        st = os.lstat(used) if os.path.exists(used) else None
        if st:  # the fresh mkdtemp() folder is gone at exit; a fixed one must be private
            self.assertEqual(st.st_uid, os.geteuid())
            self.assertEqual(st.st_mode & 0o077, 0)
        return used

    def test_cache_folder_planted_in_tmpdir_is_not_used(self):
        # Another user (or anyone, as the folder is world-writable) could put a kernel .so
        # there for pocl to load into this process.
        uid = os.geteuid()
        cases = ["world-writable", "group-writable", "symlink"]
        if uid == 0:
            cases.append("other owner")  # chown needs root
        for case in cases:
            with self.subTest(case=case), tempfile.TemporaryDirectory() as tmp:
                planted = os.path.join(tmp, f"tilerace-pocl-cache-{uid}")
                watched = planted
                if case == "symlink":
                    watched = os.path.join(tmp, "theirs")
                    os.mkdir(watched, 0o700)
                    os.symlink(watched, planted)
                else:
                    os.mkdir(planted, 0o700)
                    os.chmod(planted, {"world-writable": 0o777, "group-writable": 0o770,
                                       "other owner": 0o700}[case])
                    if case == "other owner":
                        os.chown(planted, 65534, 65534)
                used = self.assert_not_used(planted, watched, cache_env(tmp))
                self.assertTrue(os.path.basename(used).startswith(f"tilerace-pocl-cache-{uid}-"))
                self.assertFalse(os.path.exists(used), "the temporary cache outlived the run")

    def test_cache_folder_under_xdg_must_be_private_too(self):
        uid = os.geteuid()
        for case in ("kcache world-writable", "pocl world-writable", "XDG_CACHE_HOME shared"):
            with self.subTest(case=case), tempfile.TemporaryDirectory() as tmp:
                xdg = os.path.join(tmp, "xdg")
                kcache = os.path.join(xdg, "pocl", "kcache")
                os.makedirs(kcache, 0o700)
                if case == "kcache world-writable":
                    os.chmod(kcache, 0o777)
                elif case == "pocl world-writable":
                    os.chmod(os.path.dirname(kcache), 0o777)
                else:
                    os.chmod(xdg, 0o777)
                used = self.assert_not_used(kcache, xdg, cache_env(tmp, XDG_CACHE_HOME=xdg))
                # the next candidate, private, is the fixed folder under TMPDIR
                self.assertEqual(used, os.path.join(os.path.realpath(tmp),
                                                    f"tilerace-pocl-cache-{uid}"))

    def test_cache_folder_private_candidates_are_used(self):
        with tempfile.TemporaryDirectory() as tmp:
            xdg = os.path.join(tmp, "xdg")
            err, used = self.render_in(cache_env(tmp, XDG_CACHE_HOME=xdg))
            self.assertEqual(err, "")
            kcache = os.path.join(os.path.realpath(xdg), "pocl", "kcache")
            self.assertEqual(used, kcache)  # pocl's own default place
            for folder in (xdg, os.path.dirname(kcache), kcache):
                self.assertEqual(os.stat(folder).st_mode & 0o777, 0o700, folder)
            self.assertTrue(files_under(kcache))
            # a fixed folder left by an earlier run, private: used again, no message
            os.makedirs(os.path.join(tmp, "t"))
            err, used = self.render_in(cache_env(os.path.join(tmp, "t")))
            self.assertEqual(err, "")
            err, again = self.render_in(cache_env(os.path.join(tmp, "t")))
            self.assertEqual((err, again), ("", used))

    def test_bad_pocl_cache_dir_is_one_clear_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            a_file = os.path.join(tmp, "a-file")
            open(a_file, "w").close()
            cases = [(a_file, "is not a directory"),
                     (os.path.join(a_file, "sub"), "cannot be created"),
                     ("/proc/self/cache", "cannot be created"),  # no platform before: CL_SUCCESS
                     ("/proc/self", "is not writable")]  # read-only even for root
            for path, what in cases:
                with self.subTest(path=path):
                    env = dict(os.environ, POCL_CACHE_DIR=path)
                    p = run_env(env, "--device", "pocl", *SMALL)
                    self.assertEqual(p.returncode, 3)
                    err = p.stderr.decode()
                    self.assertEqual(len(err.splitlines()), 1, err)
                    self.assertIn(f"POCL_CACHE_DIR '{path}' {what}", err)
                    self.assertNotIn("CL_SUCCESS", err)
                    self.assertNotIn("build log", err)
                    self.assertEqual(p.stdout, b"")
                    d = run_env(env, "devices", "--json")
                    self.assertEqual(d.returncode, 0)
                    self.assertIn(f"POCL_CACHE_DIR '{path}' {what}",
                                  json.loads(d.stdout)["pocl_cache_problem"])
                    t = run_env(env, "devices")
                    # (wrapped at spaces to 80 columns)
                    self.assertIn(f"POCL_CACHE_DIR '{path}' {what}",
                                  " ".join(t.stdout.decode().split()))
                    self.assertNotIn("CL_SUCCESS", t.stdout.decode())
            # a CPU run does not care
            env = dict(os.environ, POCL_CACHE_DIR=a_file)
            self.assertEqual(run_env(env, "--device", "cpu", *SMALL).returncode, 0)

    def test_empty_pocl_cache_dir_is_unset(self):
        # pocl itself aborts the process on an empty POCL_CACHE_DIR
        env = dict(os.environ, POCL_CACHE_DIR="")
        p = run_env(env, "--device", "pocl", *SMALL)
        self.assertEqual(p.returncode, 0, p.stderr.decode())

    def test_environment_changes_in_one_place(self):
        # setenv() is not thread-safe: the program changes its environment only in
        # host/opencl/cache_dir.c, which main() calls before any command starts a thread
        host = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "host")
        callers = set()
        for folder, _, names in os.walk(host):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, errors="replace") as f:
                    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", f.read(), flags=re.S)
                if re.search(r"\b(setenv|unsetenv|putenv|clearenv)\s*\(", code):
                    callers.add(os.path.relpath(path, host))
        self.assertEqual(callers, {os.path.join("opencl", "cache_dir.c")})
        with open(os.path.join(host, "cli", "main.c")) as f:
            main = f.read()
        self.assertIn("tr_cl_prepare_environment();", main)

    @unittest.skipUnless("server" in tt.BUILD_HAS, "built without the server (TILERACE_SERVER=OFF)")
    def test_serve_chooses_the_cache_folder_before_its_threads_start(self):
        # POCL_CACHE_DIR is set (setenv, not thread-safe) before the server starts a thread,
        # so the folder exists as soon as it listens, before any request lists a device
        with tempfile.TemporaryDirectory() as tmp:
            cache = os.path.join(tmp, f"tilerace-pocl-cache-{os.geteuid()}")
            proc = subprocess.Popen([tt.BINARY, "serve", "--bind", "127.0.0.1", "--port", "0"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=cache_env(tmp))
            try:
                line = b""
                deadline = time.time() + 120
                while not line.endswith(b"\n") and time.time() < deadline:
                    if select.select([proc.stdout], [], [], 0.1)[0]:
                        c = os.read(proc.stdout.fileno(), 1)
                        if not c:
                            break
                        line += c
                m = re.search(rb"listening on (http://\S+/)", line)
                self.assertTrue(m, line)
                self.assertTrue(os.path.isdir(cache), "no cache folder chosen at start-up")
                url = m.group(1).decode() + "api/compute/concurrent?device=pocl&width=96" \
                    "&height=96&max_iter=128"
                with urllib.request.urlopen(url, timeout=300) as r:
                    doc = json.loads(r.read())
                self.assertEqual(doc["summary"]["checksum"], tt.golden_rows()[0]["checksum"])
                self.assertTrue(files_under(cache), "pocl did not use the folder")
            finally:
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err.decode())

    def test_serve_lists_devices_once_at_a_time(self):
        # the server lists OpenCL devices on a thread of its own as it starts; requests that
        # list them at the same moment must still find pocl (the ICD loader's first call is
        # not thread-safe)
        import concurrent.futures
        for attempt in range(4):
            proc = subprocess.Popen([tt.BINARY, "serve", "--bind", "127.0.0.1", "--port", "0"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                line = b""
                while not line.endswith(b"\n"):
                    c = os.read(proc.stdout.fileno(), 1)
                    if not c:
                        break
                    line += c
                m = re.search(rb"listening on (http://\S+/)", line)
                self.assertTrue(m, line)
                url = m.group(1).decode() + "api/compute/concurrent?device=pocl&width=96" \
                    "&height=96&max_iter=128"

                def get(_):
                    with urllib.request.urlopen(url, timeout=300) as r:
                        return json.loads(r.read())["summary"]["checksum"]
                with concurrent.futures.ThreadPoolExecutor(3) as pool:
                    sums = list(pool.map(get, range(3)))
                self.assertEqual(set(sums), {tt.golden_rows()[0]["checksum"]})
            finally:
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err.decode())

    def test_runs_exit_cleanly_with_many_pocl_threads(self):
        # Run by every flavour; in the sanitizer builds, under the suite's ASAN/LSAN/TSAN
        # options. pocl starts a worker per core and compiles kernels on them (a cold cache),
        # which is when LeakSanitizer's tracer used to crash at exit on a 16-core machine
        # (tests/CMakeLists.txt explains the option that prevents it); 16 workers here.
        for i in range(10):
            with self.subTest(run=i), tempfile.TemporaryDirectory() as cache:
                env = dict(os.environ, POCL_CACHE_DIR=cache, POCL_MAX_PTHREAD_COUNT="16",
                           POCL_PTHREAD_MIN_THREADS="16")
                p = run_env(env, "--device", "pocl", "-o", "/dev/null", "--image", "/dev/null")
                self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
                self.assertEqual(p.stderr, b"")

    def test_selftest(self):
        p = subprocess.run([tt.BINARY, "selftest"], capture_output=True, timeout=900)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        lines = [line for line in out.splitlines() if line.startswith(("cpu ", "opencl:"))]
        self.assertGreaterEqual(len(lines), 2)
        for line in lines:
            self.assertRegex(line, r"\s(\d+)/\1\s.*\sok$")
        self.assertIn("all devices agree", out)

    def test_selftest_catches_a_wrong_kernel(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(KERNELS, "mandelbrot.cl")) as f:
                src = f.read()
            with open(os.path.join(tmp, "mandelbrot.cl"), "w") as f:
                f.write(src.replace("LIT(4.0)", "LIT(4.5)"))
            p = subprocess.run([tt.BINARY, "selftest", "--kernel-dir", tmp], capture_output=True,
                               timeout=900)
            self.assertEqual(p.returncode, 1, p.stdout.decode())
            self.assertIn("MISMATCH", p.stdout.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
