"""Helpers for the image, stream and replay tests: the colour map (computed here on its own,
from the stops that host/output/colormap.c and web/replay.html are built with, so the test
fails when either computes it differently), frames rebuilt from records' counts, and the frame
checksum."""
import os
import struct

PALETTE = os.environ.get("TILERACE_PALETTE", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "host", "output", "palette.tsv"))


def read_palette(path=PALETTE):
    """[(position, (r, g, b)), ...] from the palette file: the one source of the stops."""
    stops = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                pos, r, g, b = (int(v) for v in line.split())
                stops.append((pos, (r, g, b)))
    assert stops and stops[0][0] == 0 and stops[-1][0] == 65536, path
    return stops


STOPS = read_palette()


def _isqrt(v):
    r = int(v ** 0.5)
    while r * r > v:
        r -= 1
    while (r + 1) * (r + 1) <= v:
        r += 1
    return r


def colormap_table(max_iter):
    lut = []
    for c in range(max_iter + 1):
        if c >= max_iter:
            lut.append((0, 0, 0))
            continue
        s = _isqrt((c << 32) // max_iter)
        i = 0
        while s >= STOPS[i + 1][0]:
            i += 1
        p0, c0 = STOPS[i]
        p1, c1 = STOPS[i + 1]
        span = p1 - p0
        lut.append(tuple((c0[k] * (p1 - s) + c1[k] * (s - p0) + span // 2) // span
                         for k in range(3)))
    return lut


def hatch(x, y):
    v = 96 if ((x + y) >> 3) & 1 else 48
    return (v, v, v)


def frame_from_records(params, records):
    """Row-major counts from records that carry "data"; unrendered pixels stay 0."""
    w = params["width"]
    frame = [0] * (w * params["height"])
    for r in records:
        data = r["data"]
        assert len(data) == r["tile_w"] * r["tile_h"], r["task_id"]
        for ty in range(r["tile_h"]):
            row = (r["tile_y"] + ty) * w + r["tile_x"]
            frame[row:row + r["tile_w"]] = data[ty * r["tile_w"]:(ty + 1) * r["tile_w"]]
    return frame


def rendered_mask(params, records):
    """Per pixel: True where a record's tile covers it."""
    w = params["width"]
    mask = [False] * (w * params["height"])
    for r in records:
        for ty in range(r["tile_h"]):
            row = (r["tile_y"] + ty) * w + r["tile_x"]
            mask[row:row + r["tile_w"]] = [True] * r["tile_w"]
    return mask


def fnv1a64_counts(counts):
    """The README's checksum: FNV-1a 64 over the counts as little-endian uint16."""
    h = 0xcbf29ce484222325
    for b in struct.pack(f"<{len(counts)}H", *counts):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"fnv1a64:{h:016x}"


# A run that the time limit always cuts short: whole tiles inside the set cost
# 32*32*65535 = 67M iterations each, far more than 30 ms on any machine.
LIMITED = ["--width", 512, "--height", 512, "--tile-w", 32, "--tile-h", 32, "--max-iter", 65535,
           "--time-limit-ms", 30, "--num-threads", 2]
