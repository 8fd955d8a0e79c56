#!/usr/bin/env python3
"""Throughput of `tilerace serve` under wrk on loopback; writes build/bench/server-wrk.md, or
--out FILE (bench/results/server-wrk.md replaces the committed result).

    python3 bench/server_wrk.py [--binary build/tilerace] [--seconds 10] [--out FILE]

Scenarios: the health endpoint (HTTP overhead alone), a small frame (per-request cost), and
the default frame. For the small frame it also times the CLI, one process per frame,
to give the ratio of the two. The machine's load from other work shows in the figures: run
it on an idle machine for numbers worth comparing."""
import argparse
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))

SCENARIOS = [
    ("health", "/api/compute/health", []),
    ("small frame: 200x150, 50x50 tiles, max_iter 64, 2 threads",
     "/api/compute/concurrent?width=200&height=150&tile_w=50&tile_h=50&max_iter=64"
     "&num_threads=2", ["--width", "200", "--height", "150", "--tile-w", "50", "--tile-h", "50",
                        "--max-iter", "64", "--num-threads", "2"]),
    ("the default frame: 800x600, 64x64 tiles, max_iter 256, 4 threads",
     "/api/compute/concurrent", []),
]


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def cli_runs_per_s(binary, args, n=100):
    t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run([binary] + args, stdout=subprocess.DEVNULL, check=True)
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build", "tilerace"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "build", "bench", "server-wrk.md"))
    a = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    os.environ["TILERACE_BIN"] = os.path.abspath(a.binary)
    import server_test as st

    rows = []
    with st.Server("--max-renders", 2, "--max-queued", 64) as srv:
        for name, path, cli in SCENARIOS:
            url = srv.url.rstrip("/") + path
            st.run_wrk(url, seconds=2)  # warm-up
            rss0 = st.vm_rss_kib(srv.proc.pid)
            res = st.run_wrk(url, seconds=a.seconds)
            rss1 = st.vm_rss_kib(srv.proc.pid)
            rate = res["requests"] / (res["duration_us"] / 1e6)
            ratio = ""
            if cli:
                cli_rate = cli_runs_per_s(a.binary, cli)
                ratio = f"{rate / cli_rate:.1f} (CLI: {cli_rate:.0f} runs/s, one process each)"
            rows.append((name, res, rate, rss0, rss1, ratio))
        assert srv.stop() == 0

    with open(a.out, "w") as f:
        f.write("# `tilerace serve` under wrk (loopback)\n\n")
        f.write(f"Written by `python3 bench/server_wrk.py --seconds {a.seconds} --out "
                f"{os.path.relpath(a.out, os.path.join(HERE, '..'))}` on "
                f"{time.strftime('%Y-%m-%d')}: {cpu_model()}, {os.cpu_count()} CPUs (shared "
                "with wrk and with other work on the machine), plain build "
                "(RelWithDebInfo), server flags `--max-renders 2 --max-queued 64`.\n\n")
        f.write("| scenario | requests/s | p50 latency | p99 latency | answers | socket errors "
                "| server RSS before -> after | server vs CLI |\n|---|---|---|---|---|---|---|---|\n")
        for name, res, rate, rss0, rss1, ratio in rows:
            e = res["errors"]
            errs = e["connect"] + e["read"] + e["write"] + e["timeout"]
            answers = ", ".join(f"{n} x {s}" for s, n in sorted(res["statuses"].items()))
            f.write(f"| {name} | {rate:.0f} | {res['latency_p50_us'] / 1e3:.1f} ms | "
                    f"{res['latency_p99_us'] / 1e3:.1f} ms | {answers} | {errs} | "
                    f"{rss0} -> {rss1} KiB | {ratio} |\n")
        f.write("\nCommands (the port is the one the server picked):\n\n")
        for name, res, *_ in rows:
            f.write(f"- `{res['command'].replace(os.path.dirname(st.WRK_SCRIPT) + '/', 'tests/e2e/')}`\n")
    print(open(a.out).read())


if __name__ == "__main__":
    main()
