#!/usr/bin/env python3
"""The reference pipeline `benches/corpus_a.sh` times hashsweep's default scan against:
every file of a directory read once and hashed with MD5, SHA-1 and SHA-256 (hashlib), and
every picture decoded with Pillow (libjpeg-turbo) and hashed with pdqhash (Meta's C++ PDQ
core, `compute_dihedral`: the eight dihedral hashes the default scan also computes), one
process per core. Prints the number of files and pictures hashed.

Usage: python3 benches/reference_pipeline.py DIR [PROCESSES]   (pip install pdqhash pillow numpy)
"""
import hashlib
import multiprocessing
import os
import sys

import numpy as np
import pdqhash
from PIL import Image

Image.MAX_IMAGE_PIXELS = None


def hash_one(path):
    with open(path, "rb") as f:
        data = f.read()
    for name in ("md5", "sha1", "sha256"):
        hashlib.new(name, data).digest()
    try:
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"))
    except Exception:  # not a picture, or one Pillow cannot decode
        return 0
    pdqhash.compute_dihedral(rgb)
    return 1


def main():
    root = sys.argv[1]
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    paths = sorted(
        os.path.join(d, f) for d, _, files in os.walk(root) for f in files
    )
    with multiprocessing.Pool(processes) as pool:
        pictures = sum(pool.imap_unordered(hash_one, paths, chunksize=4))
    print(f"{len(paths)} files, {pictures} pictures")


if __name__ == "__main__":
    main()
