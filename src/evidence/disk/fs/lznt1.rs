//! LZNT1, the LZ77 variant NTFS compresses `$DATA` with ("compress contents to save disk
//! space"), one compression unit at a time.
//!
//! Owns decompression of one unit's worth of LZNT1 chunks (`decompress_into`) and a plain
//! greedy compressor (`compress`) used by tests, the fuzz seeds and the bench to make LZNT1
//! data of known content; the product never writes LZNT1, so the compressor is built only
//! with the `synth` feature (test-data generators) or in unit tests. Knows nothing of
//! clusters or runs: `compressed.rs` decides which units are compressed and hands their
//! bytes here.
//!
//! The format ([MS-XCA] §2.5, the same in ntfs-3g's `compress.c` and TSK's `ntfs.c`): a unit
//! is a sequence of chunks, each for 4096 bytes of output, each with a 2-byte header (low 12
//! bits: chunk length − 3 including the header; bit 15: compressed). A zero header ends the
//! data. A compressed chunk is groups of one flag byte and eight tokens: bit clear, a
//! literal byte; bit set, a 16-bit back-reference whose split between offset and length
//! depends on how far into the chunk it stands (more offset bits further in). A chunk that
//! decompresses to fewer than 4096 bytes is padded with zeros, as ntfs-3g does.
//!
//! No crate was used: the only Rust crate for the format (`lznt1`) is not in the project's
//! reviewed package lists; this decoder is checked against The Sleuth Kit (`icat`) on
//! images ntfs-3g compressed, and fuzzed (`disk_image` target).

/// Bytes of output one chunk stands for.
pub const CHUNK: usize = 4096;

const COMPRESSED_FLAG: u16 = 0x8000;
/// Bits 12–14 of a chunk header are always 0b011 ("signature"); writers set them, readers
/// (Windows, ntfs-3g, TSK) ignore them, and so do we.
#[cfg(any(test, feature = "synth"))]
const SIGNATURE: u16 = 0x3000;
const LENGTH_MASK: u16 = 0x0FFF;

/// LZNT1 data that cannot be decompressed; offsets are into the compressed input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Lznt1Error {
    #[error("chunk at byte {at} says {len} bytes, only {left} are left")]
    ChunkPastEnd { at: usize, len: usize, left: usize },
    #[error("chunk at byte {at} decompresses past the end of the {unit}-byte unit")]
    UnitOverflow { at: usize, unit: usize },
    #[error("back-reference at byte {at} reaches {distance} bytes back, only {written} written")]
    BadReference {
        at: usize,
        distance: usize,
        written: usize,
    },
    #[error("token at byte {at} is cut off by the end of its chunk")]
    TokenCut { at: usize },
}

/// Decompresses the LZNT1 chunks in `input` into `out` (the unit's uncompressed size).
/// Output past the end marker, or past the last chunk, is zeros.
pub fn decompress_into(input: &[u8], out: &mut [u8]) -> Result<(), Lznt1Error> {
    let mut at = 0;
    let mut written = 0;
    while let Some(header) = input.get(at..at + 2) {
        let header = u16::from_le_bytes([header[0], header[1]]);
        if header == 0 {
            break;
        }
        let len = usize::from(header & LENGTH_MASK) + 1;
        let body = input
            .get(at + 2..at + 2 + len)
            .ok_or(Lznt1Error::ChunkPastEnd {
                at,
                len,
                left: input.len() - at - 2,
            })?;
        let unit = out.len();
        let chunk = out
            .get_mut(written..(written + CHUNK).min(unit))
            .filter(|c| !c.is_empty())
            .ok_or(Lznt1Error::UnitOverflow { at, unit })?;
        let n = if header & COMPRESSED_FLAG != 0 {
            decompress_chunk(body, chunk, at + 2)?
        } else {
            let n = body.len().min(chunk.len());
            chunk[..n].copy_from_slice(&body[..n]);
            n
        };
        chunk[n..].fill(0);
        written += chunk.len();
        at += 2 + len;
    }
    out[written..].fill(0);
    Ok(())
}

