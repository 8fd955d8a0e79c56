#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default frame (the Hardware Havoc API's defaults) on the
# CPU path and on pocl, then prints a head-to-head table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh plain
mkdir -p build/demo
# The default frame, head to head on the CPU path and on pocl (OpenCL on the CPU).
build/tilerace --device cpu --out build/demo/cpu.json
build/tilerace --device pocl --out build/demo/pocl.json
build/tilerace compare build/demo/cpu.json build/demo/pocl.json
