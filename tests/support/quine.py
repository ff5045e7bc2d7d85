#!/usr/bin/env python3
"""Write a gzip or zip compression quine: a container that decompresses to itself.

Test input for the scanner's quine guard: a forensic scanner that descends
into archives must notice that the decompressed content equals the container
and refuse to recurse, instead of unpacking the same file forever.

    python3 tests/support/quine.py gzip OUT.gz   # gzip.decompress(OUT) == OUT
    python3 tests/support/quine.py zip OUT.zip   # entry "r.zip" == OUT

The construction follows Russ Cox, "Zip Files All The Way Down"; the bit-level
format is RFC 1951 (DEFLATE). The deflate stream is a program of two opcodes,
each exactly OP bytes long and ending on a byte boundary:

    L n  literal: print the next n bytes of the stream (a stored block,
         BTYPE=00, preceded by empty fixed-Huffman blocks as padding);
    R n  repeat: print again the last n bytes printed (a fixed-Huffman block,
         BTYPE=01, copying n bytes from distance n, possibly split into two
         copies, padded with empty fixed-Huffman blocks, then an empty stored
         block to reach the byte boundary).

Cox uses 5-byte opcodes, but 40 bits of fixed-Huffman blocks can hold such a
copy only for lengths 17-20 and 65-66, and the container headers need others;
with 10-byte opcodes every length from 3 to 258 fits. The program (opcode_stream)
prints the container prefix P, then itself, then the trailer S. The CRC-32 of
the whole file sits inside the file (in P or S, copied into the stream), so it
is found as a fixed point: CRC-32 is affine over GF(2), so crc(file(c)) == c
is a 32x32 linear system, solved by Gaussian elimination.
"""
import gzip
import io
import struct
import sys
import zipfile
import zlib

OP = 10  # bytes per opcode
ZIP_ENTRY = b"r.zip"

# RFC 1951 section 3.2.5: base value and extra-bit count of each code.
LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
               35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
LENGTH_EXTRA = [0] * 8 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4 + [0]
DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193]
DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]


class BitWriter:
    """RFC 1951 section 3.1.1: data packed LSB-first, Huffman codes MSB-first."""

    def __init__(self):
        self.bits = []

    def value(self, v, width):
        self.bits += [(v >> i) & 1 for i in range(width)]

    def huffman(self, code, width):
        self.bits += [(code >> i) & 1 for i in reversed(range(width))]

    def align(self):
        self.bits += [0] * (-len(self.bits) % 8)

    def to_bytes(self):
        return bytes(sum(bit << i for i, bit in enumerate(self.bits[k:k + 8]))
                     for k in range(0, len(self.bits), 8))


def code_index(bases, value):
    return max(i for i, base in enumerate(bases) if base <= value)


def fixed_block(w, copy_lengths, distance):
    """A non-final fixed-Huffman block (section 3.2.6) of back-references."""
    w.value(0, 1)  # BFINAL
    w.value(1, 2)  # BTYPE=01
    for length in copy_lengths:
        i = code_index(LENGTH_BASE, length)
        symbol = 257 + i  # length symbols 257..279 are 7 bits, 280..287 are 8
        if symbol < 280:
            w.huffman(symbol - 256, 7)
        else:
            w.huffman(0xC0 + symbol - 280, 8)
        w.value(length - LENGTH_BASE[i], LENGTH_EXTRA[i])
        d = code_index(DIST_BASE, distance)
        w.huffman(d, 5)
        w.value(distance - DIST_BASE[d], DIST_EXTRA[d])
    w.huffman(0, 7)  # end-of-block, symbol 256


def opcode(copy_lengths, distance, padding_blocks, stored_len, final=False):
    """Fixed-Huffman blocks followed by a stored block announcing stored_len bytes."""
    w = BitWriter()
    if copy_lengths:
        fixed_block(w, copy_lengths, distance)
    for _ in range(padding_blocks):
        fixed_block(w, (), 0)
    w.value(final, 1)
    w.value(0, 2)  # BTYPE=00
    w.align()
    w.value(stored_len, 16)
    w.value(stored_len ^ 0xFFFF, 16)
    return w.to_bytes()


def literal(n, final=False):
    op = opcode((), 0, 4, n, final)  # 4 * 10 + 3 header bits -> 6 bytes, + LEN/NLEN
    assert len(op) == OP
    return op


def repeat(n):
    """Copy n bytes from distance n, in one or two pieces, padded to OP bytes."""
    for padding in range(4):
        for pieces in [(n,)] + [(a, n - a) for a in range(3, n - 2)]:
            op = opcode(pieces, n, padding, 0)
            if len(op) == OP:
                return op
    raise ValueError(f"no {OP}-byte encoding for repeat {n}")


