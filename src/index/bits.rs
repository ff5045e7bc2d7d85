//! Fixed-width bit strings compared by Hamming distance: the `BitHash` trait and the 256-bit
//! `Hash256` that carries PDQ values.
//!
//! Owns: bit numbering, substring extraction and popcount distance for `u64` (pHash, dHash,
//! aHash) and `Hash256` (PDQ). Leaves parsing hex to `algorithm::HashValue` and searching
//! to the rest of `index`.
//!
//! Bit order: bit 0 is the most significant bit of byte 0, i.e. the first bit of the hex
//! string as hashsweep prints it. A `u64` holds its 8 bytes big-endian (`from_be_bytes`)
//! and a `Hash256` holds word 0 = bytes 0..8 big-endian, so "bits 0..16" of a value are
//! always its first four hex digits, whatever the width.

use std::fmt;

/// A fixed-width bit string with a Hamming distance; what the index and the linear scan
/// search over.
pub trait BitHash: bytemuck::Pod + Send + Sync + Eq + fmt::Debug + 'static {
    /// Width in bits.
    const BITS: u32;

    /// Number of differing bits.
    fn distance(&self, other: &Self) -> u32;

    /// `distance` if it is at most `limit`. Wide hashes may stop early once a part of the
    /// words already differs by more than `limit`.
    #[inline]
    fn distance_within(&self, other: &Self, limit: u32) -> Option<u32> {
        let distance = self.distance(other);
        (distance <= limit).then_some(distance)
    }

    /// Bits `start .. start + len` (bit 0 = first bit of the hex form), right-aligned.
    /// `len` is at most 32 and `start + len` at most `BITS`.
    fn substring(&self, start: u32, len: u32) -> u32;
}

impl BitHash for u64 {
    const BITS: u32 = 64;

    #[inline]
    fn distance(&self, other: &Self) -> u32 {
        (self ^ other).count_ones()
    }

    #[inline]
    fn substring(&self, start: u32, len: u32) -> u32 {
        debug_assert!(len <= 32 && start + len <= 64);
        if len == 0 {
            return 0;
        }
        // Shift the wanted bits to the bottom; the mask keeps `len` of them.
        ((self >> (64 - start - len)) & low_mask(len)) as u32
    }
}

/// A 256-bit hash (PDQ), four 64-bit words, word 0 holding bytes 0..8 big-endian.
///
/// Aligned to 32 bytes so a hash never straddles two cache lines: with the default 8-byte
/// alignment half of the scattered fetches when verifying candidates cost two misses.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, bytemuck::Pod, bytemuck::Zeroable,
)]
#[repr(C, align(32))]
pub struct Hash256(pub [u64; 4]);

impl Hash256 {
    /// From the 32 bytes in printed (hex) order.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut words = [0u64; 4];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut be = [0u8; 8];
            be.copy_from_slice(chunk);
            *word = u64::from_be_bytes(be);
        }
        Hash256(words)
    }

    /// The 32 bytes in printed (hex) order.
    pub fn to_bytes(self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        bytes
    }
}

impl From<[u8; 32]> for Hash256 {
    fn from(bytes: [u8; 32]) -> Self {
        Hash256::from_bytes(bytes)
    }
}

impl From<Hash256> for [u8; 32] {
    fn from(hash: Hash256) -> Self {
        hash.to_bytes()
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for word in self.0 {
            write!(f, "{word:016x}")?;
        }
        Ok(())
    }
}

impl BitHash for Hash256 {
    const BITS: u32 = 256;

    #[inline]
    fn distance(&self, other: &Self) -> u32 {
        let a = &self.0;
        let b = &other.0;
        (a[0] ^ b[0]).count_ones()
            + (a[1] ^ b[1]).count_ones()
            + (a[2] ^ b[2]).count_ones()
            + (a[3] ^ b[3]).count_ones()
    }

