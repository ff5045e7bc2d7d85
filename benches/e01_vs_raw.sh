#!/usr/bin/env bash
# Files inside a disk image, raw against compressed E01, side by side in one run
# (interleaved rounds; medians): corpus A copied into an ext4 image (`mkfs.ext4 -d`, no
# mount needed), stored as raw and as E01 by `ewfacquirestream -c fast` (deflate, default
# 32 KiB chunks, as labs make them). Times `hashsweep hash --perceptual none` (four digests
# of every file) and the default `scan`, and prints MB/s of file bytes for both containers.
# A second pair of images holds one large file (corpus A's first 700 JPEGs end to end,
# about 550 MB): `hash` of it shows whether decompression keeps up with one reader, where
# the many files of corpus A keep every core busy anyway. The large file is also stored
# with ewfacquire's largest chunks (`-b 32768`, 16 MiB; b16.E01), timed against b.raw.
#
#   benches/e01_vs_raw.sh [RUNS] [CORPUS_DIR] [WORK_DIR]
#       defaults: 3, /tmp/hashsweep-corpus-a (see benches/corpus_a.sh), /tmp/hashsweep-e01-bench
#
# Needs e2fsprogs and ewf-tools (.ci/setup installs both). Nothing is written into the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
corpus=${2:-/tmp/hashsweep-corpus-a}
work=${3:-/tmp/hashsweep-e01-bench}
mkdir -p "$work"
bytes=$(du -sb --exclude=manifest.csv "$corpus" | cut -f1)
if [ ! -f "$work/a.raw" ]; then
  size_mb=$(( bytes / 1000000 * 13 / 10 + 64 ))
  mkfs.ext4 -q -F -d "$corpus" -b 4096 "$work/a.raw" "${size_mb}M"
fi
if [ ! -f "$work/b.raw" ]; then
  rm -rf "$work/one" && mkdir "$work/one"
  find "$corpus" -name '*.jpg' | sort | head -700 | xargs cat > "$work/one/large.bin"
  size_mb=$(( $(stat -c %s "$work/one/large.bin") / 1000000 * 11 / 10 + 64 ))
  mkfs.ext4 -q -F -d "$work/one" -b 4096 "$work/b.raw" "${size_mb}M"
  rm -rf "$work/one"
fi
for image in a b b16; do
  if [ ! -f "$work/$image.E01" ]; then
    chunk=64 # sectors: ewfacquire's default
    [ $image = b16 ] && chunk=32768
    ewfacquirestream -c fast -b $chunk -t "$work/$image" -C bench -D "corpus-a-$image" -E 1 -e bench -N none -q \
      < "$work/${image%16}.raw" > /dev/null
  fi
done
one_bytes=$(debugfs -R 'stat /large.bin' "$work/b.raw" 2>/dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -1)
. benches/release_bin.sh # sets bin (HASHSWEEP_BIN, or this checkout's release build)
cat "$work/a.raw" "$work"/a.E0* "$work/b.raw" "$work"/b.E0* "$work"/b16.E0* > /dev/null
declare -A times cpus
for i in $(seq "$runs"); do
  for image in a.raw a.E01 b.raw b.E01 b16.E01; do
    for what in hash scan; do
      [ "${image#b}" != "$image" ] && [ $what = scan ] && continue # one file: digests only
      if [ $what = hash ]; then
        cmd=("$bin" hash "$work/$image" --perceptual none -q -o /dev/null)
      else
        cmd=("$bin" scan "$work/$image" --list fixtures/demo-list.jsonl -q -o /dev/null)
      fi
      /usr/bin/time -f '%e %M %U %S' -o /tmp/hashsweep-e01.time "${cmd[@]}" > /dev/null || [ $? -eq 1 ]
      read -r wall rss user sys < /tmp/hashsweep-e01.time
      echo "run $i $what $image: $wall s wall, $user + $sys s CPU, peak RSS $rss KiB"
      times[$what $image]="${times[$what $image]:-} $wall"
      cpus[$what $image]="${cpus[$what $image]:-} $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
    done
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for row in "hash a" "scan a" "hash b" "hash b16"; do
  read -r what image <<< "$row"
  raw=$(echo "${times[$what ${image%16}.raw]}" | median)
  e01=$(echo "${times[$what $image.E01]}" | median)
  raw_cpu=$(echo "${cpus[$what ${image%16}.raw]}" | median)
  e01_cpu=$(echo "${cpus[$what $image.E01]}" | median)
  b=$bytes what_label=$what
  [ "$image" = b ] && b=$one_bytes what_label="hash, one large file"
  [ "$image" = b16 ] && b=$one_bytes what_label="hash, one large file, 16 MiB chunks"
  awk -v w="$what_label" -v r="$raw" -v e="$e01" -v b="$b" -v rc="$raw_cpu" -v ec="$e01_cpu" 'BEGIN {
    printf "%s: raw %.2f s = %.0f MB/s, E01 %.2f s = %.0f MB/s, E01/raw throughput %.2f; CPU raw %.2f s, E01 %.2f s\n",
      w, r, b / r / 1e6, e, b / e / 1e6, r / e, rc, ec }'
done
