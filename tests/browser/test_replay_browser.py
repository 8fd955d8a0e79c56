#!/usr/bin/env python3
"""Plays replay pages in Debian's headless Chromium and checks, from the page itself (the data
attributes it sets on its DOM as it draws and verifies its canvases), that every completed tile
was drawn with the right pixels, each timeline has one row per thread, and there is one panel
per run. Keeps a screenshot of the finished replay in TILERACE_ARTIFACTS.

Exits 77 (ctest's SKIP_RETURN_CODE) only when no chromium binary can be found; CI installs it
(scripts/setup-debian.sh --tests). TILERACE_DEVICE and TILERACE_DEVICE2 name the devices of the
runs (default cpu), so a CPU run and an OpenCL run can race on one page."""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import png_reader  # noqa: E402
import see_frames as sf  # noqa: E402
import tilerace_test as tt  # noqa: E402

DEVICE = os.environ.get("TILERACE_DEVICE", "cpu")
DEVICE2 = os.environ.get("TILERACE_DEVICE2", DEVICE)
ARTIFACTS = os.environ.get("TILERACE_ARTIFACTS", "")
CHROMIUM = next((c for c in (os.environ.get("TILERACE_CHROMIUM"), shutil.which("chromium"),
                             "/usr/bin/chromium") if c and os.access(c, os.X_OK)), None)
FRAME = ["--width", 400, "--height", 300, "--tile-w", 40, "--tile-h", 30, "--max-iter", 120,
         "--time-limit-ms", 0]


class DomReader(html.parser.HTMLParser):
    """Collects the attributes of <body>, of each section.run and of its timeline rows."""

    def __init__(self):
        super().__init__()
        self.body, self.panels, self.depth = {}, [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "body":
            self.body = a
        elif tag == "section" and "run" in cls:
            self.panels.append(dict(a, rows=0, bars=0))
        elif self.panels and "gantt-row" in cls:
            self.panels[-1]["rows"] += 1
            self.panels[-1].setdefault("row_devices", []).append(a.get("data-device"))
        elif self.panels and tag == "span" and "device" in cls:
            self.panels[-1].setdefault("labels", []).append("")
            self.in_label = True
        elif self.panels and tag == "table" and "devices" in cls:
            self.panels[-1]["device_table"] = True
        elif self.panels and "progress" in cls:
            self.panels[-1]["bars"] += 1

    def handle_data(self, data):
        if getattr(self, "in_label", False):
            self.panels[-1]["labels"][-1] += data

    def handle_endtag(self, tag):
        if tag == "span":
            self.in_label = False


def chromium(url, profile, *mode):
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}",
            "--window-size=1400,1100", "--virtual-time-budget=30000", *mode, url]
    p = subprocess.run(args, capture_output=True, timeout=180)
    if p.returncode != 0:
        raise AssertionError(f"chromium exited {p.returncode}: {p.stderr.decode()[-2000:]}")
    return p.stdout.decode("utf-8", "replace")


class ReplayInBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="tilerace-browser-")
        cls.tmp = cls._tmp.name

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def tilerace(self, *args):
        p = subprocess.run([tt.BINARY, "--quiet"] + [str(a) for a in args], capture_output=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr.decode())

    def tilerace_replay(self, *args):
        p = subprocess.run([tt.BINARY, "replay"] + [str(a) for a in args], capture_output=True,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr.decode())

    def play(self, page, query="?speed=25"):
        dom = DomReader()
        dom.feed(chromium("file://" + page + query, self.path("profile-" + os.path.basename(page)),
                          "--dump-dom"))
        return dom

    def check_panel(self, panel, doc):
        s = doc["summary"]
        self.assertEqual(panel.get("data-verified"), "yes", panel)
        self.assertEqual(int(panel["data-tiles-total"]), s["tiles_total"])
        self.assertEqual(int(panel["data-tiles-completed"]), s["tiles_completed"])
        self.assertEqual(int(panel["data-tiles-started"]), s["tiles_completed"])
        self.assertEqual(int(panel["data-tiles-drawn"]), s["tiles_completed"])
        self.assertEqual(int(panel["data-tiles-hatched"]), s["tiles_total"] - s["tiles_completed"])
        self.assertEqual(int(panel["data-mismatched-tiles"]), 0)
        threads = s["threads_used"]
        # in dynamic mode a lane may find every tile taken before its first
        self.assertLessEqual({r["thread_id"] for r in doc["data"]}, set(range(threads)))
        self.assertEqual(int(panel["data-timeline-rows"]), threads)
        self.assertEqual(panel["rows"], threads)  # rows counted in the DOM itself
        self.assertEqual(panel["bars"], threads)

    def test_runs_side_by_side(self):
        # a: document with pixels; b: --stream NDJSON; c: a wide frame (drawn at 1/3 scale)
        # cut short by the time limit, with pixels; d: no pixels (flat lane-coloured tiles)
        self.tilerace("--device", DEVICE, *FRAME, "--num-threads", 4, "--record-pixels",
                      "--image", self.path("a.png"), "-o", self.path("a.json"))
        self.tilerace("--device", DEVICE2, *FRAME, "--mode", "dynamic", "--num-threads", 3,
                      "--stream", "--image", self.path("b.png"), "-o", self.path("b.ndjson"))
        self.tilerace("--device", DEVICE, "--width", 4400, "--height", 96, "--tile-w", 32,
                      "--tile-h", 32, "--max-iter", 65535, "--time-limit-ms", 30,
                      "--num-threads", 2, "--record-pixels", "-o", self.path("c.json"))
        self.tilerace("--device", DEVICE, *FRAME, "--mode", "sequential", "-o",
                      self.path("d.json"))
        page = self.path("replay.html")
        self.tilerace_replay(self.path("a.json"), self.path("b.ndjson"), self.path("c.json"),
                             self.path("d.json"), "-o", page)
        docs = []
        for name in ("a.json", "b.ndjson", "c.json", "d.json"):
            with open(self.path(name)) as f:
                docs.append(json.loads(f.read().splitlines()[-1]) if name.endswith(".ndjson")
                            else json.load(f))
        self.assertTrue(docs[2]["summary"]["time_limited"], "run c was meant to be cut short")

        dom = self.play(page)
        self.assertEqual(dom.body.get("data-state"), "finished", dom.body)
        self.assertEqual(int(dom.body["data-panels"]), 4)
        self.assertEqual(len(dom.panels), 4)
        for panel, doc in zip(dom.panels, docs):
            with self.subTest(run=panel["data-run"]):
                self.check_panel(panel, doc)
        self.assertEqual([p["data-has-pixels"] for p in dom.panels], ["yes", "yes", "yes", "no"])
        # the replay shows exactly the pixels of --image
        for panel, png in zip(dom.panels, ("a.png", "b.png")):
            img = png_reader.read(self.path(png))
            self.assertEqual(panel["data-frame-fnv"],
                             f"{png_reader.fnv1a64(b''.join(img.rows)):016x}")

        if ARTIFACTS:
            os.makedirs(ARTIFACTS, exist_ok=True)
            shot = os.path.join(ARTIFACTS, "replay.png")
            if os.path.exists(shot):
                os.unlink(shot)
            two = self.path("two.html")
            self.tilerace_replay(self.path("a.json"), self.path("b.ndjson"), "-o", two)
            chromium("file://" + two + "?speed=25", self.path("profile-shot"),
                     f"--screenshot={shot}")
            img = png_reader.read(shot)
            self.assertEqual((img.width, img.height), (1400, 1100))

    def test_lanes_grouped_by_device(self):
        # with an OpenCL device, a run of two devices; on the CPU alone, the one device
        devices = f"cpu@2,{DEVICE}@1" if DEVICE != "cpu" else "cpu@3"
        self.tilerace("--device", devices, *FRAME, "--mode", "concurrent", "--record-pixels",
                      "-o", self.path("g.json"))
        page = self.path("g.html")
        self.tilerace_replay(self.path("g.json"), "-o", page)
        with open(self.path("g.json")) as f:
            doc = json.load(f)
        dom = self.play(page)
        self.assertEqual(dom.body.get("data-state"), "finished", dom.body)
        panel = dom.panels[0]
        self.check_panel(panel, doc)
        listed = doc["summary"].get("devices") or [
            dict(selector=doc["data"][0]["device"], lanes=doc["summary"]["threads_used"])]
        expected = [d["selector"] for d in listed for _ in range(d["lanes"])]
        # every row names its device, lanes grouped in the list's order, a label per group
        self.assertEqual(panel["row_devices"], expected)
        self.assertEqual(panel["data-devices"], ",".join(d["selector"] for d in listed))
        self.assertEqual([t for t in panel["labels"] if t],
                         [d["selector"] for d in listed])  # a label where each group starts
        for r in doc["data"]:
            self.assertEqual(r["device"], expected[r["thread_id"]])
        self.assertEqual(panel.get("device_table", False), len(listed) > 1)

    def test_load_api_takes_stream_text_at_run_time(self):
        # the server's variant: a page without runs, loaded from JavaScript
        self.tilerace("--device", DEVICE, *FRAME, "--num-threads", 2, "--stream", "-o",
                      self.path("s.ndjson"))
        with open(self.path("s.ndjson")) as f:
            text = f.read()
        doc = json.loads(text.splitlines()[-1])
        self.tilerace_replay(self.path("s.ndjson"), "-o", self.path("base.html"))
        with open(self.path("base.html")) as f:
            page = f.read()
        start = page.index('<script id="tilerace-runs" type="application/json">')
        start = page.index(">", start) + 1
        end = page.index("</script>", start)
        loader = ("<script>window.tilerace.load(" +
                  json.dumps(text).replace("<", "\\u003c") + ");</script>")
        page = page[:start] + "[]" + page[end:].replace("</body>", loader + "</body>")
        with open(self.path("api.html"), "w") as f:
            f.write(page)
        dom = self.play(self.path("api.html"))
        self.assertEqual(dom.body.get("data-state"), "finished", dom.body)
        self.assertEqual(len(dom.panels), 1)
        self.check_panel(dom.panels[0], doc)
        self.assertEqual(dom.panels[0]["data-has-pixels"], "yes")

    def test_page_accepts_what_replay_accepts(self):
        """Runs that `tilerace replay` accepts are the runs the page plays: each variant is
        given to both, and both say yes or both say no."""
        self.tilerace("--device", DEVICE, "--width", 9, "--height", 7, "--tile-w", 4,
                      "--tile-h", 4, "--num-threads", 2, "-o", self.path("p.json"))
        with open(self.path("p.json")) as f:
            base = json.load(f)

        def record(**kw):
            def change(d):
                d["data"][0].update(kw)
            return change

        def params(**kw):
            def change(d):
                d["params"].update(kw)
            return change

        def summary(**kw):
            def change(d):
                d["summary"].update(kw)
            return change

        variants = [
            ("as written", lambda d: None),
            ("thread_id 300", record(thread_id=300)),
            ("thread_id 65536", record(thread_id=65536)),
            ("thread_id 2^53-1", record(thread_id=2 ** 53 - 1)),
            ("thread_id -1", record(thread_id=-1)),
            ("thread_id 1.5", record(thread_id=1.5)),
            ("thread_id text", record(thread_id="1")),
            ("device opencl:1.0", record(device="opencl:1.0")),
            ("device a number", record(device=7)),
            ("device empty", record(device="")),
            ("device a line break", record(device="cpu\n")),
            ("device 64 characters", record(device="c" * 64)),
            ("task_id beyond the grid", record(task_id=6)),
            ("task_id missing", lambda d: d["data"][0].pop("task_id")),
            ("max_iter 65536", params(max_iter=65536)),
            ("width 0", params(width=0)),
            ("tile_h 1.5", params(tile_h=1.5)),
            ("no params", lambda d: d.pop("params")),
            ("no summary", lambda d: d.pop("summary")),
            ("data not a list", lambda d: d.update(data={})),
            ("giga_iterations_per_s text", summary(giga_iterations_per_s="fast")),
        ]
        docs, verdicts = [], []
        for i, (name, change) in enumerate(variants):
            doc = json.loads(json.dumps(base))
            change(doc)
            docs.append(doc)
            path = self.path(f"variant{i}.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            p = subprocess.run([tt.BINARY, "replay", path, "-o", self.path(f"variant{i}.html")],
                               capture_output=True, timeout=60)
            self.assertIn(p.returncode, (0, 2), (name, p.stderr.decode()))
            verdicts.append(p.returncode == 0)
        self.assertTrue(verdicts[0] and verdicts[1], verdicts)

        # the page: tilerace.load() of each variant in turn, its answers on <body>
        with open(self.path("variant0.html")) as f:
            page = f.read()
        start = page.index('<script id="tilerace-runs" type="application/json">')
        start = page.index(">", start) + 1
        end = page.index("</script>", start)
        checker = ("<script>(function () { var docs = " +
                   json.dumps(docs).replace("<", "\\u003c") + ";\n"
                   "document.body.dataset.accepts = JSON.stringify(docs.map(function (d) {\n"
                   "  try { return window.tilerace.load(d) === true; } catch (e) { return false; }"
                   "\n})); })();</script>")
        page = page[:start] + "[]" + page[end:].replace("</body>", checker + "</body>")
        with open(self.path("parity.html"), "w") as f:
            f.write(page)
        dom = self.play(self.path("parity.html"), "?autoplay=0")
        page_verdicts = json.loads(dom.body["data-accepts"])
        for (name, _), ours, theirs in zip(variants, verdicts, page_verdicts):
            with self.subTest(variant=name):
                self.assertEqual(ours, theirs, f"replay {'accepts' if ours else 'refuses'} it, "
                                               f"the page {'plays' if theirs else 'refuses'} it")

    def test_empty_page_waits(self):
        self.tilerace("--device", DEVICE, "--width", 9, "--height", 7, "-o", self.path("e.json"))
        self.tilerace_replay(self.path("e.json"), "-o", self.path("e.html"))
        with open(self.path("e.html")) as f:
            page = f.read()
        start = page.index('<script id="tilerace-runs" type="application/json">')
        start = page.index(">", start) + 1
        end = page.index("</script>", start)
        with open(self.path("empty.html"), "w") as f:
            f.write(page[:start] + "[]" + page[end:])
        dom = self.play(self.path("empty.html"))
        self.assertEqual(dom.body.get("data-state"), "empty")
        self.assertEqual(len(dom.panels), 0)


if __name__ == "__main__":
    if not CHROMIUM:
        print("SKIP: chromium not found (scripts/setup-debian.sh --tests installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
