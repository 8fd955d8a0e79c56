#!/usr/bin/env python3
"""tilerace's head-to-head benchmark suite.

Runs devices (cpu, pocl, any GPU) x modes x kernels x precision x tile sizes x thread counts on
named workloads through `tilerace bench --json` (the built-in head-to-head, so there is one copy
of that logic), each configuration several times after a warm-up, and reports medians with
min and max: Giga-iterations/s, speed-up over the scalar kernel and over sequential measured in
the same run, the fraction of the ceiling micro-benchmark (measured several times, interleaved
with the runs), OpenCL per-tile overhead, load imbalance per mode, OpenCL build time and time to
the first tile, what --stream costs, whole-process wall time beside in-process elapsed time and
beside the bare renderer, the time-limit rule on OpenCL, and the server's request latency.

A row that cannot be trusted is flagged, never printed plain: a rate above the ceiling, or runs
whose min-max spread is above 20% of their median. The targets table says pass, FAIL or
flagged-unreliable for each target.

Writes a Markdown table to stdout, and CSV, JSON, Markdown and gnuplot plots under --out
(build/bench unless given; only `--out bench/results` replaces the committed results).

    bench/run_bench.py                         # the full suite, into build/bench/
    bench/run_bench.py --quick                 # a reduced suite, into build/bench/
    bench/run_bench.py --out bench/results     # the full suite, replacing the committed results
"""
import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "build", "bench")

WORKLOADS = {
    "800x600/256": (800, 600, 256),
    "1920x1080/1000": (1920, 1080, 1000),
    "4096x4096/256": (4096, 4096, 256),
}
DEFAULT_FRAME = "800x600/256"  # tilerace's defaults
TARGET_WORKLOAD = "1920x1080/1000"
PROCESS_WORKLOADS = ["1920x1080/1000", "4096x4096/256"]
# The heterogeneous table: the CPU path and one OpenCL device, each alone, then together in each
# of these modes (in order). A mode the binary does not know is left out, so a new one (steal)
# only needs its name here.
HETERO_MODES = ["concurrent", "dynamic", "steal"]

# A row whose runs spread wider than this (max - min over the median) is not trusted.
SPREAD_LIMIT = 0.20
# From this many runs on, the spread leaves out the fastest and the slowest run: the range of
# many runs widens with their number (one odd run in nine is likely on a shared VM), while
# their median hardly moves for it.
SPREAD_TRIM_FROM = 7
# ... nor a rate above the ceiling, which measures what the loop can do at most.
CEILING_LIMIT = 1.0
FLAG_NOTES = {
    "above-ceiling": "above 1.0x the median ceiling: the ceiling measures the most the loop can "
                     "do, so the machine was busier while the ceiling ran than during this row; "
                     "the ratio cannot be trusted",
    "wide-spread": f"min-max spread (from {SPREAD_TRIM_FROM} runs on, without the fastest and "
                   f"the slowest run) above {SPREAD_LIMIT:.0%} of the median: the runs disagree "
                   "(the machine was disturbed), so the median cannot be trusted",
    "checksum-differs": "tilerace bench found this row's frame differs from the other rows' "
                        "of its workload and precision (or between its runs): a wrong result",
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="reduced suite")
    ap.add_argument("--out", default=None,
                    help="folder for CSV, JSON, Markdown and plots [build/bench]; "
                         "bench/results replaces the committed results")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "tilerace"))
    ap.add_argument("--ceiling", default=None,
                    help="the ceiling program [tilerace-ceiling beside --binary]")
    ap.add_argument("--bare", default=None,
                    help="the bare renderer [tilerace-bare beside --binary]")
    ap.add_argument("--devices", default="auto",
                    help="comma-separated: cpu,pocl,gpu (auto: cpu plus every kind present)")
    ap.add_argument("--threads", default="auto",
                    help="comma-separated thread counts for the thread sweep (auto: 1,2,4.. nproc)")
    ap.add_argument("--repeats", type=int, default=0,
                    help="timed runs per configuration after one warm-up (default 3; the MPI "
                         "targets' comparisons take three times as many, at least 9)")
    ap.add_argument("--name", default="latest", help="base name of the result files [latest]")
    ap.add_argument("--hetero-only", action="store_true",
                    help="only the heterogeneous table (each device alone, then together)")
    ap.add_argument("--hetero-workload", default=TARGET_WORKLOAD,
                    help=f"its frame, WIDTHxHEIGHT/MAX_ITER [{TARGET_WORKLOAD}]")
    ap.add_argument("--hetero-lanes", type=int, default=0,
                    help="lanes of the OpenCL device in it, alone and together [the thread "
                         "count]")
    ap.add_argument("--only", choices=["mpi"], default=None,
                    help="only one section: mpi (tilerace-mpi against tilerace run, gathering, "
                         "the cluster counter), into NAME-mpi.{md,json,csv}")
    ap.add_argument("--peak-tflops", default="",
                    help="the GPU's datasheet peak, e.g. double=34,float=67 (TFLOP/s, an FMA "
                         "counted as 2): adds a peak-frame comparison at 8 flops per iteration")
    args = ap.parse_args(argv)
    args.out = args.out or DEFAULT_OUT
    here = os.path.dirname(os.path.abspath(args.binary))
    args.ceiling = args.ceiling or os.path.join(here, "tilerace-ceiling")
    args.bare = args.bare or os.path.join(here, "tilerace-bare")
    return args


# ---- statistics and flags: pure functions (tests/unit/test_bench_flags.py) ----

def stats(samples):
    """Median, min, max and the spread over the median of a list of numbers: max - min, from
    SPREAD_TRIM_FROM numbers on without the lowest and the highest (min and max stay the
    list's own)."""
    samples = sorted(samples)
    med = statistics.median(samples)
    kept = samples[1:-1] if len(samples) >= SPREAD_TRIM_FROM else samples
    lo, hi = kept[0], kept[-1]
    return dict(median=med, min=samples[0], max=samples[-1], n=len(samples),
                spread=(hi - lo) / med if med > 0 else (0.0 if hi == lo else float("inf")))


def flags_for(st, of_ceiling=None):
    """Why a row cannot be trusted (empty: it can): its spread, and its ratio to the ceiling."""
    flags = []
    if of_ceiling is not None and of_ceiling > CEILING_LIMIT:
        flags.append("above-ceiling")
    if st["spread"] > SPREAD_LIMIT:
        flags.append("wide-spread")
    return flags


def ceiling_summary(samples):
    """The ceiling from its interleaved samples: {precision: median, min-max, flags}."""
    out = {}
    for precision, runs in samples.items():
        if not runs:
            continue
        st = stats(r["giga_iterations_per_s"] for r in runs)
        out[precision] = dict(isa=runs[0].get("isa"), threads=runs[0].get("threads"),
                              giga_iterations_per_s=st["median"], gips_min=st["min"],
                              gips_max=st["max"], spread=st["spread"], samples=len(runs),
                              when=[r["when"] for r in runs], flags=flags_for(st))
    return out


def target_result(value, op, threshold, flags):
    """pass, FAIL, or flagged-unreliable when a measurement behind the value is flagged."""
    if flags:
        return "flagged-unreliable"
    ok = {">=": value >= threshold, "<=": value <= threshold, "<": value < threshold,
          "==": value == threshold}[op]
    return "pass" if ok else "FAIL"


def make_target(name, config, value, op, threshold, flags=()):
    flags = sorted(set(flags))
    ratio = value / threshold if threshold else None
    return dict(target=f"{name} ({op} {threshold:g})", config=config, value=value, op=op,
                threshold=threshold, ratio=ratio, flags=flags,
                result=target_result(value, op, threshold, flags))


def thread_points(rows):
    """The threads plot's series: {(device, mode): [(threads, speed-up over 1 thread)]}, only
    from measured rows; a series without a 1-thread row is left out (returned second)."""
    series, skipped = {}, []
    for dev, mode in sorted({(r["device"], r["mode"]) for r in rows}):
        pts = sorted((r["threads_used"], r["gips_median"]) for r in rows
                     if (r["device"], r["mode"]) == (dev, mode))
        one = next((g for t, g in pts if t == 1), None)
        if not one:
            skipped.append((dev, mode))
            continue
        series[(dev, mode)] = [(t, g / one) for t, g in pts]
    return series, skipped


def late_starts(doc, limit_ms):
    """Records that started at or after the time limit, and the latest start in ms."""
    starts = [r["start_time_us"] for r in doc["data"]]
    return sum(1 for s in starts if s >= limit_ms * 1000), (max(starts) / 1000 if starts else 0)


# ---- running things ----

