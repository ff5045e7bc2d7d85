#!/usr/bin/env bash
# Fuzz one target of hashsweep's untrusted-input parsers with cargo-fuzz (libFuzzer).
#
#   fuzz/run.sh TARGET [SECONDS]      TARGET: picture | lists | disk_image | archive | carve |
#                                     vpdq_list | thumbcache
#                                     (default 600 s)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain is enough:
# RUSTC_BOOTSTRAP lets it use the sanitizer flags. Seeds are made fresh each run into
# fuzz/corpus/TARGET (git-ignored): tiny synthetic pictures of every format (Pillow,
# pillow-heif, libjxl-tools' cjxl), the list fixtures of fixtures/lists, and tiny
# FAT/ext2/NTFS/partitioned/E01 images (dosfstools, mtools, e2fsprogs, ntfs-3g, fdisk,
# ewf-tools, as .ci/setup installs; the NTFS image with streams and compressed files needs
# an ntfs-3g FUSE mount, root and attr's setfattr). A panic that
# hashsweep contains (recorded as a failure) is logged as "contained panic at FILE:LINE";
# one that escapes, a hang or an out-of-memory is a crash, written
# to fuzz/artifacts/TARGET/; copy it to fuzz/regressions/TARGET/ and
# tests/fuzz_regressions.rs replays it in every test run.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh picture|lists|disk_image|archive|carve|vpdq_list|thumbcache [SECONDS]}
seconds=${2:-600}
corpus=corpus/$target
mkdir -p "$corpus" "artifacts/$target"

seed_pictures() {
  python3 - "$corpus" <<'PY'
import io, os, subprocess, sys
from PIL import Image
out = sys.argv[1]
im = Image.new("RGB", (24, 16))
im.putdata([((x * 11) % 256, (y * 15) % 256, ((x + y) * 7) % 256) for y in range(16) for x in range(24)])
for fmt, ext, mode in [("PNG", "png", "RGB"), ("PNG", "la.png", "LA"), ("PNG", "p.png", "P"),
                       ("JPEG", "jpg", "RGB"), ("JPEG", "grey.jpg", "L"), ("GIF", "gif", "P"),
                       ("WEBP", "webp", "RGB"), ("BMP", "bmp", "RGB"), ("TIFF", "tif", "RGB"),
                       ("PPM", "ppm", "RGB"), ("PPM", "pgm", "L"), ("PPM", "pbm", "1"),
                       ("TGA", "tga", "RGB"), ("TGA", "p.tga", "P"), ("ICO", "ico", "RGBA"),
                       ("QOI", "qoi", "RGB"), ("JPEG", "cmyk.jpg", "CMYK")]:
    im.convert(mode).save(f"{out}/seed.{ext}", fmt)
im.save(f"{out}/seed.rle.tga", "TGA", compression="tga_rle")
im.save(f"{out}/seed.bmp.ico", "ICO", sizes=[(16, 16), (24, 24)], bitmap_format="bmp")
im.save(f"{out}/seed.pages.tif", "TIFF", save_all=True, append_images=[im.convert("L")])
im.save(f"{out}/seed.anim.png", "PNG", save_all=True, append_images=[im.rotate(90)])
im.save(f"{out}/seed.anim.gif", "GIF", save_all=True, append_images=[im.rotate(90)])
im.save(f"{out}/seed.avif", "AVIF")
try:
    import pillow_heif
    pillow_heif.from_pillow(im).save(f"{out}/seed.heic")
    pillow_heif.from_pillow(im).save(f"{out}/seed.thumbs.heic", thumbnails=[16])
except ImportError:
    pass
im.save(f"{out}/src.png")
for args, name in [(["-d", "0"], "seed.jxl"), (["-d", "1"], "seed.lossy.jxl")]:
    subprocess.run(["cjxl", f"{out}/src.png", f"{out}/{name}", *args, "--quiet"], check=False)
os.remove(f"{out}/src.png")
PY
}

