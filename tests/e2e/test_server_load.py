#!/usr/bin/env python3
"""Load test: wrk against a real server on loopback for a bounded time. Every answer must be
a 200 (or, where the server is told to turn work away, a 503), no connection may fail, the
server's memory must stay flat, and it must still stop cleanly (exit 0; under ASan, no leak)."""
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import server_test as st  # noqa: E402

PATH = ("/api/compute/concurrent?width=200&height=150&tile_w=50&tile_h=50&max_iter=64"
        "&num_threads=2")
SECONDS = 5
# RSS may grow by this much over a run after warm-up: allocator arenas and thread stacks
# settle during the warm-up; a leak of even 1 KiB a request would exceed it.
RSS_SLACK_KIB = 4096


def no_socket_errors(tc, res):
    e = res["errors"]
    tc.assertEqual((e["connect"], e["read"], e["write"], e["timeout"]), (0, 0, 0, 0),
                   res["text"])


class Load(unittest.TestCase):
    def setUp(self):
        if not shutil.which("wrk"):
            self.fail("wrk is missing: scripts/setup-debian.sh --tests installs it")

    def test_steady_load_all_answered_memory_flat(self):
        # enough queue places for every connection: nothing may be turned away
        with st.Server("--max-renders", 2, "--max-queued", 64) as srv:
            url = srv.url.rstrip("/") + PATH
            st.run_wrk(url, seconds=2)  # warm-up
            rss_before = st.vm_rss_kib(srv.proc.pid)
            res = st.run_wrk(url, seconds=SECONDS)
            rss_after = st.vm_rss_kib(srv.proc.pid)
            health = srv.wait_health(lambda d: d["renders"]["running"] == 0)
            self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        no_socket_errors(self, res)
        self.assertGreater(res["requests"], 0)
        self.assertEqual(set(res["statuses"]), {200}, res["statuses"])
        self.assertEqual(res["errors"]["status"], 0)
        self.assertEqual(health["renders"]["failed"], 0)
        self.assertEqual(health["renders"]["rejected"], 0)
        growth = rss_after - rss_before
        if not os.environ.get("TILERACE_SANITIZE"):
            self.assertLessEqual(growth, RSS_SLACK_KIB,
                                 f"RSS grew {rss_before} -> {rss_after} KiB")
        summary = {"requests": res["requests"], "seconds": res["duration_us"] / 1e6,
                   "requests_per_s": res["requests"] / (res["duration_us"] / 1e6),
                   "latency_p50_ms": res["latency_p50_us"] / 1e3,
                   "latency_p99_ms": res["latency_p99_us"] / 1e3,
                   "rss_kib_before": rss_before, "rss_kib_after": rss_after,
                   "command": res["command"]}
        print(json.dumps(summary))
        with open("server-load.json", "w") as f:  # in the test's working folder (the build)
            json.dump(summary, f, indent=1)

    def test_overload_gets_503_only(self):
        # one slot, one queue place, eight connections: the rest must be 503, nothing else
        with st.Server("--max-renders", 1, "--max-queued", 1) as srv:
            res = st.run_wrk(srv.url.rstrip("/") + PATH, seconds=3)
            health = srv.wait_health(lambda d: d["renders"]["running"] == 0)
            self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        no_socket_errors(self, res)
        self.assertLessEqual(set(res["statuses"]), {200, 503}, res["statuses"])
        self.assertGreater(res["statuses"].get(200, 0), 0)
        self.assertGreater(res["statuses"].get(503, 0), 0)
        # every 503 wrk saw is one the server counted (it may have sent more than wrk read)
        self.assertGreaterEqual(health["renders"]["rejected"], res["statuses"][503])


if __name__ == "__main__":
    unittest.main(verbosity=2)
