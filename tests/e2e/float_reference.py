#!/usr/bin/env python3
"""An independent float32 reference for `--precision float`, written with numpy.

It computes pixel.h's single-precision function the same way, one IEEE float32 operation at a
time (numpy never fuses a multiply and an add):

    c_re = float32(x) / float32(W) * 3.5 - 2.5,   c_im = float32(y) / float32(H) * 2.0 - 1.0
    z = 0; for i in 0..max_iter-1: if zr*zr + zi*zi > 4: count = i; stop
                                   zi = 2*zr*zi + c_im; zr = zr*zr - zi*zi + c_re

and hashes the counts as tilerace does (FNV-1a 64 over little-endian uint16, row-major).

  float_reference.py --write tests/data/golden_float.tsv   the frames of golden.tsv, in float
  float_reference.py --check tests/data/golden_float.tsv --smallest 2
                                   recomputes the 2 cheapest frames and compares with the table
"""
import argparse
import csv
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32
FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
MASK64 = (1 << 64) - 1
COLUMNS = ["width", "height", "max_iter", "fnv1a64", "total_iterations"]


def counts_float32(width, height, max_iter):
    """The frame's iteration counts, row-major, as uint16."""
    x = np.arange(width, dtype=np.uint32).astype(F32)  # exact: x < 2^24
    y = np.arange(height, dtype=np.uint32).astype(F32)
    c_re_row = x / F32(width) * F32(3.5) - F32(2.5)
    c_im_col = y / F32(height) * F32(2.0) - F32(1.0)
    assert c_re_row.dtype == F32 and c_im_col.dtype == F32
    c_re = np.tile(c_re_row, height)
    c_im = np.repeat(c_im_col, width)

    n = width * height
    counts = np.full(n, max_iter, dtype=np.uint16)
    alive = np.arange(n)
    zr = np.zeros(n, dtype=F32)
    zi = np.zeros(n, dtype=F32)
    for i in range(max_iter):
        re2 = zr * zr
        im2 = zi * zi
        escaped = (re2 + im2) > F32(4.0)
        if escaped.any():
            counts[alive[escaped]] = i
            keep = ~escaped
            alive, zr, zi, re2, im2, c_re, c_im = (
                a[keep] for a in (alive, zr, zi, re2, im2, c_re, c_im))
            if alive.size == 0:
                break
        zi = F32(2.0) * zr * zi + c_im
        zr = re2 - im2 + c_re
        assert zr.dtype == F32 and zi.dtype == F32
    return counts


def fnv1a64(counts):
    h = FNV_OFFSET
    for b in counts.astype("<u2").tobytes():
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


def frame_row(width, height, max_iter):
    counts = counts_float32(width, height, max_iter)
    return {"width": width, "height": height, "max_iter": max_iter,
            "fnv1a64": f"{fnv1a64(counts):016x}",
            "total_iterations": int(counts.sum(dtype=np.uint64))}


def read_table(path):
    with open(path, newline="") as f:
        return [{k: (r[k] if k == "fnv1a64" else int(r[k])) for k in COLUMNS}
                for r in csv.DictReader(f, delimiter="\t")]


def write_table(path, rows):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write("\t".join(COLUMNS) + "\n")
            for r in rows:
                f.write("\t".join(str(r[k]) for k in COLUMNS) + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", default=os.path.join(HERE, "..", "data", "golden.tsv"),
                    help="table whose width, height and max_iter are the frames to compute")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="TABLE", help="compute every frame and write TABLE")
    mode.add_argument("--check", metavar="TABLE", help="recompute frames and compare with TABLE")
    ap.add_argument("--smallest", type=int, default=0,
                    help="with --check: only the N cheapest frames (default: all)")
    args = ap.parse_args()

    frames = [(r["width"], r["height"], r["max_iter"]) for r in read_table(args.frames)]
    if args.write:
        write_table(args.write, [frame_row(*f) for f in frames])
        return 0

    table = {(r["width"], r["height"], r["max_iter"]): r for r in read_table(args.check)}
    missing = [f for f in frames if f not in table]
    if missing:
        print(f"float_reference: {args.check} lacks the frames {missing}", file=sys.stderr)
        return 1
    todo = sorted(frames, key=lambda f: f[0] * f[1] * f[2])
    if args.smallest > 0:
        todo = todo[:args.smallest]
    bad = 0
    for f in todo:
        got = frame_row(*f)
        want = table[f]
        ok = got == want
        bad += not ok
        print(f"{'ok' if ok else 'MISMATCH'} {f[0]}x{f[1]}/{f[2]}: numpy {got['fnv1a64']} "
              f"{got['total_iterations']}, table {want['fnv1a64']} {want['total_iterations']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
