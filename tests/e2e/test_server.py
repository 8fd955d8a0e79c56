#!/usr/bin/env python3
"""End-to-end tests of `tilerace serve` against a real server on a free loopback port:
endpoints against the schema and the CLI, every CLI bad-input case as query parameters, URLs,
methods, CORS, the event stream, disconnects, limits, and graceful shutdown."""
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import server_test as st  # noqa: E402
import tilerace_test as tt  # noqa: E402

RECORD_TIMINGS = {"start_time_ms", "duration_ms", "start_time_us", "duration_us",
                  "device_time_us"}
# output_wait_us: only a render that fed a consumer (the event stream) has it
SUMMARY_TIMINGS = {"elapsed_us", "giga_iterations_per_s", "output_wait_us"}
DEVICE_TIMINGS = {"build_time_us", "warmup_time_us", "readback_time_us",
                  "time_to_first_tile_us"}
QUERY_PARAMS = {"width", "height", "tile_w", "tile_h", "max_iter", "time_limit_ms",
                "num_threads", "queue_depth", "device", "precision", "kernel"}
BIG = "width=4096&height=4096&max_iter=65535&num_threads=2&time_limit_ms=60000"


def without_timings(doc):
    """The document with every timing removed and records in task_id order."""
    d = json.loads(json.dumps(doc))
    # which lane took a tile is a race in dynamic and steal modes, and so are the steals
    racy = d["params"]["mode"] in ("dynamic", "steal")
    d["data"] = sorted(({k: v for k, v in r.items()
                         if k not in RECORD_TIMINGS and not (racy and k in ("thread_id", "stolen"))}
                        for r in d["data"]), key=lambda r: r["task_id"])
    for k in SUMMARY_TIMINGS | ({"steals", "steals_total"} if racy else set()):
        d["summary"].pop(k, None)
    for k in DEVICE_TIMINGS:
        d["summary"]["device"].pop(k, None)
    return d


def cli_args(query):
    """?tile_w=5 -> --tile-w 5"""
    out = []
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        out += ["--" + k.replace("_", "-"), v]
    return out


class Endpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = st.Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__()

    def test_health(self):
        status, hdrs, doc = self.srv.get_json("/api/compute/health")
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["content-type"], "application/json")
        self.assertEqual(list(doc)[:3], ["status", "devices", "version"])
        self.assertEqual(doc["status"], "ok")
        self.assertIn("cpu", doc["devices"])
        p, _ = tt.run("--version")
        self.assertEqual("tilerace " + doc["version"], p.stdout.decode().strip())
        self.assertEqual(doc["renders"]["max_running"], 4)
        self.assertEqual(doc["renders"]["max_queued"], 16)
        # OpenCL devices kept prepared: none before a request or --warm needs one
        self.assertEqual(doc["devices_warm"], [])

    def test_health_answers_hardware_havocs_front_end(self):
        # its checkHealth() reads rustism_available and shows message
        status, _, doc = self.srv.get_json("/api/compute/health")
        self.assertEqual(status, 200)
        self.assertIs(doc["rustism_available"], True)
        self.assertIsInstance(doc["message"], str)
        self.assertTrue(doc["message"].strip(), doc)
        self.assertNotIn("\n", doc["message"])

    def test_page_form_takes_ranges_from_the_option_table(self):
        # the form's number fields carry the option table's range and default, as the
        # generated help prints them
        status, _, body = self.srv.request("/")
        self.assertEqual(status, 200)
        page = body.decode()
        self.assertNotIn("@RANGE:", page)
        p, _ = tt.run("help", "--markdown", "run")
        rows = {}
        for line in p.stdout.decode().splitlines():
            cells = [c.strip() for c in line.split("|")[1:-1]]
            if len(cells) == 5 and cells[1].startswith("`"):
                rows[cells[1].strip("`")] = cells
        fields = re.findall(r'<input name="(\w+)" type="number" min="(\d+)" max="(\d+)" '
                            r'value="(\d+)">', page)
        self.assertEqual(len(fields), 8, fields)
        for name, lo, hi, default in fields:
            with self.subTest(field=name):
                self.assertTrue(rows[name][2].startswith(f"{lo}..{hi}"), rows[name])
                # a default that differs between the command line and HTTP says both
                http_default = re.search(r"HTTP: (\d+)$", rows[name][3])
                self.assertEqual(http_default.group(1) if http_default else rows[name][3],
                                 default)

    def test_compute_equals_cli(self):
        q = "width=333&height=217&tile_w=50&tile_h=40&max_iter=77&time_limit_ms=60000&num_threads=3"
        for mode in ("sequential", "concurrent", "dynamic", "steal"):
            with self.subTest(mode=mode):
                status, hdrs, body = self.srv.request(f"/api/compute/{mode}?{q}")
                self.assertEqual(status, 200, body[:300])
                self.assertEqual(hdrs["content-type"], "application/json")
                doc = json.loads(body)
                tt.validate(doc)
                tt.check_records(self, doc)
                self.assertEqual(doc["params"]["mode"], mode)
                _, cli = tt.run(*cli_args(q), "--mode", mode)
                self.assertEqual(without_timings(doc), without_timings(cli))
                # the golden frame, so that both cannot be wrong together
                self.assertEqual(doc["summary"]["checksum"], "fnv1a64:e1bb86fa3891cfda")
                # the same writer: one record a line, like the CLI
                self.assertEqual(body.count(b"\n"), len(doc["data"]) + 2)

    def test_defaults_are_the_seeds(self):
        for mode in ("sequential", "concurrent"):
            with self.subTest(mode=mode):
                status, _, doc = self.srv.get_json(f"/api/compute/{mode}")
                self.assertEqual(status, 200)
                tt.validate(doc)
                _, cli = tt.run("--mode", mode)
                # but for num_threads: the CLI's follows the CPUs, the API's is always 4
                self.assertEqual(doc["params"]["num_threads"], 4)
                self.assertEqual(cli["params"]["num_threads"],
                                 min(len(os.sched_getaffinity(0)), 256))
                self.assertEqual(dict(doc["params"], num_threads=0),
                                 dict(cli["params"], num_threads=0))
                self.assertEqual(doc["params"]["time_limit_ms"], 2000)
                _, cli = tt.run("--mode", mode, "--num-threads", 4)
                if not doc["summary"]["time_limited"] and not cli["summary"]["time_limited"]:
                    self.assertEqual(without_timings(doc), without_timings(cli))

    def test_device_passes_through(self):
        status, _, doc = self.srv.get_json("/api/compute/concurrent?width=40&height=30&device=cpu")
        self.assertEqual(status, 200)
        self.assertEqual(doc["params"]["device"], "cpu")
        self.assertEqual(doc["summary"]["device"]["selector"], "cpu")
        # what the CLI answers for an OpenCL selector decides the status: 2 -> 400, 3 -> 503
        p, _ = tt.run("--device", "opencl:9.9", "--width", 8, "--height", 8, check=False)
        status, hdrs, doc = self.srv.get_json(
            "/api/compute/concurrent?width=8&height=8&device=opencl:9.9")
        want = {0: 200, 2: 400, 3: 503}[p.returncode]
        self.assertEqual(status, want, doc)
        if status != 200:
            self.assertIs(doc["success"], False)
            self.assertIn("opencl:9.9", doc["message"])
            self.assertNotIn("retry-after", hdrs)

    def test_every_cli_bad_input_case(self):
        # caps at the program's own limits: under a lower cap a refusal gives the server's
        # range instead (Limits.test_capped_parameters_give_the_servers_range)
        with st.Server("--cap-num-threads", 256, "--cap-time-limit-ms", 0) as srv:
            self.every_cli_bad_input_case(srv)

    def every_cli_bad_input_case(self, srv):
        mapped = 0
        for name, want_exit, fragment, args in tt.cli_cases():
            argv = args.split()
            with self.subTest(case=name, args=args):
                if not_a_query(argv):
                    continue
                mapped += 1
                path, query, mode_missing = to_query(argv)
                p = subprocess.run([tt.BINARY] + argv, capture_output=True, timeout=120)
                self.assertEqual(p.returncode, want_exit)
                status, _, body = srv.request(path + ("?" + query if query else ""))
                doc = json.loads(body)
                if want_exit == 0:
                    self.assertEqual(status, 200, doc)
                    continue
                if path.rsplit("/", 1)[1] not in ("sequential", "concurrent", "dynamic", "steal"):
                    self.assertEqual((status, doc["error"]), (404, "not_found"))
                    continue
                if want_exit == 3:  # a device that is not there
                    self.assertEqual((status, doc["error"]), (503, "device_unavailable"))
                    self.assertEqual(doc["message"], cli_message_as_http(p.stderr.decode()))
                    continue
                self.assertEqual(status, 400, doc)
                self.assertEqual(doc["error"], "invalid_parameter")
                self.assertEqual(set(doc), {"success", "error", "message"})
                self.assertIs(doc["success"], False)
                msg = doc["message"]
                unknown = [k for k in query_keys(query) if k not in QUERY_PARAMS and k != "mode"]
                if mode_missing:
                    self.assertTrue(msg.startswith("mode: is set by the path"), msg)
                elif unknown:
                    self.assertTrue(msg.startswith(f"unknown parameter '{unknown[0]}'"), msg)
                else:
                    want = cli_message_as_http(p.stderr.decode())
                    self.assertEqual(msg, want)
                    self.assertIn(cli_message_as_http(fragment), msg)
        self.assertGreaterEqual(mapped, 35)

    def test_not_found(self):
        for path in ("/index.html", "/api", "/api/compute", "/api/compute/health/", "/api/compute/parallel",
                     "/api/compute/concurrent/stream/x", "/favicon.ico", "/API/compute/health"):
            with self.subTest(path=path):
                status, hdrs, doc = self.srv.get_json(path)
                self.assertEqual(status, 404)
                self.assertEqual(doc["error"], "not_found")
                self.assertEqual(set(doc), {"success", "error", "message"})
                self.assertIs(doc["success"], False)
                self.assertEqual(hdrs["content-type"], "application/json")
        status, _, _ = self.srv.request("/nope", method="OPTIONS")
        self.assertEqual(status, 404)

    def test_method_not_allowed(self):
        for method in ("POST", "PUT", "DELETE", "PATCH", "HEAD", "TRACE"):
            with self.subTest(method=method):
                status, hdrs, body = self.srv.request("/api/compute/concurrent", method=method,
                                                      headers={"Content-Length": "0"})
                self.assertEqual(status, 405)
                self.assertEqual(hdrs["allow"], "GET, OPTIONS")
                if method != "HEAD":
                    doc = json.loads(body)
                    self.assertEqual(doc["error"], "method_not_allowed")
                    self.assertIn(method, doc["message"])
        # a body is not read, and the server goes on
        raw = self.srv.raw(b"POST /api/compute/health HTTP/1.1\r\nHost: " +
                           self.srv.host_header.encode() + b"\r\nContent-Length: "
                           b"100000\r\n\r\n" + b"x" * 1000)
        self.assertEqual(st.parse_status(raw), 405)
        self.assertEqual(self.srv.health()["status"], "ok")

    def test_malformed_urls(self):
        cases = [("/api/compute/concurrent?width=%zz", "'%zz' is not a valid percent-escape"),
                 ("/api/compute/concurrent?width=1%", "not a valid percent-escape"),
                 ("/api/compute/concurrent?width=1%00", "byte 0x00 is not allowed"),
                 ("/api/compute/concurrent?width=%ff", "byte 0xff is not allowed"),
                 ("/api/compute/%zzhealth", "not a valid percent-escape")]
        for target, fragment in cases:
            with self.subTest(target=target):
                raw = self.srv.raw(f"GET {target} HTTP/1.1\r\nHost: {self.srv.host_header}\r\n"
                                   "Connection: close\r\n\r\n".encode())
                status, hdrs, body = st.split_raw(raw)
                self.assertEqual(status, 400)
                doc = json.loads(body)
                self.assertEqual(doc["error"], "malformed_url")
                self.assertIn(fragment, doc["message"])
        # decoded names reach the router: %68 is 'h'
        status, _, _ = self.srv.request("/api/compute/%68ealth")
        self.assertEqual(status, 200)
        # not HTTP at all: a clean refusal, and the server goes on
        for junk in (b"HELLO\r\n\r\n", b"GET\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                     b"GET /api/compute/health HTTP/9.9\r\n\r\n"):
            raw = self.srv.raw(junk)
            status = st.parse_status(raw)
            self.assertTrue(status is None or 400 <= status < 600, raw[:200])
        self.assertEqual(self.srv.health()["status"], "ok")

    def test_long_urls(self):
        # at the limit: parsed, and the parameter is what is wrong
        target = "/api/compute/concurrent?width=" + "9" * (8192 - 30)
        status, _, doc = self.srv.get_json(target)
        self.assertEqual(len(target), 8192)
        self.assertEqual(status, 400)
        self.assertIn("is out of range", doc["message"])
        # over our limit: 414 as JSON
        status, _, doc = self.srv.get_json(target + "9")
        self.assertEqual(status, 414)
        self.assertEqual(doc["error"], "uri_too_long")
        # far over what a connection may hold: refused by libmicrohttpd itself
        raw = self.srv.raw(b"GET /api/compute/health?x=" + b"a" * 200000 +
                           b" HTTP/1.1\r\nHost: " + self.srv.host_header.encode() + b"\r\n\r\n")
        status = st.parse_status(raw)
        self.assertTrue(status in (None, 414, 431, 400), raw[:200])
        # too many parameters
        status, _, doc = self.srv.get_json("/api/compute/concurrent?" + "&".join(
            f"p{i}=1" for i in range(40)))
        self.assertEqual(status, 400)
        self.assertIn("too many query parameters", doc["message"])
        self.assertEqual(self.srv.health()["status"], "ok")

    def test_num_threads_default_is_four(self):
        # the command line's default follows the CPUs; the API keeps Hardware Havoc's 4
        status, _, doc = self.srv.get_json("/api/compute/concurrent?width=16&height=16")
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["params"]["num_threads"], 4)

    def test_request_log_lines(self):
        line_re = re.compile(r'tilerace serve: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d{3}Z '
                             r'(\S+) "(\S+) (\S+)" (\d{3}) (\d+\.\d{3}) ms$')

        def logged(target):
            for line in self.srv.log().splitlines():
                m = line_re.match(line)
                if m and m.group(4) == target:
                    return m
            return None

        def send(target):
            with socket.create_connection((self.srv.host, self.srv.port), timeout=60) as s:
                s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " +
                          self.srv.host_header.encode() + b"\r\nConnection: close\r\n\r\n")
                while s.recv(65536):
                    pass
                return "%s:%d" % s.getsockname()[:2]

        render = "/api/compute/dynamic?width=32&height=8&tile_w=7"
        odd = "/nowhere\\x22x\\x5cy\\x7f\\xff"
        client = send(render.encode())
        send(b'/nowhere"x\\y\x7f\xff')
        deadline = time.time() + 20 * st.SLOW
        while time.time() < deadline and not (logged(render) and logged(odd)):
            time.sleep(0.05)
        m = logged(render)
        self.assertIsNotNone(m, self.srv.log()[-2000:])
        when = time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
        self.assertLess(abs(time.mktime(when) - time.mktime(time.gmtime())), 600)
        self.assertEqual((m.group(2), m.group(3), m.group(5)), (client, "GET", "200"))
        self.assertGreater(float(m.group(6)), 0)
        m = logged(odd)
        self.assertIsNotNone(m, self.srv.log()[-2000:])
        self.assertEqual(m.group(3), "GET")
        self.assertIn(m.group(5), ("400", "404"))  # a malformed URL or an unknown path

    def test_health_takes_no_parameters(self):
        status, _, doc = self.srv.get_json("/api/compute/health?x=1")
        self.assertEqual(status, 400)
        self.assertIn("unknown parameter 'x'", doc["message"])

    def test_keep_alive(self):
        conn = self.srv.connection()
        try:
            for _ in range(3):
                status, hdrs, _ = self.srv.request("/api/compute/concurrent?width=16&height=16",
                                                   conn=conn)
                self.assertEqual(status, 200)
                self.assertNotEqual(hdrs.get("connection"), "close")
        finally:
            conn.close()