seed_images() {
  local w; w=$(mktemp -d)
  export MTOOLS_SKIP_CHECK=1 E2FSPROGS_FAKE_TIME=1700000000
  printf 'hello from a tiny volume\n' > "$w/a.txt"
  head -c 3000 /dev/urandom > "$w/b.bin"
  # FAT12, with a deleted file
  truncate -s 160K "$w/fat.img"; mkfs.fat -C -n FUZZ "$w/fat.img" 160 >/dev/null 2>&1 || mkfs.fat -n FUZZ "$w/fat.img" >/dev/null
  mcopy -i "$w/fat.img" "$w/a.txt" "$w/b.bin" ::/ && mdel -i "$w/fat.img" ::/b.bin
  cp "$w/fat.img" "$corpus/fat12.img"
  # MBR with that FAT volume as partition 1
  truncate -s 200K "$w/mbr.img"
  echo 'start=32, type=01' | sfdisk -q "$w/mbr.img" >/dev/null
  dd if="$w/fat.img" of="$w/mbr.img" bs=512 seek=32 conv=notrunc status=none
  cp "$w/mbr.img" "$corpus/mbr_fat12.img"
  # ext2 from a directory
  mkdir -p "$w/tree/sub"; cp "$w/a.txt" "$w/tree/sub/"; cp "$w/b.bin" "$w/tree/"
  mke2fs -q -t ext2 -b 1024 -N 16 -d "$w/tree" "$w/ext2.img" 128k
  cp "$w/ext2.img" "$corpus/ext2.img"
  # NTFS (1 MiB is about the smallest mkntfs makes)
  truncate -s 1M "$w/ntfs.img"
  if mkntfs -q -F -f "$w/ntfs.img" >/dev/null 2>&1 && ntfscp -q "$w/ntfs.img" "$w/a.txt" a.txt >/dev/null 2>&1; then
    cp "$w/ntfs.img" "$corpus/ntfs.img"
  fi
  # NTFS as Windows leaves it (needs an ntfs-3g FUSE mount: root and /dev/fuse): a named
  # stream on a file and on a directory, a compressed folder with a compressible file
  # (compressed units), one that is not (plain units) and a run of zeros (sparse units)
  truncate -s 2M "$w/ntfsw.img"; mkdir "$w/m"
  if mkntfs -q -F -f "$w/ntfsw.img" >/dev/null 2>&1 &&
     ntfs-3g -o compression,streams_interface=windows "$w/ntfsw.img" "$w/m" 2>/dev/null; then
    { cp "$w/a.txt" "$w/m/a.txt" && cp "$w/b.bin" "$w/m/a.txt:hidden.bin" && mkdir "$w/m/c" &&
      cp "$w/a.txt" "$w/m/c:s" && setfattr -n system.ntfs_attrib_be -v 0x00000810 "$w/m/c" &&
      python3 -c "import sys; sys.stdout.write('abcabd' * 12000 + '\0' * 70000)" > "$w/m/c/t.txt" &&
      cp "$w/b.bin" "$w/m/c/"; } || true
    umount "$w/m" && cp "$w/ntfsw.img" "$corpus/ntfs_streams_compressed.img"
  fi
  # E01 of the partitioned image
  if command -v ewfacquirestream >/dev/null; then
    ewfacquirestream -q -t "$w/e01" -c deflate:fast -C case -D desc -e ex -E ev -N note < "$w/mbr.img" >/dev/null 2>&1 || true
    [ -f "$w/e01.E01" ] && cp "$w/e01.E01" "$corpus/mbr_fat12.E01"
  fi
  rm -rf "$w"
}

seed_archives() {
  python3 - "$corpus" <<'PY'
import io, sys, zipfile, tarfile, gzip, bz2, lzma
out = sys.argv[1]
for name, method in [("stored", zipfile.ZIP_STORED), ("deflate", zipfile.ZIP_DEFLATED),
                     ("bzip2", zipfile.ZIP_BZIP2), ("lzma", zipfile.ZIP_LZMA)]:
    b = io.BytesIO(); z = zipfile.ZipFile(b, "w", method)
    z.writestr("a/one.txt", b"one" * 40); z.writestr("two.bin", bytes(range(256))); z.close()
    open(f"{out}/seed-{name}.zip", "wb").write(b.getvalue())
    open(f"{out}/seed-{name}-cut.zip", "wb").write(b.getvalue()[: len(b.getvalue()) // 2])
t = io.BytesIO(); tar = tarfile.open(fileobj=t, mode="w")
info = tarfile.TarInfo("x.txt"); info.size = 5; tar.addfile(info, io.BytesIO(b"hello")); tar.close()
open(f"{out}/seed.tar", "wb").write(t.getvalue())
open(f"{out}/seed.tar.gz", "wb").write(gzip.compress(t.getvalue()))
open(f"{out}/seed.tar.bz2", "wb").write(bz2.compress(t.getvalue()))
open(f"{out}/seed.tar.xz", "wb").write(lzma.compress(t.getvalue()))
PY
  if command -v 7zz >/dev/null; then
    local w; w=$(mktemp -d); printf 'seven\n' > "$w/s.txt"
    (cd "$w" && 7zz a -bso0 -bsp0 s.7z s.txt) && cp "$w/s.7z" "$corpus/seed.7z"
    command -v zstd >/dev/null && zstd -q "$w/s.txt" -o "$corpus/seed.zst"
    rm -rf "$w"
  fi
}

case $target in
  picture) seed_pictures; max_len=65536 ;;
  lists) cp ../fixtures/lists/* "$corpus/" 2>/dev/null || true; cp ../fixtures/demo-list.jsonl "$corpus/"; max_len=16384 ;;
  disk_image) seed_images; max_len=$((2 << 20 | 4096)) ;;
  archive) seed_archives; max_len=65536 ;;
  carve) seed_pictures; max_len=65536 ;;
  vpdq_list) cp regressions/vpdq_list/seed-* "$corpus/"; max_len=16384 ;;
  thumbcache) cp regressions/thumbcache/seed-* "$corpus/"; max_len=65536 ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
rm -f "$corpus"/README.md

export RUSTC_BOOTSTRAP=1
cargo fuzz run "$target" "$corpus" -- \
  -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -timeout=30 \
  -artifact_prefix="artifacts/$target/" -print_final_stats=1
