#!/usr/bin/env bash
# Installs what is missing, then builds and runs the test suite in each flavour, then runs
# each libFuzzer target for TILERACE_FUZZ_SECONDS (default 60) seconds (scripts/fuzz.sh).
#   scripts/test.sh [plain|asan|tsan|noopencl|noserver|fuzz ...]   (default: all six)
# plain, asan and tsan run the whole suite; noopencl (built without OpenCL) runs all of its
# suite, which has no OpenCL tests; noserver (built without the server) runs its tests that
# use neither OpenCL nor Chromium (ctest -LE 'opencl|browser'): those are the same tests as
# plain's, and what the build without the server changes is in the rest.
# Each flavour's suite includes the install check (ctest -R install): cmake --install into a
# temporary prefix, the installed tilerace run from there (bench --quick too), man -l on the
# installed page, the completions sourced, and cpack -G DEB with its Depends.
# Builds with OpenCL run their tests with TILERACE_REQUIRE_OPENCL=1: a test that needs an
# OpenCL device fails, rather than skips, where none is found; and the plain build's
# `tilerace selftest --require-opencl` fails (exit 3) when no OpenCL device passes, so a
# machine whose OpenCL platform is missing or broken cannot pass while testing nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh --tests
flavours=("$@")
[ ${#flavours[@]} -eq 0 ] && flavours=(plain asan tsan noopencl noserver fuzz)
for f in "${flavours[@]}"; do
  if [ "$f" = fuzz ]; then
    echo "=== fuzz targets"
    scripts/fuzz.sh "${TILERACE_FUZZ_SECONDS:-60}"
    continue
  fi
  echo "=== $f build"
  scripts/build.sh "$f"
  dir=build; [ "$f" = plain ] || dir="build-$f"
  select=()
  [ "$f" = noserver ] && select=(-LE 'opencl|browser')
  require=1; [ "$f" = noopencl ] && require=0
  echo "=== $f tests"
  TILERACE_REQUIRE_OPENCL=$require \
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$(nproc)" ${select[@]+"${select[@]}"}
  if [ "$f" = plain ]; then
    echo "=== plain selftest --require-opencl"
    "$dir/tilerace" selftest --require-opencl
  fi
done
