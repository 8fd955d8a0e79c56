#!/usr/bin/env python3
"""Prints a head-to-head table of tilerace run documents (JSON files given as arguments)."""
import json
import sys


def main(paths):
    docs = []
    for path in paths:
        with open(path) as f:
            docs.append(json.load(f))
    checksums = {d["summary"]["checksum"] for d in docs if d["summary"]["checksum"]}
    print(f"{'device':<10} {'name':<40} {'tiles':>9} {'elapsed ms':>11} {'Giter/s':>8}  checksum")
    for d in docs:
        s = d["summary"]
        match = ("time-limited" if s["checksum"] is None else
                 "match" if len(checksums) == 1 else "MISMATCH")
        print(f"{d['params']['device']:<10} {s['device']['name'][:40]:<40} "
              f"{s['tiles_completed']:>4}/{s['tiles_total']:<4} {s['elapsed_us'] / 1000:>11.1f} "
              f"{s['giga_iterations_per_s']:>8.3f}  {s['checksum'] or '-'} ({match})")
    return 0 if len(checksums) <= 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
