#!/usr/bin/env bash
# Installs what tilerace needs from Debian 12's packages, only what is missing.
#   scripts/setup-debian.sh            build + run (compiler, cJSON, OpenCL loader, pocl)
#   scripts/setup-debian.sh --tests    also what the test suite needs (chromium: the replay page test;
#                                      clang and its libFuzzer runtime: scripts/fuzz.sh)
#   scripts/setup-debian.sh --bench    also what the benchmarks need
set -euo pipefail

packages=(gcc make cmake pkg-config python3 libcjson-dev ocl-icd-opencl-dev opencl-c-headers
          pocl-opencl-icd clinfo libpng-dev libmicrohttpd-dev)
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=(libcmocka-dev python3-jsonschema python3-numpy wrk chromium
                        clang libclang-rt-14-dev
                        man-db groff-base zsh binutils  # the install test: man -l, zsh -n, objdump
                        openmpi-bin libopenmpi-dev) ;;  # tilerace-mpi and its tests
    --bench) packages+=(gnuplot-nox) ;;
    *) echo "setup-debian.sh: unknown argument '$arg' (accepted: --tests, --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-debian.sh: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-debian.sh: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