class Runner:
    def __init__(self, args, nthreads, precisions):
        self.args = args
        self.binary = args.binary
        self.repeats = args.repeats or 3
        self.nthreads = nthreads
        self.precisions = precisions
        self.tmp = tempfile.mkdtemp(prefix="tilerace-bench-")
        self.rows = []
        self.ceiling_runs = {p: [] for p in precisions}

    def process(self, cmd, env=None, timeout=600):
        """Runs a whole process; returns (stdout bytes, wall ns from fork to exit)."""
        t0 = time.perf_counter_ns()
        p = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout)
        wall = time.perf_counter_ns() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()}")
        return p.stdout, wall

    def tilerace_timed(self, params, extra=(), env=None, launcher=None):
        """One tilerace run (launcher: the command before the options, tilerace-mpi under
        mpirun); returns (its document, whole-process wall ns)."""
        out = os.path.join(self.tmp, "run.json")
        cmd = (launcher or [self.binary]) + ["--out", out, "--time-limit-ms", "0", "--quiet"]
        for k, v in params.items():
            if k != "workload":  # a label, not an option
                cmd += ["--" + k.replace("_", "-"), str(v)]
        cmd += list(extra)
        _, wall = self.process(cmd, env=env)
        with open(out) as f:
            text = f.read()
        if "--stream" in extra:
            text = text.rstrip("\n").rsplit("\n", 1)[-1]  # the document is the last line
        return json.loads(text), wall

    def tilerace(self, params, env=None):
        return self.tilerace_timed(params, env=env)[0]

    def ceiling_sample(self, when):
        """One sample of the ceiling per precision, taken between other measurements."""
        if not os.access(self.args.ceiling, os.X_OK):
            return
        for precision in self.precisions:
            p = subprocess.run([self.args.ceiling, "--isa", "best", "--precision", precision,
                                "--threads", str(self.nthreads),
                                "--ms", "200" if self.args.quick else "500"],
                               capture_output=True, timeout=120)
            if p.returncode == 0:
                r = json.loads(p.stdout.decode().splitlines()[0])
                r["when"] = when
                self.ceiling_runs[precision].append(r)
                print(f"  ceiling    {precision:<6} {when:<28} {r['giga_iterations_per_s']:8.3f}"
                      " Giter/s", file=sys.stderr, flush=True)
            else:
                print(f"ceiling failed: {p.stderr.decode()}", file=sys.stderr)

    def measure(self, section, params, repeats=None):
        """One warm-up, then repeats timed runs; returns a result row."""
        repeats = repeats or self.repeats
        self.tilerace(params)
        timed = [self.tilerace_timed(params) for _ in range(repeats)]
        docs = [d for d, _ in timed]
        s0 = docs[0]["summary"]
        for d in docs:
            if d["summary"]["checksum"] != s0["checksum"]:
                raise RuntimeError(f"checksums differ between runs of {params}")
        gips = stats(d["summary"]["giga_iterations_per_s"] for d in docs)
        elapsed = stats(d["summary"]["elapsed_us"] / 1000 for d in docs)
        wall = stats(w / 1e6 for _, w in timed)
        imbalance = [load_imbalance(d) for d in docs]
        # a run of several devices: each one's median share of the frame and rate
        shares = {dv["selector"]: dict(
            frame_share=statistics.median(
                next(x for x in d["summary"]["devices"] if x["selector"] == dv["selector"])
                ["frame_share"] for d in docs),
            gips=statistics.median(
                next(x for x in d["summary"]["devices"] if x["selector"] == dv["selector"])
                ["giga_iterations_per_s"] for d in docs))
            for dv in s0.get("devices", [])}
        kernel_rate = [kernel_gips(d) for d in docs]
        row = dict(section=section, **params,
                   device_name=s0["device"]["name"], kernel_name=s0["device"]["kernel"],
                   threads_used=s0["threads_used"], tiles=s0["tiles_total"],
                   total_iterations=s0["total_iterations"], checksum=s0["checksum"],
                   runs=repeats,
                   gips_median=gips["median"], gips_min=gips["min"], gips_max=gips["max"],
                   gips_spread=gips["spread"],
                   elapsed_ms_median=elapsed["median"], elapsed_ms_min=elapsed["min"],
                   elapsed_ms_max=elapsed["max"], wall_ms_median=wall["median"],
                   imbalance_median=statistics.median(imbalance),
                   kernel_gips_median=(statistics.median(kernel_rate)
                                       if None not in kernel_rate else None),
                   build_ms=s0["device"]["build_time_us"] / 1000,
                   first_tile_ms=statistics.median(
                       d["summary"]["device"]["time_to_first_tile_us"] / 1000 for d in docs),
                   flags=flags_for(gips))
        if shares:
            row["device_shares"] = shares
        self.rows.append(row)
        print(f"  {section:<10} {params.get('device'):<6} {params.get('workload', ''):<15} "
              f"{row['kernel_name']:<22} {params.get('mode'):<10} tile {params.get('tile_w')}"
              f" threads {params.get('num_threads'):<3} {row['gips_median']:8.3f} Giter/s "
              f"({row['gips_min']:.3f}-{row['gips_max']:.3f})"
              f"{'  FLAGGED: ' + ', '.join(row['flags']) if row['flags'] else ''}",
              file=sys.stderr, flush=True)
        return row


    def bench(self, section, device, workload, kernels, modes, precisions, threads, tile=64):
        """Rows measured by `tilerace bench` (one warm-up, then the repeats, in one process):
        the built-in bench is the one copy of the head-to-head logic; this suite adds its own
        ceiling anchors, ratios and plots. 'wall' is bench's job_ms here: the render call with
        device set-up, timed in the process."""
        w, h, it = WORKLOADS[workload]
        cmd = [self.binary, "bench", "--device", device, "--workload", f"{w}x{h}/{it}/{tile}",
               "--kernel", ",".join(kernels), "--mode", ",".join(modes),
               "--precision", ",".join(precisions), "--threads", str(threads),
               "--runs", str(self.repeats), "--warmup", "1", "--json", "-"]
        out, _ = self.process(cmd)
        rows = []
        for b in json.loads(out)["results"]:
            if "error" in b:
                raise RuntimeError(f"tilerace bench {device} {workload} {b['kernel']}: "
                                   f"{b['error']}")
            g, e = b["giga_iterations_per_s"], b["elapsed_ms"]
            row = dict(section=section, device=device, workload=workload, width=w, height=h,
                       max_iter=it, tile_w=tile, tile_h=tile, mode=b["mode"], kernel=b["kernel"],
                       precision=b["precision"], num_threads=b["threads"],
                       device_name=b["device_name"], kernel_name=b["kernel_name"],
                       threads_used=b["threads_used"], tiles=b["tiles"],
                       total_iterations=b["total_iterations"], checksum=b["checksum"],
                       runs=b["runs"], gips_median=g["median"], gips_min=g["min"],
                       gips_max=g["max"], gips_spread=g["spread"],
                       elapsed_ms_median=e["median"], elapsed_ms_min=e["min"],
                       elapsed_ms_max=e["max"], wall_ms_median=b["job_ms"]["median"],
                       imbalance_median=b["imbalance"],
                       kernel_gips_median=b["kernel_giga_iterations_per_s"],
                       build_ms=b["build_ms"], first_tile_ms=b["first_tile_ms"],
                       bench_flags=b["flags"], flags=flags_for(dict(spread=g["spread"])))
            self.rows.append(row)
            rows.append(row)
            print(f"  {section:<10} {device:<6} {workload:<15} {row['kernel_name']:<22} "
                  f"{row['mode']:<10} tile {tile} threads {row['num_threads']:<3} "
                  f"{row['gips_median']:8.3f} Giter/s ({row['gips_min']:.3f}-"
                  f"{row['gips_max']:.3f})", file=sys.stderr, flush=True)
        return rows


def kernel_gips(doc):
    """OpenCL: Giga-iterations per second of kernel time, summed over the tiles (the rate of
    one lane's kernel, without the time between kernels); None without device times."""
    kernel_us = sum(r.get("device_time_us", 0) for r in doc["data"])
    if not doc["data"] or "device_time_us" not in doc["data"][0] or kernel_us <= 0:
        return None
    return doc["summary"]["total_iterations"] / kernel_us / 1000


def load_imbalance(doc):
    """The busiest thread's busy time over the mean busy time of the threads that ran."""
    busy = {}
    for r in doc["data"]:
        busy[r["thread_id"]] = busy.get(r["thread_id"], 0) + r["duration_us"]
    if not busy:
        return 1.0
    mean = sum(busy.values()) / len(busy)
    return max(busy.values()) / mean if mean > 0 else 1.0


def hetero_summary(alone, together):
    """The heterogeneous table's ratios: alone maps a device to its rate alone; together holds
    rows of the devices together ({mode, gips, imbalance, ...}). Each gets of_sum (its rate
    over the sum of the rates alone: 1.0 is perfect addition) and of_best (over the faster
    device alone)."""
    total = sum(alone.values())
    best = max(alone.values()) if alone else 0
    return [dict(r, of_sum=r["gips"] / total if total else None,
                 of_best=r["gips"] / best if best else None) for r in together]


def parse_workload(label):
    """'1920x1080/1000' -> (1920, 1080, 1000)."""
    size, it = label.split("/")
    w, h = size.split("x")
    return int(w), int(h), int(it)


def supported_modes(binary, modes):
    """The modes of modes that this tilerace accepts."""
    return [m for m in modes
            if subprocess.run([binary, "--mode", m, "--width", "8", "--height", "8", "--quiet",
                               "--out", os.devnull], capture_output=True,
                              timeout=60).returncode == 0]


def heterogeneous(run, others, label, cpu_lanes, other_lanes):
    """Each OpenCL kind of others beside the CPU path: both alone (dynamic), then together in
    each mode of HETERO_MODES the binary has."""
    w, h, it = parse_workload(label)
    modes = supported_modes(run.binary, HETERO_MODES)
    out = []
    for other in others:
        def params(device, mode, threads):
            return dict(device=device, workload=label, width=w, height=h, max_iter=it,
                        tile_w=64, tile_h=64, mode=mode, kernel="auto", precision="double",
                        num_threads=threads)
        alone_rows = {"cpu": run.measure("hetero", params("cpu", "dynamic", cpu_lanes)),
                      other: run.measure("hetero", params(other, "dynamic", other_lanes))}
        together = []
        for mode in modes:
            r = run.measure("hetero", params(f"cpu@{cpu_lanes},{other}@{other_lanes}", mode,
                                             cpu_lanes))
            together.append(dict(mode=mode, gips=r["gips_median"], gips_min=r["gips_min"],
                                 gips_max=r["gips_max"], imbalance=r["imbalance_median"],
                                 shares=r.get("device_shares", {}), flags=r["flags"]))
        alone = {d: r["gips_median"] for d, r in alone_rows.items()}
        out.append(dict(devices=f"cpu,{other}", workload=label, cpu_lanes=cpu_lanes,
                        other_lanes=other_lanes, alone=alone,
                        alone_flags=sorted({f for r in alone_rows.values() for f in r["flags"]}),
                        together=hetero_summary(alone, together),
                        rows=list(alone_rows.values())))
    return out


def hetero_flags_after_ceiling(hetero):
    """The alone rows' flags once derive() has judged them against the ceiling."""
    for t in hetero:
        rows = t.pop("rows")
        t["alone_flags"] = sorted({f for r in rows for f in r["flags"]})


def hetero_markdown(lines, hetero):
    for t in hetero:
        lines.append(f"## Several devices in one run: {t['devices']} on {t['workload']} "
                     f"(cpu {t['cpu_lanes']} lanes, the other {t['other_lanes']})\n")
        lines.append("Each device alone (dynamic), then both together: the combined rate "
                     "against the sum of the rates alone, each device's share of the frame, and "
                     "the load imbalance (busiest lane's busy time over the mean).\n")
        body = [f"| {d} alone | {fmt(g, 3)} | | | | | {flag_cell(t['alone_flags'])} |"
                for d, g in t["alone"].items()]
        for r in t["together"]:
            shares = ", ".join(f"{sel} {v['frame_share']:.0%}" for sel, v in r["shares"].items())
            body.append(f"| together, {r['mode']} | {fmt(r['gips'], 3)} ({fmt(r['gips_min'], 3)}"
                        f"-{fmt(r['gips_max'], 3)}) | {fmt(r['of_sum'])} | {fmt(r['of_best'])} | "
                        f"{shares} | {fmt(r['imbalance'])} | {flag_cell(r['flags'])} |")
        table(lines, ["run", "Giter/s", "of the sum alone", "of the faster alone",
                      "share of the frame", "load imbalance", "flags"],
              body, [t["alone_flags"]] + [r["flags"] for r in t["together"]])


def available_devices(binary):
    p = subprocess.run([binary, "devices", "--json"], capture_output=True, timeout=120)
    devs = json.loads(p.stdout)["devices"]
    kinds = ["cpu"]
    if any(d["platform"] == "Portable Computing Language" and d["type"] == "CPU" for d in devs):
        kinds.append("pocl")
    if any(d["type"] == "GPU" for d in devs):
        kinds.append("gpu")
    return kinds, devs


def frame_params(device, workload, mode="dynamic", threads=2, **more):
    w, h, it = WORKLOADS[workload]
    return dict(device=device, workload=workload, width=w, height=h, max_iter=it, tile_w=64,
                tile_h=64, mode=mode, kernel="auto", precision="double", num_threads=threads,
                **more)


def opencl_overhead(run, device, queue_depth):
    """Per-tile cost: 4096 tiny tiles at max_iter 1, one lane (elapsed over tiles, and the
    time beyond each tile's kernel time)."""
    params = dict(device=device, width=512, height=512, tile_w=8, tile_h=8, max_iter=1,
                  mode="sequential", num_threads=1, kernel="auto", precision="double",
                  queue_depth=queue_depth)
    docs = [run.tilerace(params) for _ in range(1 + run.repeats)][1:]
    per_tile = stats(d["summary"]["elapsed_us"] / len(d["data"]) for d in docs)
    extra = stats(statistics.mean(r["duration_us"] - r["device_time_us"] for r in d["data"])
                  for d in docs)
    return dict(device=device, queue_depth=queue_depth, tiles=len(docs[0]["data"]),
                us_per_tile_median=per_tile["median"], us_per_tile_min=per_tile["min"],
                us_per_tile_max=per_tile["max"],
                overhead_us_median=extra["median"], overhead_us_min=extra["min"],
                overhead_us_max=extra["max"], flags=flags_for(extra))


SCHEDULING_MODES = ("concurrent", "dynamic", "steal")


