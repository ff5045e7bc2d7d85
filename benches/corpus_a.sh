#!/usr/bin/env bash
# Corpus A, side by side in one run (interleaved rounds, so machine load hits all alike),
# warm page cache, all cores; prints each run's wall time and peak RSS, then medians and
# ratios. Rows:
#   digests    `hashsweep hash --perceptual none` (MD5, SHA-1, SHA-256, BLAKE3, one read)
#   scan       default `scan --list fixtures/demo-list.jsonl` (digests + PDQ with 8 dihedral
#              variants, and pHash, dHash and aHash because the demo list carries them),
#              report to /dev/null
#   scan-pdq   the same with `--perceptual pdq`: digests + PDQ only, the issue's default scan
#   scan-pdq-fast   `scan-pdq` with `--fast`
#   scan-pdq-phash, scan-all4   `scan --perceptual pdq,phash` / `pdq,phash,dhash,ahash`
#   scan-fast  `scan --fast` (JPEGs decoded at reduced size; approximate hashes)
#   reference  benches/reference_pipeline.py: Pillow + pdqhash + hashlib, one process per core
#
#   benches/corpus_a.sh [RUNS] [CORPUS_DIR]
#       RUNS defaults to 3; CORPUS_DIR to /tmp/hashsweep-corpus-a, generated there once with
#       ../shared/tools/gen_corpus.py corpus --count ${COUNT:-1000} --seed 1 (never commit it).
#   ROWS="digests scan" benches/corpus_a.sh   runs a subset.
#
# Needs python3 with Pillow, numpy and pdqhash, and GNU time (.ci/setup installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
corpus=${2:-/tmp/hashsweep-corpus-a}
rows=${ROWS:-digests scan scan-pdq scan-pdq-phash scan-all4 reference}
if [ ! -f "$corpus/manifest.csv" ]; then
  python3 ../shared/tools/gen_corpus.py corpus --out "$corpus" --count "${COUNT:-1000}" --seed 1 --jobs "$(nproc)"
fi
. benches/release_bin.sh # sets bin (HASHSWEEP_BIN, or this checkout's release build)

command_for() {
  case $1 in
    digests) echo "$bin hash $corpus --perceptual none -q -o /dev/null" ;;
    scan) echo "$bin scan $corpus --list fixtures/demo-list.jsonl -q -o /dev/null" ;;
    scan-pdq) echo "$bin scan $corpus --list fixtures/demo-list.jsonl --perceptual pdq -q -o /dev/null" ;;
    scan-pdq-fast) echo "$bin scan $corpus --list fixtures/demo-list.jsonl --perceptual pdq --fast -q -o /dev/null" ;;
    scan-pdq-phash) echo "$bin scan $corpus --list fixtures/demo-list.jsonl --perceptual pdq,phash -q -o /dev/null" ;;
    scan-all4) echo "$bin scan $corpus --list fixtures/demo-list.jsonl --perceptual pdq,phash,dhash,ahash -q -o /dev/null" ;;
    scan-fast) echo "$bin scan $corpus --list fixtures/demo-list.jsonl --fast -q -o /dev/null" ;;
    reference) echo "python3 benches/reference_pipeline.py $corpus $(nproc)" ;;
  esac
}

# Warm the page cache with one untimed read of everything.
cat "$corpus"/*/* > /dev/null
declare -A times cpus
for i in $(seq "$runs"); do
  for row in $rows; do
    # shellcheck disable=SC2046
    /usr/bin/time -f '%e %M %U %S' -o /tmp/hashsweep-corpus-a.time $(command_for "$row") > /dev/null || [ $? -eq 1 ] # 1 = a match, fine here
    read -r wall rss user sys < /tmp/hashsweep-corpus-a.time
    echo "run $i $row: ${wall} s wall, $user + $sys s CPU, peak RSS ${rss} KiB"
    times[$row]="${times[$row]:-} $wall"
    cpus[$row]="${cpus[$row]:-} $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A med medcpu
for row in $rows; do
  med[$row]=$(echo "${times[$row]}" | median)
  medcpu[$row]=$(echo "${cpus[$row]}" | median)
  echo "median $row: ${med[$row]} s wall (runs:${times[$row]}), ${medcpu[$row]} s CPU (runs:${cpus[$row]})"
done
if [ -n "${med[scan]:-}" ] && [ -n "${med[reference]:-}" ]; then
  awk -v a="${med[reference]}" -v b="${med[scan]}" -v c="${medcpu[reference]}" -v d="${medcpu[scan]}" \
    'BEGIN {printf "reference / scan: %.2fx wall, %.2fx CPU\n", a / b, c / d}'
fi
if [ -n "${med[scan-pdq]:-}" ] && [ -n "${med[reference]:-}" ]; then
  awk -v a="${med[reference]}" -v b="${med[scan-pdq]}" -v c="${medcpu[reference]}" -v d="${medcpu[scan-pdq]}" \
    'BEGIN {printf "reference / scan-pdq: %.2fx wall, %.2fx CPU\n", a / b, c / d}'
fi
if [ -n "${med[scan-pdq]:-}" ] && [ -n "${med[scan-pdq-fast]:-}" ]; then
  awk -v a="${med[scan-pdq]}" -v b="${med[scan-pdq-fast]}" 'BEGIN {printf "scan-pdq / scan-pdq --fast: %.2fx wall\n", a / b}'
fi
if [ -n "${med[scan]:-}" ] && [ -n "${med[scan-fast]:-}" ]; then
  awk -v a="${med[scan]}" -v b="${med[scan-fast]}" 'BEGIN {printf "scan / scan --fast: %.2fx wall\n", a / b}'
fi
# Against `scan-pdq`: the `scan` row's demo list makes it compute all four as well.
if [ -n "${med[scan-pdq]:-}" ] && [ -n "${med[scan-all4]:-}" ]; then
  awk -v a="${med[scan-all4]}" -v b="${med[scan-pdq]}" -v c="${medcpu[scan-all4]}" -v d="${medcpu[scan-pdq]}" \
    'BEGIN {printf "all four / PDQ only: %.2fx wall, %.2fx CPU\n", a / b, c / d}'
fi
