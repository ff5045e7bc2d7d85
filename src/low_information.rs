//! Whether a 64-bit perceptual value (pHash, dHash, aHash) says little about its picture:
//! nearly uniform, one or two rows repeated, or one long run of equal bits. Such a value
//! matches many unrelated pictures, so its hits never alert alone (`alert_rule`), and
//! `list inspect` points such list entries out.

use crate::algorithm::Algorithm;

/// The 64-bit perceptual hashes the rule governs.
pub fn is_narrow(algorithm: Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::Phash | Algorithm::Dhash | Algorithm::Ahash
    )
}

/// Set bits at or under this (or at or over 64 minus it): a nearly uniform value.
const NEAR_UNIFORM_BITS: u32 = 6;
/// Longest run of equal bits, row after row, at or over which a value is mostly one run.
const LONG_RUN_BITS: u32 = 40;
/// Distinct 8-bit rows at or under which a value is one or two rows repeated.
const FEW_ROWS: usize = 2;

/// Why a 64-bit perceptual value carries little information, or `None`. Its eight bytes
/// are read as the 8×8 grid they summarise, a row per byte. PDQ and digests are never
/// low-information here.
pub fn low_information(algorithm: Algorithm, value: &[u8]) -> Option<&'static str> {
    if !is_narrow(algorithm) || value.len() != 8 {
        return None;
    }
    let bits = u64::from_be_bytes(value.try_into().ok()?);
    let ones = bits.count_ones();
    if ones <= NEAR_UNIFORM_BITS || ones >= 64 - NEAR_UNIFORM_BITS {
        return Some("nearly uniform");
    }
    let mut rows: Vec<u8> = value.to_vec();
    rows.sort_unstable();
    rows.dedup();
    if rows.len() <= FEW_ROWS {
        return Some("one or two rows repeated");
    }
    if longest_run(bits) >= LONG_RUN_BITS {
        return Some("one long run of equal bits");
    }
    None
}

fn longest_run(bits: u64) -> u32 {
    let mut longest = 0;
    let mut rest = bits;
    let mut left = 64;
    while left > 0 {
        let run = if rest >> 63 == 1 {
            rest.leading_ones()
        } else {
            rest.leading_zeros()
        }
        .min(left);
        longest = longest.max(run);
        rest = rest.checked_shl(run).unwrap_or(0);
        left -= run;
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "9a3c5e7f1b2d4c6e";
    const B: &str = "1f2e3d4c5b6a7988";

    #[test]
    fn low_information_values() {
        let low = |hex: &str| low_information(Algorithm::Ahash, &hex::decode(hex).unwrap());
        assert_eq!(low("0000000000000000"), Some("nearly uniform"));
        assert_eq!(low("ffffffffffffffbf"), Some("nearly uniform"));
        // Sky above, ground below: two distinct rows.
        assert_eq!(low("ffffffff00000000"), Some("one or two rows repeated"));
        assert_eq!(low("0f0f0f0f0f0f0f0f"), Some("one or two rows repeated"));
        // A 40-bit run of zeros after a varied start.
        assert_eq!(low("a5c3810000000000"), Some("one long run of equal bits"));
        assert_eq!(low(A), None);
        assert_eq!(low(B), None);
        assert_eq!(
            low_information(Algorithm::Pdq, &[0; 32]),
            None,
            "PDQ has its quality cut-off instead"
        );
    }

    #[test]
    fn longest_run_counts_across_rows() {
        assert_eq!(longest_run(0), 64);
        assert_eq!(longest_run(u64::MAX), 64);
        assert_eq!(longest_run(0x8000_0000_0000_0001), 62);
        assert_eq!(longest_run(0xAAAA_AAAA_AAAA_AAAA), 1);
    }
}
