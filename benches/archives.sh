#!/usr/bin/env bash
# Archives against loose files: the default `scan` over the same pictures as loose files,
# packed into one stored zip, and packed into one tar.gz, side by side, interleaved runs,
# warm page cache, all cores. Prints each run's wall time and peak RSS, then the medians
# and the ratios archive / loose (issue goal: stored zip within 1.3x of loose files).
# An archive is opened from memory, so the scans raise --max-entry-bytes (default 1 GiB) above
# the archive's size: the default corpus packs to about 1.2 GB.
#
#   benches/archives.sh [COUNT] [RUNS]   (default 1000 pictures of gen_corpus.py's corpus A, 5 runs)
#
# Needs python3 with Pillow and numpy (gen_corpus.py) and GNU time (.ci/setup installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
runs=${2:-5}
work=corpus/archives-$count
if [ ! -f "$work/loose/manifest.csv" ]; then
  mkdir -p "$work"
  python3 ../shared/tools/gen_corpus.py corpus --out "$work/loose" --count "$count" --seed 1 --jobs "$(nproc)"
fi
if [ ! -f "$work/targz/corpus.tar.gz" ]; then
  mkdir -p "$work/zip" "$work/targz"
  python3 - "$work" <<'PY'
import os, sys, tarfile, zipfile
work = sys.argv[1]
root = f"{work}/loose"
files = sorted(
    os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
)
with zipfile.ZipFile(f"{work}/zip/corpus.zip", "w", zipfile.ZIP_STORED, allowZip64=True) as z:
    for f in files:
        z.write(f"{root}/{f}", f)
with tarfile.open(f"{work}/targz/corpus.tar.gz", "w:gz", compresslevel=6) as t:
    for f in files:
        t.add(f"{root}/{f}", f)
PY
fi
# The list holds one entry so the scan does its full default work (digests + PDQ).
echo '{"algorithm":"md5","hash":"00000000000000000000000000000001","id":"none"}' > "$work/list.jsonl"
cargo build --release --locked --quiet
bin=target/release/hashsweep
scan=(scan -l "$work/list.jsonl" -q --max-entry-bytes 4294967296)
declare -A times
for kind in loose zip targz; do
  "$bin" "${scan[@]}" "$work/$kind" > /dev/null || true   # warm the cache
done
for i in $(seq "$runs"); do
  for kind in loose zip targz; do
    /usr/bin/time -f '%e %M' -o /tmp/hashsweep-archives.time \
      "$bin" "${scan[@]}" "$work/$kind" > /dev/null || true
    read -r wall rss < /tmp/hashsweep-archives.time
    echo "run $i $kind: ${wall} s wall, peak RSS ${rss} KiB"
    times[$kind]="${times[$kind]:-} $wall"
  done
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
loose=$(median "${times[loose]}")
for kind in loose zip targz; do
  m=$(median "${times[$kind]}")
  echo "$kind: median ${m} s, $(awk -v a="$m" -v b="$loose" 'BEGIN {printf "%.2f", a / b}')x loose"
done
