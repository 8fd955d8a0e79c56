"""Helpers for the server tests: start `tilerace serve` on a free loopback port, talk to it."""
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time

import tilerace_test as tt

# Sanitizer builds run several times slower: waits scale with this.
SLOW = 4 if os.environ.get("TILERACE_SANITIZE") else 1


class Server:
    """A running `tilerace serve --port 0 ...`; use as a context manager."""

    def __init__(self, *args, bind="127.0.0.1"):
        self.args = ["serve", "--bind", bind, "--port", "0", "--log-requests"] + \
            [str(a) for a in args]
        self.log_file = tempfile.NamedTemporaryFile(prefix="tilerace-serve-", suffix=".log")
        self.proc = subprocess.Popen([tt.BINARY] + self.args, stdout=subprocess.PIPE,
                                     stderr=self.log_file)
        line = self._read_line(30 * SLOW)
        m = re.match(r"tilerace serve: listening on (http://(.+):(\d+)/)$", line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"no listening line: {line!r}; log: {self.log()}")
        self.url = m.group(1)
        self.host = m.group(2).strip("[]")
        self.port = int(m.group(3))
        # what a client puts in Host: the server answers only to its own names
        self.host_header = f"{m.group(2)}:{self.port}"
        self.returncode = None

    def _read_line(self, timeout):
        out = b""
        deadline = time.time() + timeout
        while not out.endswith(b"\n") and time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if r:
                c = os.read(self.proc.stdout.fileno(), 1)
                if not c:
                    break
                out += c
        return out.decode("utf-8", "replace").rstrip("\n")

    def log(self):
        with open(self.log_file.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, fragment, timeout=20):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if fragment in self.log():
                return True
            time.sleep(0.05)
        return False

    def connection(self, timeout=60):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout * SLOW)

    def request(self, path, method="GET", headers=None, conn=None):
        """Returns (status, headers as a dict with lower-case names, body bytes)."""
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            body = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, body
        finally:
            if own:
                conn.close()

    def get_json(self, path, headers=None):
        status, hdrs, body = self.request(path, headers=headers)
        return status, hdrs, json.loads(body)

    def health(self):
        status, _, doc = self.get_json("/api/compute/health")
        assert status == 200, status
        return doc

    def wait_health(self, pred, timeout=20):
        deadline = time.time() + timeout * SLOW
        doc = None
        while time.time() < deadline:
            doc = self.health()
            if pred(doc):
                return doc
            time.sleep(0.05)
        raise AssertionError(f"health never matched: {doc}")

    def raw(self, data, timeout=30):
        """Sends raw bytes, returns everything the server sends back until it closes."""
        with socket.create_connection((self.host, self.port), timeout=timeout * SLOW) as s:
            s.sendall(data)
            chunks = []
            try:
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    chunks.append(c)
            except (ConnectionResetError, socket.timeout):
                pass
        return b"".join(chunks)

    def open_request(self, path, headers=""):
        """Sends a GET and returns the socket without reading: a client that may go away."""
        s = socket.create_connection((self.host, self.port), timeout=30 * SLOW)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {self.host_header}\r\n{headers}\r\n".encode())
        return s

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"server did not stop; log: {self.log()[-2000:]}")
        self.proc.stdout.close()
        return self.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            rc = self.stop() if self.proc.poll() is None else self.proc.returncode
            log = self.log()
        finally:
            self.log_file.close()
        # a sanitizer's report, or any unclean end, fails the test that ran this server
        bad = [m for m in ("ThreadSanitizer", "AddressSanitizer", "LeakSanitizer",
                           "runtime error:") if m in log]
        if (not exc or exc[0] is None) and (rc != 0 or bad):
            raise AssertionError(f"server ended with {rc} {bad}; log tail:\n{log[-3000:]}")


def parse_status(raw):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def split_raw(raw):
    """Splits a raw HTTP/1.1 answer into (status, headers dict, body); body de-chunked."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out += rest[:size]
            rest = rest[size + 2:]
        body = out
    return status, headers, body


def parse_sse(text):
    """Returns the events of an event stream as dicts with 'event', 'id' and 'data'."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        ev = {"event": "message", "id": None, "data": ""}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name == "data":
                ev["data"] += value
            elif name in ("event", "id"):
                ev[name] = value
        events.append(ev)
    return events


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


WRK_SCRIPT = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "wrk_statuses.lua"))


def wrk_command(url, threads=2, connections=8, seconds=5):
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", WRK_SCRIPT, url]


def run_wrk(url, threads=2, connections=8, seconds=5):
    """Runs wrk against url; returns its summary (requests, errors, statuses, latency)."""
    cmd = wrk_command(url, threads, connections, seconds)
    p = subprocess.run(cmd, capture_output=True, timeout=seconds + 120)
    out = p.stdout.decode()
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()}")
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise AssertionError(f"no WRK_JSON line in wrk's output: {out}")
    doc = json.loads(line[len("WRK_JSON "):])
    doc["statuses"] = {int(k): v for k, v in doc["statuses"].items()}
    doc["command"] = " ".join(cmd)
    doc["text"] = out
    return doc
