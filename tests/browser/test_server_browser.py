#!/usr/bin/env python3
"""A real browser calls the API from another origin, as the front end does.

Headless Chromium opens a page served from a different loopback origin (another port); the
page calls the server with the front end's fetch options (so the browser sends a CORS
preflight), 800x600 in 50x50 tiles, max_iter 1000, 500 ms, on 1 to 16 threads, plus one
event stream; it checks the answers itself and posts its findings back. The same page then
calls a server that allows only another origin, and the browser must refuse the answer.
Skipped (exit 77) only when Chromium is not installed."""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import server_test as st  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class PageServer(http.server.ThreadingHTTPServer):
    """Serves the test page and receives its findings."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PageHandler)
        self.result = None
        self.got = threading.Event()
        with open(os.path.join(HERE, "browser_page.html"), "rb") as f:
            self.page = f.read()


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if not self.path.startswith("/page"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.server.page)))
        self.end_headers()
        self.wfile.write(self.server.page)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.result = json.loads(body)
        self.server.got.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    chromium = find_chromium()
    if not chromium:
        print("SKIP: chromium is not installed (scripts/setup-debian.sh --tests installs it)")
        return SKIP
    problems = []
    page = PageServer()
    threading.Thread(target=page.serve_forever, daemon=True).start()
    with st.Server() as api, st.Server("--allow-origin", "http://example.invalid") as refusing, \
            tempfile.TemporaryDirectory(prefix="tilerace-chromium-") as profile:
        page_url = (f"http://127.0.0.1:{page.server_address[1]}/page?api="
                    f"{api.url.rstrip('/')}&refusing={refusing.url.rstrip('/')}")
        args = [chromium, "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                page_url]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        browser = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if not page.got.wait(180 * st.SLOW):
                problems.append("the page never reported")
        finally:
            browser.terminate()
            try:
                _, err = browser.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                browser.kill()
                _, err = browser.communicate()
        page.shutdown()
        api_log, refusing_log = api.log(), refusing.log()
        if api.stop() != 0 or refusing.stop() != 0:
            problems.append("a server did not exit 0")

    out = page.result or {}
    print(json.dumps({k: v for k, v in out.items() if k != "results"}))
    for r in out.get("results", []):
        print(f"{r['status']} {r['mode']} threads={r['threads']} "
              f"tiles_completed={r['tiles_completed']} problems={r['problems']}")
    print("refusing server's log:\n" + refusing_log)
    if out.get("error"):
        problems.append(f"the page failed: {out['error']}")
    results = out.get("results", [])
    want = [("concurrent", t) for t in range(1, 17)] + [("sequential", 1)]
    if [(r["mode"], r["threads"]) for r in results] != want:
        problems.append(f"answers missing: got {len(results)} of {len(want)}")
    for r in results:
        if r["status"] != 200 or r["problems"]:
            problems.append(f"{r['path']}: status {r['status']}, {r['problems']}")
    s = out.get("stream") or {}
    if s.get("problems") or s.get("error") or not s.get("tiles") or \
            s.get("tiles") != s.get("tiles_completed"):
        problems.append(f"event stream: {s}")
    refused = out.get("refused") or {}
    if refused != {"refused": True, "error": "TypeError"}:
        problems.append(f"the disallowed origin was not refused by the browser: {refused}")
    # the browser preflighted (custom headers), was allowed here and refused there
    if not re.search(r'"OPTIONS /api/compute/concurrent\?\S*" 204 ', api_log):
        problems.append("no successful preflight in the server's log")
    if not re.search(r'"OPTIONS /api/compute/concurrent\?\S*" 403 ', refusing_log):
        problems.append("the refusing server saw no preflight")
    if "GET /api/compute/concurrent?" in refusing_log:
        problems.append("the browser sent the GET although the preflight was refused")
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
