#!/usr/bin/env bash
# The calibration corpus of docs/detection.md: benign pictures that no test was tuned on.
#
#   benches/calibration_corpus.sh [DIR]        DIR defaults to /tmp/hashsweep-calibration
#
# Never build it inside the repo. Layout:
#   DIR/unrelated/seedNNN/     gen_corpus.py `corpus`, one directory per seed (101..105)
#   DIR/unrelated/debian/PKG/  the real photos and backgrounds those Debian packages ship
#   DIR/variants/vNNNN/        gen_corpus.py `variants` (seed 7, used nowhere else):
#                              orig.jpg and its copies down50, jpeg_q50, crop5, bright10,
#                              hflip, watermark, rot90, gray
# The unrelated set never holds an original: the seeds differ, and `variants` draws its
# pictures with its own salt besides.
#
# Deterministic for the same Pillow, numpy and libjpeg (gen_corpus.py derives every picture
# from its seed and index) and the same Debian package versions. Each part is skipped when
# its directory is already complete, so a second run only finishes what is missing.
#
# Needs python3 with numpy and Pillow (Debian: python3-numpy python3-pil), and
# `apt-get download` with package lists (`apt-get update` once): the Debian packages are
# downloaded as .deb files and unpacked into DIR with dpkg-deb, not installed, so no root
# is needed and their dependencies (scipy, matplotlib, ...) are not pulled in. Without the
# lists the Debian part is skipped with a message.
#
# Timing on the project machine (2 cores, shared with a release build running alongside):
# 1,706 s (28 min) for the whole corpus, almost all of it the 10,000 generated pictures;
# 10,224 unrelated files (10,000 generated, 224 from the Debian packages) and 1,800
# originals and copies, 1.2 GB.
#
# Sizes: mostly small and modest pictures (what a scan meets most, and quick to generate);
# icon-sized ones too, because tiny pictures hash to few distinct values and are where false
# alerts come from.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gen=${GEN_CORPUS:-$here/../shared/tools/gen_corpus.py}
dir=${1:-/tmp/hashsweep-calibration}
case "$(realpath -m "$dir")/" in
  "$here"/*) echo "calibration_corpus.sh: build the corpus outside the repo, not in $dir" >&2; exit 2 ;;
esac
jobs=$(nproc)
per_seed=${PER_SEED:-2000}
seeds=${SEEDS-101 102 103 104 105}  # SEEDS="" for none
originals=${ORIGINALS:-200}
sizes="320x240:45,640x480:35,1024x768:8,icon:12"
formats="jpeg:85,png:8,webp:3,gif:2,bmp:2"
debs="python3-skimage gnome-backgrounds desktop-base forensics-samples-files"
start=$(date +%s)

for seed in $seeds; do
  out=$dir/unrelated/seed$seed
  [ -f "$out/manifest.csv" ] && continue
  echo "generating $per_seed pictures, seed $seed" >&2
  python3 "$gen" corpus --out "$out" --count "$per_seed" --seed "$seed" --jobs "$jobs" \
    --sizes "$sizes" --formats "$formats" > /dev/null
done

if [ ! -f "$dir/variants/variants.csv" ]; then
  echo "generating $originals originals and their transformed copies, seed 7" >&2
  python3 "$gen" variants --out "$dir/variants" --count "$originals" --seed 7 --jobs "$jobs" \
    --sizes "640x480:50,1024x768:40,1920x1080:10" > /dev/null
fi

# Only the pictures of each package are kept (by name; the example sniffs content anyway).
unpack_deb() {
  local pkg=$1 out=$dir/unrelated/debian/$1 tmp
  [ -f "$out/.done" ] && return 0
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download -q "$pkg" > /dev/null 2>&1); then
    echo "skipping $pkg: apt-get download failed (run apt-get update once?)" >&2
    rm -rf "$tmp"
    return 0
  fi
  dpkg-deb -x "$tmp"/*.deb "$tmp/root"
  mkdir -p "$out"
  (cd "$tmp/root" && find . -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \
      -o -iname '*.webp' -o -iname '*.gif' -o -iname '*.bmp' -o -iname '*.tif' \
      -o -iname '*.tiff' -o -iname '*.jxl' \) -print0 | sort -z \
    | xargs -0 -r cp --parents -t "$out")
  echo "$pkg $(dpkg-deb -f "$tmp"/*.deb Version)" > "$out/.done"
  rm -rf "$tmp"
}
for pkg in $debs; do unpack_deb "$pkg"; done

n_unrelated=$(find "$dir/unrelated" -type f ! -name manifest.csv ! -name .done | wc -l)
n_variants=$(find "$dir/variants" -type f ! -name variants.csv | wc -l)
echo "corpus in $dir: $n_unrelated unrelated files, $n_variants original and copy files," \
  "$(($(date +%s) - start)) s" >&2
