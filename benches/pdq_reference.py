#!/usr/bin/env python3
"""Times pdqhash (PyPI; bindings to Meta's C++ PDQ core) on the pictures `cargo bench --bench
pdq` writes to target/pdq-bench/, decoded once with PIL (libjpeg-turbo, the same pixels the
Rust bench hashes). Reports medians of:
  numpy_luma   pdqhash's own RGB -> f32 luma step (NumPy, f64 maths)
  compute      pdqhash.compute: luma + C++ core (filter, DCT, one hash)
  core         compute - numpy_luma: the C++ core alone, to set against Rust `from_luma`
  dihedral     pdqhash.compute_dihedral: luma + core + eight variants
Usage: python3 benches/pdq_reference.py [repeats]      (pip install pdqhash pillow numpy)
"""
import os
import statistics
import sys
import time

import numpy as np
import pdqhash
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.join(HERE, "..", "target", "pdq-bench")


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        # Thread CPU time, like the Rust bench: per core, robust on a loaded machine.
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return statistics.median(times)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    for name in ("1mp", "12mp"):
        path = os.path.join(BENCH_DIR, name + ".jpg")
        if not os.path.exists(path):
            sys.exit(f"{path} missing: run `cargo bench --bench pdq` first")
        with Image.open(path) as img:
            arr = np.ascontiguousarray(np.asarray(img.convert("RGB")))

        def luma():
            return (arr[:, :, 0] * 0.299 + arr[:, :, 1] * 0.587 + arr[:, :, 2] * 0.114).astype(
                "float32"
            )

        t_luma = median_seconds(luma, repeats)
        t_compute = median_seconds(lambda: pdqhash.compute(arr), repeats)
        t_dih = median_seconds(lambda: pdqhash.compute_dihedral(arr), repeats)
        h, w = arr.shape[:2]
        print(
            f"{name} ({w}x{h}): numpy_luma {t_luma*1e3:.2f} ms  compute {t_compute*1e3:.2f} ms  "
            f"core {(t_compute - t_luma)*1e3:.2f} ms  dihedral {t_dih*1e3:.2f} ms"
        )


if __name__ == "__main__":
    main()
