#!/usr/bin/env bash
# Regenerates the README's pictures with the program itself and headless Chromium:
#   docs/images/mandelbrot.png     --image of the default frame
#   docs/images/time-limited.png   --image of a run the time limit cut short (hatched tiles)
#   docs/images/replay.png         a replay page of two runs, paused mid-race
# Usage: scripts/readme-images.sh [path/to/tilerace]   (default build/tilerace)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/tilerace}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs/images

"$bin" --quiet --time-limit-ms 0 --image docs/images/mandelbrot.png -o "$tmp/full.json"
"$bin" --quiet --width 480 --height 360 --tile-w 32 --tile-h 32 --max-iter 65535 \
  --time-limit-ms 60 --num-threads 4 --image docs/images/time-limited.png -o "$tmp/cut.json"

frame=(--width 480 --height 360 --tile-w 40 --tile-h 40 --max-iter 800 --time-limit-ms 0)
"$bin" --quiet "${frame[@]}" --mode concurrent --num-threads 4 --record-pixels -o "$tmp/a.json"
"$bin" --quiet "${frame[@]}" --mode dynamic --num-threads 4 --stream -o "$tmp/b.ndjson"
"$bin" replay "$tmp/a.json" "$tmp/b.ndjson" -o "$tmp/replay.html"
mid=$(python3 -c 'import json,sys
docs=[json.load(open(sys.argv[1])), json.loads(open(sys.argv[2]).read().splitlines()[-1])]
print(int(0.55 * max(d["summary"]["elapsed_us"] for d in docs)))' "$tmp/a.json" "$tmp/b.ndjson")
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$tmp/profile" --window-size=1300,960 --virtual-time-budget=5000 \
  --screenshot=docs/images/replay.png "file://$tmp/replay.html?t=$mid" 2>/dev/null
ls -l docs/images
