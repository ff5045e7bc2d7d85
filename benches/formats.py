#!/usr/bin/env python3
"""Decode + PDQ time per 12-MP picture in each newer format: hashsweep against the
reference pipeline (Pillow + pillow-heif / Pillow's AVIF / pillow-jxl-plugin, then pdqhash).

Usage: benches/formats.py [HASHSWEEP_BINARY] [ROUNDS]
       (default target/release/hashsweep under $CARGO_TARGET_DIR or ./target, 3 rounds)

Generates one textured 4000×3000 picture per format into a temporary directory (nothing
from evidence), then per round times, for each file: `hashsweep hash FILE --perceptual pdq
--threads 1` (process start, read, decode, PDQ and its 8 variants; HEIC/AVIF include the
decode child's start) and, in this process, `Image.open` + `convert('RGB')` + `pdqhash
.compute`. Prints the median over rounds of each and their ratio. Rounds alternate the two
sides so a loaded machine affects both alike.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pdqhash
import pillow_heif
import pillow_jxl  # noqa: F401
from PIL import Image

pillow_heif.register_heif_opener()
W, H = 4000, 3000


def picture():
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    r = 127 + 90 * np.sin(x / 70.0) * np.cos(y / 110.0)
    g = 127 + 90 * np.cos((x + y) / 90.0)
    b = 127 + 90 * np.sin(np.hypot(x - W / 3, y - H / 2) / 60.0)
    rgb = np.stack([r, g, b], axis=-1) + rng.normal(0, 8, (H, W, 3)).astype(np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def generate(out):
    img = picture()
    img.save(os.path.join(out, "p.ppm"))
    img.save(os.path.join(out, "p.tga"))
    img.save(os.path.join(out, "p.qoi"))
    img.save(os.path.join(out, "p.png"))
    subprocess.run(["cjxl", os.path.join(out, "p.png"), os.path.join(out, "p.jxl"), "-d", "1",
                    "--quiet"], check=True, capture_output=True)
    os.remove(os.path.join(out, "p.png"))
    pillow_heif.from_pillow(img).save(os.path.join(out, "p.heic"), quality=85)
    img.save(os.path.join(out, "p.avif"), quality=85)
    return sorted(os.listdir(out))


def reference(path):
    with Image.open(path) as img:
        arr = np.asarray(img.convert("RGB"))
    return pdqhash.compute(arr)


def main():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "release/hashsweep")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as out:
        names = generate(out)
        ours = {n: [] for n in names}
        ref = {n: [] for n in names}
        for _ in range(rounds):
            for name in names:
                path = os.path.join(out, name)
                start = time.perf_counter()
                subprocess.run([binary, "hash", path, "--perceptual", "pdq", "--threads", "1",
                                "--quiet"], check=True, capture_output=True)
                ours[name].append(time.perf_counter() - start)
                start = time.perf_counter()
                reference(path)
                ref[name].append(time.perf_counter() - start)
        print("format  hashsweep_ms  reference_ms  ratio")
        for name in names:
            a, b = statistics.median(ours[name]), statistics.median(ref[name])
            print("%-6s  %12.0f  %12.0f  %5.2fx" % (name[2:], a * 1e3, b * 1e3, b / a))


if __name__ == "__main__":
    main()
