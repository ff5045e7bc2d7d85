//! Perceptual hashing of pictures: decode under limits, then compute the requested
//! perceptual hashes from the one decoded image.
//!
//! Owns: `PerceptualConfig` (which algorithms, decode limits), `PerceptualHashes` (the
//! values) and `ImageInfo`. The per-algorithm work lives in `decode` and `imghash`; PDQ
//! lives in its own module. Reading bytes and catching decoder panics are the caller's.

pub mod decode;
pub mod imghash;
pub mod jpeg_turbo;

use image::ImageFormat;
use serde::Serialize;

use crate::algorithm::Algorithm;
pub use decode::{DecodeError, DecodeLimits, JPEG_DECODER};
use imghash::ImgHashers;

/// Which perceptual algorithms to compute, and how to decode.
#[derive(Clone)]
pub struct PerceptualConfig {
    algorithms: Vec<Algorithm>,
    limits: DecodeLimits,
    hashers: ImgHashers,
}

impl std::fmt::Debug for PerceptualConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerceptualConfig")
            .field("algorithms", &self.algorithms)
            .field("limits", &self.limits)
            .finish()
    }
}

/// What was learnt about a decoded picture (never its pixels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

/// The perceptual hashes of one picture; an algorithm not asked for stays `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerceptualHashes {
    pub phash: Option<[u8; 8]>,
    pub dhash: Option<[u8; 8]>,
    pub ahash: Option<[u8; 8]>,
}

impl PerceptualHashes {
    /// The raw bytes of one algorithm's value, if computed.
    pub fn get(&self, algorithm: Algorithm) -> Option<&[u8]> {
        match algorithm {
            Algorithm::Phash => self.phash.as_ref().map(|h| &h[..]),
            Algorithm::Dhash => self.dhash.as_ref().map(|h| &h[..]),
            Algorithm::Ahash => self.ahash.as_ref().map(|h| &h[..]),
            _ => None,
        }
    }
}

/// A decoded picture's hashes and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureHashes {
    pub info: ImageInfo,
    pub hashes: PerceptualHashes,
}

impl PerceptualConfig {
    /// Computes the given perceptual algorithms (others in the slice are ignored).
    pub fn new(algorithms: &[Algorithm], limits: DecodeLimits) -> Self {
        let mut algorithms: Vec<Algorithm> = algorithms
            .iter()
            .copied()
            .filter(|a| a.is_perceptual())
            .collect();
        algorithms.sort();
        algorithms.dedup();
        PerceptualConfig {
            algorithms,
            limits,
            hashers: ImgHashers::new(),
        }
    }

    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }

    /// Whether any perceptual work is asked for at all (if not, pictures are not decoded).
    pub fn is_enabled(&self) -> bool {
        !self.algorithms.is_empty()
    }

    /// Decodes `bytes` (already sniffed as `format`) and hashes the picture.
    pub fn hash_picture(
        &self,
        bytes: &[u8],
        format: ImageFormat,
    ) -> Result<PictureHashes, DecodeError> {
        let image = decode::decode(bytes, format, &self.limits)?;
        let info = ImageInfo {
            format: crate::sniff::format_name(format),
            width: image.width(),
            height: image.height(),
        };
        let mut hashes = PerceptualHashes::default();
        let wants = |a| self.algorithms.contains(&a);
        if wants(Algorithm::Phash) || wants(Algorithm::Dhash) || wants(Algorithm::Ahash) {
            // One grey conversion feeds all three image_hasher algorithms.
            let grey = image.to_luma8();
            hashes.phash = wants(Algorithm::Phash).then(|| self.hashers.phash(&grey));
            hashes.dhash = wants(Algorithm::Dhash).then(|| self.hashers.dhash(&grey));
            hashes.ahash = wants(Algorithm::Ahash).then(|| self.hashers.ahash(&grey));
        }
        Ok(PictureHashes { info, hashes })
    }
}

/// Which decoder produces pixels for each picture format, for the report header.
pub fn decoders() -> std::collections::BTreeMap<&'static str, &'static str> {
    ["jpeg", "png", "gif", "webp", "tiff", "bmp"]
        .into_iter()
        .map(|format| (format, "image-rs 0.25"))
        .collect()
}