def opcode_stream(prefix, suffix):
    """Deflate stream D such that inflate(D) == prefix + D + suffix.

    Comments give what each step prints, and how the printed text then stands
    against the file written so far: behind it by some bytes ("lag"), or ahead
    of it by bytes the file must continue with ("ahead").
    """
    p, s = len(prefix), len(suffix)
    j = 2 * OP * max(2, -(-(s + 2 * OP) // (2 * OP)))  # multiple of 2*OP, >= s+2*OP
    lp, rp = literal(p + OP), repeat(p + OP)
    l1, l4, r4 = literal(OP), literal(4 * OP), repeat(4 * OP)
    lj, rs, lf = literal(j), repeat(s + 2 * OP), literal(s, final=True)
    tail = rs + lf + suffix
    return b"".join([
        lp + prefix + lp,                   # prints P lp; lag: P lp
        rp,                                 # prints P lp; lag: rp
        l1 + rp,                            # prints rp; lag: l1 rp
        l1 + l1,                            # prints l1; lag: rp l1 l1
        l4 + rp + l1 + l1 + l4,             # prints rp l1 l1 l4; lag: the same
        r4,                                 # prints rp l1 l1 l4; lag: r4
        lj + (r4 + lj) * (j // (2 * OP)),   # prints (r4 lj)...; lag: r4 lj
        r4,                                 # prints r4 lj r4 lj; ahead: lj
        lj + bytes(j - len(tail)) + tail,   # prints its payload; in step
        rs,                                 # prints rs lf S; ahead: lf S
        lf + suffix,                        # prints S; ahead: S (the trailer)
    ])


def crc_fixed_point(crc_of):
    """Solve crc_of(c) == c for an affine crc_of over GF(2)^32, or return None."""
    base = crc_of(0)
    pivots = {}  # top bit -> (column vector, which unknowns it combines)
    for i in range(32):
        vec, combo = crc_of(1 << i) ^ base ^ (1 << i), 1 << i
        while vec:
            top = vec.bit_length() - 1
            if top not in pivots:
                pivots[top] = (vec, combo)
                break
            vec ^= pivots[top][0]
            combo ^= pivots[top][1]
    vec, combo = base, 0
    while vec:
        top = vec.bit_length() - 1
        if top not in pivots:
            return None
        vec ^= pivots[top][0]
        combo ^= pivots[top][1]
    return combo


def make_quine(records):
    """records(crc, tweak, stream_len, file_len) -> (prefix, suffix) of the container."""
    def build(crc, tweak):
        prefix, suffix = records(crc, tweak, 0, 0)  # only the lengths matter here
        stream_len = len(opcode_stream(prefix, suffix))
        file_len = len(prefix) + stream_len + len(suffix)
        prefix, suffix = records(crc, tweak, stream_len, file_len)
        return prefix + opcode_stream(prefix, suffix) + suffix

    for tweak in range(64):  # a timestamp, varied if the linear system is singular
        crc = crc_fixed_point(lambda c: zlib.crc32(build(c, tweak)))
        if crc is not None:
            return build(crc, tweak)
    raise RuntimeError("no CRC-32 fixed point found")


def gzip_records(crc, mtime, _stream_len, file_len):
    # RFC 1952: magic, CM=8, FLG=0, MTIME, XFL=0, OS=255; trailer CRC32, ISIZE.
    header = struct.pack("<2sBBIBB", b"\x1f\x8b", 8, 0, mtime, 0, 255)
    return header, struct.pack("<II", crc, file_len)


def zip_records(crc, dos_time, stream_len, file_len):
    # APPNOTE 4.3: one deflated entry, version 2.0, no flags, no data descriptor.
    date = (0 << 9) | (1 << 5) | 1  # 1980-01-01
    fields = (8, dos_time, date, crc, stream_len, file_len, len(ZIP_ENTRY))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *fields, 0) + ZIP_ENTRY
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *fields,
                          0, 0, 0, 0, 0, 0) + ZIP_ENTRY
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                      len(local) + stream_len, 0)
    return local, central + end


def decompress(kind, data):
    if kind == "gzip":
        return gzip.decompress(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if archive.namelist() != [ZIP_ENTRY.decode()]:
            raise ValueError(f"unexpected entries {archive.namelist()}")
        return archive.read(ZIP_ENTRY.decode())


def main():
    builders = {"gzip": gzip_records, "zip": zip_records}
    if len(sys.argv) != 3 or sys.argv[1] not in builders:
        sys.exit(f"usage: {sys.argv[0]} gzip|zip OUT")
    kind, out_path = sys.argv[1], sys.argv[2]
    data = make_quine(builders[kind])
    try:
        inner = decompress(kind, data)
    except Exception as exc:  # any rejection by the stdlib reader is a failure
        sys.exit(f"{kind} quine rejected by Python's {kind} module: {exc!r}")
    if inner != data:
        sys.exit(f"{kind} quine decompresses to {len(inner)} bytes that differ from itself")
    with open(out_path, "wb") as f:
        f.write(data)
    print(f"wrote {out_path}: {len(data)}-byte {kind} quine, verified")


if __name__ == "__main__":
    main()
