#!/usr/bin/env python3
"""OpenCL start-up kept out of the way, on pocl: saved program binaries (reused, refused when
damaged, never shared between build options) and the server's prepared devices (shared by
concurrent requests, warmed at start with serve --warm).

Run through with_opencl.py: skipped only where no OpenCL platform exists; CI has pocl."""
import concurrent.futures
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

SMALL = ["--width", "96", "--height", "80", "--tile-w", "32", "--tile-h", "32",
         "--max-iter", "200", "--time-limit-ms", "0", "--num-threads", "2"]
KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "kernels")
MAGIC = b"tilerace-program-binary 1\n"


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


class ProgramBinaries(unittest.TestCase):
    """Each test has a kernel cache folder of its own (POCL_CACHE_DIR), so it starts cold."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = self.tmp.name
        self.env = dict(os.environ, POCL_CACHE_DIR=self.cache)

    def tearDown(self):
        self.tmp.cleanup()

    def run_pocl(self, *args):
        p = subprocess.run([tt.BINARY, "--device", "pocl", *SMALL, *map(str, args)],
                           capture_output=True, env=self.env, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        doc = json.loads(p.stdout)
        tt.validate(doc)
        return doc["summary"]

    def binaries(self):
        return sorted(glob.glob(os.path.join(self.cache, "tilerace-binaries", "*.bin")))

    def test_second_run_builds_from_the_saved_binary(self):
        cpu = tt.run("--device", "cpu", *SMALL)[1]["summary"]["checksum"]
        first = self.run_pocl()
        self.assertEqual(first["device"]["build_source"], "source")
        self.assertEqual(len(self.binaries()), 1)
        folder = os.path.join(self.cache, "tilerace-binaries")
        self.assertEqual(os.stat(folder).st_mode & 0o777, 0o700)
        for _ in range(2):
            again = self.run_pocl()
            self.assertEqual(again["device"]["build_source"], "binary")
            self.assertEqual(again["checksum"], cpu)
        self.assertEqual(first["checksum"], cpu)
        # no temporary file is left beside it
        self.assertEqual(os.listdir(folder), [os.path.basename(self.binaries()[0])])

    def test_build_options_do_not_share_a_binary(self):
        # float is built with other options: its own binary, its own results
        self.run_pocl()
        cpu_float = tt.run("--device", "cpu", "--precision", "float", *SMALL)[1]["summary"]
        f = self.run_pocl("--precision", "float")
        self.assertEqual(f["device"]["build_source"], "source")
        self.assertEqual(len(self.binaries()), 2)
        f2 = self.run_pocl("--precision", "float")
        self.assertEqual(f2["device"]["build_source"], "binary")
        self.assertEqual(f2["checksum"], cpu_float["checksum"])
        self.assertEqual(self.run_pocl()["device"]["build_source"], "binary")

    def test_a_kernel_dir_source_is_never_saved(self):
        p = subprocess.run([tt.BINARY, "--device", "pocl", *SMALL, "--kernel-dir", KERNELS],
                           capture_output=True, env=self.env, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        self.assertEqual(json.loads(p.stdout)["summary"]["device"]["build_source"], "source")
        self.assertEqual(self.binaries(), [])

    def damage_and_check(self, damage):
        good = self.run_pocl()
        path = self.binaries()[0]
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(damage(data))
        s = self.run_pocl()
        self.assertEqual(s["device"]["build_source"], "source")
        self.assertEqual(s["checksum"], good["checksum"])
        # written again whole: the next run uses it
        self.assertEqual(self.run_pocl()["device"]["build_source"], "binary")

    def test_truncated_binary_falls_back_to_source(self):
        for keep in (0.5, 0.999):
            with self.subTest(keep=keep):
                self.damage_and_check(lambda d: d[:int(len(d) * keep)])

    def test_damaged_binary_falls_back_to_source(self):
        def flip(d):
            mid = len(d) // 2
            return d[:mid] + bytes([d[mid] ^ 0x55]) + d[mid + 1:]
        self.damage_and_check(flip)
        self.damage_and_check(lambda d: b"")
        self.damage_and_check(lambda d: MAGIC + b"device x\n")

    def test_a_binary_the_driver_refuses_falls_back_to_source(self):
        # intact for tilerace (its key, length and hash agree), garbage for the driver
        def garbage(d):
            header_end = d.index(b"\npayload ") + 1
            payload = struct.pack("<Q", 0x1234) * 4096
            line = b"payload %d %016x\n" % (len(payload), fnv1a64(payload))
            return d[:header_end] + line + payload
        self.damage_and_check(garbage)

    def test_a_folder_others_can_write_is_not_used(self):
        self.run_pocl()
        folder = os.path.join(self.cache, "tilerace-binaries")
        os.chmod(folder, 0o777)
        try:
            self.assertEqual(self.run_pocl()["device"]["build_source"], "source")
        finally:
            os.chmod(folder, 0o700)
        self.assertEqual(self.run_pocl()["device"]["build_source"], "binary")


@unittest.skipUnless("server" in tt.BUILD_HAS, "built without the server (TILERACE_SERVER=OFF)")
class WarmServer(unittest.TestCase):
    def setUp(self):
        import server_test  # noqa: F401 (needs the server)
        self.st = server_test

    def get(self, srv, query):
        status, _, body = srv.request("/api/compute/concurrent?" + query)
        self.assertEqual(status, 200, body[:500])
        return json.loads(body)

    def test_concurrent_requests_share_the_prepared_device(self):
        cases = [(96, 80, 32, 32, "double", "vector"), (131, 67, 50, 40, "float", "vector"),
                 (64, 64, 64, 64, "double", "scalar"), (200, 33, 17, 33, "float", "scalar"),
                 (77, 91, 20, 30, "double", "auto"), (50, 50, 25, 25, "float", "auto")]

        def query(c):
            w, h, tw, th, precision, kernel = c
            return (f"device=pocl&width={w}&height={h}&tile_w={tw}&tile_h={th}&max_iter=300"
                    f"&precision={precision}&kernel={kernel}&num_threads=3&time_limit_ms=60000")

        def cli(c):
            w, h, tw, th, precision, kernel = c
            return tt.run("--device", "cpu", "--width", w, "--height", h, "--tile-w", tw,
                          "--tile-h", th, "--max-iter", 300, "--precision", precision,
                          "--time-limit-ms", 0)[1]["summary"]["checksum"]

        expected = [cli(c) for c in cases]
        with self.st.Server("--max-renders", 8) as srv:
            for round_ in range(2):
                with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
                    docs = list(pool.map(lambda c: self.get(srv, query(c)), cases))
                for c, doc, want in zip(cases, docs, expected):
                    with self.subTest(round=round_, case=c):
                        tt.validate(doc)
                        self.assertEqual(doc["summary"]["checksum"], want)
                        self.assertTrue(doc["summary"]["device"]["kernel"].startswith("opencl-"))
            # two programs (one per precision), each built once and then shared
            sources = [d["summary"]["device"]["build_source"] for d in docs]
            self.assertEqual(set(sources), {"prepared"})
            warm = srv.health()["devices_warm"]
            self.assertEqual(sorted(w["precision"] for w in warm), ["double", "float"])
            self.assertEqual({w["device"] for w in warm}, {warm[0]["device"]})

    def test_first_request_prepares_later_ones_reuse(self):
        with self.st.Server() as srv:
            self.assertEqual(srv.health()["devices_warm"], [])
            q = "device=pocl&width=64&height=64&max_iter=100"
            first = self.get(srv, q)["summary"]["device"]
            self.assertIn(first["build_source"], ("source", "binary"))
            later = self.get(srv, q)["summary"]["device"]
            self.assertEqual(later["build_source"], "prepared")
            self.assertEqual(later["build_time_us"], 0)
            # a stream render uses the same device
            status, _, body = srv.request("/api/compute/concurrent/stream?" + q)
            self.assertEqual(status, 200)
            events = self.st.parse_sse(body.decode())
            done = json.loads(events[-1]["data"])
            self.assertEqual(done["summary"]["device"]["build_source"], "prepared")
            warm = srv.health()["devices_warm"]
            self.assertEqual([w["precision"] for w in warm], ["double"])

    def test_warm_at_start(self):
        with self.st.Server("--warm", "pocl") as srv:
            warm = srv.health()["devices_warm"]
            self.assertEqual(sorted(w["precision"] for w in warm), ["double", "float"])
            self.assertTrue(all(w["device"].startswith("opencl:") for w in warm), warm)
            d = self.get(srv, "device=pocl&width=64&height=64&precision=float")["summary"]
            self.assertEqual(d["device"]["build_source"], "prepared")

    def test_warm_refuses_what_it_cannot_prepare(self):
        for args, code, fragment in (
                (["--warm", "bogus"], 2, "--warm: 'bogus' is not a device"),
                (["--warm", "pocl,opencl:1.2.3"], 2, "--warm: 'opencl:1.2.3' is not a device"),
                (["--warm", "opencl:999.0"], 3, "--warm: 'opencl:999.0': no such device")):
            with self.subTest(args=args):
                p = subprocess.run([tt.BINARY, "serve", "--port", "0", *args],
                                   capture_output=True, timeout=300)
                self.assertEqual(p.returncode, code, p.stderr.decode())
                self.assertEqual(p.stdout, b"")
                lines = p.stderr.decode().splitlines()
                self.assertEqual(len(lines), 1, lines)
                self.assertIn(fragment, lines[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
