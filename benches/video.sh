#!/usr/bin/env bash
# Video hashing throughput: hashsweep (ffmpeg child + native PDQ) against Meta's reference
# `vpdq` Python package on the same generated videos (testsrc2, H.264, 10 s at 30 fps) at
# 640×360, 1280×720 and 1920×1080, one frame per second hashed (vPDQ's default).
# Prints frames hashed per second and video seconds per wall second; RUNS (default 5)
# interleaved rounds, medians kept. Needs a release build, ffmpeg and `pip install vpdq` (.ci/setup).
# Usage: benches/video.sh [SECONDS_PER_HASH]
set -euo pipefail
sph=${1:-1}
bin=${HASHSWEEP_BIN:-${CARGO_TARGET_DIR:-target}/release/hashsweep}
[ -n "${HASHSWEEP_BIN:-}" ] || cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
printf '%-10s %8s %12s %12s %12s %12s %8s\n' size frames hs_s vpdq_s hs_fps vpdq_fps ratio
for size in 640x360 1280x720 1920x1080; do
  v=$work/$size.mp4
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=$size:rate=30:duration=10" -c:v libx264 -pix_fmt yuv420p "$v"
  frames=$("$bin" hash --video-seconds-per-hash "$sph" "$v" | python3 -c \
    'import json,sys; print(json.loads(sys.stdin.readline())["video"]["frames_hashed"])')
  # Interleaved rounds, so a change in machine load hits both tools alike.
  : >"$work/hs" && : >"$work/vp"
  for _ in $(seq "${RUNS:-5}"); do
    secs "$bin" hash --perceptual pdq --video-seconds-per-hash "$sph" "$v" >>"$work/hs"
    secs python3 -c "import vpdq; vpdq.computeHash('$v', seconds_per_hash=$sph)" >>"$work/vp"
  done
  hs=$(median <"$work/hs")
  vp=$(median <"$work/vp")
  printf '%-10s %8d %12.2f %12.2f %12.1f %12.1f %8.2f\n' "$size" "$frames" "$hs" "$vp" \
    "$(echo "$frames / $hs" | bc -l)" "$(echo "$frames / $vp" | bc -l)" "$(echo "$vp / $hs" | bc -l)"
  echo "           video seconds per wall second: hashsweep $(echo "10 / $hs" | bc -l | cut -c1-5), vpdq $(echo "10 / $vp" | bc -l | cut -c1-5)"
done
