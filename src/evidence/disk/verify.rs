//! Image verification: the hashes of the whole media, and for E01 the comparison with the
//! hashes the acquisition tool stored in it.
//!
//! Owns `hash_media` and its report record. The media is read once in image order (large
//! positioned reads, one `Digester` feeding MD5, SHA-1, SHA-256 and BLAKE3). The file scan
//! reads in path order and in parallel, so the image hash cannot ride on its reads; instead
//! `scan` runs `hash_media` on its own thread over the image already open, while the pool
//! hashes the files.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use super::bytes::ByteSource;
use super::detect::{open_bytes, EvidenceType};
use crate::digest::Digester;
use crate::evidence::EvidenceError;

/// Outcome of verifying one image, for the report header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageVerification {
    /// `raw`, `split_raw` or `ewf`.
    pub format: &'static str,
    /// Bytes of media hashed (the whole image unless `read_error` is set).
    pub media_size: u64,
    pub bytes_hashed: u64,
    /// Hex digests of the media; `None` when a read failed part way.
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
    pub blake3: Option<String>,
    /// Hashes stored in the image by the acquisition tool (E01 only).
    pub stored_md5: Option<String>,
    pub stored_sha1: Option<String>,
    /// `Some(true)` when the computed hash equals the stored one; `None` when nothing was
    /// stored or nothing computed.
    pub md5_matches: Option<bool>,
    pub sha1_matches: Option<bool>,
    /// The read error that stopped hashing, with its byte offset.
    pub read_error: Option<String>,
}

/// Sequential read size: large enough to amortise E01 chunk lookups and syscalls.
const CHUNK: usize = 4 << 20;

/// Opens the image at `path` and hashes its media (`hash_media`).
pub fn verify_image(
    path: &Path,
    ty: EvidenceType,
    stop: &AtomicBool,
) -> Result<ImageVerification, EvidenceError> {
    let (format, src) = open_bytes(path, ty)?;
    Ok(hash_media(format, src.as_ref(), stop))
}

/// Hashes every byte of `src` (an image of container `format`) and compares with the hashes
/// stored in it. Checks `stop` per chunk: an interrupted run is a `read_error`.
pub(crate) fn hash_media(
    format: &'static str,
    src: &dyn ByteSource,
    stop: &AtomicBool,
) -> ImageVerification {
    // The hashes the acquisition tool stored (E01), from the image already open.
    let stored = src.stored_hashes();
    let (stored_md5, stored_sha1) = (stored.md5, stored.sha1);
    let mut digester = Digester::new();
    let mut buf = vec![0u8; CHUNK];
    let mut at = 0u64;
    let mut read_error = None;
    while at < src.len() {
        if stop.load(Ordering::Relaxed) {
            read_error = Some(format!("interrupted at byte {at}"));
            break;
        }
        src.will_need(at + CHUNK as u64, (CHUNK as u64).max(src.read_ahead()));
        match src.read_at(at, &mut buf) {
            Ok(0) => {
                read_error = Some(format!("image ends at byte {at}, before its stated size"));
                break;
            }
            Ok(n) => {
                digester.update(&buf[..n]);
                at += n as u64;
            }
            Err(e) => {
                read_error = Some(format!("read at byte {at}: {e}"));
                break;
            }
        }
    }
    let digests = read_error.is_none().then(|| digester.finish());
    let md5 = digests.as_ref().map(|d| hex::encode(d.md5));
    let sha1 = digests.as_ref().map(|d| hex::encode(d.sha1));
    let matches = |computed: &Option<String>, stored: &Option<String>| match (computed, stored) {
        (Some(c), Some(s)) => Some(c == s),
        _ => None,
    };
    ImageVerification {
        format,
        media_size: src.len(),
        bytes_hashed: at,
        md5_matches: matches(&md5, &stored_md5),
        sha1_matches: matches(&sha1, &stored_sha1),
        sha256: digests.as_ref().map(|d| hex::encode(d.sha256)),
        blake3: digests.as_ref().map(|d| hex::encode(d.blake3)),
        md5,
        sha1,
        stored_md5,
        stored_sha1,
        read_error,
    }
}
