#!/usr/bin/env python3
"""tilerace's head-to-head benchmark suite.

Runs devices (cpu, pocl, any GPU) x modes x kernels x precision x tile sizes x thread counts on
named workloads, each configuration several times after a warm-up, and reports medians with
min and max: Giga-iterations/s, speed-up over the scalar kernel and over sequential measured in
the same run, the fraction of the ceiling micro-benchmark, OpenCL per-tile overhead, load
imbalance per mode, OpenCL build time and time to the first tile.

Writes a Markdown table to stdout, and CSV, JSON, Markdown and gnuplot plots under --out.

    bench/run_bench.py            # the full suite (about 5 minutes on 2 cores)
    bench/run_bench.py --quick    # a reduced suite (under 30 s)
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

WORKLOADS = {
    "800x600/256": (800, 600, 256),
    "1920x1080/1000": (1920, 1080, 1000),
    "4096x4096/256": (4096, 4096, 256),
}
TARGET_WORKLOAD = "1920x1080/1000"
DEFAULT_QUEUE_DEPTH = 4  # tilerace's --queue-depth default


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="reduced suite, under 30 s")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"),
                    help="folder for CSV, JSON, Markdown and plots [bench/results]")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "tilerace"))
    ap.add_argument("--ceiling", default=os.path.join(ROOT, "build", "tilerace-ceiling"))
    ap.add_argument("--devices", default="auto",
                    help="comma-separated: cpu,pocl,gpu (auto: cpu plus every kind present)")
    ap.add_argument("--threads", default="auto",
                    help="comma-separated thread counts for the thread sweep (auto: 1,2,4.. nproc)")
    ap.add_argument("--repeats", type=int, default=0,
                    help="timed runs per configuration after one warm-up (default 3, quick 3)")
    ap.add_argument("--name", default="latest", help="base name of the result files [latest]")
    ap.add_argument("--peak-tflops", default="",
                    help="the GPU's datasheet peak, e.g. double=34,float=67 (TFLOP/s, an FMA "
                         "counted as 2): adds a peak-frame comparison at 8 flops per iteration")
    return ap.parse_args()


class Runner:
    def __init__(self, args):
        self.args = args
        self.binary = args.binary
        self.repeats = args.repeats or 3
        self.tmp = tempfile.mkdtemp(prefix="tilerace-bench-")
        self.rows = []

    def tilerace(self, params, env=None):
        out = os.path.join(self.tmp, "run.json")
        cmd = [self.binary, "--out", out, "--time-limit-ms", "0"]
        for k, v in params.items():
            if k != "workload":  # a label, not an option
                cmd += ["--" + k.replace("_", "-"), str(v)]
        p = subprocess.run(cmd, capture_output=True, env=env, timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()}")
        with open(out) as f:
            return json.load(f)

    def measure(self, section, params, repeats=None):
        """One warm-up, then repeats timed runs; returns a result row."""
        repeats = repeats or self.repeats
        self.tilerace(params)
        docs = [self.tilerace(params) for _ in range(repeats)]
        s0 = docs[0]["summary"]
        for d in docs:
            if d["summary"]["checksum"] != s0["checksum"]:
                raise RuntimeError(f"checksums differ between runs of {params}")
        gips = [d["summary"]["giga_iterations_per_s"] for d in docs]
        elapsed = [d["summary"]["elapsed_us"] / 1000 for d in docs]
        imbalance = [load_imbalance(d) for d in docs]
        kernel_rate = [kernel_gips(d) for d in docs]
        row = dict(section=section, **params,
                   device_name=s0["device"]["name"], kernel_name=s0["device"]["kernel"],
                   threads_used=s0["threads_used"], tiles=s0["tiles_total"],
                   total_iterations=s0["total_iterations"], checksum=s0["checksum"],
                   runs=repeats,
                   gips_median=statistics.median(gips), gips_min=min(gips), gips_max=max(gips),
                   elapsed_ms_median=statistics.median(elapsed), elapsed_ms_min=min(elapsed),
                   elapsed_ms_max=max(elapsed),
                   imbalance_median=statistics.median(imbalance),
                   kernel_gips_median=(statistics.median(kernel_rate)
                                       if None not in kernel_rate else None),
                   build_ms=s0["device"]["build_time_us"] / 1000,
                   first_tile_ms=statistics.median(
                       d["summary"]["device"]["time_to_first_tile_us"] / 1000 for d in docs))
        self.rows.append(row)
        print(f"  {section:<10} {params.get('device'):<6} {params.get('workload', ''):<15} "
              f"{row['kernel_name']:<22} {params.get('mode'):<10} tile {params.get('tile_w')}"
              f" threads {params.get('num_threads'):<3} {row['gips_median']:8.3f} Giter/s "
              f"({row['gips_min']:.3f}-{row['gips_max']:.3f})", file=sys.stderr, flush=True)
        return row


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


def available_devices(binary):
    p = subprocess.run([binary, "devices", "--json"], capture_output=True, timeout=120)
    devs = json.loads(p.stdout)["devices"]
    kinds = ["cpu"]
    if any(d["platform"] == "Portable Computing Language" and d["type"] == "CPU" for d in devs):
        kinds.append("pocl")
    if any(d["type"] == "GPU" for d in devs):
        kinds.append("gpu")
    return kinds, devs


def ceiling(args, threads):
    """The ceiling micro-benchmark (tilerace-ceiling, best ISA) per precision: {precision: row}."""
    out = {}
    if not os.path.exists(args.ceiling):
        print(f"no ceiling program at {args.ceiling}: no fraction of the ceiling",
              file=sys.stderr)
        return out
    for precision in ("double", "float"):
        p = subprocess.run([args.ceiling, "--isa", "best", "--precision", precision,
                            "--threads", str(threads), "--ms", "300" if args.quick else "1000"],
                           capture_output=True, timeout=120)
        if p.returncode == 0:
            out[precision] = json.loads(p.stdout.decode().splitlines()[0])
        else:
            print(f"ceiling failed: {p.stderr.decode()}", file=sys.stderr)
    return out


def opencl_overhead(run, device, queue_depth):
    """Per-tile cost beyond kernel time: 4096 tiny tiles at max_iter 1, one lane."""
    params = dict(device=device, width=512, height=512, tile_w=8, tile_h=8, max_iter=1,
                  mode="sequential", num_threads=1, kernel="auto", precision="double",
                  queue_depth=queue_depth)
    docs = [run.tilerace(params) for _ in range(1 + run.repeats)][1:]
    per_tile, extra = [], []
    for d in docs:
        recs = d["data"]
        per_tile.append(d["summary"]["elapsed_us"] / len(recs))
        extra.append(statistics.mean(r["duration_us"] - r["device_time_us"] for r in recs))
    return dict(device=device, queue_depth=queue_depth, tiles=len(docs[0]["data"]),
                us_per_tile_median=statistics.median(per_tile),
                overhead_us_median=statistics.median(extra), overhead_us_min=min(extra),
                overhead_us_max=max(extra))


def build_times(run, device):
    """Program build with a cold and a warm kernel cache, and time to the first tile."""
    params = dict(device=device, width=800, height=600, max_iter=256, num_threads=2)
    cold_dir = tempfile.mkdtemp(prefix="tilerace-cold-cache-")
    env = dict(os.environ, POCL_CACHE_DIR=cold_dir, CUDA_CACHE_DISABLE="1")
    cold = run.tilerace(params, env=env)["summary"]["device"]
    shutil.rmtree(cold_dir, ignore_errors=True)
    warm = [run.tilerace(params)["summary"]["device"] for _ in range(1 + run.repeats)][1:]
    return dict(device=device,
                cold_build_ms=cold["build_time_us"] / 1000,
                cold_warmup_ms=cold["warmup_time_us"] / 1000,
                cold_first_tile_ms=cold["time_to_first_tile_us"] / 1000,
                warm_build_ms=statistics.median(w["build_time_us"] / 1000 for w in warm),
                warm_warmup_ms=statistics.median(w["warmup_time_us"] / 1000 for w in warm),
                warm_first_tile_ms=statistics.median(w["time_to_first_tile_us"] / 1000
                                                     for w in warm))


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
    run = Runner(args)

    workloads = ["800x600/256", "1920x1080/1000"] if args.quick else list(WORKLOADS)
    precisions = ["double"] if args.quick else ["double", "float"]
    modes = ["concurrent", "dynamic"] if args.quick else ["sequential", "concurrent", "dynamic"]

    print(f"tilerace benchmark: devices {','.join(devices)}, {ncpu} CPUs, threads {threads}",
          file=sys.stderr)
    for device in devices:
        tile = 64
        for wl in workloads:
            w, h, it = WORKLOADS[wl]
            for precision in precisions:
                for kernel in ("vector", "scalar"):
                    for mode in modes:
                        # the scalar baseline: every mode on the small frames, and enough on
                        # the big one for the speed-ups (its sequential run costs seconds)
                        if kernel == "scalar" and wl == "4096x4096/256" and mode != "concurrent":
                            continue
                        if args.quick and kernel == "scalar" and mode != "concurrent":
                            continue
                        # the vector kernel is the CPU devices' (strips per work-item): on a GPU
                        # it is shown once, on the small frame, next to the GPU's own kernel
                        if device == "gpu" and kernel == "vector" and wl != "800x600/256":
                            continue
                        run.measure("matrix", dict(
                            device=device, workload=wl, width=w, height=h, max_iter=it,
                            tile_w=tile, tile_h=tile, mode=mode, kernel=kernel,
                            precision=precision,
                            num_threads=1 if mode == "sequential" else nthreads))
        # tile sizes and thread counts on the target frame, vector kernel, double
        w, h, it = WORKLOADS[TARGET_WORKLOAD]
        tiles = [32, 64, 128] if args.quick else [16, 32, 64, 128, 256]
        if device == "gpu":
            tiles += [512]
        if not args.quick or device != "gpu":
            for tile in tiles:
                if tile == 64:
                    continue  # measured in the matrix
                run.measure("tiles", dict(device=device, workload=TARGET_WORKLOAD, width=w,
                                          height=h, max_iter=it, tile_w=tile, tile_h=tile,
                                          mode="dynamic", kernel="auto", precision="double",
                                          num_threads=nthreads))
        for mode in (["dynamic"] if args.quick else ["concurrent", "dynamic"]):
            for t in threads:
                if t == nthreads:
                    continue  # measured in the matrix
                run.measure("threads", dict(device=device, workload=TARGET_WORKLOAD, width=w,
                                            height=h, max_iter=it, tile_w=64, tile_h=64,
                                            mode=mode, kernel="auto", precision="double",
                                            num_threads=t))

    if "gpu" in devices:
        # a frame big enough to fill a GPU: 8192x8192/1000 in 512x512 tiles
        for precision in ("double", "float"):
            run.measure("peak", dict(device="gpu", workload="8192x8192/1000", width=8192,
                                     height=8192, max_iter=1000, tile_w=512, tile_h=512,
                                     mode="dynamic", kernel="auto", precision=precision,
                                     num_threads=nthreads))
    ceil = ceiling(args, nthreads)
    # the default queue depth, 2, and 1: a lane that waits for each tile before the next
    overhead = [opencl_overhead(run, d, q) for d in devices if d != "cpu"
                for q in (DEFAULT_QUEUE_DEPTH, 2, 1)]
    builds = [build_times(run, d) for d in devices if d != "cpu"]
    derive(run.rows, ceil)
    peaks = dict(kv.split("=") for kv in args.peak_tflops.split(",") if kv)
    peak_rows = []
    for r in run.rows:
        if r["section"] == "peak" and r["precision"] in peaks:
            tflops = r["gips_median"] * 8 / 1000
            peak = float(peaks[r["precision"]])
            peak_rows.append(dict(precision=r["precision"], gips=r["gips_median"],
                                  tflops=tflops, datasheet_tflops=peak,
                                  of_datasheet=tflops / peak, of_no_fma=tflops / (peak / 2)))
    report = dict(host=host_facts(devs), command=" ".join(sys.argv), quick=args.quick,
                  gpu_peak=peak_rows,
                  seconds=round(time.time() - t_start, 1), threads=threads,
                  ceiling=ceil, rows=run.rows, opencl_overhead=overhead, opencl_build=builds,
                  targets=targets(run.rows, ceil, overhead, nthreads))
    write_outputs(args, report)
    shutil.rmtree(run.tmp, ignore_errors=True)


def kernel_of(r):
    return own_kernel(r["device"]) if r["kernel"] == "auto" else r["kernel"]


def key(row, **change):
    r = dict(row, **change)
    return (r["device"], r.get("workload"), r["precision"], kernel_of(r), r["mode"], r["tile_w"],
            r["num_threads"])


def derive(rows, ceil):
    """Adds speed-ups measured in this run: over scalar, over sequential, fraction of ceiling."""
    index = {key(r): r for r in rows}
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


def find(rows, **want):
    for r in rows:
        if all(r.get(k) == v for k, v in want.items()):
            return r
    return None


def targets(rows, ceil, overhead, nthreads):
    """The targets, as ratios from this run (2 threads on the 2-core machine)."""
    out = []
    base = dict(workload=TARGET_WORKLOAD, tile_w=64, num_threads=nthreads, section="matrix")
    for mode in ("concurrent", "dynamic"):
        cpu_v = find(rows, device="cpu", kernel="vector", precision="double", mode=mode, **base)
        cpu_s = find(rows, device="cpu", kernel="scalar", precision="double", mode=mode, **base)
        cpu_f = find(rows, device="cpu", kernel="vector", precision="float", mode=mode, **base)
        cl_v = find(rows, device="pocl", kernel="vector", precision="double", mode=mode, **base)
        cl_s = find(rows, device="pocl", kernel="scalar", precision="double", mode=mode, **base)
        if cpu_v and cpu_s:
            out.append(dict(target="CPU vector / CPU scalar (>= 16)", mode=mode,
                            value=cpu_v["gips_median"] / cpu_s["gips_median"]))
        if cpu_v and "double" in ceil:
            out.append(dict(target="CPU vector / ceiling (>= 0.80)", mode=mode,
                            value=cpu_v["gips_median"] / ceil["double"]["giga_iterations_per_s"]))
        if cl_v and cl_s:
            out.append(dict(target="pocl vector / pocl scalar (>= 8)", mode=mode,
                            value=cl_v["gips_median"] / cl_s["gips_median"]))
        if cl_v and cpu_v:
            out.append(dict(target="pocl vector / CPU vector (>= 0.5)", mode=mode,
                            value=cl_v["gips_median"] / cpu_v["gips_median"]))
        if cpu_f and cpu_v:
            out.append(dict(target="CPU float / CPU double (>= 1.7)", mode=mode,
                            value=cpu_f["gips_median"] / cpu_v["gips_median"]))
    for o in overhead:
        if o["device"] == "pocl" and o["queue_depth"] == DEFAULT_QUEUE_DEPTH:
            out.append(dict(target="pocl per-tile overhead, us (< 20)", mode="sequential",
                            value=o["overhead_us_median"]))
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


def markdown(report):
    lines = []
    h = report["host"]
    lines.append(f"# tilerace benchmark ({'quick' if report['quick'] else 'full'})\n")
    lines.append(f"- host: {h['cpu']}, {h['cpus']} CPUs, {h['date']}")
    for d in h["devices"]:
        lines.append(f"- device `{d['selector']}`: {d['type']} {d['name']} ({d['platform']})")
    lines.append(f"- command: `{report['command']}` ({report['seconds']} s)")
    lines.append("- each configuration: one warm-up, then the median (min-max) of the timed runs;"
                 " ratios are between medians measured in this run\n")
    if report["targets"]:
        lines.append("## Targets\n")
        lines.append("| target | mode | measured |")
        lines.append("|---|---|---|")
        for t in report["targets"]:
            lines.append(f"| {t['target']} | {t['mode']} | {t['value']:.2f} |")
        lines.append("")
    if report["ceiling"]:
        lines.append("## Ceiling (same loop, every lane always busy)\n")
        lines.append("| precision | ISA | threads | Giter/s |")
        lines.append("|---|---|---|---|")
        for p, c in report["ceiling"].items():
            lines.append(f"| {p} | {c.get('isa')} | {c.get('threads')} | "
                         f"{c['giga_iterations_per_s']:.2f} |")
        lines.append("")
    if report.get("gpu_peak"):
        lines.append("## GPU against its datasheet peak (8192x8192/1000, 512x512 tiles)\n")
        lines.append("8 floating-point operations per iteration (4 multiplies: zr*zr, zi*zi, "
                     "2*zr, *zi; 4 adds: re2+im2, +c_im, re2-im2, +c_re); the kernel may not "
                     "fuse them (FP_CONTRACT OFF), so half the datasheet's FMA peak is the "
                     "reachable ceiling.\n")
        lines.append("| precision | Giter/s | TFLOP/s | datasheet TFLOP/s | of datasheet | "
                     "of datasheet without FMA |")
        lines.append("|---|---|---|---|---|---|")
        for g in report["gpu_peak"]:
            lines.append(f"| {g['precision']} | {g['gips']:.1f} | {g['tflops']:.2f} | "
                         f"{g['datasheet_tflops']:.1f} | {100 * g['of_datasheet']:.1f}% | "
                         f"{100 * g['of_no_fma']:.1f}% |")
        lines.append("")
    for section, title in (("matrix", "Devices x kernels x precision x modes (64x64 tiles)"),
                           ("peak", "GPU peak frame"),
                           ("tiles", "Tile sizes (dynamic, device's own kernel, double, "
                                     "target frame)"),
                           ("threads", "Thread counts (device's own kernel, double, target "
                                       "frame)")):
        rows = [r for r in report["rows"] if r["section"] == section]
        if not rows:
            continue
        lines.append(f"## {title}\n")
        lines.append("| device | workload | kernel | prec | mode | tile | threads | Giter/s median "
                     "(min-max) | elapsed ms | vs scalar | vs sequential | of ceiling | "
                     "imbalance |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            lines.append(
                f"| {r['device']} | {r['workload']} | {r['kernel_name']} | {r['precision']} | "
                f"{r['mode']} | {r['tile_w']} | {r['threads_used']} | {r['gips_median']:.3f} "
                f"({r['gips_min']:.3f}-{r['gips_max']:.3f}) | {r['elapsed_ms_median']:.1f} | "
                f"{fmt(r['vs_scalar'], 1, 'x')} | {fmt(r['vs_sequential'], 2, 'x')} | "
                f"{fmt(r['of_ceiling'] and 100 * r['of_ceiling'], 0, '%')} | "
                f"{r['imbalance_median']:.2f} |")
        lines.append("")
    kernel_rows = [r for r in report["rows"] if r["section"] == "matrix" and
                   r.get("kernel_gips_median") and r["workload"] == TARGET_WORKLOAD]
    if kernel_rows:
        lines.append(f"## OpenCL kernel rate ({TARGET_WORKLOAD}, 64x64 tiles)\n")
        lines.append("Total iterations over the tiles' summed kernel time (profiling events): "
                     "what one lane's kernel does while it runs, without the time between "
                     "kernels.\n")
        lines.append("| device | kernel | prec | mode | threads | Giter/s of kernel time | "
                     "Giter/s of elapsed time |")
        lines.append("|---|---|---|---|---|---|---|")
        for r in kernel_rows:
            lines.append(f"| {r['device']} | {r['kernel_name']} | {r['precision']} | "
                         f"{r['mode']} | {r['threads_used']} | {r['kernel_gips_median']:.2f} | "
                         f"{r['gips_median']:.2f} |")
        lines.append("")
    if report["opencl_overhead"]:
        lines.append("## OpenCL per-tile overhead (512x512, 8x8 tiles, max_iter 1, one lane)\n")
        lines.append("| device | queue depth | tiles | us per tile | "
                     "beyond kernel time, us median (min-max) |")
        lines.append("|---|---|---|---|---|")
        for o in report["opencl_overhead"]:
            lines.append(f"| {o['device']} | {o['queue_depth']} | {o['tiles']} | "
                         f"{o['us_per_tile_median']:.1f} | "
                         f"{o['overhead_us_median']:.1f} ({o['overhead_us_min']:.1f}-"
                         f"{o['overhead_us_max']:.1f}) |")
        lines.append("")
    if report["opencl_build"]:
        lines.append("## OpenCL build and time to first tile (800x600/256)\n")
        lines.append("| device | cache | build ms | warm-up ms | first tile ms |")
        lines.append("|---|---|---|---|---|")
        for b in report["opencl_build"]:
            lines.append(f"| {b['device']} | cold | {b['cold_build_ms']:.1f} | "
                         f"{b['cold_warmup_ms']:.1f} | {b['cold_first_tile_ms']:.1f} |")
            lines.append(f"| {b['device']} | warm | {b['warm_build_ms']:.1f} | "
                         f"{b['warm_warmup_ms']:.1f} | {b['warm_first_tile_ms']:.1f} |")
        lines.append("")
    lines.append("Load imbalance: the busiest thread's busy time (sum of its tiles' durations) "
                 "over the mean of the threads that ran; 1.00 is perfect balance.")
    return "\n".join(lines) + "\n"


def own_kernel(device):
    """What --kernel auto runs: the vector kernel on CPU devices, one pixel per item on GPUs."""
    return "scalar" if device == "gpu" else "vector"


def plots(args, report):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("gnuplot not found: no plots (scripts/setup-debian.sh --bench installs it)",
              file=sys.stderr)
        return
    base = os.path.join(args.out, args.name)
    rows = [r for r in report["rows"] if r["section"] == "matrix"
            and r["workload"] == TARGET_WORKLOAD and r["precision"] == "double"
            and r["kernel"] == own_kernel(r["device"])]
    with open(base + "-devices.dat", "w") as f:
        f.write("# device mode giga_iterations_per_s min max\n")
        for r in rows:
            f.write(f"\"{r['device']} {r['mode']}\" {r['gips_median']:.4f} {r['gips_min']:.4f} "
                    f"{r['gips_max']:.4f}\n")
    threads_rows = [r for r in report["rows"] if r["section"] in ("threads", "matrix")
                    and r["workload"] == TARGET_WORKLOAD and r["precision"] == "double"
                    and r["kernel"] in ("auto", own_kernel(r["device"]))
                    and r["mode"] in ("concurrent", "dynamic")
                    and r["tile_w"] == 64]
    series = sorted({(r["device"], r["mode"]) for r in threads_rows})
    with open(base + "-threads.dat", "w") as f:
        for dev, mode in series:
            pts = sorted((r["threads_used"], r["gips_median"]) for r in threads_rows
                         if (r["device"], r["mode"]) == (dev, mode))
            if not pts:
                continue
            one = next((g for t, g in pts if t == 1), None)
            f.write(f"\"{dev} {mode}\"\n")
            for t, g in pts:
                f.write(f"{t} {g / one if one else 0:.4f}\n")
            f.write("\n\n")
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
set output "{base}-threads.png"
set title "Speed-up vs threads, {TARGET_WORKLOAD}, each device's own kernel, double"
set style data linespoints
set xlabel "threads / lanes"
set ylabel "speed-up over 1 thread"
set key left top
set logscale x 2
set xtics norotate
plot for [i=0:{max(len(series) - 1, 0)}] "{base}-threads.dat" index i using 1:2 \\
     title columnheader(1) lw 2, x title "linear" dt 2 lc rgb "gray"
"""
    p = subprocess.run([gnuplot], input=script.encode(), capture_output=True)
    if p.returncode != 0:
        print(f"gnuplot failed: {p.stderr.decode()}", file=sys.stderr)


def write_outputs(args, report):
    base = os.path.join(args.out, args.name)
    md = markdown(report)
    with open(base + ".md", "w") as f:
        f.write(md)
    with open(base + ".json", "w") as f:
        json.dump(report, f, indent=1)
    fields = ["section", "device", "workload", "width", "height", "max_iter", "tile_w", "tile_h",
              "mode", "kernel", "precision", "num_threads", "threads_used", "device_name",
              "kernel_name", "tiles", "total_iterations", "checksum", "runs", "gips_median",
              "gips_min", "gips_max", "elapsed_ms_median", "elapsed_ms_min", "elapsed_ms_max",
              "vs_scalar", "vs_sequential", "of_ceiling", "imbalance_median",
              "kernel_gips_median", "build_ms", "first_tile_ms"]
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in report["rows"]:
            w.writerow(r)
    plots(args, report)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
