#!/usr/bin/env python3
"""Raw-socket tests of `tilerace serve` on loopback: malformed request lines, NUL bytes, huge
headers, bodies on GET, pipelining and slow clients. Every request must be answered, or its
connection closed, within a bound; the server must stay alive and answer health afterwards,
and its log must hold no sanitizer report (the Server helper checks that when it stops).
Everything here is bounded in connections and time."""
import json
import os
import resource
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import server_test as st  # noqa: E402

BOUND = 2.0  # seconds for any request to be answered or its connection closed
HEALTH_BOUND = 1.0  # seconds for a normal client while slow clients hold connections
SLOW_CLIENTS = 1000
SLOW_SECONDS = 10


def parse_responses(data):
    """Splits complete HTTP/1.x answers off the front of data: ([(status, headers, body)],
    the bytes left over). An answer without a length ends where the data ends."""
    out = []
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            return out, data
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise AssertionError(f"not an HTTP answer: {data[:200]!r}")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            body, tail = b"", rest
            while True:
                size_line, nl, tail2 = tail.partition(b"\r\n")
                if not nl:
                    return out, data
                size = int(size_line.split(b";")[0], 16)
                if len(tail2) < size + 2:
                    return out, data
                body, tail = body + tail2[:size], tail2[size + 2:]
                if size == 0:
                    break
            rest = tail
        elif "content-length" in headers:
            n = int(headers["content-length"])
            if len(rest) < n:
                return out, data
            body, rest = rest[:n], rest[n:]
        else:
            body, rest = rest, b""
        out.append((int(parts[1]), headers, body))
        data = rest


def exchange(srv, data, answers=1, bound=BOUND, half_close=False):
    """Sends data on a new connection and reads until `answers` complete answers are in, the
    server closes, or bound seconds pass. Returns (answers, closed, seconds)."""
    s = socket.create_connection((srv.host, srv.port), timeout=bound)
    t0 = time.monotonic()
    buf, closed, got = b"", False, []
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        while time.monotonic() - t0 < bound:
            s.settimeout(max(0.01, bound - (time.monotonic() - t0)))
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
            if not c:
                closed = True
                break
            buf += c
            got, _ = parse_responses(buf)
            if len(got) >= answers:
                break
    finally:
        s.close()
    if closed:
        got, _ = parse_responses(buf)
    return got, closed, time.monotonic() - t0


