#!/usr/bin/env python3
"""Several devices in one run (--device cpu,pocl): the golden frames in every mode, lane split
and tile size; each task_id once; thread_id 0..L-1 with each device's lanes in order;
concurrent chunks exactly ceil(tiles/L) over all L lanes; summary.devices adds up to the
run; --stream; the same device named twice; the HTTP API's device=cpu,pocl.

TILERACE_DEVICE names the OpenCL device paired with the CPU path (default pocl). Run through
with_opencl.py: skipped only where no OpenCL platform exists."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tilerace_test as tt  # noqa: E402

OTHER = os.environ.get("TILERACE_DEVICE", "pocl")
if OTHER == "cpu":
    OTHER = "pocl"


def run_doc(*args):
    p, doc = tt.run(*args)
    tt.validate(doc)
    return doc


def lane_devices(doc):
    """thread_id -> resolved selector, from summary.devices (lanes in the list's order)."""
    return [d["selector"] for d in doc["summary"]["devices"] for _ in range(d["lanes"])]


class SeveralDevices(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        _, one = tt.run("--device", OTHER, "--width", 8, "--height", 8)
        cls.other = one["data"][0]["device"]  # what OTHER resolves to, e.g. opencl:0.0

    def check_split(self, doc, splits):
        """Records and summary.devices of a complete run on the devices of splits, in order."""
        tt.check_records(self, doc)
        s, p = doc["summary"], doc["params"]
        lanes = sum(n for _, n in splits)
        self.assertEqual([(d["selector"], d["lanes"]) for d in s["devices"]],
                         [(sel, n) for sel, n in splits])
        self.assertEqual(s["device"]["selector"], p["device"])
        owner = lane_devices(doc)
        self.assertEqual(len(owner), lanes)
        ids = sorted(r["task_id"] for r in doc["data"])
        self.assertEqual(ids, list(range(s["tiles_total"])))  # each task_id exactly once
        for r in doc["data"]:
            self.assertLess(r["thread_id"], lanes)
            self.assertEqual(r["device"], owner[r["thread_id"]])
            # only OpenCL devices time their kernels
            self.assertEqual("device_time_us" in r, r["device"] != "cpu")
        tiles = s["tiles_total"]
        if p["mode"] == "concurrent":
            # Hardware Havoc's chunks over all L lanes: lane i has tiles [i*c, (i+1)*c)
            chunk = -(-tiles // min(lanes, tiles))
            for r in doc["data"]:
                self.assertEqual(r["thread_id"], r["task_id"] // chunk)
        if p["mode"] == "sequential":
            self.assertEqual({r["thread_id"] for r in doc["data"]}, {0})
            self.assertEqual(s["threads_used"], 1)
        # the devices' shares add up to the frame
        self.assertEqual(sum(d["tiles"] for d in s["devices"]), s["tiles_completed"])
        self.assertEqual(sum(d["iterations"] for d in s["devices"]), s["total_iterations"])
        self.assertEqual(sum(d["pixels"] for d in s["devices"]), p["width"] * p["height"])
        self.assertAlmostEqual(sum(d["frame_share"] for d in s["devices"]), 1.0)
        for d in s["devices"]:
            mine = [r for r in doc["data"] if r["device"] == d["selector"]]
            self.assertEqual(d["tiles"], len(mine))
            # the sum of the records' durations, each of them cut to whole microseconds
            self.assertLessEqual(abs(d["busy_us"] - sum(r["duration_us"] for r in mine)),
                                 len(mine))
            self.assertEqual(d["lanes_used"], len({r["thread_id"] for r in mine}) if
                             p["mode"] not in ("dynamic", "steal") else d["lanes_used"])

    def test_golden_frames_every_mode_and_split(self):
        splits = [((1, 1), 64, 64), ((2, 1), 37, 23), ((1, 2), 100, 7), ((3, 2), 50, 50)]
        for row in tt.golden_rows():
            if row["total_iterations"] > 100e6:
                continue  # the big frame adds seconds, nothing more
            for mode in ("sequential", "concurrent", "dynamic", "steal"):
                for (cpu, other), tw, th in splits:
                    with self.subTest(row=row, mode=mode, split=(cpu, other), tile=(tw, th)):
                        doc = run_doc("--device", f"cpu@{cpu},{OTHER}@{other}",
                                      "--width", row["width"], "--height", row["height"],
                                      "--max-iter", row["max_iter"], "--mode", mode,
                                      "--tile-w", tw, "--tile-h", th, "--time-limit-ms", 0)
                        s = doc["summary"]
                        self.assertEqual(s["checksum"], row["checksum"])
                        self.assertEqual(s["total_iterations"], row["total_iterations"])
                        self.check_split(doc, [("cpu", cpu), (self.other, other)])

    def test_compare_shows_each_devices_part(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, device in (("one.json", "cpu@2"), ("two.json", f"cpu@1,{OTHER}@1")):
                paths.append(os.path.join(tmp, name))
                subprocess.run([tt.BINARY, "--device", device, "--mode", "dynamic", "--width",
                                "200", "--height", "150", "--tile-w", "16", "--tile-h", "16",
                                "--time-limit-ms", "0", "--quiet", "-o", paths[-1]],
                               check=True, timeout=300)
            with open(paths[1]) as f:
                doc = json.load(f)
            text = subprocess.run([tt.BINARY, "compare", *paths], capture_output=True,
                                  check=True, timeout=60).stdout.decode()
            cmp = json.loads(subprocess.run([tt.BINARY, "compare", "--json", *paths],
                                            capture_output=True, check=True,
                                            timeout=60).stdout)
        self.assertNotIn("devices", cmp["runs"][0])
        parts = cmp["runs"][1]["devices"]
        self.assertEqual([d["selector"] for d in parts],
                         [d["selector"] for d in doc["summary"]["devices"]])
        for got, want in zip(parts, doc["summary"]["devices"]):
            self.assertEqual((got["tiles"], got["lanes"]), (want["tiles"], want["lanes"]))
            self.assertAlmostEqual(got["frame_share"], want["frame_share"])
        split = [line for line in text.splitlines() if line.startswith("#2 split:")]
        self.assertEqual(len(split), 1, text)
        for d in doc["summary"]["devices"]:
            self.assertIn(f"{d['selector']} {d['frame_share'] * 100:.1f}% of the frame "
                          f"({d['tiles']} tiles", split[0])
        self.assertNotIn("#1 split", text)
        self.assertTrue(cmp["checksums_agree"])

    def test_summary_names_each_device(self):
        p = subprocess.run([tt.BINARY, "--device", f"cpu@2,{OTHER}@1", "--mode", "steal",
                            "--format", "summary", "--width", "200", "--height", "150",
                            "--tile-w", "16", "--tile-h", "16", "--time-limit-ms", "0"],
                           capture_output=True, check=True, timeout=300)
        text = p.stdout.decode()
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("devices    cpu: "), text)
        self.assertIn(", 2 lanes: ", lines[0])
        self.assertTrue(lines[1].startswith(f"           {self.other}: "), text)
        self.assertIn(", 1 lane: ", lines[1])
        mode = next(line for line in lines if line.startswith("mode "))
        self.assertRegex(mode, r"^mode +steal, 3 threads, \d+ steals?$")

    def test_float_frames(self):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                            "golden_float.tsv")
        with open(path) as f:
            w, h, it, fnv, total = f.read().splitlines()[1].split("\t")
        for mode in ("concurrent", "dynamic", "steal"):
            with self.subTest(mode=mode):
                doc = run_doc("--device", f"cpu@2,{OTHER}@2", "--precision", "float",
                              "--mode", mode, "--width", w, "--height", h, "--max-iter", it,
                              "--tile-w", 16, "--tile-h", 16, "--time-limit-ms", 0)
                self.assertEqual(doc["summary"]["checksum"], "fnv1a64:" + fnv)
                self.assertEqual(doc["summary"]["total_iterations"], int(total))

    def test_num_threads_gives_each_device_its_lanes(self):
        row = tt.golden_rows()[0]
        doc = run_doc("--device", f"{OTHER},cpu", "--num-threads", 2, "--mode", "concurrent",
                      "--width", row["width"], "--height", row["height"], "--max-iter",
                      row["max_iter"], "--tile-w", 16, "--tile-h", 16, "--time-limit-ms", 0)
        self.assertEqual(doc["summary"]["checksum"], row["checksum"])
        self.assertEqual(doc["summary"]["threads_used"], 4)
        # the list's order: OTHER's lanes first
        self.check_split(doc, [(self.other, 2), ("cpu", 2)])

    def test_every_record_names_its_device_on_one_device_too(self):
        for device, resolved in (("cpu", "cpu"), (OTHER, self.other)):
            doc = run_doc("--device", device, "--width", 64, "--height", 48, "--tile-w", 16,
                          "--tile-h", 16, "--time-limit-ms", 0)
            self.assertEqual({r["device"] for r in doc["data"]}, {resolved})
            self.assertNotIn("devices", doc["summary"])  # summary.device is the device

    def test_stream_copies_each_tile_from_its_device(self):
        row = tt.golden_rows()[0]
        for mode in ("concurrent", "dynamic", "steal"):
            with self.subTest(mode=mode):
                p = subprocess.run([tt.BINARY, "--device", f"cpu@1,{OTHER}@2", "--stream",
                                    "--mode", mode, "--width", str(row["width"]), "--height",
                                    str(row["height"]), "--max-iter", str(row["max_iter"]),
                                    "--tile-w", "16", "--tile-h", "16", "--time-limit-ms", "0"],
                                   capture_output=True, timeout=300, check=True)
                lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
                doc = lines[-1]
                tt.validate(doc)
                self.assertEqual(doc["summary"]["checksum"], row["checksum"])
                tiles = lines[:-1]
                self.assertEqual(len(tiles), doc["summary"]["tiles_total"])
                owner = lane_devices(doc)
                for t in tiles:
                    self.assertEqual(t["device"], owner[t["thread_id"]])
                # each tile line's counts are the frame's (the frame is the golden one)
                data = {t["task_id"]: t["data"] for t in tiles}
                self.assertEqual(sum(sum(d) for d in data.values()), row["total_iterations"])

    def test_all_is_the_cpu_and_every_opencl_device(self):
        _, devices = tt.run("devices", "--json")
        doc = run_doc("--device", "all@1", "--width", 96, "--height", 96, "--max-iter", 128,
                      "--time-limit-ms", 0)
        self.assertEqual(doc["summary"]["checksum"], tt.golden_rows()[0]["checksum"])
        listed = [d["selector"] for d in doc["summary"].get("devices", [])] or ["cpu"]
        self.assertEqual(listed[0], "cpu")
        self.assertIn(self.other, listed)
        self.assertLessEqual(set(listed), {d["selector"] for d in devices["devices"]})

    def test_same_device_twice(self):
        for args in (("cpu,cpu",), (f"{OTHER},{self.other}",), (f"cpu,{OTHER}@2,{OTHER}",)):
            with self.subTest(args=args):
                p, _ = tt.run("--device", *args, "--width", 8, "--height", 8, check=False)
                self.assertEqual(p.returncode, 2)
                self.assertEqual(p.stdout, b"")
                err = p.stderr.decode()
                self.assertEqual(err.count("\n"), 1, err)
                self.assertIn("twice" if args[0].count(OTHER) == 2 or args[0] == "cpu,cpu"
                              else "the same device", err)

    @unittest.skipUnless("server" in tt.BUILD_HAS, "the build has no server")
    def test_http_device_list(self):
        import server_test as st
        q = ("width=333&height=217&tile_w=50&tile_h=40&max_iter=77&time_limit_ms=60000&"
             f"num_threads=2&device=cpu,{OTHER}@1")
        with st.Server() as srv:
            for mode in ("sequential", "concurrent", "dynamic", "steal"):
                with self.subTest(mode=mode):
                    status, _, doc = srv.get_json(f"/api/compute/{mode}?{q}")
                    self.assertEqual(status, 200, doc)
                    tt.validate(doc)
                    self.assertEqual(doc["summary"]["checksum"], "fnv1a64:e1bb86fa3891cfda")
                    self.check_split(doc, [("cpu", 2), (self.other, 1)])
            # the event stream: each tile's counts, read from the device that rendered it
            status, _, body = srv.request("/api/compute/concurrent/stream?width=96&height=96&"
                                          "max_iter=128&tile_w=16&tile_h=16&time_limit_ms=60000&"
                                          f"device=cpu@1,{OTHER}@2")
            self.assertEqual(status, 200)
            events = [json.loads(x[5:]) for x in body.decode().splitlines()
                      if x.startswith("data:")]
            tiles, doc = events[:-1], events[-1]
            row = tt.golden_rows()[0]
            self.assertEqual(doc["summary"]["checksum"], row["checksum"])
            self.assertEqual(sum(sum(t["data"]) for t in tiles), row["total_iterations"])
            self.assertEqual({t["device"] for t in tiles}, {"cpu", self.other})
            status, _, doc = srv.get_json("/api/compute/dynamic?width=8&height=8&device=cpu,,"
                                          + OTHER)
            self.assertEqual(status, 400, doc)
            self.assertIn("has an empty entry", doc["message"])
        with st.Server("--cap-num-threads", 2) as srv:
            status, _, doc = srv.get_json(f"/api/compute/dynamic?width=8&height=8&"
                                          f"num_threads=1&device=cpu@2,{OTHER}")
            self.assertEqual(status, 400, doc)
            self.assertIn("has 3 lanes in all, above this server's limit", doc["message"])
            # all counts as the most devices it can expand to
            status, _, doc = srv.get_json("/api/compute/dynamic?width=8&height=8&"
                                          "num_threads=1&device=all")
            self.assertEqual(status, 400, doc)
            self.assertIn("'all' has 16 lanes in all, above this server's limit",
                          doc["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