def scheduling_overhead(run, device):
    """What taking a tile costs per mode: 16384 4x4 tiles at max_iter 1 (a tile is a few
    nanoseconds of work), all threads; lane time per tile = elapsed x threads / tiles.
    concurrent takes the next tile of its own chunk (no shared state), dynamic one atomic
    add on a shared counter, steal a lock of its own range plus the steals at the end."""
    rows = []
    for mode in SCHEDULING_MODES:
        params = dict(device=device, width=512, height=512, tile_w=4, tile_h=4, max_iter=1,
                      mode=mode, num_threads=run.nthreads, kernel="auto", precision="double")
        docs = [run.tilerace(params) for _ in range(1 + run.repeats)][1:]
        per_tile = stats(d["summary"]["elapsed_us"] * d["summary"]["threads_used"] /
                         d["summary"]["tiles_total"] for d in docs)
        rows.append(dict(device=device, mode=mode, tiles=docs[0]["summary"]["tiles_total"],
                         threads=docs[0]["summary"]["threads_used"],
                         lane_us_per_tile_median=per_tile["median"],
                         lane_us_per_tile_min=per_tile["min"],
                         lane_us_per_tile_max=per_tile["max"],
                         steals_median=statistics.median(d["summary"].get("steals_total", 0)
                                                         for d in docs),
                         flags=flags_for(per_tile)))
        print(f"  schedule   {device:<6} {mode:<10} {per_tile['median']:.3f} lane-us/tile",
              file=sys.stderr, flush=True)
    return rows


def load_balance(run, device, workload=TARGET_WORKLOAD):
    """Load imbalance per mode on one device (busiest thread's busy time over the mean),
    with the rate and, in steal mode, the steals and the tiles rendered off their chunk."""
    rows = []
    for mode in SCHEDULING_MODES:
        params = frame_params(device, workload, mode, run.nthreads)
        docs = [run.tilerace(params) for _ in range(1 + run.repeats)][1:]
        imbalance = stats(load_imbalance(d) for d in docs)
        gips = stats(d["summary"]["giga_iterations_per_s"] for d in docs)
        rows.append(dict(device=device, workload=workload, mode=mode,
                         threads=docs[0]["summary"]["threads_used"],
                         imbalance_median=imbalance["median"], imbalance_min=imbalance["min"],
                         imbalance_max=imbalance["max"], gips_median=gips["median"],
                         steals_median=statistics.median(d["summary"].get("steals_total", 0)
                                                         for d in docs),
                         stolen_tiles_median=statistics.median(
                             sum(1 for r in d["data"] if r.get("stolen")) for d in docs),
                         tiles=docs[0]["summary"]["tiles_total"],
                         flags=flags_for(gips)))
        print(f"  balance    {device:<6} {workload:<15} {mode:<10} imbalance "
              f"{imbalance['median']:.3f}, {gips['median']:.3f} Giter/s",
              file=sys.stderr, flush=True)
    return rows


def first_tile(run, device):
    """Program build with a cold and a warm kernel cache, and time to the first tile (the
    JSON's summary.device.time_to_first_tile_us: from the job's start, set-up included)."""
    params = dict(device=device, width=800, height=600, max_iter=256, num_threads=2)
    out = dict(device=device)
    if device != "cpu":
        cold_dir = tempfile.mkdtemp(prefix="tilerace-cold-cache-")
        env = dict(os.environ, POCL_CACHE_DIR=cold_dir, CUDA_CACHE_DISABLE="1")
        cold = run.tilerace(params, env=env)["summary"]["device"]
        shutil.rmtree(cold_dir, ignore_errors=True)
        out.update(cold_build_ms=cold["build_time_us"] / 1000,
                   cold_warmup_ms=cold.get("warmup_time_us", 0) / 1000,
                   cold_first_tile_ms=cold["time_to_first_tile_us"] / 1000)
    warm = [run.tilerace(params)["summary"]["device"] for _ in range(1 + run.repeats)][1:]
    ft = stats(w["time_to_first_tile_us"] / 1000 for w in warm)
    out.update(warm_build_ms=statistics.median(w["build_time_us"] / 1000 for w in warm),
               warm_warmup_ms=statistics.median(w.get("warmup_time_us", 0) / 1000 for w in warm),
               warm_first_tile_ms=ft["median"], warm_first_tile_min=ft["min"],
               warm_first_tile_max=ft["max"], flags=flags_for(ft))
    return out


def stream_overhead(run, device, workload, mode):
    """elapsed_us with and without --stream, runs interleaved in the same process order."""
    params = frame_params(device, workload, mode, run.nthreads)
    run.tilerace(params)
    run.tilerace_timed(params, extra=["--stream"])
    plain, streamed = [], []
    for _ in range(run.repeats):
        plain.append(run.tilerace(params)["summary"]["elapsed_us"] / 1000)
        streamed.append(run.tilerace_timed(params, extra=["--stream"])[0]["summary"]
                        ["elapsed_us"] / 1000)
    p, s = stats(plain), stats(streamed)
    row = dict(device=device, workload=workload, mode=mode, threads=run.nthreads,
               plain_ms=p["median"], plain_min=p["min"], plain_max=p["max"],
               stream_ms=s["median"], stream_min=s["min"], stream_max=s["max"],
               ratio=s["median"] / p["median"], flags=sorted(set(flags_for(p) + flags_for(s))))
    print(f"  stream     {device:<6} {workload:<15} {mode:<10} {p['median']:.1f} ms, --stream "
          f"{s['median']:.1f} ms ({row['ratio']:.2f}x)", file=sys.stderr, flush=True)
    return row


def whole_process(run, device, workload, golden):
    """Whole-process wall time (fork to exit) beside in-process elapsed_us; on the CPU path,
    also the bare renderer on the same frame, runs interleaved."""
    params = frame_params(device, workload, "dynamic", run.nthreads)
    w, h, it = WORKLOADS[workload]
    bare_cmd = [run.args.bare, "--width", str(w), "--height", str(h), "--max-iter", str(it),
                "--tile-w", "64", "--tile-h", "64", "--threads", str(run.nthreads)]
    with_bare = device == "cpu" and os.access(run.args.bare, os.X_OK)
    run.tilerace(params)
    if with_bare:
        run.process(bare_cmd)
    walls, elapsed, bare_walls, bare_elapsed, bare_sums = [], [], [], [], set()
    doc = None
    for _ in range(run.repeats):
        doc, wall = run.tilerace_timed(params)
        walls.append(wall / 1e6)
        elapsed.append(doc["summary"]["elapsed_us"] / 1000)
        if with_bare:
            out, bwall = run.process(bare_cmd)
            b = json.loads(out)
            bare_walls.append(bwall / 1e6)
            bare_elapsed.append(b["elapsed_us"] / 1000)
            bare_sums.add(b["checksum"])
    s = doc["summary"]
    wst, est = stats(walls), stats(elapsed)
    row = dict(device=device, workload=workload, threads=run.nthreads,
               checksum=s["checksum"], total_iterations=s["total_iterations"],
               wall_ms=wst["median"], wall_min=wst["min"], wall_max=wst["max"],
               elapsed_ms=est["median"], elapsed_min=est["min"], elapsed_max=est["max"],
               wall_over_elapsed=wst["median"] / est["median"],
               process_gips=s["total_iterations"] / (wst["median"] * 1e6),
               flags=sorted(set(flags_for(wst) + flags_for(est))),
               golden=golden.get((w, h, it)))
    if row["golden"] and s["checksum"] != "fnv1a64:" + row["golden"]:
        raise RuntimeError(f"tilerace {device} {workload}: checksum {s['checksum']} is not the "
                           f"golden fnv1a64:{row['golden']}")
    if with_bare:
        if bare_sums != {s["checksum"]}:
            raise RuntimeError(f"{workload}: the bare renderer's checksum {sorted(bare_sums)} is "
                               f"not tilerace's {s['checksum']}")
        bst, bel = stats(bare_walls), stats(bare_elapsed)
        row.update(bare_wall_ms=bst["median"], bare_wall_min=bst["min"],
                   bare_wall_max=bst["max"], bare_elapsed_ms=bel["median"],
                   vs_bare=bst["median"] / wst["median"],
                   bare_flags=flags_for(bst))
    print(f"  process    {device:<6} {workload:<15} wall {wst['median']:.1f} ms, elapsed "
          f"{est['median']:.1f} ms" + (f", bare wall {row['bare_wall_ms']:.1f} ms"
                                       if with_bare else ""), file=sys.stderr, flush=True)
    return row


def time_limit_rule(run, device):
    """The issue's case: 800x600, max_iter 20000, limit 100 ms, default lanes and depth."""
    limit_ms = 100
    params = dict(device=device, width=800, height=600, max_iter=20000, mode="dynamic",
                  num_threads=run.nthreads)
    late, latest, elapsed, tiles = [], [], [], []
    for _ in range(1 + run.repeats):
        out = os.path.join(run.tmp, "limit.json")
        cmd = [run.binary, "--out", out, "--quiet", "--time-limit-ms", str(limit_ms)]
        for k, v in params.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        run.process(cmd)
        with open(out) as f:
            doc = json.load(f)
        n, last = late_starts(doc, limit_ms)
        late.append(n)
        latest.append(last)
        elapsed.append(doc["summary"]["elapsed_us"] / 1000)
        tiles.append(len(doc["data"]))
    late, latest, elapsed, tiles = late[1:], latest[1:], elapsed[1:], tiles[1:]
    return dict(device=device, limit_ms=limit_ms, threads=run.nthreads,
                queue_depth=doc["params"].get("queue_depth"),
                late_total=sum(late), late_max=max(late), runs=len(late),
                latest_start_ms=max(latest), elapsed_ms=statistics.median(elapsed),
                tiles_median=statistics.median(tiles))


def server_latency(run, device):
    """`tilerace serve` on a free port: each request timed end to end (fresh connection) and
    set against its own elapsed_us; the first request apart; plain JSON and the event stream
    interleaved."""
    os.environ["TILERACE_BIN"] = os.path.abspath(run.binary)
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    import server_test as st

    query = (f"width=800&height=600&max_iter=256&tile_w=64&tile_h=64&num_threads={run.nthreads}"
             f"&device={device}&time_limit_ms=60000")

    def timed(srv, path, sse):
        t0 = time.perf_counter_ns()
        status, _, body = srv.request(path)
        wall = (time.perf_counter_ns() - t0) / 1e6
        if status != 200:
            raise RuntimeError(f"serve {path}: HTTP {status}: {body[:200]!r}")
        if sse:
            data = body.decode().split("event: complete\ndata: ", 1)[1].split("\n", 1)[0]
            doc = json.loads(data)
        else:
            doc = json.loads(body)
        return wall, doc["summary"]["elapsed_us"] / 1000

    n = max(5, 3 * run.repeats)
    with st.Server("--max-renders", 2) as srv:
        first_wall, first_elapsed = timed(srv, "/api/compute/dynamic?" + query, False)
        walls, beyond, plain_el, sse_el = [], [], [], []
        for _ in range(n):
            w, e = timed(srv, "/api/compute/dynamic?" + query, False)
            walls.append(w)
            beyond.append(w - e)
            plain_el.append(e)
            sse_el.append(timed(srv, "/api/compute/dynamic/stream?" + query, True)[1])
        srv.stop()
    bst, pst, sst = stats(beyond), stats(plain_el), stats(sse_el)
    row = dict(device=device, requests=n, first_wall_ms=first_wall,
               first_elapsed_ms=first_elapsed, first_beyond_ms=first_wall - first_elapsed,
               wall_ms=statistics.median(walls), beyond_ms=bst["median"],
               beyond_min=bst["min"], beyond_max=bst["max"],
               plain_elapsed_ms=pst["median"], sse_elapsed_ms=sst["median"],
               sse_ratio=sst["median"] / pst["median"],
               flags=flags_for(bst), sse_flags=sorted(set(flags_for(pst) + flags_for(sst))))
    print(f"  server     {device:<6} first {first_wall:.1f} ms (render {first_elapsed:.1f}), "
          f"then {bst['median']:.2f} ms beyond the render; SSE {row['sse_ratio']:.2f}x",
          file=sys.stderr, flush=True)
    return row


# ---- MPI: tilerace-mpi across ranks (skipped, with a note, without mpirun or tilerace-mpi) ----

