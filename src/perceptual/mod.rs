//! Perceptual hashing of pictures: decode under limits, then compute the requested
//! perceptual hashes from the one decoded image.
//!
//! Owns: `PerceptualConfig` (which algorithms, decode limits), `PerceptualHashes` (the
//! values) and `ImageInfo`. The per-algorithm work lives in `decode` and `imghash`; PDQ
//! lives in its own module. Reading bytes and catching decoder panics are the caller's.

pub mod decode;
pub(crate) mod downscale;
mod grey;
pub mod heif;
mod image_rs;
pub mod imghash;
pub mod isolate;
pub(crate) mod jpeg_turbo;
pub(crate) mod jxl;
mod limits;
mod pnm;
mod spare_pixels;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::algorithm::Algorithm;
use crate::extra::Extra;
use crate::pdq::{pdq_from_image_observed, PdqOutput, PdqPipeline};
pub use decode::{DecodeError, DecodeLimits, JPEG_DECODER};
use imghash::{ImgHashers, WantedImgHashes};
pub use isolate::ChildDecoder;

use crate::sniff::PictureFormat;

/// Which perceptual algorithms to compute, and how to decode.
#[derive(Clone)]
pub struct PerceptualConfig {
    algorithms: Vec<Algorithm>,
    limits: DecodeLimits,
    pdq_pipeline: PdqPipeline,
    hashers: ImgHashers,
    /// Decodes HEIF and AVIF out of process; `None` leaves them undecoded.
    child: Option<ChildDecoder>,
    /// `--fast`: JPEGs decoded at reduced size (`FAST_SHORT_SIDE`), in grey alone when no
    /// 64-bit hash is wanted; hashes approximate.
    fast: bool,
}

/// `--fast` decodes a JPEG at the smallest DCT scale that keeps its shorter side at least
/// this many pixels.
pub const FAST_SHORT_SIDE: u32 = 512;

impl std::fmt::Debug for PerceptualConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerceptualConfig")
            .field("algorithms", &self.algorithms)
            .field("limits", &self.limits)
            .field("pdq_pipeline", &self.pdq_pipeline)
            .field("child", &self.child)
            .finish()
    }
}