CLI_ONLY_OPTIONS = ("--help", "-h", "--version", "-o", "--out", "--image", "--image-format",
                    "--stream", "--record-pixels", "--quiet", "--kernel-dir", "--format")


def not_a_query(argv):
    """CLI cases that no query can express: other commands, help, output files, images."""
    return (argv[0] in ("run", "serve", "replay", "compare", "devices", "selftest", "bench",
                        "help") or
            any(a.partition("=")[0] in CLI_ONLY_OPTIONS for a in argv))


def to_query(argv):
    """CLI arguments -> (path, query, mode_missing): options become parameters, --mode the
    path, a stray word or short option a parameter with no value."""
    mode, pairs, mode_missing, i = "concurrent", [], False, 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            if not eq:
                value = argv[i + 1] if i + 1 < len(argv) else None
                i += 1 if value is not None else 0
            if name == "mode":
                if value is None:
                    mode_missing = True
                    pairs.append("mode")
                else:
                    mode = value
            else:
                key = name.replace("-", "_")
                pairs.append(key if value is None else
                             key + "=" + urllib.parse.quote(value, safe=""))
        else:
            pairs.append(a.lstrip("-"))
        i += 1
    return f"/api/compute/{mode}", "&".join(pairs), mode_missing


def query_keys(query):
    return [p.partition("=")[0] for p in query.split("&") if p]


def cli_message_as_http(text):
    """'tilerace: --tile-w: ...' -> 'tile_w: ...': the option's name becomes the parameter's."""
    text = text.strip()
    if text.startswith("tilerace: "):
        text = text[len("tilerace: "):]
    if text.startswith("--"):
        name, sep, rest = text[2:].partition(":")
        text = name.replace("-", "_") + sep + rest
    return text.replace(" (see tilerace --help)", "")


