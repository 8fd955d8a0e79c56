#!/usr/bin/env bash
# Builds the libFuzzer targets (scripts/build.sh fuzz -> build-fuzz/) and runs each for a
# bounded time on a temporary copy of its seed corpus, tests/fuzz/corpus/TARGET/ (the
# repository is never changed). A crash, leak, timeout or broken property saves the input
# under build-fuzz/artifacts/TARGET/, prints its path and makes the script exit 1.
#   scripts/fuzz.sh [SECONDS] [TARGET...]    (default: 60 s each, every target)
#   targets: cli http_query http_request replay_input
# Reproduce a finding: build-fuzz/tests/fuzz/fuzz_TARGET build-fuzz/artifacts/TARGET/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

all=(cli http_query http_request replay_input)
declare -A max_len=([cli]=4096 [http_query]=16384 [http_request]=16384 [replay_input]=32768)
declare -A dict=([cli]=cli.dict [http_query]=http.dict [http_request]=http.dict
                 [replay_input]=replay_input.dict)

seconds=60
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
if [ "$seconds" -lt 1 ] || [ "$seconds" -gt 86400 ]; then
  echo "fuzz.sh: SECONDS '$seconds' is out of range (accepted range 1..86400)" >&2
  exit 2
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  if [ -z "${max_len[$t]+x}" ]; then
    echo "fuzz.sh: unknown target '$t' (accepted: ${all[*]})" >&2
    exit 2
  fi
done

scripts/build.sh fuzz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/logs
failed=()
for t in "${targets[@]}"; do
  artifacts=build-fuzz/artifacts/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$work/$t" "$artifacts"
  cp -R "tests/fuzz/corpus/$t/." "$work/$t/"
  touch "$work/start-$t"
  rc=0
  # -timeout: one input running this long is a finding (a hang); the outer timeout only
  # guards against a fuzzer that never stops.
  LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS=print_stacktrace=1 \
    timeout --kill-after=30 $((seconds + 300)) "build-fuzz/tests/fuzz/fuzz_$t" \
      -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2048 \
      -dict="tests/fuzz/${dict[$t]}" -artifact_prefix="$artifacts/" -print_final_stats=1 \
      "$work/$t" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  found=$(find "$artifacts" -type f -newer "$work/start-$t" | sort)
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    echo "fuzz $t: FINDING (exit $rc) after ${runs:-?} runs; the end of $log:"
    tail -n 60 "$log" | sed 's/^/  /'
    if [ -n "$found" ]; then
      echo "fuzz $t: reproducers (run: build-fuzz/tests/fuzz/fuzz_$t FILE):"
      echo "$found" | sed 's/^/  /'
    fi
    failed+=("$t")
  else
    echo "fuzz $t: ${runs:-?} runs in ${seconds} s (${speed:-?} exec/s), no finding"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