/// One compressed chunk into `out` (at most 4096 bytes); returns the bytes written.
/// `base` is the chunk body's offset in the unit, for errors.
fn decompress_chunk(body: &[u8], out: &mut [u8], base: usize) -> Result<usize, Lznt1Error> {
    let mut i = 0;
    let mut pos = 0;
    while i < body.len() {
        // The flag byte over a sentinel bit: trailing zeros count the literals up to the next
        // back-reference (or the group's end), so a run of literals is one copy.
        let mut flags = u32::from(body[i]) | 0x100;
        i += 1;
        while flags != 1 {
            if i >= body.len() {
                return Ok(pos);
            }
            let literals = flags.trailing_zeros() as usize;
            if literals > 0 && i + 8 <= body.len() && pos + 8 <= out.len() {
                // At most 8 literals: one fixed 8-byte copy; what it writes past the run
                // is overwritten by the next token or zeroed at the chunk's end.
                out[pos..pos + 8].copy_from_slice(&body[i..i + 8]);
                pos += literals;
                i += literals;
                flags >>= literals;
                continue;
            }
            if literals > 0 {
                let n = literals.min(body.len() - i);
                let room = out.len() - pos;
                if n > room {
                    out[pos..].copy_from_slice(&body[i..i + room]);
                    return Err(Lznt1Error::UnitOverflow {
                        at: base + i + room,
                        unit: out.len(),
                    });
                }
                out[pos..pos + n].copy_from_slice(&body[i..i + n]);
                pos += n;
                i += n;
                flags >>= n;
                continue;
            }
            let token = body
                .get(i..i + 2)
                .ok_or(Lznt1Error::TokenCut { at: base + i })?;
            let token = u16::from_le_bytes([token[0], token[1]]);
            pos = copy_reference(out, pos, token, base + i)?;
            i += 2;
            flags >>= 1;
        }
    }
    Ok(pos)
}

/// Bytes a back-reference copies at once when its source is at least that far back.
const WIDE: usize = 16;

/// Applies back-reference `token` at output position `pos`; returns the new position.
#[inline]
fn copy_reference(out: &mut [u8], pos: usize, token: u16, at: usize) -> Result<usize, Lznt1Error> {
    let shift = offset_shift(pos);
    let len = usize::from(token & (LENGTH_MASK >> (12 - shift))) + 3;
    let distance = usize::from(token >> shift) + 1;
    if distance > pos {
        return Err(Lznt1Error::BadReference {
            at,
            distance,
            written: pos,
        });
    }
    let end = pos + len;
    if end > out.len() {
        return Err(Lznt1Error::UnitOverflow {
            at,
            unit: out.len(),
        });
    }
    let from = pos - distance;
    if distance >= WIDE && pos + len.next_multiple_of(WIDE) <= out.len() {
        // Blocks of 16 bytes, never overlapping their source; what the last one writes past
        // `end` is overwritten by the next token or zeroed at the chunk's end.
        let mut at = 0;
        while at < len {
            out.copy_within(from + at..from + at + WIDE, pos + at);
            at += WIDE;
        }
    } else if distance >= len {
        out.copy_within(from..from + len, pos);
    } else if distance == 1 {
        let byte = out[from];
        out[pos..end].fill(byte);
    } else {
        // Overlapping: the copy repeats the last `distance` bytes. Everything from `from`
        // on is periodic with that period, so copying from `from` in doubling lengths
        // (never overlapping its destination) writes the same bytes as byte-by-byte.
        let mut at = pos;
        while at < end {
            let n = (at - from).min(end - at);
            out.copy_within(from..from + n, at);
            at += n;
        }
    }
    Ok(end)
}

/// Bits of a token that hold the length, given the position in the chunk: 12 at the start,
/// one fewer each time the position passes a power of two from 16 on (minimum 4).
#[inline]
fn offset_shift(pos: usize) -> u32 {
    let p = pos.saturating_sub(1).max(1);
    let bits = usize::BITS - p.leading_zeros();
    12 - bits.saturating_sub(4).min(8)
}

/// Compresses `data` into LZNT1 chunks (greedy, 3-byte hash matches). Chunks that do not
/// shrink are stored uncompressed, as NTFS writers do. Ends without the zero terminator
/// when the output fills whole chunks; callers append `[0, 0]` if they need one.
#[cfg(any(test, feature = "synth"))]
pub fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / CHUNK * 2 + 2);
    for chunk in data.chunks(CHUNK) {
        let body = compress_chunk(chunk);
        if body.len() < chunk.len() {
            let header = COMPRESSED_FLAG | SIGNATURE | (body.len() as u16 - 1);
            out.extend_from_slice(&header.to_le_bytes());
            out.extend_from_slice(&body);
        } else {
            let header = SIGNATURE | (chunk.len() as u16 - 1);
            out.extend_from_slice(&header.to_le_bytes());
            out.extend_from_slice(chunk);
        }
    }
    out
}

