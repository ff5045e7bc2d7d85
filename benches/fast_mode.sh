#!/usr/bin/env bash
# What `--fast` costs in detection (README, Speed): on camera-size originals and their
# transformed copies, the PDQ distance between the fast and the exact hash of each JPEG
# (median, p99, max), and per transform the copies whose own original PDQ finds with and
# without --fast. The list holds the originals' exact PDQ hashes, as a lab's list made by
# the reference pipeline would.
#
#   benches/fast_mode.sh [VARIANTS_DIR]
#       VARIANTS_DIR defaults to /tmp/hashsweep-fast-variants, generated there once with
#       ../shared/tools/gen_corpus.py variants --count 100 --seed 7
#       --sizes 4000x3000:1,1920x1080:1 (never commit it).
#   HASHSWEEP_BIN=path   uses a binary built elsewhere (no build then).
#
# Needs python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
variants=${1:-/tmp/hashsweep-fast-variants}
if [ ! -d "$variants/v0000" ]; then
  python3 ../shared/tools/gen_corpus.py variants --out "$variants" --count 100 --seed 7 \
    --sizes 4000x3000:1,1920x1080:1 --jobs "$(nproc)"
fi
. benches/release_bin.sh # sets bin (HASHSWEEP_BIN, or this checkout's release build)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" hash --perceptual pdq -q -o "$work/exact.jsonl" "$variants"
"$bin" hash --perceptual pdq --fast -q -o "$work/fast.jsonl" "$variants"
python3 - "$work/exact.jsonl" > "$work/list.jsonl" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") == "file" and os.path.basename(r["path"]).startswith("orig.") \
            and "pdq" in r.get("hashes", {}):
        group = os.path.basename(os.path.dirname(r["path"]))
        print(json.dumps({"algorithm": "pdq", "hash": r["hashes"]["pdq"], "id": group}))
PY
for mode in exact fast; do
  extra=()
  [ "$mode" = fast ] && extra=(--fast)
  "$bin" scan "$variants" --list "$work/list.jsonl" --perceptual pdq -q \
    -o "$work/scan-$mode.jsonl" "${extra[@]}" || [ $? -eq 1 ] # 1 = a match, expected
done

python3 - "$work" "$variants" <<'PY'
import json, os, sys
work, variants = sys.argv[1:3]

def records(path):
    return [json.loads(l) for l in open(path) if l.strip()]

def pdq_by_path(path):
    return {r["path"]: (r["hashes"]["pdq"], r.get("pdq_quality", 0)) for r in records(path)
            if r.get("record") == "file" and "pdq" in r.get("hashes", {})}

exact, fast = pdq_by_path(work + "/exact.jsonl"), pdq_by_path(work + "/fast.jsonl")
for label, min_quality in (("all", 0), ("PDQ quality >= 50 (matchable)", 50)):
    dist = sorted(bin(int(exact[p][0], 16) ^ int(fast[p][0], 16)).count("1")
                  for p in exact if p in fast and p.endswith(".jpg")
                  and exact[p][1] >= min_quality)
    q = lambda f: dist[min(len(dist) - 1, int(f * len(dist)))]
    print("PDQ bits between fast and exact hash, %s, %d JPEGs: median %d, p99 %d, max %d"
          % (label, len(dist), q(0.5), q(0.99), dist[-1]))

TRANSFORMS = ("orig", "down50", "jpeg_q50", "crop5", "bright10", "hflip", "watermark",
              "rot90", "gray")
copies = {t: set() for t in TRANSFORMS}
for group in sorted(os.listdir(variants)):
    if os.path.isdir(os.path.join(variants, group)):
        for name in os.listdir(os.path.join(variants, group)):
            t = os.path.splitext(name)[0]
            if t in copies:
                copies[t].add(group)

def found(path):
    n = {t: 0 for t in TRANSFORMS}
    for r in records(path):
        if "path" not in r:
            continue
        group = os.path.basename(os.path.dirname(r["path"]))
        t = os.path.splitext(os.path.basename(r["path"]))[0]
        if t in n and any(h.get("entry_id") == group and h["algorithm"] == "pdq"
                          for h in r.get("hits", [])):
            n[t] += 1
    return n

ex, fa = found(work + "/scan-exact.jsonl"), found(work + "/scan-fast.jsonl")
print("| transform | copies | PDQ finds (exact) | PDQ finds (--fast) |")
print("| --- | ---: | ---: | ---: |")
for t in TRANSFORMS:
    print("| %s | %d | %d | %d |" % (t, len(copies[t]), ex[t], fa[t]))
PY
