#!/usr/bin/env python3
"""--image: PNG structure, colours and counts against --record-pixels, marked unrendered tiles,
byte-identical files across runs, modes, tile sizes and devices (TILERACE_IMAGE_DEVICES, a
comma-separated list, default TILERACE_DEVICE or cpu)."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import png_reader  # noqa: E402
import see_frames as sf  # noqa: E402
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
DEVICES = [d for d in os.environ.get("TILERACE_IMAGE_DEVICES", DEVICE).split(",") if d]
FRAME = ["--width", 333, "--height", 217, "--tile-w", 50, "--tile-h", 40, "--max-iter", 77,
         "--time-limit-ms", 0]


class Images(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="tilerace-img-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def render(self, name, *args, fmt="color", device=DEVICE):
        path = os.path.join(self.tmp, name)
        _, doc = tt.run("--device", device, "--record-pixels", "--quiet", "--image", path,
                        "--image-format", fmt, *args)
        return doc, png_reader.read(path), path

    def test_color_is_the_colour_map_of_the_counts(self):
        doc, png, _ = self.render("c.png", *FRAME, "--num-threads", 3)
        tt.validate(doc)
        p = doc["params"]
        self.assertEqual((png.width, png.height, png.bit_depth, png.color_type),
                         (333, 217, 8, 2))
        self.assertEqual(png.text(), {"tilerace": "max_iter=77"})
        self.assertFalse(any(t in (b"tIME", b"pHYs") for t, _ in png.chunks))
        frame = sf.frame_from_records(p, doc["data"])
        lut = sf.colormap_table(p["max_iter"])
        rows = png.samples()
        inside = 0
        for y in range(p["height"]):
            row = rows[y]
            for x in range(p["width"]):
                c = frame[y * p["width"] + x]
                self.assertEqual(tuple(row[3 * x:3 * x + 3]), lut[c], (x, y, c))
                inside += c == p["max_iter"]
        self.assertGreater(inside, 0)
        self.assertEqual(lut[p["max_iter"]], (0, 0, 0))
        # smooth: neighbouring counts never jump far in colour
        for c in range(p["max_iter"] - 1):
            self.assertLessEqual(max(abs(a - b) for a, b in zip(lut[c], lut[c + 1])), 90)

    def test_gray16_holds_the_counts(self):
        doc, png, _ = self.render("g.png", *FRAME, "--mode", "dynamic", fmt="gray16")
        p = doc["params"]
        self.assertEqual((png.width, png.height, png.bit_depth, png.color_type),
                         (333, 217, 16, 0))
        counts = [v for row in png.samples() for v in row]
        self.assertEqual(counts, sf.frame_from_records(p, doc["data"]))
        self.assertEqual(sf.fnv1a64_counts(counts), doc["summary"]["checksum"])
        self.assertEqual(sum(counts), doc["summary"]["total_iterations"])

    def test_unrendered_tiles_are_marked(self):
        for fmt in ("color", "gray16"):
            with self.subTest(fmt=fmt):
                doc, png, _ = self.render(f"limited-{fmt}.png", *sf.LIMITED, fmt=fmt)
                s, p = doc["summary"], doc["params"]
                self.assertTrue(s["time_limited"], "the run was meant to be cut short")
                self.assertGreater(s["tiles_completed"], 0)
                frame = sf.frame_from_records(p, doc["data"])
                mask = sf.rendered_mask(p, doc["data"])
                rows = png.samples()
                w = p["width"]
                if fmt == "gray16":
                    self.assertEqual((png.bit_depth, png.color_type), (16, 4))
                    for y in range(p["height"]):
                        gray, alpha = rows[y][0::2], rows[y][1::2]
                        self.assertEqual(gray, frame[y * w:(y + 1) * w])
                        self.assertEqual(alpha, [65535 if m else 0 for m in mask[y * w:(y + 1) * w]])
                else:
                    self.assertEqual((png.bit_depth, png.color_type), (8, 2))
                    lut = sf.colormap_table(p["max_iter"])
                    for y in range(p["height"]):
                        want = []
                        for x in range(w):
                            i = y * w + x
                            want.extend(lut[frame[i]] if mask[i] else sf.hatch(x, y))
                        self.assertEqual(rows[y], want, f"row {y}")
                    # the hatch is visible: both shades occur in the unrendered area
                    shades = {tuple(rows[y][3 * x:3 * x + 3]) for y in range(p["height"])
                              for x in range(w) if not mask[y * w + x]}
                    self.assertEqual(shades, {(48, 48, 48), (96, 96, 96)})

    def test_identical_bytes_across_runs_modes_tiles_and_devices(self):
        for fmt in ("color", "gray16"):
            files = []
            configs = [("concurrent", 4, 50, 40), ("concurrent", 4, 50, 40),
                       ("sequential", 1, 50, 40), ("dynamic", 3, 17, 90),
                       ("concurrent", 2, 333, 1)]
            for device in DEVICES:
                for i, (mode, threads, tw, th) in enumerate(configs):
                    args = ["--width", 333, "--height", 217, "--max-iter", 300,
                            "--time-limit-ms", 0, "--mode", mode, "--num-threads", threads,
                            "--tile-w", tw, "--tile-h", th]
                    _, png, path = self.render(f"{device}-{i}.{fmt}.png", *args, fmt=fmt,
                                               device=device)
                    with open(path, "rb") as f:
                        files.append(((device, mode, threads, tw, th), f.read()))
            first = files[0]
            for cfg, blob in files[1:]:
                self.assertEqual(blob, first[1], f"{fmt}: {cfg} differs from {first[0]}")

    def test_image_beside_stream_and_document(self):
        path = os.path.join(self.tmp, "s.png")
        out = os.path.join(self.tmp, "run.ndjson")
        p = subprocess.run([tt.BINARY, "--device", DEVICE] + [str(a) for a in FRAME] +
                           ["--stream", "--image", path, "--out", out], capture_output=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"")
        png = png_reader.read(path)
        self.assertEqual((png.width, png.height), (333, 217))
        self.assertEqual(sorted(os.listdir(self.tmp)), ["run.ndjson", "s.png"])

    def test_interrupted_run_leaves_no_image(self):
        path = os.path.join(self.tmp, "big.png")
        proc = subprocess.Popen([tt.BINARY, "--device", DEVICE, "--width", "8192", "--height",
                                 "8192", "--max-iter", "65535", "--time-limit-ms", "0",
                                 "--image", path],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline and not any(".tmp-" in n for n in os.listdir(self.tmp)):
            time.sleep(0.02)
        self.assertTrue(any(".tmp-" in n for n in os.listdir(self.tmp)))
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, -signal.SIGTERM)
        self.assertEqual(os.listdir(self.tmp), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
