#!/usr/bin/env bash
# End-to-end digest throughput on corpus A, the figure README.md quotes:
#   `hashsweep hash --perceptual none` (MD5, SHA-1, SHA-256 and BLAKE3 from one read of
#   every file) over ../shared/tools/gen_corpus.py's corpus A (1,001 files, 1.26 GB),
#   warm page cache, all cores. Prints each run's wall time and peak RSS, then the median.
#
#   benches/corpus_a.sh [RUNS]        (default 5; the corpus is generated once into ./corpus)
#
# Needs python3 with Pillow and numpy (gen_corpus.py) and GNU time (.ci/setup installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
corpus=corpus/a
if [ ! -f "$corpus/manifest.csv" ]; then
  python3 ../shared/tools/gen_corpus.py corpus --out "$corpus" --count 1000 --seed 1 --jobs "$(nproc)"
fi
cargo build --release --locked --quiet
bin=target/release/hashsweep
# Warm the cache with one untimed run.
"$bin" hash "$corpus" --perceptual none -q > /dev/null
times=()
for i in $(seq "$runs"); do
  /usr/bin/time -f '%e %M' -o /tmp/hashsweep-corpus-a.time \
    "$bin" hash "$corpus" --perceptual none -q > /dev/null
  read -r wall rss < /tmp/hashsweep-corpus-a.time
  echo "run $i: ${wall} s wall, peak RSS ${rss} KiB"
  times+=("$wall")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median of " NR ": " a[int((NR+1)/2)] " s (min " a[1] ", max " a[NR] ")"}'
