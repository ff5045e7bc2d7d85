#!/usr/bin/env python3
"""PDQ oracle for tests/pdq_differential.rs: hashes every PNG in a directory with the PyPI
package `pdqhash` (bindings to Meta's C++ core), feeding pixels the way
python-threatexchange/HMA does.

Usage: pdqhash_oracle.py DIR          prints one TSV line per file:
           name  quality  hash  dih_original … dih_flipminus1
       pdqhash_oracle.py --check      exits 0 if pdqhash, PIL and NumPy import

Pixels (python-threatexchange `pdq_hasher`): 1/L grey is stacked to three channels; RGBA
keeps its first three channels (alpha ignored); every other mode (LA, P, PA, I;16 …) goes
through PIL `convert('RGB')`, which clips 16-bit grey to 255. No EXIF rotation.
Hex: pdqhash returns bits most-significant first, as python-threatexchange reads them.

Install: pip install pdqhash pillow numpy
"""
import os
import sys


def to_hex(bits):
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)


def pixels(path):
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.mode in ("1", "L"):
            grey = np.asarray(img.convert("L"))
            return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
        if img.mode == "RGBA":
            return np.ascontiguousarray(np.asarray(img)[:, :, :3])
        if img.mode != "RGB":
            img = img.convert("RGB")
        return np.ascontiguousarray(np.asarray(img))


def main():
    if sys.argv[1:] == ["--check"]:
        import numpy  # noqa: F401
        import pdqhash  # noqa: F401
        from PIL import Image  # noqa: F401

        return 0
    import pdqhash

    directory = sys.argv[1]
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".png"):
            continue
        arr = pixels(os.path.join(directory, name))
        bits, quality = pdqhash.compute(arr)
        variants, _ = pdqhash.compute_dihedral(arr)
        fields = [name, str(quality), to_hex(bits)] + [to_hex(v) for v in variants]
        print("\t".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