# mpirun binds a lone rank to one core by default, which would put both of its lanes on that
# core: every launch here leaves placement to tilerace-mpi (it pins its lanes by local rank).
MPI_LAUNCH = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
MPI_LANES = 2          # both sides of each ratio: 2 lanes in all
MPI_RANKS = [1, 2, 3]  # the gather and counter tables
MPI_GATHER_FRAME = (4096, 4096, 1)  # 32 MiB of counts, next to nothing to render
MPI_COUNTER_FRAME = (512, 512, 4)   # 16384 tiles of 4x4 at max_iter 1: the counter's rate
MPI_COUNTER_THREADS = [1, 2]
MPI_COMPARE_MIN_REPEATS = 9  # timed runs a side of each target's comparison
COUNT_BYTES = 2  # a pixel's count in the frame rank 0 assembles (uint16)


def mpi_tools(args):
    """{mpirun, mpi, counter} for the MPI section, or a note saying why it is skipped."""
    here = os.path.dirname(os.path.abspath(args.binary))
    mpirun = shutil.which("mpirun")
    mpi = os.path.join(here, "tilerace-mpi")
    counter = os.path.join(here, "tilerace-mpi-counter")
    if not mpirun:
        return None, "no mpirun on PATH (Debian: openmpi-bin)"
    if not os.access(mpi, os.X_OK):
        return None, (f"no {mpi} (it is built where the Open MPI development files are: "
                      "libopenmpi-dev, `scripts/setup-debian.sh --tests`)")
    return dict(mpirun=mpirun, mpi=mpi,
                counter=counter if os.access(counter, os.X_OK) else None), None


def mpi_launcher(tools, ranks):
    return [tools["mpirun"], *MPI_LAUNCH, "-np", str(ranks), tools["mpi"]]


def mpi_side_run(run, tools, ranks, params):
    """ranks 0: `tilerace run` in one process; else tilerace-mpi over that many ranks."""
    if not ranks:
        return run.tilerace_timed(params)
    return run.tilerace_timed(params, launcher=mpi_launcher(tools, ranks))


def mpi_row(section, label, ranks, params, timed):
    """A row of the MPI tables from its timed runs [(document, wall ns)]: the in-process rate
    and elapsed time, the whole process (mpirun's launch included) and gather_us."""
    docs = [d for d, _ in timed]
    s0 = docs[0]["summary"]
    if len({d["summary"]["checksum"] for d in docs}) != 1:
        raise RuntimeError(f"checksums differ between runs of {label} {params}")
    gips = stats(d["summary"]["giga_iterations_per_s"] for d in docs)
    elapsed = stats(d["summary"]["elapsed_us"] / 1000 for d in docs)
    wall = stats(w / 1e6 for _, w in timed)
    gathers = [d["summary"].get("gather_us") for d in docs]
    gather = stats(g / 1000 for g in gathers) if None not in gathers else None
    tile_rate = stats(d["summary"]["tiles_completed"] / (d["summary"]["elapsed_us"] / 1e6)
                      for d in docs if d["summary"]["elapsed_us"] > 0) \
        if all(d["summary"]["elapsed_us"] > 0 for d in docs) else None
    # what the other ranks sent rank 0 (their tiles' records and counts) and their output
    # threads' time sending it, while the run lasted
    moved = [sum(k["sent_bytes"] for k in d["summary"]["ranks"]) for d in docs
             if "ranks" in d["summary"]]
    send = [sum(k["send_us"] for k in d["summary"]["ranks"]) / 1000 for d in docs
            if "ranks" in d["summary"]]
    row = dict(section=section, label=label, ranks=ranks or None, device="cpu",
               workload=params.get("workload") or f"{params['width']}x{params['height']}/"
                                                  f"{params['max_iter']}",
               width=params["width"], height=params["height"], max_iter=params["max_iter"],
               tile_w=params["tile_w"], tile_h=params["tile_h"], mode=params["mode"],
               kernel=params.get("kernel", "auto"), precision=params.get("precision", "double"),
               num_threads=params["num_threads"], threads_used=s0["threads_used"],
               tiles=s0["tiles_total"], total_iterations=s0["total_iterations"],
               checksum=s0["checksum"], runs=len(docs),
               gips_median=gips["median"], gips_min=gips["min"], gips_max=gips["max"],
               gips_spread=gips["spread"], elapsed_ms_median=elapsed["median"],
               elapsed_ms_min=elapsed["min"], elapsed_ms_max=elapsed["max"],
               wall_ms_median=wall["median"], wall_ms_min=wall["min"], wall_ms_max=wall["max"],
               process_gips=s0["total_iterations"] / (wall["median"] * 1e6),
               gather_ms_median=gather and gather["median"], gather_ms_min=gather and gather["min"],
               gather_ms_max=gather and gather["max"],
               moved_bytes=statistics.median(moved) if moved else None,
               send_ms_median=statistics.median(send) if send else None,
               tiles_per_s_median=tile_rate and tile_rate["median"],
               tiles_per_s_min=tile_rate and tile_rate["min"],
               tiles_per_s_max=tile_rate and tile_rate["max"])
    watched = [gips, wall] + ([gather] if gather else []) + ([tile_rate] if tile_rate else [])
    row["flags"] = sorted({f for st in watched for f in flags_for(st)})
    # what a ratio of rates, or of whole processes, can trust of this row
    row["rate_flags"] = flags_for(gips)
    row["wall_flags"] = flags_for(wall)
    # the CSV's common columns: the section's own figure as rate_*
    if section == "mpi-counter" and tile_rate:
        row.update(rate_median=tile_rate["median"], rate_min=tile_rate["min"],
                   rate_max=tile_rate["max"], rate_unit="tiles/s")
    elif section == "mpi-gather" and gather:
        row.update(rate_median=gather["median"], rate_min=gather["min"], rate_max=gather["max"],
                   rate_unit="gather ms")
    print(f"  mpi        {label:<22} {row['workload']:<15} {gips['median']:8.3f} Giter/s "
          f"({gips['min']:.3f}-{gips['max']:.3f}), elapsed {elapsed['median']:.1f} ms, wall "
          f"{wall['median']:.1f} ms" + (f", gather {gather['median']:.1f} ms" if gather else "")
          + (f", {tile_rate['median']:.0f} tiles/s" if tile_rate else "")
          + (f"  FLAGGED: {', '.join(row['flags'])}" if row["flags"] else ""),
          file=sys.stderr, flush=True)
    return row


def mpi_interleaved(run, tools, section, sides, repeats=None):
    """sides: [(label, ranks, params)]; one warm-up each, then the repeats (run.repeats unless
    given), the sides taking turns; returns their rows."""
    timed = {label: [] for label, _, _ in sides}
    for i in range(1 + (repeats or run.repeats)):
        for label, ranks, params in sides:
            result = mpi_side_run(run, tools, ranks, params)
            if i:
                timed[label].append(result)
    return [mpi_row(section, label, ranks, params, timed[label])
            for label, ranks, params in sides]


def mpi_ratio(name, workload, over, under, threshold):
    """A side-by-side ratio of two rows of one run: the in-process rates (the target, flagged
    by the rates' spreads) and the whole processes' rates beside (flagged by the wall times').
    A row's other figures (gather, tiles per second) do not enter either ratio."""
    return dict(name=name, workload=workload, over=over["label"], under=under["label"],
                ratio=over["gips_median"] / under["gips_median"],
                process_ratio=under["wall_ms_median"] / over["wall_ms_median"],
                threshold=threshold, flags=sorted(set(over["rate_flags"] + under["rate_flags"])),
                process_flags=sorted(set(over["wall_flags"] + under["wall_flags"])))


def mpi_compare_repeats(run):
    """The targets compare rates a few percent apart on a machine whose runs spread by 10% and
    more (two processes on two cores): the median of 3 runs a side moves more than that, so
    these sides take at least 9 runs each."""
    return max(MPI_COMPARE_MIN_REPEATS, 3 * run.repeats)


def mpi_compare(run, tools, workload, golden):
    """tilerace run with 2 threads, tilerace-mpi with 1 rank x 2 lanes and 2 ranks x 1 lane on
    one frame (dynamic, 64x64 tiles, double, no time limit), runs interleaved."""
    sides = [("tilerace run, 2 threads", 0, frame_params("cpu", workload, "dynamic", 2)),
             ("1 rank x 2 lanes", 1, frame_params("cpu", workload, "dynamic", 2)),
             ("2 ranks x 1 lane", 2, frame_params("cpu", workload, "dynamic", 1))]
    rows = mpi_interleaved(run, tools, "mpi-rate", sides, mpi_compare_repeats(run))
    sums = {r["checksum"] for r in rows}
    want = golden.get(WORKLOADS[workload])
    if len(sums) != 1 or (want and sums != {"fnv1a64:" + want}):
        raise RuntimeError(f"{workload}: checksums {sorted(sums)} differ between tilerace and "
                           f"tilerace-mpi (or from the golden {want})")
    one, mpi1, mpi2 = rows
    ratios = [mpi_ratio("1 rank x 2 lanes / tilerace run, 2 threads", workload, mpi1, one, 0.95),
              mpi_ratio("2 ranks x 1 lane / 1 rank x 2 lanes", workload, mpi2, mpi1, 0.9)]
    return rows, ratios


def mpi_gather(run, tools):
    """A 4096x4096 frame gathered at rank 0 from 1, 2, 3 ranks (concurrent: each rank renders
    one contiguous part; max_iter 1, so little else happens)."""
    w, h, it = MPI_GATHER_FRAME
    params = dict(width=w, height=h, max_iter=it, tile_w=64, tile_h=64, mode="concurrent",
                  kernel="auto", precision="double", num_threads=1)
    return mpi_interleaved(run, tools, "mpi-gather",
                           [(f"{n} rank{'s' if n > 1 else ''} x 1 lane", n, params)
                            for n in MPI_RANKS])


def mpi_counter_tiles(run, tools):
    """The dynamic counter's tiles per second with tiny tiles: tilerace-mpi over 1, 2, 3 ranks
    of 1 lane, beside tilerace run's in-process counter with 1 and 2 threads."""
    w, h, tile = MPI_COUNTER_FRAME

    def params(lanes):
        return dict(width=w, height=h, max_iter=1, tile_w=tile, tile_h=tile, mode="dynamic",
                    kernel="auto", precision="double", num_threads=lanes)
    sides = [(f"tilerace run, {t} thread{'s' if t > 1 else ''}", 0, params(t)) for t in (1, 2)]
    sides += [(f"{n} rank{'s' if n > 1 else ''} x 1 lane", n, params(1)) for n in MPI_RANKS]
    return mpi_interleaved(run, tools, "mpi-counter", sides)


def mpi_counter_schemes(run, tools, numbers):
    """tilerace-mpi-counter: MPI_Fetch_and_op on a window at rank 0 against a master thread
    answering requests, side by side in each run, for each ranks x threads; then with rank 0
    only handing out (--no-rank0-lanes), where every number crosses between processes."""
    configs = [(r, t, True) for r in MPI_RANKS for t in MPI_COUNTER_THREADS]
    configs += [(r, 1, False) for r in MPI_RANKS if r > 1]
    rows = []
    for ranks, threads, rank0_lanes in configs:
        cmd = [tools["mpirun"], *MPI_LAUNCH, "-np", str(ranks), tools["counter"],
               "--numbers", str(numbers), "--threads", str(threads),
               "--repeats", str(run.repeats)] + ([] if rank0_lanes else ["--no-rank0-lanes"])
        out, _ = run.process(cmd)
        doc = json.loads(out.decode().strip().splitlines()[-1])
        for sch in doc["schemes"]:
            st, rst = sch["numbers_per_s"], sch["remote_numbers_per_s"]
            row = dict(section="mpi-schemes", scheme=sch["scheme"], ranks=ranks,
                       num_threads=threads, rank0_lanes=doc["rank0_lanes"], lanes=doc["lanes"],
                       numbers=doc["numbers"], runs=doc["repeats"], rate_median=st["median"],
                       rate_min=st["min"], rate_max=st["max"], rate_spread=st["spread"],
                       rate_unit="numbers/s", remote_median=rst["median"],
                       remote_min=rst["min"], remote_max=rst["max"],
                       remote_lane_us=sch["remote_lane_us_per_number"],
                       flags=flags_for(dict(spread=st["spread"])))
            rows.append(row)
            print(f"  counter    {sch['scheme']:<13} {ranks} ranks x {threads} threads"
                  f"{'' if rank0_lanes else ' (rank 0 hands out only)'} {st['median']:12.0f} "
                  f"numbers/s ({st['min']:.0f}-{st['max']:.0f})"
                  + (f"  FLAGGED: {', '.join(row['flags'])}" if row["flags"] else ""),
                  file=sys.stderr, flush=True)
    return rows


