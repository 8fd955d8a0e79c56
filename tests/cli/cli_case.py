#!/usr/bin/env python3
"""Runs one data-driven CLI case: arguments, expected exit code, expected output fragment.

For a failing case it also checks the error contract: nothing on stdout, exactly one line on
stderr that starts with 'tilerace: ', and no file left behind in the case's folder.
"""
import os
import subprocess
import sys
import tempfile


def main():
    binary, name, want_exit, fragment = sys.argv[1:5]
    args = sys.argv[5:]
    want_exit = int(want_exit)
    with tempfile.TemporaryDirectory(prefix="tilerace-cli-") as tmp:
        args = [a.replace("@TMP@", tmp) for a in args]
        fragment = fragment.replace("@TMP@", tmp)
        p = subprocess.run([binary] + args, capture_output=True, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        problems = []
        if p.returncode != want_exit:
            problems.append(f"exit code {p.returncode}, expected {want_exit}")
        if want_exit == 0:
            if fragment not in out:
                problems.append(f"stdout lacks {fragment!r}")
        else:
            if out:
                problems.append(f"stdout is not empty: {out[:200]!r}")
            lines = err.splitlines()
            if len(lines) != 1:
                problems.append(f"stderr has {len(lines)} lines, expected 1")
            if not err.startswith("tilerace: "):
                problems.append("stderr does not start with 'tilerace: '")
            if fragment not in err:
                problems.append(f"stderr lacks {fragment!r}")
            left = os.listdir(tmp)
            if left:
                problems.append(f"files left behind: {left}")
        if problems:
            print(f"FAIL {name}: tilerace {' '.join(args)}")
            print(f"  stdout: {out[:300]!r}\n  stderr: {err[:300]!r}")
            for pr in problems:
                print("  - " + pr)
            return 1
        print(f"ok {name}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