class Raw(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = st.Server()
        cls.host = cls.srv.host_header.encode()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__()

    def tearDown(self):
        # after every test: the process lives and answers
        self.assertIsNone(self.srv.proc.poll(), self.srv.log()[-2000:])
        self.assertEqual(self.srv.health()["status"], "ok")

    def request(self, target=b"/api/compute/health", extra=b"", method=b"GET",
                version=b"HTTP/1.1", close=True):
        return (method + b" " + target + b" " + version + b"\r\nHost: " + self.host + b"\r\n" +
                (b"Connection: close\r\n" if close else b"") + extra + b"\r\n")

    def assert_answered_or_closed(self, data, error=True, **kw):
        """Answered (an error status when error) or closed, within the bound."""
        got, closed, seconds = exchange(self.srv, data, **kw)
        self.assertTrue(got or closed,
                        f"no answer and no close within {seconds:.1f} s for {data[:80]!r}")
        if got and error:
            self.assertGreaterEqual(got[0][0], 400, (data[:80], got[0][:2]))
        return got, closed

    def json_error(self, answer, status, error):
        got_status, headers, body = answer
        self.assertEqual(got_status, status, body[:300])
        self.assertEqual(headers.get("content-type"), "application/json")
        doc = json.loads(body)
        self.assertEqual(set(doc), {"success", "error", "message"})
        self.assertEqual(doc["error"], error)
        return doc

    def test_malformed_request_lines(self):
        h = self.host
        cases = [
            b" GET /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
            b"\tGET /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
            b"GET /api/compute/health HTTP/1.1 extra\r\nHost: " + h + b"\r\n\r\n",
            b"GET /api/compute/health\r\n\r\n",
            b"GET /api/compute/health HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
            b"GET /api/compute/health HTTP/2.0\r\nHost: " + h + b"\r\n\r\n",
            b"GET /api/compute/health HTTP/0.9\r\nHost: " + h + b"\r\n\r\n",
            b"GET /api/compute/health http/1.1\r\nHost: " + h + b"\r\n\r\n",
            b"GET /api/com pute/health HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET \r\n\r\n",
            b"GET /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\nNoColon\r\n\r\n",
            b"GET /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\n folded\r\n\r\n",
            b"GET /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\nContent-Length: -1\r\n\r\n",
            b"GET /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\nContent-Length: x\r\n\r\n",
            b"GET /api/compute/health HTTP/1.1\r\nHost: " + h +
            b"\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"BREW /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
            b"G=T /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
            b"GET api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\nConnection: close\r\n\r\n",
            b"GET * HTTP/1.1\r\nHost: " + h + b"\r\nConnection: close\r\n\r\n",
            b"GET http://evil.example/api/compute/health HTTP/1.1\r\nHost: " + h +
            b"\r\nConnection: close\r\n\r\n",
        ]
        for data in cases:
            with self.subTest(data=data[:60]):
                self.assert_answered_or_closed(data)

    def test_leading_empty_lines_and_bare_lf(self):
        # tolerated or refused, never left hanging
        for data in (b"\r\n" + self.request(), b"\n" + self.request(),
                     self.request().replace(b"\r\n", b"\n"),
                     self.request(extra=b": empty name\r\n")):
            with self.subTest(data=data[:60]):
                self.assert_answered_or_closed(data, error=False)

    def test_nul_in_the_target_is_refused(self):
        # a raw NUL used to cut the target short: width=8 rendered, the rest ignored
        for target in (b"/api/compute/concurrent?width=8\x00garbage",
                       b"/api/compute/concurrent\x00/x?width=8",
                       b"/api/compute/health\x00",
                       b"/\x00",
                       b"/api/compute/concurrent/stream?width=8&height=8\x00&x=1"):
            with self.subTest(target=target):
                got, _ = self.assert_answered_or_closed(self.request(target))
                self.assertTrue(got, "closed without an answer")
                doc = self.json_error(got[0], 400, "malformed_url")
                self.assertIn("NUL", doc["message"])
        # the escaped form, as before
        got, _ = self.assert_answered_or_closed(self.request(b"/api/compute/health?x=%00"))
        self.json_error(got[0], 400, "malformed_url")

    def test_nul_elsewhere(self):
        h = self.host
        for data in (b"G\x00T /api/compute/health HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
                     b"GET /api/compute/health HTTP/1.\x001\r\nHost: " + h + b"\r\n\r\n",
                     b"GET /api/compute/health HTTP/1.1\x00\r\nHost: " + h + b"\r\n\r\n",
                     b"GET /api/compute/health?width=8\x00 HTTP/1.1 HTTP/1.1\r\nHost: " + h +
                     b"\r\n\r\n"):
            with self.subTest(data=data[:60]):
                self.assert_answered_or_closed(data)
        # in a header: any answer will do, as long as there is one
        for extra in (b"X-A: b\x00c\r\n", b"X-\x00: c\r\n", b"Origin: http://localhost\x00x\r\n"):
            with self.subTest(extra=extra):
                self.assert_answered_or_closed(self.request(extra=extra), error=False)

    def test_huge_requests(self):
        cases = [
            (self.request(extra=b"X-Big: " + b"a" * 70000 + b"\r\n"), "one 70 KB header"),
            (self.request(extra=b"".join(b"X-%d: v\r\n" % i for i in range(8000))),
             "8000 headers"),
            (self.request(b"/api/compute/health?x=" + b"a" * 100000), "a 100 KB target"),
            (b"GET /" + b"a" * 200000, "a 200 KB line without an end"),
            (b"X" * 100000 + b"\r\n\r\n", "a 100 KB method"),
        ]
        for data, what in cases:
            with self.subTest(what=what):
                got, _ = self.assert_answered_or_closed(data)
                if got:
                    self.assertIn(got[0][0], (400, 413, 414, 431), what)
        # the largest target the server takes still gets its JSON answer
        got, _ = self.assert_answered_or_closed(
            self.request(b"/api/compute/concurrent?width=" + b"9" * (8192 - 30)))
        self.json_error(got[0], 400, "invalid_parameter")

    def test_bodies_on_get_are_refused_at_once(self):
        # each of these announces a body that a client may never send: refused, not waited for
        for extra in (b"Transfer-Encoding: gzip, chunked\r\n", b"Transfer-Encoding: identity\r\n",
                      b"Transfer-Encoding: chunked, gzip\r\n", b"Transfer-Encoding: chunked\r\n",
                      b"Transfer-Encoding: CHUNKED\r\n", b"Content-Length: 10\r\n",
                      b"Content-Length: 10\r\nTransfer-Encoding: chunked\r\n"):
            for target in (b"/api/compute/health", b"/api/compute/concurrent?width=8",
                           b"/api/compute/concurrent/stream?width=8"):
                with self.subTest(extra=extra, target=target):
                    got, _ = self.assert_answered_or_closed(self.request(target, extra=extra,
                                                                         close=False))
                    self.assertTrue(got, "closed without an answer")
                    doc = self.json_error(got[0], 400, "bad_request")
                    self.assertIn("no body", doc["message"])
        # an empty body is no body
        got, _ = self.assert_answered_or_closed(self.request(extra=b"Content-Length: 0\r\n"),
                                                error=False)
        self.assertEqual(got[0][0], 200)
        # other methods are refused at once, their body unread
        got, _ = self.assert_answered_or_closed(
            self.request(method=b"POST", extra=b"Transfer-Encoding: gzip, chunked\r\n"))
        self.json_error(got[0], 405, "method_not_allowed")

    def test_pipelining(self):
        health = self.request(close=False)
        last = self.request()
        # answered in order, on one connection
        got, closed, _ = exchange(self.srv, health * 3 + last, answers=4)
        self.assertEqual([g[0] for g in got], [200, 200, 200, 200])
        mixed = (health + self.request(b"/nope", close=False) +
                 self.request(b"/api/compute/concurrent?width=16&height=16", close=False) +
                 self.request(b"/api/compute/health?x=%zz", close=False) +
                 self.request(b"/api/compute/concurrent/stream?width=8&height=8&tile_w=4"
                              b"&tile_h=4", close=False) + last)
        got, _, _ = exchange(self.srv, mixed, answers=6, bound=BOUND * st.SLOW)
        self.assertEqual([g[0] for g in got], [200, 404, 200, 400, 200, 200])
        events = st.parse_sse(got[4][2].decode())
        self.assertEqual([e["event"] for e in events], ["tile"] * 4 + ["complete"])
        # a NUL in a pipelined target does not swallow the next request
        got, _, _ = exchange(self.srv, self.request(b"/api/compute/health\x00x", close=False) +
                             last, answers=2)
        self.assertEqual([g[0] for g in got], [400, 200])
        # an answer that closes the connection ends the pipeline
        got, closed, _ = exchange(self.srv, health + self.request(
            extra=b"Transfer-Encoding: identity\r\n", close=False) + last, answers=3)
        self.assertEqual([g[0] for g in got], [200, 400])
        self.assertTrue(closed)

    def test_foreign_host_is_refused(self):
        port = str(self.srv.port).encode()
        data = (b"GET /api/compute/health HTTP/1.1\r\nHost: evil.example:" + port +
                b"\r\nOrigin: http://evil.example:" + port + b"\r\nConnection: close\r\n\r\n")
        got, _ = self.assert_answered_or_closed(data)
        self.json_error(got[0], 403, "host_not_allowed")
        self.assertNotIn("access-control-allow-origin", got[0][1])


class SlowClients(unittest.TestCase):
    def test_request_deadline(self):
        timeout_s = 1.5
        with st.Server("--request-timeout-ms", int(timeout_s * 1000)) as srv:
            host = srv.host_header.encode()
            # a header line every 0.2 s restarts an idle timeout; the deadline does not move
            s = socket.create_connection((srv.host, srv.port), timeout=BOUND)
            t0 = time.monotonic()
            s.sendall(b"GET /api/compute/health HTTP/1.1\r\nHost: " + host + b"\r\n")
            closed_after = None
            for i in range(int((timeout_s + BOUND) / 0.2)):
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % i)
                    s.settimeout(0.2)
                    if s.recv(4096) == b"":
                        closed_after = time.monotonic() - t0
                        break
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    closed_after = time.monotonic() - t0
                    break
            s.close()
            self.assertIsNotNone(closed_after, "a trickling client was never closed")
            self.assertGreater(closed_after, timeout_s * 0.6)
            self.assertLess(closed_after, timeout_s + BOUND)
            # one that connects and says nothing, and an idle kept-alive one, go the same way
            for first in (b"", b"GET /api/compute/health HTTP/1.1\r\nHost: " + host +
                          b"\r\n\r\n"):
                with self.subTest(first=first):
                    got, closed, seconds = exchange(srv, first, answers=2,
                                                    bound=timeout_s + BOUND)
                    self.assertTrue(closed)
                    self.assertEqual([g[0] for g in got], [200] if first else [])
                    self.assertGreater(seconds, timeout_s * 0.6)
            # a slow client that finishes in time is served
            s = socket.create_connection((srv.host, srv.port), timeout=BOUND)
            request = (b"GET /api/compute/health HTTP/1.1\r\nHost: " + host +
                       b"\r\nConnection: close\r\n\r\n")
            for i in range(0, len(request), 8):
                s.sendall(request[i:i + 8])
                time.sleep(0.05)
            s.settimeout(BOUND)
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
            s.close()
            self.assertEqual(st.parse_status(data), 200)
            self.assertEqual(srv.health()["status"], "ok")

    def test_incomplete_requests_end_at_the_deadline(self):
        # requests that never complete (or not as HTTP): closed at the request deadline;
        # libmicrohttpd does not notice a client's FIN that comes with the last bytes
        timeout_s = 1.0
        with st.Server("--request-timeout-ms", int(timeout_s * 1000)) as srv:
            host = srv.host_header.encode()
            cases = [(b"\r\n", False), (b"\x00\x00\x00\x00\r\n\r\n", False),
                     (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, False),
                     (b"GET /api/compute/health HTTP/1.1", True),
                     (b"GET /api/compute/health HTTP/1.1\r\nHost: " + host + b"\r\n", True),
                     (b"GET /api/compute/health HTTP/1.1\r\nHost: " + host + b"\r\n", False)]
            for data, half_close in cases:
                with self.subTest(data=data[:40], half_close=half_close):
                    got, closed, seconds = exchange(srv, data, bound=timeout_s + BOUND,
                                                    half_close=half_close)
                    self.assertTrue(closed, f"open after {seconds:.1f} s")
                    self.assertEqual(got, [])
            self.assertEqual(srv.health()["status"], "ok")

    def test_a_thousand_slow_clients_do_not_starve_the_server(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < SLOW_CLIENTS + 200:
            want = SLOW_CLIENTS + 200 if hard == resource.RLIM_INFINITY else \
                min(hard, SLOW_CLIENTS + 200)
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        n = min(SLOW_CLIENTS, soft - 200)
        self.assertGreater(n, 512, f"the open-file limit ({hard}) leaves room for {n} clients")
        # a long deadline: the slow clients stay connected for the whole test
        with st.Server("--request-timeout-ms", 120000) as srv:
            host = srv.host_header.encode()
            slow = []
            try:
                for i in range(n):
                    s = socket.create_connection((srv.host, srv.port), timeout=10 * st.SLOW)
                    s.sendall(b"GET /api/compute/health HTTP/1.1\r\nHost: " + host + b"\r\n")
                    slow.append(s)
                checks, worst = 0, 0.0
                t_end = time.monotonic() + SLOW_SECONDS
                next_line = time.monotonic() + 3
                line = 0
                while time.monotonic() < t_end:
                    if time.monotonic() >= next_line:  # one more header line each
                        for s in slow:
                            s.sendall(b"X-Slow-%d: 1\r\n" % line)
                        line += 1
                        next_line = time.monotonic() + 3
                    t0 = time.monotonic()
                    got, closed, seconds = exchange(
                        srv, b"GET /api/compute/health HTTP/1.1\r\nHost: " + host +
                        b"\r\nConnection: close\r\n\r\n", bound=HEALTH_BOUND)
                    seconds = time.monotonic() - t0
                    self.assertTrue(got, f"health check {checks} got no answer in {seconds:.2f} s "
                                         f"beside {n} slow clients")
                    self.assertEqual(got[0][0], 200)
                    checks += 1
                    worst = max(worst, seconds)
                    time.sleep(0.2)
                self.assertGreater(checks, 10)
                # the slow clients were held, not dropped
                still_open = 0
                for s in slow:
                    s.setblocking(False)
                    try:
                        still_open += s.recv(1) != b""
                    except BlockingIOError:
                        still_open += 1
                    except OSError:
                        pass
                self.assertEqual(still_open, n)
                print(f"{checks} health checks beside {n} slow clients, the slowest "
                      f"{worst * 1000:.0f} ms")
            finally:
                for s in slow:
                    s.close()
            self.assertEqual(srv.health()["status"], "ok")


if __name__ == "__main__":
    unittest.main(verbosity=2)