class Cors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = st.Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__()

    def preflight(self, srv, origin, path="/api/compute/concurrent"):
        return srv.request(path, method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type,x-origin"})

    def test_preflight_allowed(self):
        for origin in ("http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000",
                       "http://localhost"):
            for path in ("/api/compute/concurrent", "/api/compute/sequential",
                         "/api/compute/health", "/api/compute/concurrent/stream"):
                with self.subTest(origin=origin, path=path):
                    status, h, body = self.preflight(self.srv, origin, path)
                    self.assertEqual(status, 204)
                    self.assertEqual(body, b"")
                    self.assertEqual(h["access-control-allow-origin"], origin)
                    self.assertEqual(h["access-control-allow-credentials"], "true")
                    methods = {m.strip() for m in h["access-control-allow-methods"].split(",")}
                    self.assertEqual(methods, {"GET", "OPTIONS"})
                    allowed = {x.strip().lower() for x in
                               h["access-control-allow-headers"].split(",")}
                    self.assertLessEqual({"content-type", "x-origin"}, allowed)
                    self.assertGreater(int(h["access-control-max-age"]), 0)
                    self.assertIn("Origin", h["vary"])

    def test_preflight_refused(self):
        for origin in ("http://evil.example", "https://localhost:5173", "null",
                       "http://localhost.evil.example:80"):
            with self.subTest(origin=origin):
                status, h, body = self.preflight(self.srv, origin)
                self.assertEqual(status, 403)
                self.assertNotIn("access-control-allow-origin", h)
                self.assertEqual(json.loads(body)["error"], "origin_not_allowed")

    def test_answers_echo_allowed_origin(self):
        origin = "http://localhost:5173"
        hdrs = {"Origin": origin, "Content-Type": "application/json", "X-Origin": "client"}
        for path, want in (("/api/compute/concurrent?width=32&height=32", 200),
                           ("/api/compute/health", 200),
                           ("/api/compute/concurrent?width=0", 400),
                           ("/nope", 404)):
            with self.subTest(path=path):
                status, h, _ = self.srv.request(path, headers=hdrs)
                self.assertEqual(status, want)
                self.assertEqual(h["access-control-allow-origin"], origin)
                self.assertEqual(h["access-control-allow-credentials"], "true")
                self.assertIn("Origin", h["vary"])
        # no Origin (curl, the CLI's users): no CORS headers, never '*'
        status, h, _ = self.srv.request("/api/compute/health")
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", h)
        self.assertIn("Origin", h["vary"])

    def test_get_from_refused_origin(self):
        status, h, body = self.srv.request("/api/compute/concurrent?width=8&height=8",
                                           headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        self.assertNotIn("access-control-allow-origin", h)
        self.assertIn("http://evil.example", json.loads(body)["message"])

    def test_allow_origin_flag_replaces_default(self):
        with st.Server("--allow-origin", "http://app.example:8080", "--allow-origin",
                       "http://10.1.2.3:*") as srv:
            status, h, _ = self.preflight(srv, "http://app.example:8080")
            self.assertEqual((status, h.get("access-control-allow-origin")),
                             (204, "http://app.example:8080"))
            status, h, _ = self.preflight(srv, "http://10.1.2.3:9")
            self.assertEqual(status, 204)
            for refused in ("http://localhost:5173", "http://app.example:8081"):
                status, h, _ = self.preflight(srv, refused)
                self.assertEqual(status, 403)
                self.assertNotIn("access-control-allow-origin", h)


class Stream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = st.Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__()

    def read_stream(self, path, headers=None):
        status, hdrs, body = self.srv.request(path, headers=headers)
        return status, hdrs, st.parse_sse(body.decode())

    def test_every_tile_then_complete(self):
        for mode, tw, th, threads in (("sequential", 64, 64, 1), ("concurrent", 37, 23, 3),
                                      ("dynamic", 50, 7, 2), ("steal", 16, 16, 3)):
            with self.subTest(mode=mode):
                q = (f"width=333&height=217&tile_w={tw}&tile_h={th}&max_iter=77"
                     f"&time_limit_ms=60000&num_threads={threads}")
                status, hdrs, events = self.read_stream(f"/api/compute/{mode}/stream?{q}")
                self.assertEqual(status, 200)
                self.assertEqual(hdrs["content-type"], "text/event-stream")
                tiles = [e for e in events if e["event"] == "tile"]
                self.assertEqual([e["event"] for e in events],
                                 ["tile"] * len(tiles) + ["complete"])
                self.assertEqual([e["id"] for e in tiles],
                                 [str(i + 1) for i in range(len(tiles))])
                doc = json.loads(events[-1]["data"])
                tt.validate(doc)
                tt.check_records(self, doc)
                self.assertEqual(len(tiles), doc["summary"]["tiles_total"])
                # each tile event is its record plus the counts; together they are the frame
                records = {r["task_id"]: r for r in doc["data"]}
                frame = [0] * (333 * 217)
                for e in tiles:
                    t = json.loads(e["data"])
                    counts = t.pop("data")
                    self.assertEqual(t, records[t["task_id"]])
                    self.assertEqual(len(counts), t["tile_w"] * t["tile_h"])
                    for y in range(t["tile_h"]):
                        row = (t["tile_y"] + y) * 333 + t["tile_x"]
                        frame[row:row + t["tile_w"]] = counts[y * t["tile_w"]:
                                                              (y + 1) * t["tile_w"]]
                self.assertEqual(fnv1a64(frame), doc["summary"]["checksum"])
                self.assertEqual(doc["summary"]["checksum"], "fnv1a64:e1bb86fa3891cfda")
                self.assertEqual(sum(frame), doc["summary"]["total_iterations"])

    def test_complete_equals_json_endpoint(self):
        q = "width=120&height=90&tile_w=30&tile_h=30&max_iter=50&time_limit_ms=60000"
        _, _, events = self.read_stream(f"/api/compute/concurrent/stream?{q}")
        _, _, doc = self.srv.get_json(f"/api/compute/concurrent?{q}")
        self.assertEqual(without_timings(json.loads(events[-1]["data"])), without_timings(doc))

    def test_bad_input_and_reconnect(self):
        status, hdrs, body = self.srv.request("/api/compute/concurrent/stream?max_iter=0")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["message"],
                         "max_iter: '0' is out of range (accepted range 1..65535)")
        # an EventSource reconnecting after the end is told to stop
        status, _, body = self.srv.request("/api/compute/concurrent/stream?width=8&height=8",
                                           headers={"Last-Event-ID": "complete"})
        self.assertEqual((status, body), (204, b""))


def fnv1a64(counts):
    h = 0xcbf29ce484222325
    for c in counts:
        for b in (c & 0xff, c >> 8):
            h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return f"fnv1a64:{h:016x}"


class Limits(unittest.TestCase):
    def test_disconnect_cancels_render(self):
        with st.Server() as srv:
            for path in (f"/api/compute/concurrent?{BIG}", f"/api/compute/dynamic/stream?{BIG}"):
                with self.subTest(path=path):
                    before = srv.health()["renders"]["cancelled"]
                    s = srv.open_request(path)
                    srv.wait_health(lambda d: d["renders"]["running"] == 1)
                    time.sleep(0.2)
                    s.close()
                    # the full frame would take minutes: it stops at the next tile
                    doc = srv.wait_health(lambda d: d["renders"]["running"] == 0, timeout=20)
                    self.assertEqual(doc["renders"]["cancelled"], before + 1)
            self.assertTrue(srv.wait_log("render cancelled, client went away"))
            self.assertTrue(srv.wait_log("stream cancelled, client went away"))

    def test_reset_while_rendering(self):
        # a client that resets its connection while its render runs: the render's slot and
        # memory come back although the request never gets to answer (under ASan: no leak)
        one_slow_tile = ("width=1024&height=1024&tile_w=1024&tile_h=1024&max_iter=65535"
                         "&time_limit_ms=60000")
        with st.Server() as srv:
            for path in (f"/api/compute/concurrent?{BIG}",
                         f"/api/compute/sequential/stream?{one_slow_tile}"):
                with self.subTest(path=path):
                    s = srv.open_request(path)
                    srv.wait_health(lambda d: d["renders"]["running"] == 1)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.close()
                    srv.wait_health(lambda d: d["renders"]["running"] == 0, timeout=60)
            self.assertEqual(srv.health()["status"], "ok")

    def test_busy_gets_503(self):
        with st.Server("--max-renders", 1, "--max-queued", 0) as srv:
            s = srv.open_request(f"/api/compute/concurrent?{BIG}")
            srv.wait_health(lambda d: d["renders"]["running"] == 1)
            status, hdrs, body = srv.request("/api/compute/concurrent?width=8&height=8")
            self.assertEqual(status, 503)
            self.assertEqual(hdrs["retry-after"], "1")
            doc = json.loads(body)
            self.assertEqual(doc["error"], "busy")
            self.assertIn("1 render slots and 0 queue places", doc["message"])
            self.assertEqual(srv.health()["renders"]["rejected"], 1)
            s.close()
            srv.wait_health(lambda d: d["renders"]["running"] == 0)
            status, _, _ = srv.request("/api/compute/concurrent?width=8&height=8")
            self.assertEqual(status, 200)

    def test_queue_waits_its_turn(self):
        with st.Server("--max-renders", 1, "--max-queued", 1) as srv:
            first = srv.open_request("/api/compute/concurrent?width=4096&height=4096&max_iter="
                                     "65535&num_threads=1&time_limit_ms=1500")
            srv.wait_health(lambda d: d["renders"]["running"] == 1)
            result = {}
            second = threading.Thread(target=lambda: result.update(
                zip(("status", "hdrs", "body"),
                    srv.request("/api/compute/concurrent?width=16&height=16"))))
            second.start()
            srv.wait_health(lambda d: d["renders"]["queued"] == 1)
            status, hdrs, _ = srv.request("/api/compute/concurrent?width=8&height=8")
            self.assertEqual(status, 503)
            second.join(60 * st.SLOW)
            self.assertEqual(result.get("status"), 200)
            first.settimeout(60 * st.SLOW)
            status, _, body = st.split_raw(read_response(first))
            first.close()
            self.assertEqual(status, 200)
            self.assertTrue(json.loads(body)["summary"]["time_limited"])

    def test_caps_from_flags(self):
        with st.Server("--cap-pixels", 10000, "--cap-tiles", 50, "--cap-max-iter", 100,
                       "--cap-time-limit-ms", 500, "--cap-num-threads", 2,
                       "--cap-tile-pixels", 2500) as srv:
            ok = "max_iter=100&time_limit_ms=500&num_threads=2"
            cases = {
                f"width=101&height=100&{ok}":
                    "width x height: 101x100 = 10100 pixels is above this server's limit "
                    "(accepted range 1..10000 pixels)",
                f"width=100&height=100&tile_w=10&tile_h=10&{ok}":
                    "tile grid: 10x10 tiles of 10x10 = 100 tiles is above this server's limit "
                    "(accepted range 1..50 tiles; use larger tiles)",
                # one tile may not hold a render slot for long: renders stop between tiles
                f"width=100&height=100&tile_w=51&tile_h=50&{ok}":
                    "tile_w x tile_h: 51x50 is above this server's limit of 2500 pixels per "
                    "tile (a render stops only between tiles; use smaller tiles)",
                "width=10&height=10&max_iter=101&time_limit_ms=500&num_threads=2":
                    "max_iter: '101' is above this server's limit (accepted range 1..100)",
                "width=10&height=10&max_iter=100&time_limit_ms=501&num_threads=2":
                    "time_limit_ms: '501' is above this server's limit (accepted range 1..500)",
                "width=10&height=10&max_iter=100&time_limit_ms=0&num_threads=2":
                    "time_limit_ms: '0' (no limit) is above this server's limit (accepted "
                    "range 1..500)",
                "width=10&height=10&max_iter=100&time_limit_ms=500&num_threads=3":
                    "num_threads: '3' is above this server's limit (accepted range 1..2)",
                # a default above a cap is named as such: the client never typed it
                "width=10&height=10&time_limit_ms=500&num_threads=2":
                    "max_iter: '256' (the default) is above this server's limit (accepted "
                    "range 1..100)",
                "width=10&height=10&max_iter=100&num_threads=2":
                    "time_limit_ms: '2000' (the default) is above this server's limit "
                    "(accepted range 1..500)",
                "width=10&height=10&max_iter=100&time_limit_ms=500":
                    "num_threads: '4' (the default) is above this server's limit (accepted "
                    "range 1..2)",
            }
            for q, msg in cases.items():
                with self.subTest(q=q):
                    for path in ("/api/compute/sequential", "/api/compute/concurrent/stream"):
                        status, _, body = srv.request(f"{path}?{q}")
                        self.assertEqual(status, 400)
                        self.assertEqual(json.loads(body)["message"], msg)
            # a value the program refuses is refused with the range this server accepts
            status, _, doc = srv.get_json("/api/compute/concurrent?max_iter=70000")
            self.assertEqual(doc["message"],
                             "max_iter: '70000' is out of range (accepted range 1..100)")
            status, _, doc = srv.get_json("/api/compute/concurrent?width=100&height=100&"
                                          "max_iter=100&time_limit_ms=500&num_threads=2&"
                                          "tile_w=20&tile_h=20")
            self.assertEqual(status, 200)
        with st.Server("--cap-time-limit-ms", 0) as srv:
            status, _, doc = srv.get_json("/api/compute/concurrent?width=64&height=64&"
                                          "time_limit_ms=0")
            self.assertEqual(status, 200)
            self.assertEqual(doc["params"]["time_limit_ms"], 0)

    def test_capped_parameters_give_the_servers_range(self):
        # whatever the reason a capped value is refused, the message gives the range this
        # server accepts, not the program's
        with st.Server("--cap-num-threads", 64, "--cap-max-iter", 1000, "--cap-pixels", 10000,
                       "--cap-time-limit-ms", 500) as srv:
            ok = "width=10&height=10&max_iter=10&time_limit_ms=100"
            cases = {
                "num_threads=-1": "num_threads: '-1' is negative (accepted range 1..64)",
                "num_threads=0": "num_threads: '0' is out of range (accepted range 1..64)",
                f"{ok}&num_threads=65":
                    "num_threads: '65' is above this server's limit (accepted range 1..64)",
                "num_threads=300": "num_threads: '300' is out of range (accepted range 1..64)",
                "max_iter=-1": "max_iter: '-1' is negative (accepted range 1..1000)",
                f"width=10&height=10&time_limit_ms=100&max_iter=1001":
                    "max_iter: '1001' is above this server's limit (accepted range 1..1000)",
                "time_limit_ms=-1": "time_limit_ms: '-1' is negative (accepted range 1..500)",
                "time_limit_ms=x": "time_limit_ms: 'x' is not a whole number (accepted range "
                                   "1..500)",
                "width=0": "width: '0' is out of range (accepted range 1..10000)",
                "height=70000": "height: '70000' is out of range (accepted range 1..10000)",
            }
            for q, msg in cases.items():
                for path in ("/api/compute/dynamic", "/api/compute/sequential/stream"):
                    with self.subTest(q=q, path=path):
                        status, _, body = srv.request(f"{path}?{q}")
                        self.assertEqual(status, 400)
                        doc = json.loads(body)
                        self.assertEqual(doc["error"], "invalid_parameter")
                        self.assertEqual(doc["message"], msg)


JSON_PATHS = ("/api/compute/concurrent", "/api/compute/sequential", "/api/compute/dynamic",
              "/api/compute/steal")
STREAM_PATHS = tuple(p + "/stream" for p in JSON_PATHS)


class Failures(unittest.TestCase):
    """Every failure of every endpoint is a complete JSON error with its status, on the JSON
    and on the event-stream endpoints alike (a stream that fails before its first tile has not
    started: it gets a status too)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = st.Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__()

    def assert_error(self, answer, status, error):
        got_status, hdrs, body = answer
        self.assertEqual(got_status, status, body[:300])
        self.assertEqual(hdrs.get("content-type"), "application/json", hdrs)
        self.assertEqual(int(hdrs["content-length"]), len(body))
        doc = json.loads(body)
        self.assertEqual(set(doc), {"success", "error", "message"})
        self.assertIs(doc["success"], False)
        self.assertEqual(doc["error"], error)
        self.assertTrue(doc["message"])
        return doc

    def test_missing_device_before_the_first_tile(self):
        # the command line decides what the device's failure is here: 2 -> 400, 3 -> 503
        for device in ("gpu", "opencl:9.9"):
            p, _ = tt.run("--device", device, "--width", 8, "--height", 8, check=False)
            want = {2: (400, "invalid_parameter"), 3: (503, "device_unavailable")}.get(
                p.returncode)
            for path in JSON_PATHS + STREAM_PATHS:
                with self.subTest(device=device, path=path):
                    answer = self.srv.request(f"{path}?device={device}&width=8&height=8")
                    if want is None:  # this machine has the device
                        self.assertEqual(answer[0], 200)
                        continue
                    doc = self.assert_error(answer, *want)
                    self.assertIn(device, doc["message"])
                    self.assertNotIn("retry-after", answer[1])
        self.assertEqual(self.srv.health()["status"], "ok")
        self.assertIsNone(self.srv.proc.poll())

    def test_every_request_error_is_json(self):
        h = {"Host": self.srv.host_header}
        cases = [
            ("?width=0", {}, "GET", 400, "invalid_parameter"),
            ("?width=%zz", {}, "GET", 400, "malformed_url"),
            ("?width=" + "9" * 9000, {}, "GET", 414, "uri_too_long"),
            ("", {"Origin": "http://evil.example"}, "GET", 403, "origin_not_allowed"),
            ("", {"Host": f"evil.example:{self.srv.port}"}, "GET", 403, "host_not_allowed"),
            ("", {"Content-Length": "0"}, "POST", 405, "method_not_allowed"),
            ("", {"Content-Length": "3"}, "GET", 400, "bad_request"),
        ]
        for path in JSON_PATHS + STREAM_PATHS:
            for query, headers, method, status, error in cases:
                with self.subTest(path=path, query=query[:20], headers=headers):
                    answer = self.srv.request(path + query, method=method,
                                              headers={**h, **headers})
                    self.assert_error(answer, status, error)
            with self.subTest(path=path + "/x"):
                self.assert_error(self.srv.request(path + "/x"), 404, "not_found")

    def test_busy_and_shutting_down_are_json(self):
        with st.Server("--max-renders", 1, "--max-queued", 0) as srv:
            held = srv.open_request(f"/api/compute/concurrent?{BIG}")
            srv.wait_health(lambda d: d["renders"]["running"] == 1)
            for path in JSON_PATHS + STREAM_PATHS:
                with self.subTest(path=path):
                    answer = srv.request(path + "?width=8&height=8")
                    self.assert_error(answer, 503, "busy")
                    self.assertEqual(answer[1]["retry-after"], "1")
            kept = {path: srv.connection() for path in (JSON_PATHS[0], STREAM_PATHS[0])}
            for conn in kept.values():
                self.assertEqual(srv.request("/api/compute/health", conn=conn)[0], 200)
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(srv.wait_log("stopped accepting connections"))
            # new requests on kept-alive connections
            for path, conn in kept.items():
                with self.subTest(path=path, stopping=True):
                    answer = srv.request(path + "?width=8&height=8", conn=conn)
                    self.assert_error(answer, 503, "shutting_down")
                    self.assertEqual(answer[1]["connection"], "close")
                conn.close()
            held.close()


class HostCheck(unittest.TestCase):
    """A loopback server answers only to loopback Host names on its own port, and to the
    names given with --allow-host: a page that reached it by DNS rebinding gets 403."""

    def get(self, srv, host, origin=None, path="/api/compute/health"):
        headers = {"Host": host}
        if origin:
            headers["Origin"] = origin
        return srv.request(path, headers=headers)

    def test_rebinding_is_refused(self):
        with st.Server() as srv:
            port = srv.port
            status, hdrs, body = self.get(srv, f"evil.example:{port}",
                                          f"http://evil.example:{port}")
            self.assertEqual(status, 403)
            doc = json.loads(body)
            self.assertEqual(doc["error"], "host_not_allowed")
            self.assertIn(f"'evil.example:{port}'", doc["message"])
            self.assertNotIn("access-control-allow-origin", hdrs)
            self.assertNotIn("access-control-allow-credentials", hdrs)
            # every endpoint and method, preflights included
            for path, method in (("/", "GET"), ("/api/compute/concurrent", "GET"),
                                 ("/api/compute/concurrent/stream", "GET"),
                                 ("/api/compute/concurrent", "OPTIONS")):
                status, _, _ = srv.request(path, method=method,
                                           headers={"Host": f"evil.example:{port}"})
                self.assertEqual(status, 403, (path, method))
            for host in ("evil.example", "localhost", f"localhost:{port + 1}",
                         f"localhost.:{port}", f"127.0.0.1.evil.example:{port}",
                         f"localhost.evil.example:{port}", f"127.0.0.2:{port}",
                         f"localhost:{port}/x", f"user@localhost:{port}"):
                with self.subTest(host=host):
                    self.assertEqual(self.get(srv, host)[0], 403)
            for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}",
                         f"LOCALHOST:{port}"):
                with self.subTest(host=host):
                    status, hdrs, _ = self.get(srv, host, f"http://{host}")
                    self.assertEqual(status, 200)
                    self.assertEqual(hdrs["access-control-allow-origin"], f"http://{host}")
            # HTTP/1.0 without Host: never a browser, served; HTTP/1.1 without it: 400
            raw = srv.raw(b"GET /api/compute/health HTTP/1.0\r\n\r\n")
            self.assertEqual(st.parse_status(raw), 200)
            raw = srv.raw(b"GET /api/compute/health HTTP/1.1\r\nConnection: close\r\n\r\n")
            self.assertEqual(st.parse_status(raw), 400)

    def test_allow_host(self):
        with st.Server("--allow-host", "app.example", "--allow-host", "b.example, 10.0.0.7",
                       "--allow-host", "[fe80::1]") as srv:
            for host in ("app.example", "app.example:443", f"APP.example:{srv.port}",
                         "b.example:1", "10.0.0.7:8080", "[fe80::1]:80",
                         f"localhost:{srv.port}"):
                with self.subTest(host=host):
                    self.assertEqual(self.get(srv, host)[0], 200)
            for host in ("c.example", "app.example.evil", "10.0.0.8", "[fe80::2]"):
                with self.subTest(host=host):
                    self.assertEqual(self.get(srv, host)[0], 403)
            # the page on an allowed name calls its own server: same origin, echoed
            status, hdrs, _ = self.get(srv, "app.example:443", "http://app.example:443")
            self.assertEqual(hdrs["access-control-allow-origin"], "http://app.example:443")
        with st.Server("--allow-host", "*") as srv:
            self.assertEqual(self.get(srv, "anything.example:1")[0], 200)

    def test_help_documents_it(self):
        p, _ = tt.run("serve", "--help")
        text = p.stdout.decode()
        for fragment in ("--allow-host NAME", "--request-timeout-ms N", "--max-connections N",
                         "DNS rebinding", "HTTP/1.0 request without Host"):
            self.assertIn(fragment, text)


def read_response(sock):
    """Reads one Content-Length answer from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        c = sock.recv(65536)
        if not c:
            return data
        data += c
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        c = sock.recv(65536)
        if not c:
            break
        body += c
    return head + b"\r\n\r\n" + body


class Lifecycle(unittest.TestCase):
    def test_sigterm_finishes_in_flight_requests(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig), st.Server() as srv:
                s = srv.open_request("/api/compute/concurrent?width=4096&height=4096&max_iter="
                                     "65535&num_threads=1&time_limit_ms=1000")
                srv.wait_health(lambda d: d["renders"]["running"] == 1)
                srv.proc.send_signal(sig)
                self.assertTrue(srv.wait_log("stopped accepting connections"))
                with self.assertRaises(OSError):  # no new connections
                    socket.create_connection((srv.host, srv.port), timeout=5).close()
                s.settimeout(60 * st.SLOW)
                status, hdrs, body = st.split_raw(read_response(s))
                s.close()
                self.assertEqual(status, 200)
                self.assertEqual(hdrs.get("connection"), "close")
                doc = json.loads(body)
                tt.validate(doc)
                self.assertFalse(doc["summary"]["cancelled"])
                self.assertEqual(srv.stop(), 0)
                self.assertIn("tilerace serve: stopped", srv.log())

    def test_sigterm_deadline_cancels(self):
        with st.Server("--shutdown-timeout-ms", 300) as srv:
            s = srv.open_request(f"/api/compute/concurrent?{BIG}")
            srv.wait_health(lambda d: d["renders"]["running"] == 1)
            t0 = time.time()
            srv.proc.send_signal(signal.SIGTERM)
            s.settimeout(60 * st.SLOW)
            status, _, body = st.split_raw(read_response(s))
            s.close()
            self.assertEqual(srv.stop(), 0)
            self.assertLess(time.time() - t0, 30 * st.SLOW)
            self.assertEqual(status, 200)
            doc = json.loads(body)
            tt.validate(doc)
            self.assertTrue(doc["summary"]["cancelled"])
            self.assertRegex(doc["message"], r"^Completed \d+/4096 tiles \(cancelled\)$")
            self.assertIn("cancelling 1 requests still in progress", srv.log())

    def test_second_signal_cancels_at_once(self):
        with st.Server("--shutdown-timeout-ms", 600000) as srv:
            s = srv.open_request(f"/api/compute/concurrent?{BIG}")
            srv.wait_health(lambda d: d["renders"]["running"] == 1)
            srv.proc.send_signal(signal.SIGTERM)
            self.assertTrue(srv.wait_log("stopped accepting connections"))
            srv.proc.send_signal(signal.SIGINT)
            s.settimeout(60 * st.SLOW)
            status, _, body = st.split_raw(read_response(s))
            s.close()
            self.assertEqual(srv.stop(), 0)
            self.assertEqual(status, 200)
            self.assertTrue(json.loads(body)["summary"]["cancelled"])
            self.assertIn("not waiting any longer", srv.log())

    def test_connection_limit(self):
        with st.Server("--max-connections", 2) as srv:
            held = [srv.connection(), srv.connection()]
            for c in held:
                self.assertEqual(srv.request("/api/compute/health", conn=c)[0], 200)
            # a third connection waits in the listen queue, unanswered, while both are held
            third = socket.create_connection((srv.host, srv.port), timeout=10 * st.SLOW)
            third.sendall(b"GET /api/compute/health HTTP/1.1\r\nHost: " +
                          srv.host_header.encode() + b"\r\nConnection: close\r\n\r\n")
            third.settimeout(1.0)
            with self.assertRaises(socket.timeout):
                third.recv(1)
            # and is served once a slot is free
            held.pop().close()
            third.settimeout(30 * st.SLOW)
            self.assertEqual(st.parse_status(read_response(third)), 200)
            third.close()
            held[0].close()

    def test_open_file_limit(self):
        # soft 200, hard 300: raised to the hard limit when needed, connections lowered
        # when even that is too low
        def serve(max_connections):
            p = subprocess.Popen(
                [tt.BINARY, "serve", "--port", "0", "--max-connections", str(max_connections)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (200, 300)))
            try:
                self.assertIn(b"listening on", p.stdout.readline())
                with open(f"/proc/{p.pid}/limits") as f:
                    soft = next(int(line.split()[3]) for line in f
                                if line.startswith("Max open files"))
            finally:
                p.send_signal(signal.SIGTERM)
                _, err = p.communicate(timeout=30 * st.SLOW)
            self.assertEqual(p.returncode, 0)
            return soft, err.decode()
        soft, err = serve(100)
        self.assertEqual((soft, err.count("open files")), (200, 0))
        soft, err = serve(200)
        self.assertEqual((soft, err.count("open files")), (300, 0))
        soft, err = serve(1000)
        self.assertEqual(soft, 300)
        self.assertIn("tilerace serve: --max-connections 1000 needs 1064 open files and this "
                      "process may open 300: serving at most 236 connections", err)

    def test_idle_server_stops_at_once(self):
        with st.Server() as srv:
            conn = srv.connection()  # an idle kept-alive connection does not hold it up
            srv.request("/api/compute/health", conn=conn)
            t0 = time.time()
            self.assertEqual(srv.stop(), 0)
            self.assertLess(time.time() - t0, 10 * st.SLOW)
            conn.close()

    def test_port_in_use(self):
        with st.Server() as srv:
            p = subprocess.run([tt.BINARY, "serve", "--port", str(srv.port)],
                               capture_output=True, timeout=30 * st.SLOW)
            self.assertEqual(p.returncode, 4)
            self.assertEqual(p.stdout, b"")
            lines = p.stderr.decode().splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertEqual(lines[0], f"tilerace: serve: cannot listen on 127.0.0.1:{srv.port}: "
                                       "Address already in use")

    def test_ipv6_loopback(self):
        try:
            socket.socket(socket.AF_INET6).bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback here")
        with st.Server(bind="::1") as srv:
            self.assertTrue(srv.url.startswith("http://[::1]:"))
            self.assertEqual(srv.health()["status"], "ok")

    def test_binds_loopback_by_default(self):
        p = subprocess.Popen([tt.BINARY, "serve", "--port", "0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline().decode()
            self.assertRegex(line, r"^tilerace serve: listening on http://127\.0\.0\.1:\d+/$")
        finally:
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=30 * st.SLOW)
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
