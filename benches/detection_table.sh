#!/usr/bin/env bash
# The README's detection table, end to end with the real binary: per transform, how many
# listed originals each perceptual algorithm finds in their copies, and how many the default
# alert rule (issue 22: a 64-bit hit alerts only when corroborated) turns into alerts; then
# the false alerts on the unrelated pictures.
#
#   benches/detection_table.sh [CORPUS_DIR]
#       CORPUS_DIR defaults to /tmp/hashsweep-calibration, made by
#       benches/calibration_corpus.sh (variants/ = originals and copies, unrelated/ = benign).
#   THRESHOLDS="phash=8 dhash=9"   passes --threshold ALGO=N for each (default: the binary's
#                                  defaults).
#   HASHSWEEP_BIN=path             uses a binary built elsewhere (no build then).
#
# Steps: `hashsweep hash --perceptual pdq,phash,dhash,ahash` on variants/; a hashsweep JSON
# Lines list with the four perceptual hashes of each original `vNNNN/orig.*`, entry id
# `vNNNN` on all four lines; `hashsweep scan --perceptual pdq,phash,dhash,ahash
# --report-weak` of variants/ and of unrelated/ against it. A copy counts as found by an
# algorithm when a hit or weak hit of that algorithm names its own original's id, and as
# alerted when its record is `match` with a hit on its own original.
#
# A binary without `--report-weak` (before the weak-hit rule) is run without it: the
# per-algorithm columns then count hits only, and every hit alerts.
#
# Needs python3 (standard library only) to build the list and count. Takes about 80 s on
# the full corpus (2 cores). Run on 2026-12-03 first with the binary before the weak-hit rule
# (hits only, default thresholds 31/10/10/6): pdq found 63-70% of each transform's copies
# (0% of crop5), the unrelated pictures hit were 0 (pdq), 101 (phash), 1,370 (dhash) and
# 2,649 (ahash), 3,488 alerts in all; the same counts as `examples/calibrate` measures
# when it does not leave low-information values out.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-/tmp/hashsweep-calibration}
test -d "$corpus/variants" -a -d "$corpus/unrelated" \
  || { echo "detection_table.sh: no corpus in $corpus (benches/calibration_corpus.sh)" >&2; exit 2; }
. benches/release_bin.sh # sets bin (HASHSWEEP_BIN, or this checkout's release build)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
algs=pdq,phash,dhash,ahash

"$bin" hash --perceptual "$algs" -q -o "$work/hashes.jsonl" "$corpus/variants"
python3 - "$work/hashes.jsonl" > "$work/list.jsonl" <<'PY'
import json, os, sys
# One list entry per original: its four perceptual hashes under one id (the group name).
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("record") != "file" or not os.path.basename(r["path"]).startswith("orig."):
        continue
    group = os.path.basename(os.path.dirname(r["path"]))
    for alg in ("pdq", "phash", "dhash", "ahash"):
        if alg in r.get("hashes", {}):
            entry = {"algorithm": alg, "hash": r["hashes"][alg], "id": group, "label": group}
            if alg == "pdq" and "pdq_quality" in r:
                entry["quality"] = r["pdq_quality"]
            print(json.dumps(entry))
PY

flags=(--perceptual "$algs" --list "$work/list.jsonl" -q)
if "$bin" scan --help | grep -q -- '--report-weak'; then
  flags+=(--report-weak)
else
  echo "note: this hashsweep has no --report-weak; counting hits only" >&2
fi
for t in ${THRESHOLDS:-}; do flags+=(--threshold "$t"); done
scan() { "$bin" scan "$1" "${flags[@]}" -o "$2" || [ $? -eq 1 ]; } # 1 = a match, expected
scan "$corpus/variants" "$work/variants.jsonl"
scan "$corpus/unrelated" "$work/unrelated.jsonl"

python3 - "$work/variants.jsonl" "$work/unrelated.jsonl" "$corpus/variants" <<'PY'
import json, os, sys
ALGS = ("pdq", "phash", "dhash", "ahash")
TRANSFORMS = ("down50", "jpeg_q50", "crop5", "bright10", "hflip", "watermark", "rot90", "gray")
variants_report, unrelated_report, variants_dir = sys.argv[1:4]

def records(path):
    return [json.loads(l) for l in open(path) if l.strip()]

def hits(r):
    return r.get("hits", []) + r.get("weak_hits", [])

def group_and_transform(path):
    """vNNNN/<transform>.<ext> -> (vNNNN, transform)."""
    return os.path.basename(os.path.dirname(path)), os.path.splitext(os.path.basename(path))[0]

# The copies on disk are the denominator: a copy nothing hit has no record in the report.
copies = {t: set() for t in TRANSFORMS}
for group in sorted(os.listdir(variants_dir)):
    if not os.path.isdir(os.path.join(variants_dir, group)):
        continue
    for name in os.listdir(os.path.join(variants_dir, group)):
        t = os.path.splitext(name)[0]
        if t in copies:
            copies[t].add(group)
found = {t: {a: 0 for a in ALGS + ("alert",)} for t in TRANSFORMS}
for r in records(variants_report):
    if "path" not in r:
        continue
    group, t = group_and_transform(r["path"])
    if group not in copies.get(t, ()):
        continue
    mine = [h for h in hits(r) if h.get("entry_id") == group]
    for a in ALGS:
        found[t][a] += any(h["algorithm"] == a for h in mine)
    alerted = any(h.get("entry_id") == group for h in r.get("hits", []))
    found[t]["alert"] += r["record"] == "match" and alerted

def pct(n, of):
    return "–" if of == 0 else "%.1f%%" % (100.0 * n / of)

print("| transform | copies | pdq | phash | dhash | ahash | alert (default rule) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for t in TRANSFORMS:
    n = len(copies[t])
    cells = [pct(found[t][a], n) for a in ALGS + ("alert",)]
    print("| %s | %d | %s |" % (t, n, " | ".join(cells)))
rows = records(unrelated_report)
unrelated = [r for r in rows if "path" in r]
summary = next((r for r in rows if r.get("record") == "summary"), {})
per_alg = [sum(any(h["algorithm"] == a for h in hits(r)) for r in unrelated) for a in ALGS]
alerts = sum(r["record"] == "match" for r in unrelated)
weak = sum(bool(r.get("weak_hits")) for r in unrelated)
print("| unrelated pictures hit (of %s images) | | %s | %d (with weak hits: %d) |"
      % (summary.get("images", "?"), " | ".join(str(n) for n in per_alg), alerts, weak))
PY
