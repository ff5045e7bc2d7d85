//! The 256-bit PDQ hash value: its bit layout, text form and Hamming distance, and the
//! thresholding of a 16×16 DCT block into bits.
//!
//! Owns `PdqHash`. Leaves out how the DCT block is computed (`dct`) and which dihedral
//! variant it belongs to (`dihedral`).

use std::fmt;

use super::dct::Dct16;
use super::PdqError;

/// A PDQ hash: the 256-bit integer whose bit k (k = 16·row + column of the DCT block) is
/// worth 2^k, stored big-endian. The bytes are therefore exactly the reference text form
/// read as hex: byte 0 holds DCT row 15, columns 15…8 (PDQ.md step 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PdqHash(pub [u8; 32]);

impl PdqHash {
    /// The reference's 64 lowercase hex digits (`pdqhashtypes.cpp` format: `w[15]…w[0]`).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case), as written by `to_hex` or the reference tools.
    pub fn from_hex(text: &str) -> Result<Self, PdqError> {
        let mut bytes = [0u8; 32];
        if text.len() != 64 {
            return Err(PdqError::BadHex(format!(
                "expected 64 hex digits, got {} characters",
                text.len()
            )));
        }
        hex::decode_to_slice(text, &mut bytes).map_err(|e| PdqError::BadHex(e.to_string()))?;
        Ok(PdqHash(bytes))
    }

    /// Hamming distance: the number of differing bits (0..=256).
    pub fn distance(&self, other: &PdqHash) -> u32 {
        self.0
            .iter()
            .zip(other.0.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// Whether bit k (k = 16·row + column) is set.
    pub fn bit(&self, k: usize) -> bool {
        k < 256 && self.0[31 - k / 8] & (1 << (k % 8)) != 0
    }

    fn set_bit(&mut self, k: usize) {
        self.0[31 - k / 8] |= 1 << (k % 8);
    }

    /// Thresholds a DCT block at its lower median with a strict `>` (PDQ.md step 8):
    /// ties with the median give 0 bits, so a flat block can have fewer than 128 ones.
    pub(crate) fn from_dct(block: &Dct16) -> PdqHash {
        let median = lower_median(block);
        let mut hash = PdqHash::default();
        for (i, row) in block.iter().enumerate() {
            for (j, &value) in row.iter().enumerate() {
                if value > median {
                    hash.set_bit(16 * i + j);
                }
            }
        }
        hash
    }
}

/// The 128th smallest of the 256 values, which is what the reference's Torben selection
/// returns for an even count. `total_cmp` only differs from `<` on -0.0 vs +0.0 and NaN; the
/// former compare equal under `>` anyway and finite luma never yields the latter.
fn lower_median(block: &Dct16) -> f32 {
    let mut values: Vec<f32> = block.iter().flatten().copied().collect();
    let (_, median, _) = values.select_nth_unstable_by(127, f32::total_cmp);
    *median
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn hex_round_trip() {
        let hash = PdqHash::from_hex(BRIDGE).unwrap();
        assert_eq!(hash.to_hex(), BRIDGE);
        assert_eq!(hash.to_string(), BRIDGE);
        assert_eq!(PdqHash::from_hex(&BRIDGE.to_uppercase()).unwrap(), hash);
    }

    #[test]
    fn bad_hex_is_refused() {
        assert!(matches!(PdqHash::from_hex("abc"), Err(PdqError::BadHex(_))));
        let not_hex = "g".repeat(64);
        assert!(matches!(
            PdqHash::from_hex(&not_hex),
            Err(PdqError::BadHex(_))
        ));
    }

    #[test]
    fn distance_counts_differing_bits() {
        let a = PdqHash::from_hex(BRIDGE).unwrap();
        assert_eq!(a.distance(&a), 0);
        let mut b = a;
        b.0[0] ^= 0b1011;
        b.0[31] ^= 0x80;
        assert_eq!(a.distance(&b), 4);
        assert_eq!(PdqHash([0; 32]).distance(&PdqHash([0xff; 32])), 256);
    }

    #[test]
    fn bit_layout_matches_reference_text_form() {
        // Bit 0 (row 0, column 0) is the low bit of the last hex digit; bit 255 (row 15,
        // column 15) the high bit of the first.
        let mut hash = PdqHash::default();
        hash.set_bit(0);
        assert!(hash.to_hex().ends_with("01"));
        hash.set_bit(255);
        assert!(hash.to_hex().starts_with('8'));
        hash.set_bit(16 + 4); // row 1, column 4: word 1 = last-but-one group of 4 digits
        assert_eq!(&hash.to_hex()[56..60], "0010");
        assert!(hash.bit(20) && hash.bit(0) && hash.bit(255) && !hash.bit(1));
    }

    #[test]
    fn median_threshold_is_strict_and_lower() {
        let mut block: Dct16 = [[0.0; 16]; 16];
        for (k, v) in block.iter_mut().flatten().enumerate() {
            *v = k as f32;
        }
        let hash = PdqHash::from_dct(&block);
        // Lower median is 127, so values 128..=255 (bits 128..=255) are set.
        assert_eq!(hash.0[..16], [0xff; 16]);
        assert_eq!(hash.0[16..], [0; 16]);
        // All equal: nothing is strictly above the median.
        assert_eq!(PdqHash::from_dct(&[[3.0; 16]; 16]), PdqHash::default());
    }
}