def mpi_section(run, args, golden):
    """Everything the MPI section measures, or {'skipped': why}."""
    tools, note = mpi_tools(args)
    if note:
        print(f"MPI section skipped: {note}", file=sys.stderr)
        return dict(skipped=note)
    out = dict(launch=" ".join(["mpirun", *MPI_LAUNCH, "-np", "N"]), rates=[], ratios=[])
    for workload in PROCESS_WORKLOADS:
        rows, ratios = mpi_compare(run, tools, workload, golden)
        out["rates"] += rows
        out["ratios"] += ratios
    out["gather"] = mpi_gather(run, tools)
    out["counter"] = mpi_counter_tiles(run, tools)
    if tools["counter"]:
        out["schemes"] = mpi_counter_schemes(run, tools, 50000 if args.quick else 200000)
    else:
        out["schemes"] = []
        out["schemes_skipped"] = "no tilerace-mpi-counter beside --binary"
    return out


def mpi_targets(mpi):
    return [make_target(r["name"], f"{r['workload']}, dynamic, 64x64 tiles", r["ratio"], ">=",
                        r["threshold"], r["flags"]) for r in (mpi or {}).get("ratios", [])]


def mpi_csv_rows(mpi):
    mpi = mpi or {}
    return mpi.get("rates", []) + mpi.get("gather", []) + mpi.get("counter", []) + \
        mpi.get("schemes", [])


def mpi_markdown(lines, mpi):
    if not mpi:
        return
    lines.append("## MPI: tilerace-mpi across ranks\n")
    if "skipped" in mpi:
        lines.append(f"Skipped: {mpi['skipped']}.\n")
        return
    lines.append(f"Every tilerace-mpi run is `{mpi['launch']} tilerace-mpi`, the options as "
                 "`tilerace run`'s, `--time-limit-ms 0`; the sides of each comparison run "
                 "interleaved after one warm-up each (the rates of the targets' comparisons: "
                 f"{mpi['rates'][0]['runs'] if mpi.get('rates') else '-'} timed runs a side, "
                 "the other tables: the run's repeats). Wall: the whole process from fork to exit "
                 "(mpirun's launch of the ranks included); elapsed: the run's own elapsed_us; "
                 "gather: summary.gather_us (from the ranks' end to rank 0 holding the frame: "
                 "the tiles still on their way, the ranks' totals, the sum and hash of the "
                 "frame; the tiles themselves reach rank 0 while the run lasts).\n")
    lines.append("### Ratios (in-process rate, whole-process rate beside)\n")
    lines.append("A rate ratio is flagged by the spreads of the two rates it divides, a "
                 "whole-process ratio by those of the two wall times; a row's other figures "
                 "(gather, tiles per second) flag only that row in the tables below.\n")
    table(lines, ["comparison", "workload", "rate ratio", "target", "rate ratio flags",
                  "whole-process ratio", "whole-process flags"],
          [f"| {r['name']} | {r['workload']} | {r['ratio']:.3f} | >= {r['threshold']} | "
           f"{flag_cell(r['flags'])} | {r['process_ratio']:.3f} | "
           f"{flag_cell(r['process_flags'])} |" for r in mpi["ratios"]],
          [r["flags"] + r["process_flags"] for r in mpi["ratios"]])

    def rate_rows(rows, extra):
        return [f"| {r['label']} | {r['workload']} | {r['mode']} | {r['tile_w']} | "
                f"{r['threads_used']} | {r['gips_median']:.3f} ({r['gips_min']:.3f}-"
                f"{r['gips_max']:.3f}) | {r['elapsed_ms_median']:.1f} | "
                f"{r['wall_ms_median']:.1f} ({r['wall_ms_min']:.1f}-{r['wall_ms_max']:.1f}) | "
                f"{fmt(r['gather_ms_median'], 1)} | {extra(r)} | {flag_cell(r['flags'])} |"
                for r in rows]
    head = ["run", "frame", "mode", "tile", "lanes", "Giter/s median (min-max)", "elapsed ms",
            "wall ms median (min-max)", "gather ms"]
    lines.append("### Rates (dynamic, 64x64 tiles, double, 2 lanes in all)\n")
    table(lines, head + ["Giter/s of wall time", "flags"],
          rate_rows(mpi["rates"], lambda r: f"{r['process_gips']:.2f}"),
          [r["flags"] for r in mpi["rates"]])
    lines.append("### Gathering a 4096x4096 frame at rank 0 (max_iter 1, concurrent, 1 lane a "
                 "rank)\n")
    lines.append("Moved: what the other ranks sent rank 0 while the run lasted (summary.ranks' "
                 f"sent_bytes: each tile's counts, {COUNT_BYTES} bytes a pixel, and record); "
                 "send ms: their output threads' time sending it (send_us); MB/s: moved over "
                 "the run's elapsed time. With 1 rank nothing moves and gather is rank 0's sum "
                 "and hash of the frame alone.\n")

    def moved(r):
        if r["moved_bytes"] is None:
            return "- | - | -"
        mb = r["moved_bytes"] / 1e6
        rate = mb / (r["elapsed_ms_median"] / 1000) if r["elapsed_ms_median"] else None
        return (f"{mb:.1f} | {fmt(r['send_ms_median'], 1)} | "
                f"{fmt(rate, 0) if r['moved_bytes'] else '-'}")
    table(lines, head + ["moved MB", "send ms", "MB/s", "flags"],
          rate_rows(mpi["gather"], moved), [r["flags"] for r in mpi["gather"]])
    lines.append("### The dynamic counter with tiny tiles (512x512 in 4x4 tiles, max_iter 1)\n")
    lines.append("Tiles per second: tiles_completed over elapsed; tilerace-mpi's lanes take "
                 "each tile with one MPI_Fetch_and_op on rank 0's window, tilerace run's with "
                 "one atomic add in the process.\n")
    table(lines, head + ["tiles/s median (min-max)", "flags"],
          rate_rows(mpi["counter"], lambda r: f"{fmt(r['tiles_per_s_median'], 0)} "
                    f"({fmt(r['tiles_per_s_min'], 0)}-{fmt(r['tiles_per_s_max'], 0)})"),
          [r["flags"] for r in mpi["counter"]])
    if mpi.get("schemes"):
        lines.append("### Counter schemes side by side (tilerace-mpi-counter)\n")
        lines.append("fetch_and_op: each lane takes a number with MPI_Fetch_and_op(MPI_SUM) and "
                     "a flush on an int64 in a window at rank 0 (what tilerace-mpi does); master: "
                     "a thread at rank 0 answers each other rank's lane's MPI_Sendrecv request, "
                     "and rank 0's own lanes take from the same counter with an atomic add (a "
                     "lane messaging a thread of its own process costs milliseconds in Open MPI "
                     "4.1). Numbers handed out per second over the whole cluster; taken by ranks "
                     "1..: the part that crossed between processes (rank 0's local lanes can "
                     "take nearly all of a master's numbers); rank 0's lanes 0: rank 0 only "
                     "hands out, so every number crosses. Remote lane us per number: one other "
                     "rank's lane's time per number (its round trip).\n")
        table(lines, ["scheme", "ranks", "threads a rank", "rank 0's lanes", "numbers",
                      "numbers/s median (min-max)", "taken by ranks 1.. /s",
                      "remote lane us per number", "flags"],
              [f"| {r['scheme']} | {r['ranks']} | {r['num_threads']} | {r['rank0_lanes']} | "
               f"{r['numbers']} | {r['rate_median']:.0f} ({r['rate_min']:.0f}-"
               f"{r['rate_max']:.0f}) | {r['remote_median']:.0f} | {fmt(r['remote_lane_us'])} | "
               f"{flag_cell(r['flags'])} |" for r in mpi["schemes"]],
              [r["flags"] for r in mpi["schemes"]])
    elif mpi.get("schemes_skipped"):
        lines.append(f"Counter schemes: skipped ({mpi['schemes_skipped']}).\n")


def mpi_only(args, run):
    """--only mpi: the MPI section alone, into NAME-mpi.{md,json,csv}."""
    t0 = time.time()
    mpi = mpi_section(run, args, read_golden())
    targets_ = mpi_targets(mpi)
    lines = ["# tilerace benchmark: MPI\n", f"- command: `{' '.join(sys.argv)}` "
             f"({time.time() - t0:.1f} s), {os.cpu_count()} CPUs, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             "- each configuration: one warm-up, then the median (min-max) of the timed runs; "
             f"a row is FLAGGED when its min-max spread (from {SPREAD_TRIM_FROM} runs on, "
             f"without the fastest and the slowest) is above {SPREAD_LIMIT:.0%} of its "
             "median\n"]
    if targets_:
        lines.append("## Targets\n")
        table(lines, ["target", "configuration", "measured", "measured / target", "result"],
              [f"| {t['target']} | {t['config']} | {fmt_value(t['value'])} | {fmt(t['ratio'])} "
               f"| {t['result'] if t['result'] != 'FAIL' else '**FAIL**'}"
               f"{' ' + ' '.join(FLAG_MARKS[f] for f in t['flags']) if t['flags'] else ''} |"
               for t in targets_], [t["flags"] for t in targets_])
    mpi_markdown(lines, mpi)
    md = "\n".join(lines) + "\n"
    base = os.path.join(args.out, args.name + "-mpi")
    with open(base + ".md", "w") as f:
        f.write(md)
    with open(base + ".json", "w") as f:
        json.dump(dict(command=" ".join(sys.argv), mpi=mpi, targets=targets_), f, indent=1)
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in mpi_csv_rows(mpi):
            w.writerow(dict(r, flags=" ".join(r["flags"])))
    sys.stdout.write(md)


def read_golden():
    """{(width, height, max_iter): fnv1a64 hex} from the shared golden frames, if present."""
    out = {}
    for path in (os.path.join(ROOT, "..", "shared", "golden", "golden.tsv"),
                 os.path.join(ROOT, "tests", "data", "golden.tsv")):
        if os.path.exists(path):
            with open(path) as f:
                for line in f.read().splitlines()[1:]:
                    w, h, it, fnv, _ = line.split("\t")
                    out[(int(w), int(h), int(it))] = fnv
            break
    return out


