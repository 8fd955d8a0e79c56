#!/usr/bin/env python3
"""Runs a test script (argv[1:]) only where an OpenCL device exists; else exits 77, which
ctest reports as skipped (SKIP_RETURN_CODE). With TILERACE_REQUIRE_OPENCL=1 (scripts/test.sh
sets it; CI has pocl) a missing device is a failure instead: exit 1 with the reason."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tilerace_test as tt  # noqa: E402

selectors, _, why = tt.opencl_devices()
if not selectors:
    reason = f"no OpenCL platform/device found ({why or 'no device listed'})"
    try:
        tt.without_opencl(reason)
    except AssertionError as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(77)
os.execv(sys.executable, [sys.executable] + sys.argv[1:])