/// What was learnt about a decoded picture (never its pixels): a file record's `image`,
/// written by `scan` and read back by the renderers (fields of a newer build in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageInfo {
    pub format: Cow<'static, str>,
    pub width: u32,
    pub height: u32,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The perceptual hashes of one picture; an algorithm not asked for stays `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerceptualHashes {
    /// PDQ: quality and all eight dihedral variants (`[0]` is the picture as stored).
    pub pdq: Option<PdqOutput>,
    pub phash: Option<[u8; 8]>,
    pub dhash: Option<[u8; 8]>,
    pub ahash: Option<[u8; 8]>,
}

impl PerceptualHashes {
    /// The raw bytes of one algorithm's value, if computed.
    pub fn get(&self, algorithm: Algorithm) -> Option<&[u8]> {
        match algorithm {
            Algorithm::Pdq => self.pdq.as_ref().map(|p| &p.hashes[0].0[..]),
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
    /// Why an asked-for hash is missing (e.g. a picture under PDQ's 5-pixel minimum).
    pub notes: Vec<String>,
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
            pdq_pipeline: PdqPipeline::Default,
            hashers: ImgHashers::new(),
            child: None,
            fast: false,
        }
    }

    /// `--fast`: JPEGs are decoded at reduced size (never the default: hashes then differ
    /// from the reference pipeline's by a measured amount, README).
    pub fn with_fast(mut self, fast: bool) -> Self {
        self.fast = fast;
        self
    }

    pub fn is_fast(&self) -> bool {
        self.fast
    }

    /// Decodes HEIF and AVIF pictures with this child process (the hashsweep binary sets
    /// itself, `ChildDecoder::current_exe`).
    pub fn with_child_decoder(mut self, child: ChildDecoder) -> Self {
        self.child = Some(child);
        self
    }

    /// Selects the PDQ pipeline (`CliCompat` reproduces the C++ CLI's 512×512 squash).
    pub fn with_pdq_pipeline(mut self, pipeline: PdqPipeline) -> Self {
        self.pdq_pipeline = pipeline;
        self
    }

    pub fn pdq_pipeline(&self) -> PdqPipeline {
        self.pdq_pipeline
    }

    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }

    /// Whether pHash, dHash or aHash is asked for.
    fn wants_64_bit(&self) -> bool {
        let wants = |a| self.algorithms.contains(&a);
        wants(Algorithm::Phash) || wants(Algorithm::Dhash) || wants(Algorithm::Ahash)
    }

    /// Whether any perceptual work is asked for at all (if not, pictures are not decoded).
    pub fn is_enabled(&self) -> bool {
        !self.algorithms.is_empty()
    }

    /// Decodes `bytes` (already sniffed as `format`) and hashes the picture.
    pub fn hash_picture(
        &self,
        bytes: &[u8],
        format: PictureFormat,
    ) -> Result<PictureHashes, DecodeError> {
        let (image, (width, height)) = if self.fast && format == PictureFormat::Jpeg {
            // PDQ needs only luma; pHash, dHash and aHash weigh colours their own way
            // (image-rs's BT.709 grey), so they keep the colour picture.
            let luma_only = !self.wants_64_bit();
            decode::decode_jpeg_reduced(bytes, &self.limits, FAST_SHORT_SIDE, luma_only)?
        } else {
            let image = decode::decode_with(bytes, format, &self.limits, self.child.as_ref())?;
            let size = (image.width(), image.height());
            (image, size)
        };
        let hashes = self.hash_image(&image, format, (width, height));
        spare_pixels::give_back(image);
        Ok(hashes)
    }

    /// As `hash_picture`, for bytes known to be cut short (a partially carved JPEG): the
    /// missing rows decode grey (`decode::decode_partial_with`), and a note says so.
    pub fn hash_partial_picture(
        &self,
        bytes: &[u8],
        format: PictureFormat,
    ) -> Result<PictureHashes, DecodeError> {
        let image = decode::decode_partial_with(bytes, format, &self.limits, self.child.as_ref())?;
        let size = (image.width(), image.height());
        let mut hashes = self.hash_image(&image, format, size);
        hashes.notes.push(
            "partial picture: decoded with its missing part grey, so its hashes are of a \
             different picture than the original's"
                .to_string(),
        );
        Ok(hashes)
    }

    /// The perceptual hashes of a decoded picture; `size` is the picture's own (the
    /// decoded one may be reduced, `--fast`).
    fn hash_image(
        &self,
        image: &image::DynamicImage,
        format: PictureFormat,
        (width, height): (u32, u32),
    ) -> PictureHashes {
        let info = ImageInfo {
            format: Cow::Borrowed(format.name()),
            width,
            height,
            extra: Extra::new(),
        };
        let mut hashes = PerceptualHashes::default();
        let mut notes = Vec::new();
        let wants = |a| self.algorithms.contains(&a);
        // One grey conversion feeds all three image_hasher hashes; it is made band by band
        // beside PDQ's luma conversion, while those pixels are in the cache.
        let mut grey = self.wants_64_bit().then(|| grey::GreyRows::new(image));
        if wants(Algorithm::Pdq) {
            let mut observe = |rows| {
                if let Some(grey) = grey.as_mut() {
                    grey.convert(rows);
                }
            };
            match pdq_from_image_observed(image, self.pdq_pipeline, &mut observe) {
                Ok(out) => hashes.pdq = Some(out),
                Err(e) => notes.push(format!("no PDQ hash: {e}")),
            }
        }
        if let Some(grey) = grey {
            // Shared downscales feed the three hashes.
            let grey = grey.finish();
            let values = self.hashers.hash_wanted(
                &grey,
                WantedImgHashes {
                    phash: wants(Algorithm::Phash),
                    dhash: wants(Algorithm::Dhash),
                    ahash: wants(Algorithm::Ahash),
                },
            );
            hashes.phash = values.phash;
            hashes.dhash = values.dhash;
            hashes.ahash = values.ahash;
        }
        PictureHashes {
            info,
            hashes,
            notes,
        }
    }
}

/// Which decoder produces pixels for each picture format, for the report header.
pub fn decoders() -> std::collections::BTreeMap<&'static str, &'static str> {
    PictureFormat::ALL
        .into_iter()
        .map(|format| {
            let decoder = match format {
                PictureFormat::Jpeg => JPEG_DECODER,
                PictureFormat::JpegXl => jxl::JXL_DECODER,
                PictureFormat::Heif | PictureFormat::Avif => heif::HEIF_DECODER,
                _ => IMAGE_RS_DECODER,
            };
            (format.name(), decoder)
        })
        .collect()
}

/// The image-rs release every other format goes through.
const IMAGE_RS_DECODER: &str = "image-rs 0.25";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_names_its_decoder() {
        let decoders = decoders();
        assert_eq!(decoders.len(), PictureFormat::ALL.len());
        assert_eq!(decoders["jpegxl"], "jxl-oxide 0.12");
        assert_eq!(decoders["pnm"], "image-rs 0.25");
        assert_eq!(decoders["heif"], decoders["avif"]);
        assert!(
            decoders["heif"].starts_with("libheif 1.23"),
            "{}",
            decoders["heif"]
        );
    }
}
