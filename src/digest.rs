//! Cryptographic digests of a file's bytes: MD5, SHA-1, SHA-256 and BLAKE3 fed from one read.
//!
//! Owns: `Digester` (streaming, all four at once) and `FileDigests` (the finished values).
//! Leaves reading files to `read_pass` and comparing digests to `matcher`.

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::algorithm::{Algorithm, HashValue};

/// The four cryptographic digests of one byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    pub md5: [u8; 16],
    pub sha1: [u8; 20],
    pub sha256: [u8; 32],
    pub blake3: [u8; 32],
}

impl FileDigests {
    /// The raw bytes of one algorithm's value; `None` for perceptual algorithms.
    pub fn get(&self, algorithm: Algorithm) -> Option<&[u8]> {
        match algorithm {
            Algorithm::Md5 => Some(&self.md5),
            Algorithm::Sha1 => Some(&self.sha1),
            Algorithm::Sha256 => Some(&self.sha256),
            Algorithm::Blake3 => Some(&self.blake3),
            _ => None,
        }
    }

    /// Each digest as a typed value, in `Algorithm::CRYPTOGRAPHIC` order.
    pub fn values(&self) -> impl Iterator<Item = HashValue> + '_ {
        Algorithm::CRYPTOGRAPHIC.into_iter().filter_map(|a| {
            self.get(a)
                .and_then(|bytes| HashValue::from_bytes(a, bytes).ok())
        })
    }

    /// Digests of a byte slice (tests, small buffers).
    pub fn of(bytes: &[u8]) -> FileDigests {
        let mut d = Digester::new();
        d.update(bytes);
        d.finish()
    }

    /// Digests of the zero-length stream, computed once per process.
    pub fn of_empty() -> &'static FileDigests {
        static EMPTY: std::sync::OnceLock<FileDigests> = std::sync::OnceLock::new();
        EMPTY.get_or_init(|| FileDigests::of(b""))
    }
}

/// Lowercase-hex view used by reports and `hash` output. A digest is never empty when
/// written; one a report leaves out reads as empty (a hand-made or older report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DigestsHex {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub md5: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sha1: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub blake3: String,
}

impl From<&FileDigests> for DigestsHex {
    fn from(d: &FileDigests) -> Self {
        DigestsHex {
            md5: hex::encode(d.md5),
            sha1: hex::encode(d.sha1),
            sha256: hex::encode(d.sha256),
            blake3: hex::encode(d.blake3),
        }
    }
}

/// Chunks this long or longer are digested by two tasks (`Digester::update`): about 0.7 ms
/// of hashing each, against a few hundred nanoseconds of task overhead.
const SPLIT_CHUNK: usize = 256 << 10;

/// Streams bytes into all four digests. Feed it chunks in order, then `finish`.
///
/// Parallelism comes first from hashing many files at once. A large chunk is also split
/// between two rayon tasks, MD5 (no hardware help: as slow as the other three together) and
/// SHA-1 + SHA-256 + BLAKE3, so that one large file (an archive, a video, the last file of
/// a scan) is digested on two cores while others are idle. When every thread is busy, the
/// second task is run by this thread right after the first, at the cost of a queue push.
#[derive(Clone)]
pub struct Digester {
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    blake3: blake3::Hasher,
}

impl Default for Digester {
    fn default() -> Self {
        Self::new()
    }
}

impl Digester {
    pub fn new() -> Self {
        Digester {
            md5: Md5::new(),
            sha1: Sha1::new(),
            sha256: Sha256::new(),
            blake3: blake3::Hasher::new(),
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        let Digester {
            md5,
            sha1,
            sha256,
            blake3,
        } = self;
        let mut rest = || {
            sha1.update(chunk);
            sha256.update(chunk);
            blake3.update(chunk);
        };
        if chunk.len() >= SPLIT_CHUNK {
            rayon::join(|| md5.update(chunk), rest);
        } else {
            md5.update(chunk);
            rest();
        }
    }

    pub fn finish(self) -> FileDigests {
        FileDigests {
            md5: self.md5.finalize().into(),
            sha1: self.sha1.finalize().into(),
            sha256: self.sha256.finalize().into(),
            blake3: *self.blake3.finalize().as_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hexes(bytes: &[u8]) -> DigestsHex {
        DigestsHex::from(&FileDigests::of(bytes))
    }

    /// RFC 1321 / FIPS 180 / BLAKE3 reference vectors for the empty input.
    #[test]
    fn empty_input_matches_published_vectors() {
        let d = hexes(b"");
        assert_eq!(d.md5, "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(d.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            d.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            d.blake3,
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    /// "abc": RFC 1321 A.5, FIPS 180-2 appendix B/C examples, BLAKE3 reference.
    #[test]
    fn abc_matches_published_vectors() {
        let d = hexes(b"abc");
        assert_eq!(d.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(d.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            d.blake3,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }

    /// FIPS 180-2 two-block message and RFC 1321's longest test string.
    #[test]
    fn multi_block_vectors() {
        let msg = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        let d = hexes(msg);
        assert_eq!(d.sha1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        assert_eq!(
            d.sha256,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let md5_msg =
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890";
        assert_eq!(hexes(md5_msg).md5, "57edf4a22be3c955ac49da2e2107b67a");
    }

    #[test]
    fn chunked_update_equals_each_crates_one_shot_digest() {
        let data: Vec<u8> = (0..(3 * SPLIT_CHUNK as u32 + 5))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let want = FileDigests {
            md5: Md5::digest(&data).into(),
            sha1: Sha1::digest(&data).into(),
            sha256: Sha256::digest(&data).into(),
            blake3: *blake3::hash(&data).as_bytes(),
        };
        // Small chunks take the one-task path, large ones the two-task path; both mixed.
        for chunk_len in [4093, SPLIT_CHUNK, SPLIT_CHUNK + 1, data.len()] {
            let mut d = Digester::new();
            for chunk in data.chunks(chunk_len) {
                d.update(chunk);
            }
            assert_eq!(d.finish(), want, "chunks of {chunk_len}");
        }
    }
}
