#!/usr/bin/env python3
"""Reference vPDQ hashes for tests/video.rs: Meta's `vpdq` Python package (built from its
sdist against Debian's libavcodec/libavformat/libswscale; see .ci/setup).

Usage: vpdq_oracle.py [--check] [--seconds-per-hash S] VIDEO...
Prints one JSON object: {video path: [[frame, quality, pdq hex, timestamp], ...]}.
With --check, exits 0 when the package imports (the test skips otherwise).
"""
import json
import sys


def main(argv):
    try:
        import vpdq
    except ImportError:
        return 1
    if argv[:1] == ["--check"]:
        return 0
    seconds = 1.0
    if argv[:1] == ["--seconds-per-hash"]:
        seconds = float(argv[1])
        argv = argv[2:]
    out = {}
    for path in argv:
        features = vpdq.computeHash(path, seconds_per_hash=seconds)
        out[path] = [[f.frame_number, f.quality, f.hex, f.timestamp] for f in features]
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
