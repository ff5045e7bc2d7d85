//! The hash algorithms hashsweep knows, their names on the command line and in lists, and
//! the fixed-width binary values they produce.
//!
//! Owns: `Algorithm`, `HashValue` (hex parsing/printing). Leaves computing hashes to
//! `digest` and `perceptual`, and comparing them to `matcher`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

/// Every algorithm a list entry or a file hash can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Blake3,
    /// Meta's PDQ, 256 bits.
    Pdq,
    /// DCT median hash (image_hasher `Median` + DCT pre-processing), 64 bits.
    Phash,
    /// Gradient ("difference") hash, 64 bits.
    Dhash,
    /// Mean ("average") hash, 64 bits.
    Ahash,
}

/// Whether an algorithm matches exactly or by Hamming distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    Hamming,
}

impl Algorithm {
    pub const ALL: [Algorithm; 8] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Blake3,
        Algorithm::Pdq,
        Algorithm::Phash,
        Algorithm::Dhash,
        Algorithm::Ahash,
    ];
    pub const CRYPTOGRAPHIC: [Algorithm; 4] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Blake3,
    ];
    pub const PERCEPTUAL: [Algorithm; 4] = [
        Algorithm::Pdq,
        Algorithm::Phash,
        Algorithm::Dhash,
        Algorithm::Ahash,
    ];

    /// The lowercase name used in lists, reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Blake3 => "blake3",
            Algorithm::Pdq => "pdq",
            Algorithm::Phash => "phash",
            Algorithm::Dhash => "dhash",
            Algorithm::Ahash => "ahash",
        }
    }

    /// Length of a value in bytes.
    pub fn byte_len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 | Algorithm::Blake3 | Algorithm::Pdq => 32,
            Algorithm::Phash | Algorithm::Dhash | Algorithm::Ahash => 8,
        }
    }

    pub fn match_kind(self) -> MatchKind {
        if self.is_perceptual() {
            MatchKind::Hamming
        } else {
            MatchKind::Exact
        }
    }

    pub fn is_perceptual(self) -> bool {
        matches!(
            self,
            Algorithm::Pdq | Algorithm::Phash | Algorithm::Dhash | Algorithm::Ahash
        )
    }

    /// Default Hamming threshold (inclusive) for perceptual algorithms, `None` for exact ones.
    ///
    /// PDQ 31 is Meta's published operating point (of 256 bits). The 64-bit thresholds come
    /// from `cargo run --release --example calibrate` on 10,222 unrelated benign pictures
    /// and 200 listed originals with 1,600 transformed copies (docs/detection.md): the most
    /// copies found with no unrelated picture alerting under the corroboration rule. Alone,
    /// aHash at 10 hits many unrelated pictures; the rule keeps those weak.
    pub fn default_threshold(self) -> Option<u32> {
        match self {
            // Meta's operating point; no false alert on the calibration corpus.
            Algorithm::Pdq => Some(31),
            // docs/detection.md: the most copies found with no false alert on 10,222
            // unrelated pictures under the corroboration rule (`alert_rule`).
            Algorithm::Phash | Algorithm::Dhash => Some(2),
            Algorithm::Ahash => Some(10),
            _ => None,
        }
    }

    /// Number of bits, the largest meaningful threshold.
    pub fn bits(self) -> u32 {
        // byte_len is at most 32, so this never truncates.
        (self.byte_len() * 8) as u32
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm name that hashsweep does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown hash algorithm {0:?} (known: md5, sha1, sha256, blake3, pdq, phash, dhash, ahash)"
)]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Case-insensitive; accepts the spellings lists use (`SHA-1`, `sha_256`, `MD5`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == folded)
            .ok_or_else(|| UnknownAlgorithm(s.to_string()))
    }
}

impl TryFrom<String> for Algorithm {
    type Error = UnknownAlgorithm;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A hash value of a known algorithm, stored as raw bytes and printed as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HashValue {
    pub algorithm: Algorithm,
    bytes: Vec<u8>,
}

/// Why a hex string is not a value of the expected algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    #[error("{algorithm} hash must be {expected} hex digits, got {got}")]
    WrongLength {
        algorithm: Algorithm,
        expected: usize,
        got: usize,
    },
    #[error("not a hex string: {0:?}")]
    NotHex(String),
}

impl HashValue {
    /// Wraps bytes already known to have the algorithm's length.
    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, HashParseError> {
        if bytes.len() != algorithm.byte_len() {
            return Err(HashParseError::WrongLength {
                algorithm,
                expected: algorithm.byte_len() * 2,
                got: bytes.len() * 2,
            });
        }
        Ok(HashValue {
            algorithm,
            bytes: bytes.to_vec(),
        })
    }

    /// Parses hex in either case, surrounding whitespace ignored.
    pub fn parse_hex(algorithm: Algorithm, text: &str) -> Result<Self, HashParseError> {
        let text = text.trim();
        if text.len() != algorithm.byte_len() * 2 {
            return Err(HashParseError::WrongLength {
                algorithm,
                expected: algorithm.byte_len() * 2,
                got: text.len(),
            });
        }
        let bytes = hex::decode(text).map_err(|_| HashParseError::NotHex(text.to_string()))?;
        Ok(HashValue { algorithm, bytes })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

impl fmt::Display for HashValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_accept_list_spellings() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
        }
        assert_eq!("SHA-1".parse::<Algorithm>(), Ok(Algorithm::Sha1));
        assert_eq!("sha_256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert!("crc32".parse::<Algorithm>().is_err());
    }

    #[test]
    fn hex_parsing_checks_length_and_folds_case() {
        let v = HashValue::parse_hex(Algorithm::Md5, "D41D8CD98F00B204E9800998ECF8427E").unwrap();
        assert_eq!(v.to_hex(), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(matches!(
            HashValue::parse_hex(Algorithm::Sha1, "d41d8cd98f00b204e9800998ecf8427e"),
            Err(HashParseError::WrongLength { got: 32, .. })
        ));
        assert!(matches!(
            HashValue::parse_hex(Algorithm::Md5, "z41d8cd98f00b204e9800998ecf8427e"),
            Err(HashParseError::NotHex(_))
        ));
    }
}