    /// Stops after the first two words when they already differ by more than `limit`. For
    /// the radii that matter (≤ 40 of 256 bits) an unrelated hash differs in ~64 of the
    /// first 128 bits, so the branch is predictable and saves half the popcounts: a scan of
    /// 30k cache-resident PDQ hashes measured 1.4× faster; at 1M (memory-bound) no change.
    #[inline]
    fn distance_within(&self, other: &Self, limit: u32) -> Option<u32> {
        let a = &self.0;
        let b = &other.0;
        let half = (a[0] ^ b[0]).count_ones() + (a[1] ^ b[1]).count_ones();
        if half > limit {
            return None;
        }
        let distance = half + (a[2] ^ b[2]).count_ones() + (a[3] ^ b[3]).count_ones();
        (distance <= limit).then_some(distance)
    }

    #[inline]
    fn substring(&self, start: u32, len: u32) -> u32 {
        debug_assert!(len <= 32 && start + len <= 256);
        if len == 0 {
            return 0;
        }
        let word = (start / 64) as usize;
        let offset = start % 64;
        let end = offset + len;
        if end <= 64 {
            return ((self.0[word] >> (64 - end)) & low_mask(len)) as u32;
        }
        // Straddles two words: the high part from `word`, the rest from the next one.
        let high_len = 64 - offset;
        let low_len = len - high_len;
        let high = self.0[word] & low_mask(high_len);
        let low = self.0[word + 1] >> (64 - low_len);
        ((high << low_len) | low) as u32
    }
}

#[inline]
fn low_mask(len: u32) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference substring: walk the bits one by one in printed order.
    fn naive_substring(bytes: &[u8], start: u32, len: u32) -> u32 {
        (start..start + len).fold(0u32, |acc, bit| {
            let byte = bytes[(bit / 8) as usize];
            let value = (byte >> (7 - bit % 8)) & 1;
            (acc << 1) | u32::from(value)
        })
    }

    fn sample_bytes() -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(0x5b);
        }
        bytes
    }

    #[test]
    fn hash256_round_trips_bytes_and_prints_like_hex() {
        let bytes = sample_bytes();
        let hash = Hash256::from(bytes);
        assert_eq!(<[u8; 32]>::from(hash), bytes);
        assert_eq!(hash.to_string(), hex::encode(bytes));
    }

    #[test]
    fn bit_zero_is_the_msb_of_byte_zero() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0x80;
        let hash = Hash256::from(bytes);
        assert_eq!(hash.substring(0, 1), 1);
        assert_eq!(hash.substring(1, 31), 0);
        assert_eq!(0x8000_0000_0000_0000u64.substring(0, 1), 1);
    }

    #[test]
    fn substrings_match_a_bit_by_bit_reference() {
        let bytes = sample_bytes();
        let hash = Hash256::from(bytes);
        let word = u64::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
        for start in 0..256 {
            for len in 0..=32u32.min(256 - start) {
                let expected = naive_substring(&bytes, start, len);
                assert_eq!(hash.substring(start, len), expected, "{start}+{len}");
                if start + len <= 64 {
                    assert_eq!(word.substring(start, len), expected, "u64 {start}+{len}");
                }
            }
        }
    }

    #[test]
    fn distance_counts_differing_bits() {
        let a = Hash256([0, u64::MAX, 0, 1]);
        let b = Hash256([1, u64::MAX, 0, 0]);
        assert_eq!(a.distance(&b), 2);
        assert_eq!(a.distance(&a), 0);
        assert_eq!(0u64.distance(&u64::MAX), 64);
        assert_eq!(a.distance_within(&b, 2), Some(2));
        assert_eq!(a.distance_within(&b, 1), None);
        let far = Hash256([u64::MAX, u64::MAX, 0, 0]);
        assert_eq!(Hash256::default().distance_within(&far, 127), None);
        assert_eq!(Hash256::default().distance_within(&far, 128), Some(128));
    }
}
