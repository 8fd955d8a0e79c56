#!/usr/bin/env python3
"""GET / of `tilerace serve`: the replay page with the API form. Headless Chromium opens it,
the form calls the API from the browser (the event stream with pixels, or the JSON endpoint)
for one device and a second one to race against, and the page replays the answers; the test
reads from the page's own DOM that the answers arrived, parsed, and were drawn right.

Exits 77 (ctest SKIP) only when no chromium binary can be found; CI installs it."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import server_test as st  # noqa: E402
import tilerace_test as tt  # noqa: E402
from test_replay_browser import CHROMIUM, DomReader, chromium  # noqa: E402

FRAME = dict(width=240, height=160, tile_w=40, tile_h=40, max_iter=200, time_limit_ms=10000,
             num_threads=2)


class PageReader(DomReader):
    """The replay page's attributes, plus the API form's."""

    def __init__(self):
        super().__init__()
        self.form = {}

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        a = dict(attrs)
        if tag == "form" and a.get("id") == "api-form":
            self.form = a
        if a.get("id") == "api-status":
            self.in_status = True

    def handle_data(self, data):
        if getattr(self, "in_status", False):
            self.form["status"] = data
            self.in_status = False


class ServerPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = st.Server()
        cls._tmp = tempfile.TemporaryDirectory(prefix="tilerace-page-")
        _, _, health = cls.srv.get_json("/api/compute/health")
        cls.devices = health["devices"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls._tmp.cleanup()

    def open_page(self, name, **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        dom = PageReader()
        dom.feed(chromium(f"{self.srv.url}?{q}", os.path.join(self._tmp.name, name),
                          "--dump-dom"))
        return dom

    def test_page_is_served(self):
        status, hdrs, body = self.srv.request("/?width=100")
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["content-type"], "text/html; charset=utf-8")
        page = body.decode()
        self.assertIn('<form id="api-form"', page)
        self.assertIn("window.tilerace", page)
        self.assertNotIn("@TILERACE_EXTRA@", page)
        for ref in ("http://", "https://"):
            self.assertNotIn(f'src="{ref}', page)

    def test_every_listed_device_renders(self):
        self.assertEqual(self.devices[0], "cpu")
        golden = tt.golden_rows()[0]
        for device in self.devices:
            with self.subTest(device=device):
                status, _, doc = self.srv.get_json(
                    f"/api/compute/concurrent?width={golden['width']}&height={golden['height']}"
                    f"&max_iter={golden['max_iter']}&device={device}")
                self.assertEqual(status, 200, doc)
                self.assertEqual(doc["summary"]["checksum"], golden["checksum"])

    def check_replay(self, dom, runs):
        self.assertEqual(dom.form.get("data-state"), "done", dom.form)
        self.assertEqual(int(dom.form["data-runs"]), runs)
        self.assertEqual(int(dom.body["data-panels"]), runs)
        self.assertEqual(dom.body["data-state"], "finished", dom.body)
        tiles = (FRAME["width"] // FRAME["tile_w"]) * (FRAME["height"] // FRAME["tile_h"])
        for panel in dom.panels:
            self.assertEqual(panel.get("data-verified"), "yes", panel)
            self.assertEqual(int(panel["data-tiles-total"]), tiles)
            self.assertEqual(int(panel["data-tiles-completed"]), tiles)
            self.assertEqual(int(panel["data-tiles-drawn"]), tiles)
            self.assertEqual(int(panel["data-mismatched-tiles"]), 0)
            self.assertEqual(panel["rows"], FRAME["num_threads"])
        return dom.panels

    def test_form_races_two_devices_with_pixels(self):
        if "pocl" not in self.devices:
            tt.without_opencl("the server lists no pocl device")
        other = "pocl" if "pocl" in self.devices else "cpu"
        dom = self.open_page("stream", run=1, device="cpu", compare=other, mode="dynamic",
                             speed=50, **FRAME)
        panels = self.check_replay(dom, 2)
        # pixels came with the stream: the two frames' canvases hash alike
        self.assertEqual(panels[0]["data-frame-fnv"], panels[1]["data-frame-fnv"])

    def test_form_via_json_endpoint(self):
        dom = self.open_page("json", run=1, device=self.devices[-1], pixels=0, speed=50, **FRAME)
        self.check_replay(dom, 1)

    def test_form_shows_the_servers_message(self):
        dom = self.open_page("error", run=1, device="cpu", width=0, speed=50)
        self.assertEqual(dom.form.get("data-state"), "error", dom.form)
        self.assertIn("width: '0' is out of range (accepted range 1..65536)",
                      dom.form.get("status", ""))


if __name__ == "__main__":
    if not CHROMIUM:
        print("SKIP: no chromium binary found (scripts/setup-debian.sh --tests installs it)")
        sys.exit(77)
    unittest.main(verbosity=2)
