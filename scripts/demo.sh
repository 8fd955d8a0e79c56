#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default frame (the seed's defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh plain
mkdir -p build/demo
build/tilerace --device cpu --out build/demo/cpu.json
python3 scripts/compare.py build/demo/cpu.json
