#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite in the plain,
# AddressSanitizer+UndefinedBehaviorSanitizer and ThreadSanitizer builds, then runs each
# libFuzzer target for TILERACE_FUZZ_SECONDS (default 60) seconds (scripts/fuzz.sh).
#   scripts/test.sh [plain|asan|tsan|fuzz ...]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh --tests
flavours=("$@")
[ ${#flavours[@]} -eq 0 ] && flavours=(plain asan tsan fuzz)
for f in "${flavours[@]}"; do
  if [ "$f" = fuzz ]; then
    echo "=== fuzz targets"
    scripts/fuzz.sh "${TILERACE_FUZZ_SECONDS:-60}"
    continue
  fi
  echo "=== $f build"
  scripts/build.sh "$f"
  dir=build; [ "$f" = plain ] || dir="build-$f"
  echo "=== $f tests"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$(nproc)"
done