#[cfg(any(test, feature = "synth"))]
fn compress_chunk(chunk: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(chunk.len() + chunk.len() / 8 + 1);
    let mut last = [u16::MAX; 4096];
    let hash = |p: usize| {
        let v = u32::from(chunk[p]) | u32::from(chunk[p + 1]) << 8 | u32::from(chunk[p + 2]) << 16;
        (v.wrapping_mul(2_654_435_761) >> 20) as usize
    };
    let mut pos = 0;
    while pos < chunk.len() {
        let flag_at = body.len();
        body.push(0);
        for bit in 0..8 {
            if pos >= chunk.len() {
                break;
            }
            let shift = offset_shift(pos);
            let max_len = usize::from(LENGTH_MASK >> (12 - shift)) + 3;
            let max_distance = 1usize << (16 - shift);
            let mut best = 0;
            let mut from = 0;
            if pos + 3 <= chunk.len() {
                let h = hash(pos);
                let cand = usize::from(last[h]);
                if cand < pos && pos - cand <= max_distance {
                    let limit = max_len.min(chunk.len() - pos);
                    best = (0..limit)
                        .take_while(|&k| chunk[cand + k] == chunk[pos + k])
                        .count();
                    from = cand;
                }
                last[h] = pos as u16;
            }
            if best >= 3 {
                let token = ((pos - from - 1) << shift | (best - 3)) as u16;
                body.extend_from_slice(&token.to_le_bytes());
                body[flag_at] |= 1 << bit;
                for p in pos + 1..(pos + best).min(chunk.len().saturating_sub(2)) {
                    last[hash(p)] = p as u16;
                }
                pos += best;
            } else {
                body.push(chunk[pos]);
                pos += 1;
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte-at-a-time decoder the fast one replaced: the oracle it must equal, output
    /// and errors alike, on any input.
    fn simple_chunk(body: &[u8], out: &mut [u8], base: usize) -> Result<usize, Lznt1Error> {
        let (mut i, mut pos) = (0, 0);
        while i < body.len() {
            let flags = body[i];
            i += 1;
            for bit in 0..8 {
                if i >= body.len() {
                    return Ok(pos);
                }
                if flags & (1 << bit) == 0 {
                    if pos >= out.len() {
                        let unit = out.len();
                        return Err(Lznt1Error::UnitOverflow { at: base + i, unit });
                    }
                    out[pos] = body[i];
                    (pos, i) = (pos + 1, i + 1);
                    continue;
                }
                let token = body
                    .get(i..i + 2)
                    .ok_or(Lznt1Error::TokenCut { at: base + i })?;
                let token = u16::from_le_bytes([token[0], token[1]]);
                let shift = offset_shift(pos);
                let len = usize::from(token & (LENGTH_MASK >> (12 - shift))) + 3;
                let distance = usize::from(token >> shift) + 1;
                if distance > pos {
                    let written = pos;
                    return Err(Lznt1Error::BadReference {
                        at: base + i,
                        distance,
                        written,
                    });
                }
                if pos + len > out.len() {
                    let unit = out.len();
                    return Err(Lznt1Error::UnitOverflow { at: base + i, unit });
                }
                for k in pos..pos + len {
                    out[k] = out[k - distance];
                }
                (pos, i) = (pos + len, i + 2);
            }
        }
        Ok(pos)
    }

    proptest! {
        /// Chunk bodies of every shape (literal runs, short and long, overlapping and
        /// distance-1 references, cut tokens, overflow): the fast decoder equals the simple.
        #[test]
        fn fast_chunk_decoder_equals_the_simple_one(
            body in proptest::collection::vec(any::<u8>(), 0..600),
            room in 0usize..=CHUNK,
        ) {
            let (mut fast, mut simple) = (vec![0xAAu8; room], vec![0xAAu8; room]);
            let got = decompress_chunk(&body, &mut fast, 7);
            let want = simple_chunk(&body, &mut simple, 7);
            prop_assert_eq!(&got, &want);
            if let Ok(n) = want {
                prop_assert_eq!(&fast[..n], &simple[..n]);
            }
        }

        /// Any bytes as a unit: an answer or an error, never a panic or a read out of bounds.
        #[test]
        fn arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..9000)) {
            let mut out = vec![0u8; 2 * CHUNK];
            let _ = decompress_into(&data, &mut out);
        }

        /// Valid chunks with a few bytes changed (headers, flags, tokens): never a panic.
        #[test]
        fn damaged_chunks_never_panic(
            data in proptest::collection::vec(0u8..4, 1..12000),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        ) {
            let mut packed = compress(&data);
            for (at, v) in flips {
                let n = packed.len();
                packed[at % n] = v;
            }
            let mut out = vec![0u8; 3 * CHUNK];
            let _ = decompress_into(&packed, &mut out);
        }

        /// Compress then decompress gives the input back (few symbols: many matches).
        #[test]
        fn round_trip_any_data(data in proptest::collection::vec(0u8..4, 0..20000)) {
            round_trip(&data);
        }
    }

    fn round_trip(data: &[u8]) {
        let packed = compress(data);
        let mut out = vec![0xAA; data.len().div_ceil(CHUNK) * CHUNK];
        decompress_into(&packed, &mut out).unwrap();
        assert_eq!(&out[..data.len()], data);
        assert!(out[data.len()..].iter().all(|&b| b == 0));
    }

    #[test]
    fn round_trips_text_zeros_noise_and_runs() {
        round_trip(b"");
        round_trip(b"abc");
        round_trip(&b"compress me ".repeat(3000));
        round_trip(&vec![0u8; 65536]);
        let mut rng = crate::synth::SplitMix64::new(1);
        let noise: Vec<u8> = (0..20000).map(|_| rng.next_u64() as u8).collect();
        round_trip(&noise);
        let mixed: Vec<u8> = noise.iter().map(|b| b & 0x3).collect();
        round_trip(&mixed);
    }

    #[test]
    fn compressible_data_shrinks_and_noise_is_stored() {
        assert!(compress(&vec![7u8; 65536]).len() < 2000);
        let mut rng = crate::synth::SplitMix64::new(7);
        let noise: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
        let packed = compress(&noise);
        assert_eq!(packed.len(), 4098);
        assert_eq!(u16::from_le_bytes([packed[0], packed[1]]), 0x3FFF);
    }

    #[test]
    fn offset_split_follows_the_position() {
        assert_eq!(offset_shift(1), 12);
        assert_eq!(offset_shift(16), 12);
        assert_eq!(offset_shift(17), 11);
        assert_eq!(offset_shift(32), 11);
        assert_eq!(offset_shift(33), 10);
        assert_eq!(offset_shift(4095), 4);
        // "abc" then a reference 3 back, length 6: "abcabcabc".
        let body = [0b1000u8, b'a', b'b', b'c', 0x03, 0x20];
        let header = 0xB000u16 | (body.len() as u16 - 1);
        let mut chunk = header.to_le_bytes().to_vec();
        chunk.extend_from_slice(&body);
        let mut out = [0xFFu8; CHUNK];
        decompress_into(&chunk, &mut out).unwrap();
        assert_eq!(&out[..9], b"abcabcabc");
        assert!(out[9..].iter().all(|&b| b == 0));
    }

    #[test]
    fn bad_input_is_an_error_with_its_offset() {
        let mut out = [0u8; CHUNK];
        // A reference before anything was written.
        assert_eq!(
            decompress_into(&[0x02, 0xB0, 0x01, 0x00, 0x00], &mut out),
            Err(Lznt1Error::BadReference {
                at: 3,
                distance: 1,
                written: 0
            })
        );
        // A header longer than the input.
        assert!(matches!(
            decompress_into(&[0xFF, 0xBF, 1, 2], &mut out),
            Err(Lznt1Error::ChunkPastEnd { at: 0, .. })
        ));
        // Two chunks for a one-chunk unit.
        let two = compress(&vec![1u8; 2 * CHUNK]);
        assert!(matches!(
            decompress_into(&two, &mut out),
            Err(Lznt1Error::UnitOverflow { .. })
        ));
    }
}
