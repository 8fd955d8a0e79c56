#!/usr/bin/env bash
# Builds and runs tilerace on a lent GPU machine that has no network: the Debian packages it
# needs (ICD loader, headers, cJSON, pkgconf) travel as .deb files in .debs/ and are unpacked
# into a private prefix. Writes what it finds and measures under $OUT (or bench/results/gpu).
#   bench/gpu/run_on_gpu.sh [explore|full]
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-explore}
out=${OUT:-bench/results/gpu}
mkdir -p "$out"
log="$out/gpu-session.log"
exec > >(tee -a "$log") 2>&1

deps=/tmp/tilerace-deps
rm -rf "$deps"; mkdir -p "$deps"
for f in .debs/*.deb; do dpkg -x "$f" "$deps"; done
# libmicrohttpd.pc asks for gnutls's .pc (only needed to link statically); the shared
# libgnutls.so.30 it runs with is part of the machine's base system.
sed -i '/^Requires/d' "$deps"/usr/lib/x86_64-linux-gnu/pkgconfig/libmicrohttpd.pc
ldconfig -p | grep -m1 libgnutls.so.30 || echo "warning: no libgnutls.so.30 here"
export PATH="$deps/usr/bin:$PATH"
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_PATH="$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig"
# the unpacked .pc files still say /usr: point them at the private prefix
sed -i "s|=/usr|=$deps/usr|" "$deps"/usr/lib/x86_64-linux-gnu/pkgconfig/*.pc \
  "$deps"/usr/share/pkgconfig/*.pc

echo "=== machine"
date -u; uname -a; nproc; free -g | head -2
grep -m1 "model name" /proc/cpuinfo
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || true
echo "=== OpenCL ICDs"
ls -la /etc/OpenCL/vendors 2>&1 || true
cat /etc/OpenCL/vendors/*.icd 2>/dev/null || true
nvlibs=$( (ldconfig -p | grep -o '/[^ ]*libnvidia-opencl.so[^ ]*'; \
           find / -xdev -name 'libnvidia-opencl.so*' 2>/dev/null) | sort -u)
echo "libnvidia-opencl: ${nvlibs:-none found}"
if [ ! -e /etc/OpenCL/vendors/nvidia.icd ] && [ -n "$nvlibs" ]; then
  # The driver ships the library but no ICD file here: register it for the loader ourselves.
  mkdir -p /tmp/tilerace-icd
  echo "$(echo "$nvlibs" | head -n1)" > /tmp/tilerace-icd/nvidia.icd
  export OCL_ICD_VENDORS=/tmp/tilerace-icd
  echo "registered $(cat /tmp/tilerace-icd/nvidia.icd) through OCL_ICD_VENDORS=$OCL_ICD_VENDORS"
fi
echo "=== clinfo -l"
clinfo -l 2>&1 || true

echo "=== build"
which cc gcc cmake make pkg-config pkgconf || true
rm -rf build-gpu
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DOpenCL_INCLUDE_DIR="$deps/usr/include" \
  -DOpenCL_LIBRARY="$deps/usr/lib/x86_64-linux-gnu/libOpenCL.so" \
  -DCMAKE_C_FLAGS="-I$deps/usr/include" \
  -DCMAKE_EXE_LINKER_FLAGS="-L$deps/usr/lib/x86_64-linux-gnu" >/tmp/cmake.log 2>&1 \
  || { tail -30 /tmp/cmake.log; exit 1; }
cmake --build build-gpu -j"$(nproc)" >/tmp/build.log 2>&1 || { tail -30 /tmp/build.log; exit 1; }
t=build-gpu/tilerace

echo "=== tilerace devices"
$t devices
$t devices --json > "$out/devices.json"
echo "=== tilerace selftest"
$t selftest
echo "selftest exit code: $?"

frame() { # device precision lanes kernel width height max_iter tile
  $t --device "$1" --precision "$2" --num-threads "$3" --kernel "$4" --width "$5" --height "$6" \
     --max-iter "$7" --tile-w "$8" --tile-h "$8" --time-limit-ms 0 --out /tmp/run.json &&
  python3 - /tmp/run.json "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); s = d["summary"]
print(f"{sys.argv[2]:<8} {sys.argv[3]:<6} lanes={sys.argv[4]:<3} {s['device']['kernel']:<22} "
      f"{sys.argv[6]}x{sys.argv[7]}/{sys.argv[8]} tile {sys.argv[9]:<4} "
      f"elapsed {s['elapsed_us']/1000:9.1f} ms  {s['giga_iterations_per_s']:8.2f} Giter/s  "
      f"build {s['device']['build_time_us']/1000:.0f} ms  {s['checksum']}")
PY
}
echo "=== frames"
for dev in gpu cpu; do
  for prec in double float; do
    frame $dev $prec 16 auto 1920 1080 1000 64
    frame $dev $prec 16 auto 4096 4096 256 128
  done
done
frame gpu double 16 auto 8192 8192 1000 512
frame gpu float 16 auto 8192 8192 1000 512
$t --device gpu --width 1920 --height 1080 --max-iter 1000 --time-limit-ms 0 --stream --quiet \
   > /tmp/stream.ndjson && echo "gpu --stream: $(wc -l < /tmp/stream.ndjson) lines, last: \
   $(tail -n1 /tmp/stream.ndjson | grep -o '"checksum":"[^"]*"')"
echo "=== several devices in one run"
# the golden 1920x1080/1000 frame (5ce97c1edc74a22a) with the CPU path and the GPU together
$t --device cpu,gpu --mode dynamic --width 1920 --height 1080 --max-iter 1000 --time-limit-ms 0 \
   --quiet | grep -o '"checksum":"[^"]*"' | tail -n1
python3 bench/run_bench.py --hetero-only --out "$out" --name h100 --binary build-gpu/tilerace \
  --devices cpu,gpu --threads "$(nproc)" --hetero-workload 8192x8192/1000 --hetero-lanes 4 \
  > /dev/null 2> "$out/h100-hetero-progress.log"
echo "hetero bench exit code: $?"
cat "$out/h100-hetero.md" 2>/dev/null
if [ "$mode" = full ]; then
  echo "=== bench suite"
  # NVIDIA H100 SXM5 datasheet, non-tensor: FP64 34 TFLOP/s, FP32 67 TFLOP/s (FMA = 2 flops)
  python3 bench/run_bench.py --out "$out" --name h100 --binary build-gpu/tilerace \
    --ceiling build-gpu/tilerace-ceiling --devices cpu,gpu --threads 1,2,4,8,16 \
    --peak-tflops double=34,float=67 > /dev/null 2> "$out/h100-progress.log"
  echo "bench exit code: $?"
  sed -n '/## Targets/,/## Devices/p;/## GPU against/,/## Tile sizes/p' "$out/h100.md"
fi
echo "=== done"
