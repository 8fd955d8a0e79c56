#!/usr/bin/env bash
# Regenerates the README's pictures with the program itself and headless Chromium:
#   docs/images/mandelbrot.png     --image of the default frame
#   docs/images/time-limited.png   --image of a run the time limit cut short (hatched tiles)
#   docs/images/replay.png         a replay page of two runs, paused mid-race
#   docs/images/serve-page.png     GET / of `tilerace serve` after racing cpu against pocl
# Usage: scripts/readme-images.sh [path/to/tilerace]   (default build/tilerace)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/tilerace}
tmp=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
shot() { # shot OUTPUT URL: a headless Chromium screenshot
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$tmp/profile" --window-size=1300,960 --virtual-time-budget=30000 \
    --screenshot="$1" "$2" 2>/dev/null
}
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
shot docs/images/replay.png "file://$tmp/replay.html?t=$mid"

# The server's page, racing the CPU path (kernel auto) against pocl with the real pixels.
"$bin" serve --bind 127.0.0.1 --port 0 >"$tmp/serve.out" 2>"$tmp/serve.log" &
server=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^tilerace serve: listening on //p' "$tmp/serve.out")
[[ -n $url ]] || { cat "$tmp/serve.log" >&2; exit 1; }
shot docs/images/serve-page.png \
  "${url}?device=cpu&compare=pocl&mode=dynamic&width=480&height=360&tile_w=40&tile_h=40&max_iter=800&time_limit_ms=10000&num_threads=2&pixels=1&run=1"
ls -l docs/images