def main():
    args = parse_args()
    t_start = time.time()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"run_bench.py: '{args.binary}' is not an executable (build first: "
                 "scripts/build.sh)")
    kinds, devs = available_devices(args.binary)
    devices = kinds if args.devices == "auto" else args.devices.split(",")
    for d in devices:
        if d not in kinds:
            sys.exit(f"run_bench.py: --devices: '{d}' is not available here (available: "
                     f"{', '.join(kinds)})")
    ncpu = os.cpu_count() or 1
    if args.threads == "auto":
        threads = sorted({1, ncpu} | {t for t in (2, 4, 8, 16, 32, 64) if t <= ncpu})
    else:
        threads = [int(t) for t in args.threads.split(",")]
    nthreads = max(threads)
    os.makedirs(args.out, exist_ok=True)

    workloads = ["800x600/256", "1920x1080/1000"] if args.quick else list(WORKLOADS)
    precisions = ["double"] if args.quick else ["double", "float"]
    modes = ["concurrent", "dynamic"] if args.quick else ["sequential", "concurrent", "dynamic"]
    run = Runner(args, nthreads, precisions)
    others = [d for d in devices if d != "cpu"]
    if args.only == "mpi":
        mpi_only(args, run)
        shutil.rmtree(run.tmp, ignore_errors=True)
        return
    if args.hetero_only:
        hetero = heterogeneous(run, others, args.hetero_workload, nthreads,
                               args.hetero_lanes or nthreads)
        hetero_flags_after_ceiling(hetero)  # no ceiling here: only the spreads judged
        lines = [f"# tilerace benchmark: several devices in one run\n",
                 f"- command: `{' '.join(sys.argv)}`\n"]
        hetero_markdown(lines, hetero)
        md = "\n".join(lines) + "\n"
        with open(os.path.join(args.out, args.name + "-hetero.md"), "w") as f:
            f.write(md)
        with open(os.path.join(args.out, args.name + "-hetero.json"), "w") as f:
            json.dump(dict(command=" ".join(sys.argv), hetero=hetero, rows=run.rows), f,
                      indent=1)
        sys.stdout.write(md)
        shutil.rmtree(run.tmp, ignore_errors=True)
        return
    if not os.access(args.ceiling, os.X_OK):
        print(f"no ceiling program at {args.ceiling}: no fraction of the ceiling",
              file=sys.stderr)

    print(f"tilerace benchmark: devices {','.join(devices)}, {ncpu} CPUs, threads {threads}, "
          f"results into {args.out}", file=sys.stderr)
    run.ceiling_sample("before the runs")
    for device in devices:
        tile = 64
        for wl in workloads:
            for kernel in ("vector", "scalar"):
                # the scalar baseline: every mode on the small frames, and enough on the big
                # one for the speed-ups (its sequential run costs seconds)
                wanted = [m for m in modes if not (
                    kernel == "scalar" and mode_skipped(wl, m, args.quick))]
                # the vector kernel is the CPU devices' (strips per work-item): on a GPU it is
                # shown once, on the small frame, next to the GPU's own kernel
                if device == "gpu" and kernel == "vector" and wl != "800x600/256":
                    continue
                if wanted:
                    run.bench("matrix", device, wl, [kernel], wanted, precisions, nthreads)
        # tile sizes and thread counts on the target frame, vector kernel, double
        tiles = [32, 64, 128] if args.quick else [16, 32, 64, 128, 256]
        if device == "gpu":
            tiles += [512]
        if not args.quick or device != "gpu":
            for tile in tiles:
                if tile != 64:  # 64 is measured in the matrix
                    run.bench("tiles", device, TARGET_WORKLOAD, ["auto"], ["dynamic"],
                              ["double"], nthreads, tile=tile)
        for mode in (["dynamic"] if args.quick else ["concurrent", "dynamic"]):
            for t in threads:
                if t != nthreads:  # measured in the matrix
                    run.bench("threads", device, TARGET_WORKLOAD, ["auto"], [mode],
                              ["double"], t)
        if device != "cpu":
            # the target frame at --queue-depth 4, beside the default depth in the matrix
            run.measure("queue", frame_params(device, TARGET_WORKLOAD, "dynamic", nthreads,
                                              queue_depth=4))
        run.ceiling_sample(f"after the {device} runs")

    if "gpu" in devices:
        # a frame big enough to fill a GPU: 8192x8192/1000 in 512x512 tiles
        for precision in ("double", "float"):
            run.measure("peak", dict(device="gpu", workload="8192x8192/1000", width=8192,
                                     height=8192, max_iter=1000, tile_w=512, tile_h=512,
                                     mode="dynamic", kernel="auto", precision=precision,
                                     num_threads=nthreads))

    golden = read_golden()
    process = [whole_process(run, d, wl, golden) for wl in PROCESS_WORKLOADS for d in devices]
    run.ceiling_sample("after the whole-process runs")
    stream = [stream_overhead(run, d, wl, m) for d in devices if d in ("cpu", "pocl")
              for wl in (TARGET_WORKLOAD, DEFAULT_FRAME) for m in ("dynamic", "concurrent")]
    firsts = [first_tile(run, d) for d in devices]
    # queue depth 1 (a lane waits for each tile before the next), 2, 4 and the default
    default_depth = run.tilerace(frame_params("cpu", DEFAULT_FRAME))["params"]["queue_depth"]
    depths = sorted({1, 2, 4, default_depth})
    overhead = [opencl_overhead(run, d, q) for d in devices if d != "cpu" for q in depths]
    limits = [time_limit_rule(run, d) for d in devices]
    scheduling = [r for d in devices for r in scheduling_overhead(run, d)]
    balance = [r for d in devices for r in load_balance(run, d)]
    hetero = heterogeneous(run, others, args.hetero_workload, nthreads,
                           args.hetero_lanes or nthreads)
    servers = []
    if subprocess.run([args.binary, "serve", "--help"], capture_output=True).returncode == 0:
        servers = [server_latency(run, d) for d in devices]
    mpi = mpi_section(run, args, golden)
    run.ceiling_sample("after the runs")

    ceil = ceiling_summary(run.ceiling_runs)
    derive(run.rows, ceil)
    hetero_flags_after_ceiling(hetero)
    peaks = dict(kv.split("=") for kv in args.peak_tflops.split(",") if kv)
    peak_rows = []
    for r in run.rows:
        if r["section"] == "peak" and r["precision"] in peaks:
            tflops = r["gips_median"] * 8 / 1000
            peak = float(peaks[r["precision"]])
            peak_rows.append(dict(precision=r["precision"], gips=r["gips_median"],
                                  tflops=tflops, datasheet_tflops=peak,
                                  of_datasheet=tflops / peak, of_no_fma=tflops / (peak / 2),
                                  flags=r["flags"]))
    report = dict(host=host_facts(devs), command=" ".join(sys.argv), quick=args.quick,
                  out=args.out, gpu_peak=peak_rows,
                  seconds=round(time.time() - t_start, 1), threads=threads,
                  ceiling=ceil, ceiling_runs=run.ceiling_runs, rows=run.rows,
                  opencl_overhead=overhead, first_tile=firsts, stream=stream, process=process,
                  time_limit=limits, server=servers, default_queue_depth=default_depth,
                  scheduling=scheduling, balance=balance,
                  hetero=hetero, mpi=mpi)
    report["targets"] = targets(report, nthreads) + mpi_targets(report.get("mpi"))
    write_outputs(args, report)
    shutil.rmtree(run.tmp, ignore_errors=True)


def mode_skipped(workload, mode, quick):
    """The scalar kernel's modes left out: all but concurrent on the largest frame, and in
    the quick suite."""
    return mode != "concurrent" and (workload == "4096x4096/256" or quick)


def kernel_of(r):
    return own_kernel(r["device"]) if r["kernel"] == "auto" else r["kernel"]


def key(row, **change):
    r = dict(row, **change)
    return (r["device"], r.get("workload"), r["precision"], kernel_of(r), r["mode"], r["tile_w"],
            r["num_threads"])


def derive(rows, ceil):
    """Adds what is measured against other rows of this run: speed-ups over scalar and over
    sequential, and the fraction of the ceiling's median (flagged above 1.0)."""
    index = {key(r): r for r in rows if r["section"] not in ("queue", "hetero")}
    seq_index = {(r["device"], r["workload"], r["precision"], kernel_of(r), r["tile_w"]): r
                 for r in rows if r["mode"] == "sequential"}
    for r in rows:
        scalar = index.get(key(r, kernel="scalar"))
        r["vs_scalar"] = r["gips_median"] / scalar["gips_median"] if scalar else None
        seq = seq_index.get((r["device"], r["workload"], r["precision"], kernel_of(r), r["tile_w"]))
        r["vs_sequential"] = r["gips_median"] / seq["gips_median"] if seq else None
        c = ceil.get(r["precision"])
        same_threads = c and c.get("threads") == r["threads_used"]
        r["of_ceiling"] = (r["gips_median"] / c["giga_iterations_per_s"]
                           if same_threads and r["device"] in ("cpu", "pocl") else None)
        r["flags"] = flags_for(dict(spread=r["gips_spread"]), r["of_ceiling"])
        if "checksum-differs" in r.get("bench_flags", ()):
            r["flags"].append("checksum-differs")


def find(rows, **want):
    for r in rows:
        if all(r.get(k) == v for k, v in want.items()):
            return r
    return None


def targets(report, nthreads):
    """Every target of this machine, measured in this run, with pass, FAIL or
    flagged-unreliable."""
    rows, ceil = report["rows"], report["ceiling"]
    out = []
    base = dict(workload=TARGET_WORKLOAD, tile_w=64, num_threads=nthreads, section="matrix")
    for mode in ("concurrent", "dynamic"):
        cpu_v = find(rows, device="cpu", kernel="vector", precision="double", mode=mode, **base)
        cpu_s = find(rows, device="cpu", kernel="scalar", precision="double", mode=mode, **base)
        cpu_f = find(rows, device="cpu", kernel="vector", precision="float", mode=mode, **base)
        cl_v = find(rows, device="pocl", kernel="vector", precision="double", mode=mode, **base)
        cl_s = find(rows, device="pocl", kernel="scalar", precision="double", mode=mode, **base)
        cfg = f"{TARGET_WORKLOAD}, {mode}"
        if cpu_v and cpu_s:
            out.append(make_target("CPU vector / CPU scalar", cfg,
                                   cpu_v["gips_median"] / cpu_s["gips_median"], ">=", 16,
                                   cpu_v["flags"] + cpu_s["flags"]))
        if cpu_v and "double" in ceil:
            c = ceil["double"]
            out.append(make_target("CPU vector / ceiling median", cfg,
                                   cpu_v["gips_median"] / c["giga_iterations_per_s"], ">=", 0.80,
                                   cpu_v["flags"] + c["flags"]))
        if cl_v and cl_s:
            out.append(make_target("pocl vector / pocl scalar", cfg,
                                   cl_v["gips_median"] / cl_s["gips_median"], ">=", 8,
                                   cl_v["flags"] + cl_s["flags"]))
        if cl_v and cpu_v:
            out.append(make_target("pocl vector / CPU vector", cfg,
                                   cl_v["gips_median"] / cpu_v["gips_median"], ">=", 0.5,
                                   cl_v["flags"] + cpu_v["flags"]))
        if cpu_f and cpu_v:
            out.append(make_target("CPU float / CPU double", cfg,
                                   cpu_f["gips_median"] / cpu_v["gips_median"], ">=", 1.7,
                                   cpu_f["flags"] + cpu_v["flags"]))
    default_depth = report.get("default_queue_depth")
    for o in report["opencl_overhead"]:
        limit = 20 if o["device"] == "pocl" else 10
        if o["queue_depth"] == (default_depth if o["device"] == "pocl" else 4):
            out.append(make_target(f"{o['device']} per-tile overhead, us", f"queue depth "
                                   f"{o['queue_depth']}, 8x8 tiles, max_iter 1",
                                   o["overhead_us_median"], "<", limit, o["flags"]))
    for d in ("pocl", "gpu"):
        dflt = find(rows, device=d, section="matrix", workload=TARGET_WORKLOAD, mode="dynamic",
                    kernel="vector" if d == "pocl" else "scalar", precision="double",
                    tile_w=64, num_threads=nthreads)
        q4 = find(rows, device=d, section="queue")
        if dflt and q4:
            out.append(make_target(f"{d} rate at the default depth / at depth 4",
                                   f"{TARGET_WORKLOAD}, dynamic",
                                   dflt["gips_median"] / q4["gips_median"], ">=", 0.95,
                                   dflt["flags"] + q4["flags"]))
    for t in report["time_limit"]:
        if t["device"] != "cpu":
            out.append(make_target(f"{t['device']} tiles started at or after the limit",
                                   f"800x600/20000, limit {t['limit_ms']} ms, depth "
                                   f"{t['queue_depth']}, {t['runs']} runs",
                                   t["late_total"], "==", 0))
    for s in report["stream"]:
        out.append(make_target(f"{s['device']} elapsed with --stream / without",
                               f"{s['workload']}, {s['mode']}", s["ratio"], "<=", 1.05,
                               s["flags"]))
    for p in report["process"]:
        if p["device"] != "cpu":
            continue
        out.append(make_target("CPU whole-process wall / elapsed_us", p["workload"],
                               p["wall_over_elapsed"], "<=", 1.08, p["flags"]))
        if "vs_bare" in p:
            out.append(make_target("CPU whole-process rate / bare renderer's", p["workload"],
                                   p["vs_bare"], ">=", 0.95, p["flags"] + p["bare_flags"]))
    for f in report["first_tile"]:
        if f["device"] == "pocl":
            out.append(make_target("pocl time to first tile, warm cache, ms", "800x600/256",
                                   f["warm_first_tile_ms"], "<=", 20, f["flags"]))
    cpu_p = find(report["process"], device="cpu", workload=TARGET_WORKLOAD)
    cl_p = find(report["process"], device="pocl", workload=TARGET_WORKLOAD)
    if cpu_p and cl_p:
        out.append(make_target("pocl whole-process rate / CPU path's", TARGET_WORKLOAD,
                               cpu_p["wall_ms"] / cl_p["wall_ms"], ">=", 0.6,
                               cpu_p["flags"] + cl_p["flags"]))
    for s in report["server"]:
        if s["device"] != "cpu":
            out.append(make_target(f"server: {s['device']} request beyond its render, ms",
                                   "800x600/256, after the first request", s["beyond_ms"], "<=",
                                   3, s["flags"]))
        out.append(make_target(f"server: {s['device']} SSE elapsed / plain elapsed",
                               "800x600/256", s["sse_ratio"], "<=", 1.05, s["sse_flags"]))
    peaks = {g["precision"]: g for g in report.get("gpu_peak", [])}
    if "double" in peaks:
        g = peaks["double"]
        out.append(make_target("GPU double / no-FMA FP64 peak", "8192x8192/1000",
                               g["of_no_fma"], ">=", 0.75, g["flags"]))
    gd = find(rows, section="peak", precision="double")
    gf = find(rows, section="peak", precision="float")
    if gd and gf:
        out.append(make_target("GPU float / double", "8192x8192/1000",
                               gf["gips_median"] / gd["gips_median"], ">=", 2,
                               gd["flags"] + gf["flags"]))
    return out


