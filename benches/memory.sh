#!/usr/bin/env bash
# Peak RSS and wall time of `scan` and `hash` by the number of files in the evidence
# (issue 23): memory must not grow with the file count. For each count N, makes N small,
# distinct files (1,000 per directory) under a temporary directory, times
#   scan  -l LIST -o /dev/null TREE          (a one-entry MD5 list: nothing matches)
#   hash  --perceptual none -o /dev/null TREE (a record for every file)
# both with --no-video: the trees hold no video, and without it hashsweep's first act is
# `ffmpeg -version`, a child whose own 47 MB peak /usr/bin/time would report instead.
#   hashdeep -r TREE                          (md5+sha256, streaming; if installed)
# with /usr/bin/time, RUNS times each (interleaved), and prints the medians; then one
# folder with WIDE files (the widest-directory term). The trees are removed afterwards.
#
#   benches/memory.sh [COUNT...]     default: 200000 1000000; RUNS=3 WIDE=1000000
#   LINKS=1 benches/memory.sh 5000000   # directories after the first hold hard links to the
#                                       # first's files: 5M paths in little tmpfs space
#   HASHSWEEP_BIN=old/hashsweep benches/memory.sh 200000   # time another build
#   IMAGE=1 WIDE=0 benches/memory.sh 1000000   # the same files inside an ext4 image
#                                       # (mkfs.ext4 -d, content inline in the inodes):
#                                       # the disk image listing's memory (no hashdeep)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/release_bin.sh
runs=${RUNS:-3}
wide=${WIDE:-1000000}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(200000 1000000)
work=$(mktemp -d "${TMPDIR:-/tmp}/hashsweep-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "d41d8cd98f00b204e9800998ecf8427e" > "$work/list.md5"

# make_tree DIR COUNT PER_DIR: COUNT files "file N\n", PER_DIR to a directory.
make_tree() {
  python3 - "$1" "$2" "$3" <<'EOF'
import os, sys
root, count, per_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
links = os.environ.get("LINKS") == "1"
for i in range(count):
    d = os.path.join(root, f"d{i // per_dir:05d}")
    if i % per_dir == 0:
        os.makedirs(d)
    path = os.path.join(d, f"f{i:08d}")
    if links and i >= per_dir:
        os.link(os.path.join(root, "d00000", f"f{i % per_dir:08d}"), path)
        continue
    with open(path, "wb") as f:
        f.write(b"file %d\n" % i)
EOF
}

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# measure NAME COMMAND...: RUNS runs; prints "NAME wall_s peak_MB"
measure() {
  local name=$1; shift
  local walls=() rss=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" \
      || [ $? -le 1 ] || { cat "$work/err" >&2; exit 1; }
    read -r wall kb < "$work/time"
    walls+=("$wall"); rss+=("$kb")
  done
  printf '%-10s %8.2f s %8.1f MB\n' "$name" \
    "$(printf '%s\n' "${walls[@]}" | median)" \
    "$(printf '%s\n' "${rss[@]}" | median | awk '{print $1/1024}')"
}

# as_image TREE COUNT: replaces TREE's files by an ext4 image of them at TREE.ext4
as_image() {
  mkfs.ext4 -q -F -O inline_data -I 256 -N $(( $2 + 1000 )) -d "$1" "$1.ext4" \
    "$(( 32 + $2 / 1000 ))M"
  rm -rf "$1"
}

run_all() {
  local tree=$1
  measure scan "$bin" scan --no-video -l "$work/list.md5" --quiet -o /dev/null "$tree"
  measure hash "$bin" hash --no-video --perceptual none --quiet -o /dev/null "$tree"
  if [ -d "$tree" ] && command -v hashdeep >/dev/null; then
    measure hashdeep hashdeep -r -c md5,sha256 "$tree"
  fi
}

for n in "${counts[@]}"; do
  echo "== $n files, 1,000 per directory${IMAGE:+, in an ext4 image}"
  make_tree "$work/tree" "$n" 1000
  if [ "${IMAGE:-0}" = 1 ]; then
    as_image "$work/tree" "$n"
    run_all "$work/tree.ext4"
    rm -f "$work/tree.ext4"
  else
    run_all "$work/tree"
    rm -rf "$work/tree"
  fi
done
if [ "$wide" -gt 0 ]; then
  echo "== $wide files in one directory"
  make_tree "$work/tree" "$wide" "$wide"
  run_all "$work/tree"
  rm -rf "$work/tree"
fi
