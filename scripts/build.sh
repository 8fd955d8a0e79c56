#!/usr/bin/env bash
# Configures and builds one flavour with warnings as errors:
#   scripts/build.sh [plain|asan|tsan]   -> build/, build-asan/, build-tsan/
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-plain}
case "$flavour" in
  plain) dir=build; san="" ;;
  asan) dir=build-asan; san="address,undefined" ;;
  tsan) dir=build-tsan; san="thread" ;;
  *) echo "build.sh: unknown flavour '$flavour' (accepted: plain, asan, tsan)" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -DTILERACE_WERROR=ON -DTILERACE_SANITIZE="$san" >/dev/null
cmake --build "$dir" -j"$(nproc)"
