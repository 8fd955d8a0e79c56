#!/usr/bin/env bash
# Configures and builds one flavour with warnings as errors:
#   scripts/build.sh [plain|asan|tsan]   -> build/, build-asan/, build-tsan/
#   scripts/build.sh noopencl            -> build-noopencl/: without OpenCL (-DTILERACE_OPENCL=OFF)
#   scripts/build.sh noserver            -> build-noserver/: without the HTTP API
#                                           (-DTILERACE_SERVER=OFF)
#   scripts/build.sh fuzz                -> build-fuzz/: the libFuzzer targets (clang, ASan+UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-plain}
extra=()
san=""
case "$flavour" in
  plain) dir=build ;;
  asan) dir=build-asan; san="address,undefined" ;;
  tsan) dir=build-tsan; san="thread" ;;
  noopencl) dir=build-noopencl; extra=(-DTILERACE_OPENCL=OFF) ;;
  noserver) dir=build-noserver; extra=(-DTILERACE_SERVER=OFF) ;;
  fuzz) dir=build-fuzz; san="address,undefined"
        extra=(-DCMAKE_C_COMPILER=clang -DTILERACE_FUZZ=ON -DBUILD_TESTING=OFF) ;;
  *) echo "build.sh: unknown flavour '$flavour' (accepted: plain, asan, tsan, noopencl, noserver, fuzz)" >&2
     exit 2 ;;
esac
cmake -S . -B "$dir" -DTILERACE_WERROR=ON -DTILERACE_SANITIZE="$san" ${extra[@]+"${extra[@]}"} >/dev/null
cmake --build "$dir" -j"$(nproc)"