def host_facts(devs):
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return dict(cpu=model, cpus=os.cpu_count(), machine=platform.machine(),
                kernel=platform.release(), devices=devs,
                date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def fmt(v, digits=2, suffix=""):
    return "-" if v is None else f"{v:.{digits}f}{suffix}"


def fmt_value(v):
    return str(v) if isinstance(v, int) else f"{v:.2f}"


FLAG_MARKS = {"above-ceiling": "[a]", "wide-spread": "[b]", "checksum-differs": "[c]"}


def flag_cell(flags):
    """A table cell for a row's flags: empty when trusted, else FLAGGED and the notes' marks."""
    return "" if not flags else "**FLAGGED** " + " ".join(FLAG_MARKS[f] for f in flags)


def flag_notes(flag_lists):
    """The footnotes for the flags used in one table."""
    used = sorted({f for flags in flag_lists for f in flags}, key=list(FLAG_MARKS).index)
    return [f"{FLAG_MARKS[f]} {FLAG_NOTES[f]}." for f in used]


def table(lines, header, rows, flag_lists):
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += rows
    notes = flag_notes(flag_lists)
    if notes:
        lines.append("")
        lines += notes
    lines.append("")


def markdown(report):
    lines = []
    h = report["host"]
    lines.append(f"# tilerace benchmark ({'quick' if report['quick'] else 'full'})\n")
    lines.append(f"- host: {h['cpu']}, {h['cpus']} CPUs, {h['date']}")
    for d in h["devices"]:
        lines.append(f"- device `{d['selector']}`: {d['type']} {d['name']} ({d['platform']})")
    lines.append(f"- command: `{report['command']}` ({report['seconds']} s)")
    lines.append("- each configuration: one warm-up, then the median (min-max) of the timed runs;"
                 " ratios are between medians measured in this run")
    lines.append(f"- a row is FLAGGED when its min-max spread (from {SPREAD_TRIM_FROM} runs on, "
                 f"without the fastest and the slowest) is above {SPREAD_LIMIT:.0%} of its "
                 "median, or its rate is above the ceiling's median; a flagged row's figures "
                 "cannot be trusted, and a target that rests on one is flagged-unreliable\n")
    if report["targets"]:
        lines.append("## Targets\n")
        table(lines, ["target", "configuration", "measured", "measured / target", "result"],
              [f"| {t['target']} | {t['config']} | {fmt_value(t['value'])} | {fmt(t['ratio'])} | "
               f"{t['result'] if t['result'] != 'FAIL' else '**FAIL**'}"
               f"{' ' + ' '.join(FLAG_MARKS[f] for f in t['flags']) if t['flags'] else ''} |"
               for t in report["targets"]],
              [t["flags"] for t in report["targets"]])
    if report["ceiling"]:
        lines.append("## Ceiling (same loop, every lane always busy)\n")
        lines.append("Measured several times, between the other measurements; every ratio to the "
                     "ceiling uses its median.\n")
        table(lines, ["precision", "ISA", "threads", "samples", "Giter/s median (min-max)",
                      "spread", "flags"],
              [f"| {p} | {c.get('isa')} | {c.get('threads')} | {c['samples']} | "
               f"{c['giga_iterations_per_s']:.2f} ({c['gips_min']:.2f}-{c['gips_max']:.2f}) | "
               f"{100 * c['spread']:.0f}% | {flag_cell(c['flags'])} |"
               for p, c in report["ceiling"].items()],
              [c["flags"] for c in report["ceiling"].values()])
    if report.get("gpu_peak"):
        lines.append("## GPU against its datasheet peak (8192x8192/1000, 512x512 tiles)\n")
        lines.append("8 floating-point operations per iteration (4 multiplies: zr*zr, zi*zi, "
                     "2*zr, *zi; 4 adds: re2+im2, +c_im, re2-im2, +c_re); the kernel may not "
                     "fuse them (FP_CONTRACT OFF), so half the datasheet's FMA peak is the "
                     "reachable ceiling.\n")
        table(lines, ["precision", "Giter/s", "TFLOP/s", "datasheet TFLOP/s", "of datasheet",
                      "of datasheet without FMA", "flags"],
              [f"| {g['precision']} | {g['gips']:.1f} | {g['tflops']:.2f} | "
               f"{g['datasheet_tflops']:.1f} | {100 * g['of_datasheet']:.1f}% | "
               f"{100 * g['of_no_fma']:.1f}% | {flag_cell(g['flags'])} |"
               for g in report["gpu_peak"]], [g["flags"] for g in report["gpu_peak"]])
    for section, title in (("matrix", "Devices x kernels x precision x modes (64x64 tiles)"),
                           ("peak", "GPU peak frame"),
                           ("tiles", "Tile sizes (dynamic, device's own kernel, double, "
                                     "target frame)"),
                           ("threads", "Thread counts (device's own kernel, double, target "
                                       "frame)"),
                           ("queue", "OpenCL at --queue-depth 4 (dynamic, target frame)")):
        rows = [r for r in report["rows"] if r["section"] == section]
        if not rows:
            continue
        lines.append(f"## {title}\n")
        table(lines, ["device", "workload", "kernel", "prec", "mode", "tile", "threads",
                      "Giter/s median (min-max)", "elapsed ms", "wall ms", "vs scalar",
                      "vs sequential", "of ceiling", "imbalance", "flags"],
              [f"| {r['device']} | {r['workload']} | {r['kernel_name']} | {r['precision']} | "
               f"{r['mode']} | {r['tile_w']} | {r['threads_used']} | {r['gips_median']:.3f} "
               f"({r['gips_min']:.3f}-{r['gips_max']:.3f}) | {r['elapsed_ms_median']:.1f} | "
               f"{r['wall_ms_median']:.1f} | "
               f"{fmt(r['vs_scalar'], 1, 'x')} | {fmt(r['vs_sequential'], 2, 'x')} | "
               f"{fmt(r['of_ceiling'] and 100 * r['of_ceiling'], 0, '%')} | "
               f"{r['imbalance_median']:.2f} | {flag_cell(r['flags'])} |" for r in rows],
              [r["flags"] for r in rows])
    if report["process"]:
        lines.append("## Whole process beside the render (dynamic, 64x64 tiles, double)\n")
        lines.append("Wall: the process from fork to exit, timed by the bench; elapsed: the "
                     "run's own elapsed_us. The bare renderer (`tilerace-bare`: the CPU path's "
                     "kernel, pinned threads, a huge-page frame, the FNV-1a hash, nothing else) "
                     "runs interleaved with tilerace; its checksum equals tilerace's (and the "
                     "golden frame's, where there is one).\n")
        table(lines, ["device", "workload", "wall ms median (min-max)", "elapsed ms",
                      "wall / elapsed", "Giter/s of wall time", "bare wall ms",
                      "bare wall / tilerace wall", "checksum", "flags"],
              [f"| {p['device']} | {p['workload']} | {p['wall_ms']:.1f} ({p['wall_min']:.1f}-"
               f"{p['wall_max']:.1f}) | {p['elapsed_ms']:.1f} | {p['wall_over_elapsed']:.2f} | "
               f"{p['process_gips']:.2f} | {fmt(p.get('bare_wall_ms'), 1)} | "
               f"{fmt(p.get('vs_bare'))} | `{p['checksum']}`"
               f"{' (golden)' if p.get('golden') else ''} | "
               f"{flag_cell(sorted(set(p['flags'] + p.get('bare_flags', []))))} |"
               for p in report["process"]],
              [p["flags"] + p.get("bare_flags", []) for p in report["process"]])
    if report["stream"]:
        lines.append("## What --stream costs (elapsed_us with and without, runs interleaved)\n")
        table(lines, ["device", "workload", "mode", "threads", "without, ms median (min-max)",
                      "--stream, ms median (min-max)", "ratio", "flags"],
              [f"| {s['device']} | {s['workload']} | {s['mode']} | {s['threads']} | "
               f"{s['plain_ms']:.1f} ({s['plain_min']:.1f}-{s['plain_max']:.1f}) | "
               f"{s['stream_ms']:.1f} ({s['stream_min']:.1f}-{s['stream_max']:.1f}) | "
               f"{s['ratio']:.2f} | {flag_cell(s['flags'])} |" for s in report["stream"]],
              [s["flags"] for s in report["stream"]])
    kernel_rows = [r for r in report["rows"] if r["section"] == "matrix" and
                   r.get("kernel_gips_median") and r["workload"] == TARGET_WORKLOAD]
    if kernel_rows:
        lines.append(f"## OpenCL kernel rate ({TARGET_WORKLOAD}, 64x64 tiles)\n")
        lines.append("Total iterations over the tiles' summed kernel time (profiling events): "
                     "what one lane's kernel does while it runs, without the time between "
                     "kernels.\n")
        table(lines, ["device", "kernel", "prec", "mode", "threads", "Giter/s of kernel time",
                      "Giter/s of elapsed time", "flags"],
              [f"| {r['device']} | {r['kernel_name']} | {r['precision']} | {r['mode']} | "
               f"{r['threads_used']} | {r['kernel_gips_median']:.2f} | {r['gips_median']:.2f} | "
               f"{flag_cell(r['flags'])} |" for r in kernel_rows],
              [r["flags"] for r in kernel_rows])
    if report["opencl_overhead"]:
        lines.append("## OpenCL per-tile overhead (512x512, 8x8 tiles, max_iter 1, one lane)\n")
        table(lines, ["device", "queue depth", "tiles", "elapsed / tiles, us median (min-max)",
                      "beyond kernel time, us median (min-max)", "flags"],
              [f"| {o['device']} | {o['queue_depth']} | {o['tiles']} | "
               f"{o['us_per_tile_median']:.1f} ({o['us_per_tile_min']:.1f}-"
               f"{o['us_per_tile_max']:.1f}) | {o['overhead_us_median']:.1f} "
               f"({o['overhead_us_min']:.1f}-{o['overhead_us_max']:.1f}) | "
               f"{flag_cell(o['flags'])} |" for o in report["opencl_overhead"]],
              [o["flags"] for o in report["opencl_overhead"]])
    if report["first_tile"]:
        lines.append("## Build and time to first tile per device (800x600/256)\n")
        lines.append("From the run's start, device set-up included "
                     "(summary.device.time_to_first_tile_us).\n")
        body = []
        for b in report["first_tile"]:
            if "cold_build_ms" in b:
                body.append(f"| {b['device']} | cold | {b['cold_build_ms']:.1f} | "
                            f"{b['cold_warmup_ms']:.1f} | {b['cold_first_tile_ms']:.1f} | |")
            body.append(f"| {b['device']} | {'warm' if 'cold_build_ms' in b else '-'} | "
                        f"{b['warm_build_ms']:.1f} | {b['warm_warmup_ms']:.1f} | "
                        f"{b['warm_first_tile_ms']:.1f} ({b['warm_first_tile_min']:.1f}-"
                        f"{b['warm_first_tile_max']:.1f}) | {flag_cell(b['flags'])} |")
        table(lines, ["device", "cache", "build ms", "warm-up ms", "first tile ms", "flags"],
              body, [b["flags"] for b in report["first_tile"]])
    if report["time_limit"]:
        lines.append("## The time-limit rule (800x600, max_iter 20000, limit 100 ms, dynamic, "
                     "default queue depth)\n")
        table(lines, ["device", "threads", "queue depth", "runs", "tiles started at or after "
                      "the limit (total, most in one run)", "latest start ms", "elapsed ms",
                      "tiles"],
              [f"| {t['device']} | {t['threads']} | {t['queue_depth']} | {t['runs']} | "
               f"{t['late_total']}, {t['late_max']} | {t['latest_start_ms']:.1f} | "
               f"{t['elapsed_ms']:.1f} | {t['tiles_median']:.0f} |" for t in report["time_limit"]],
              [])
    if report.get("scheduling"):
        lines.append("## Cost of taking a tile per mode (512x512, 4x4 tiles, max_iter 1)\n")
        lines.append("Lane time per tile: elapsed x threads / tiles, where a tile is a few "
                     "nanoseconds of work. concurrent takes the next tile of its own chunk, "
                     "dynamic adds 1 to one shared counter, steal locks its own range and steals "
                     "the back half of the richest range once its own is empty.\n")
        by_mode = {(r["device"], r["mode"]): r for r in report["scheduling"]}
        body = []
        for r in report["scheduling"]:
            dyn = by_mode.get((r["device"], "dynamic"))
            ratio = (r["lane_us_per_tile_median"] / dyn["lane_us_per_tile_median"]
                     if dyn and dyn["lane_us_per_tile_median"] > 0 else None)
            body.append(f"| {r['device']} | {r['mode']} | {r['threads']} | {r['tiles']} | "
                        f"{r['lane_us_per_tile_median']:.3f} ({r['lane_us_per_tile_min']:.3f}-"
                        f"{r['lane_us_per_tile_max']:.3f}) | {fmt(ratio)} | "
                        f"{r['steals_median']:.0f} | {flag_cell(r['flags'])} |")
        table(lines, ["device", "mode", "threads", "tiles", "lane us per tile median (min-max)",
                      "over dynamic", "steals", "flags"],
              body, [r["flags"] for r in report["scheduling"]])
    if report.get("balance"):
        lines.append("## Load imbalance per mode (one device, 64x64 tiles)\n")
        lines.append("The busiest thread's busy time over the mean (1.00: every thread busy "
                     "as long as the others); steal mode's steals and its tiles rendered by "
                     "another thread than their chunk's.\n")
        table(lines, ["device", "frame", "mode", "threads", "imbalance median (min-max)",
                      "Giter/s", "steals", "stolen tiles / tiles", "flags"],
              [f"| {r['device']} | {r['workload']} | {r['mode']} | {r['threads']} | "
               f"{r['imbalance_median']:.3f} ({r['imbalance_min']:.3f}-"
               f"{r['imbalance_max']:.3f}) | {r['gips_median']:.3f} | "
               f"{r['steals_median']:.0f} | {r['stolen_tiles_median']:.0f} / {r['tiles']} | "
               f"{flag_cell(r['flags'])} |" for r in report["balance"]],
              [r["flags"] for r in report["balance"]])
    if report["server"]:
        lines.append("## Server request latency (`tilerace serve`, 800x600/256, dynamic)\n")
        lines.append("Each request on a fresh loopback connection, timed from sending to the "
                     "last byte, against its own elapsed_us; the first request (device set-up) "
                     "apart. SSE: the same request as an event stream, its elapsed_us against "
                     "the plain request's.\n")
        table(lines, ["device", "first request ms (render ms)", "first beyond render ms",
                      "requests after", "request ms median", "beyond render ms median (min-max)",
                      "SSE elapsed / plain", "flags"],
              [f"| {s['device']} | {s['first_wall_ms']:.1f} ({s['first_elapsed_ms']:.1f}) | "
               f"{s['first_beyond_ms']:.1f} | {s['requests']} | {s['wall_ms']:.1f} | "
               f"{s['beyond_ms']:.2f} ({s['beyond_min']:.2f}-{s['beyond_max']:.2f}) | "
               f"{s['sse_ratio']:.2f} | {flag_cell(sorted(set(s['flags'] + s['sse_flags'])))} |"
               for s in report["server"]],
              [s["flags"] + s["sse_flags"] for s in report["server"]])
    hetero_markdown(lines, report.get("hetero", []))
    mpi_markdown(lines, report.get("mpi"))
    skipped = report.get("threads_plot_skipped")
    if skipped:
        lines.append("Threads plot: no 1-thread run, so no speed-up drawn for: " +
                     ", ".join(f"{d} {m}" for d, m in skipped) + ".\n")
    lines.append("Rows of the matrix, tile and thread tables come from `tilerace bench --json` (one "
                 "process per configuration group, one warm-up, then the repeats); their wall ms "
                 "is its job_ms, the render call with device set-up timed in the process. The "
                 "queue and peak rows run `tilerace run` once per repeat; their wall ms is the "
                 "whole process, fork to exit.\n")
    lines.append("Load imbalance: the busiest thread's busy time (sum of its tiles' durations) "
                 "over the mean of the threads that ran; 1.00 is perfect balance.")
    return "\n".join(lines) + "\n"


def own_kernel(device):
    """What --kernel auto runs: the vector kernel on CPU devices, one pixel per item on GPUs."""
    return "scalar" if device == "gpu" else "vector"


def threads_rows(report):
    return [r for r in report["rows"] if r["section"] in ("threads", "matrix")
            and r["workload"] == TARGET_WORKLOAD and r["precision"] == "double"
            and r["kernel"] in ("auto", own_kernel(r["device"]))
            and r["mode"] in ("concurrent", "dynamic")
            and r["tile_w"] == 64]


def plots(args, report):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("gnuplot not found: no plots (scripts/setup-debian.sh --bench installs it)",
              file=sys.stderr)
        return
    base = os.path.join(args.out, args.name)
    if not report["rows"]:
        return
    rows = [r for r in report["rows"] if r["section"] == "matrix"
            and r["workload"] == TARGET_WORKLOAD and r["precision"] == "double"
            and r["kernel"] == own_kernel(r["device"])]
    with open(base + "-devices.dat", "w") as f:
        f.write("# device mode giga_iterations_per_s min max\n")
        for r in rows:
            f.write(f"\"{r['device']} {r['mode']}{' (flagged)' if r['flags'] else ''}\" "
                    f"{r['gips_median']:.4f} {r['gips_min']:.4f} {r['gips_max']:.4f}\n")
    series, _ = thread_points(threads_rows(report))
    with open(base + "-threads.dat", "w") as f:
        for (dev, mode), pts in series.items():
            f.write(f"\"{dev} {mode}\"\n")
            for t, g in pts:
                f.write(f"{t} {g:.4f}\n")
            f.write("\n\n")
    threads_plot = f"""
set output "{base}-threads.png"
set title "Speed-up vs threads, {TARGET_WORKLOAD}, each device's own kernel, double"
set style data linespoints
set xlabel "threads / lanes"
set ylabel "speed-up over 1 thread"
set key left top
set logscale x 2
set xtics norotate
plot for [i=0:{len(series) - 1}] "{base}-threads.dat" index i using 1:2 \\
     title columnheader(1) lw 2, x title "linear" dt 2 lc rgb "gray"
""" if series else ""
    script = f"""
set terminal pngcairo size 900,500 font "sans,10"
set output "{base}-devices.png"
set title "Giga-iterations/s, {TARGET_WORKLOAD}, each device's own kernel, double, 64x64 tiles"
set style data histograms
set style fill solid 0.8 border -1
set style histogram errorbars gap 1 lw 1
set ylabel "Giga-iterations/s (median, min-max)"
set yrange [0:*]
set xtics rotate by -30
set grid ytics
set key off
plot "{base}-devices.dat" using 2:3:4:xtic(1) lc rgb "#3b7dd8"
{threads_plot}"""
    p = subprocess.run([gnuplot], input=script.encode(), capture_output=True)
    if p.returncode != 0:
        print(f"gnuplot failed: {p.stderr.decode()}", file=sys.stderr)


CSV_FIELDS = ["section", "device", "workload", "width", "height", "max_iter", "tile_w", "tile_h",
              "mode", "kernel", "precision", "num_threads", "queue_depth", "threads_used",
              "device_name", "kernel_name", "tiles", "total_iterations", "checksum", "runs",
              "gips_median", "gips_min", "gips_max", "gips_spread", "elapsed_ms_median",
              "elapsed_ms_min", "elapsed_ms_max", "wall_ms_median", "vs_scalar", "vs_sequential",
              "of_ceiling", "imbalance_median", "kernel_gips_median", "build_ms", "first_tile_ms",
              "flags", "label", "ranks", "scheme", "gather_ms_median", "rate_median", "rate_min",
              "rate_max", "rate_unit"]


def write_outputs(args, report):
    """Every file the bench writes, all under args.out: NAME.{md,json,csv}, the plots, and a
    copy of the Markdown in runs/ named by the run's date."""
    base = os.path.join(args.out, args.name)
    _, report["threads_plot_skipped"] = thread_points(threads_rows(report))
    md = markdown(report)
    with open(base + ".md", "w") as f:
        f.write(md)
    runs = os.path.join(args.out, "runs")
    os.makedirs(runs, exist_ok=True)
    with open(os.path.join(runs, time.strftime("%Y-%m-%dT%H%M", time.gmtime()) + ".md"),
              "w") as f:
        f.write(md)
    with open(base + ".json", "w") as f:
        json.dump(report, f, indent=1, default=list)
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in report["rows"] + mpi_csv_rows(report.get("mpi")):
            w.writerow(dict(r, flags=" ".join(r["flags"])))
    plots(args, report)
    sys.stdout.write(md)
    print(f"results in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
