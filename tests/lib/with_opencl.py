#!/usr/bin/env python3
"""Runs a test script (argv[1:]) only where an OpenCL device exists; else exits 77, which
ctest reports as skipped (SKIP_RETURN_CODE). CI has pocl, so there the script always runs."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tilerace_test as tt  # noqa: E402

_, doc = tt.run("devices", "--json")
if not any(d["selector"].startswith("opencl:") for d in doc["devices"]):
    print("SKIP: no OpenCL platform/device found")
    sys.exit(77)
os.execv(sys.executable, [sys.executable] + sys.argv[1:])
