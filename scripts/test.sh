#!/usr/bin/env bash
# Installs what is missing, then builds and runs the whole test suite in the plain,
# AddressSanitizer+UndefinedBehaviorSanitizer and ThreadSanitizer builds.
#   scripts/test.sh [plain|asan|tsan ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh --tests
flavours=("$@")
[ ${#flavours[@]} -eq 0 ] && flavours=(plain asan tsan)
for f in "${flavours[@]}"; do
  echo "=== $f build"
  scripts/build.sh "$f"
  dir=build; [ "$f" = plain ] || dir="build-$f"
  echo "=== $f tests"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$(nproc)"
done
