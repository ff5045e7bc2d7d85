//! PDQ, Meta's 256-bit perceptual picture hash, bit-exact with the reference C++ core
//! (facebook/ThreatExchange `pdq/cpp`, built without FMA), with its eight dihedral variants
//! and its quality score.
//!
//! Owns the whole step from decoded pixels to hashes: channel handling (`luma`), the
//! optional 512×512 squash of the C++ CLI (`PdqPipeline`), the Jarosz filter and decimation
//! (`filter`), quality and DCT (`dct`), variants (`dihedral`) and the hash value (`hash`).
//! The normative description, step by step, is the research note `PDQ.md`; the tests check
//! every lossless reference vector bit for bit. Leaves out decoding (`perceptual::decode`;
//! JPEG pixels only match the reference with libjpeg-turbo), EXIF orientation (never
//! applied), matching against lists and thresholds (distance ≤ 31, quality ≥ 50 are
//! policy, not hashing).

mod dct;
mod dihedral;
mod filter;
mod hash;
mod luma;

use image::DynamicImage;

/// Meta's recommended cut-off: PDQ hashes of quality under 50 (flat or featureless
/// pictures) match unrelated pictures too easily, so they are counted but never matched.
pub const MIN_QUALITY: u32 = 50;

/// Whether a PDQ hash of this quality is under the cut-off (`MIN_QUALITY`): counted, never
/// matched. The one statement of the rule, for the scan, videos and report readers alike.
pub fn below_cutoff(quality: u32) -> bool {
    quality < MIN_QUALITY
}

pub use dihedral::Dihedral;
pub use hash::PdqHash;

/// Pictures narrower or shorter than this are not hashable (`MIN_HASHABLE_DIM`). The
/// reference returns an all-zero hash with quality 0; here it is an error instead, so an
/// all-zero hash can never be mistaken for a real one.
pub const MIN_HASHABLE_DIM: usize = 5;

/// Why a PDQ hash could not be computed or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdqError {
    #[error("picture is {width}×{height} px; PDQ needs at least {MIN_HASHABLE_DIM} px a side")]
    TooSmall { width: usize, height: usize },
    #[error("luma buffer has {actual} values but {width}×{height} px were declared")]
    LumaSize {
        width: usize,
        height: usize,
        actual: usize,
    },
    #[error("invalid PDQ hash text: {0}")]
    BadHex(String),
}

/// Which pre-processing convention to reproduce before the core.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PdqPipeline {
    /// No pre-resize: the full-resolution picture goes to the core. The convention of
    /// python-threatexchange/HMA (pdqhash), the Java port and vPDQ.
    #[default]
    Default,
    /// The C++ CLI `pdq-photo-hasher`: a picture over 512 px on either side is first
    /// squashed to exactly 512×512 by nearest neighbour. Typically a few bits (up to ~20,
    /// more on noise) away from `Default`.
    CliCompat,
}

/// The hashes of one picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqOutput {
    /// Image-domain quality, 0..=100 (the reference discards hashes below 50).
    pub quality: u32,
    /// One hash per variant, indexed by `Dihedral::index` (`[0]` is the original).
    pub hashes: [PdqHash; 8],
}

impl PdqOutput {
    /// The hash of the picture as stored.
    pub fn hash(&self) -> PdqHash {
        self.hashes[Dihedral::Original.index()]
    }

    /// The hash the picture would have after the given rotation or flip.
    pub fn variant(&self, dihedral: Dihedral) -> PdqHash {
        self.hashes[dihedral.index()]
    }
}

/// Hashes a decoded picture: converts it to luma with the channel rules of `luma` (grey used
/// directly, alpha ignored, 16-bit as PIL), applies the pipeline's pre-resize, then the
/// core. Fails with `TooSmall` below 5 px a side (after any pre-resize).
pub fn pdq_from_image(img: &DynamicImage, pipeline: PdqPipeline) -> Result<PdqOutput, PdqError> {
    pdq_from_image_observed(img, pipeline, &mut |_| {})
}

/// `pdq_from_image`, calling `observe` with each band of picture rows right after they
/// were converted to luma (in increasing order; a band may come again), so the caller can
/// make its own pass over pixels that are still in the cache.
pub fn pdq_from_image_observed(
    img: &DynamicImage,
    pipeline: PdqPipeline,
    observe: &mut dyn FnMut(std::ops::Range<usize>),
) -> Result<PdqOutput, PdqError> {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let img = luma::supported(img);
    match pipeline {
        // Converted strip by strip inside the filter: no full-size luma plane.
        PdqPipeline::Default => {
            hash_source(&mut luma::ImageRows::new(&img, observe), width, height)
        }
        PdqPipeline::CliCompat => {
            let plane = luma::cli_squash(luma::from_image(&img));
            observe(0..height);
            pdq_from_luma(plane.width, plane.height, &plane.data)
        }
    }
}

/// The reference core on a row-major f32 luma plane of `width × height` (the reference's
/// `pdqDihedralHash256esFromFloatLuma`).
///
/// For a picture of exactly 64×64 the reference's plain entry point skips the filter while
/// its dihedral entry point does not; to be exact with both, `hash()` and `quality` come
/// from the shortcut and the seven other variants from the filtered grid.
pub fn pdq_from_luma(width: usize, height: usize, luma: &[f32]) -> Result<PdqOutput, PdqError> {
    if width.checked_mul(height) != Some(luma.len()) {
        return Err(PdqError::LumaSize {
            width,
            height,
            actual: luma.len(),
        });
    }
    hash_source(
        &mut filter::Plane {
            data: luma,
            cols: width,
        },
        width,
        height,
    )
}

fn hash_source(
    source: &mut impl filter::LumaSource,
    width: usize,
    height: usize,
) -> Result<PdqOutput, PdqError> {
    if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
        return Err(PdqError::TooSmall { width, height });
    }
    let grid = filter::downscale(source, height, width);
    let mut quality = dct::quality(&grid);
    let block = dct::dct64_to_16(&grid);
    let mut hashes = Dihedral::ALL.map(|d| PdqHash::from_dct(&d.apply(&block)));
    if width == filter::GRID && height == filter::GRID {
        let mut direct: filter::Grid = [[0.0; filter::GRID]; filter::GRID];
        let rows = source.rows(0, filter::GRID);
        for (row, src) in direct.iter_mut().zip(rows.chunks_exact(filter::GRID)) {
            row.copy_from_slice(src);
        }
        quality = dct::quality(&direct);
        hashes[Dihedral::Original.index()] = PdqHash::from_dct(&dct::dct64_to_16(&direct));
    }
    Ok(PdqOutput { quality, hashes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, RgbImage};

    fn gradient(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 3 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        }))
    }

    #[test]
    fn small_pictures_are_refused() {
        for (w, h) in [(4, 4), (1000, 4), (4, 100), (0, 0)] {
            let err = pdq_from_image(&gradient(w, h), PdqPipeline::Default).unwrap_err();
            assert_eq!(
                err,
                PdqError::TooSmall {
                    width: w as usize,
                    height: h as usize
                }
            );
        }
        assert!(pdq_from_image(&gradient(5, 5), PdqPipeline::Default).is_ok());
        // The CLI squash makes a thin but wide picture hashable, as the reference CLI does.
        assert!(pdq_from_image(&gradient(1000, 4), PdqPipeline::CliCompat).is_ok());
    }

    #[test]
    fn luma_size_must_match() {
        let err = pdq_from_luma(10, 10, &[0.0; 99]).unwrap_err();
        assert!(matches!(err, PdqError::LumaSize { actual: 99, .. }));
        assert!(pdq_from_luma(usize::MAX, 2, &[]).is_err());
    }

    #[test]
    fn grey_picture_is_not_expanded_to_rgb() {
        let grey = GrayImage::from_fn(32, 8, |x, y| Luma([(x * 8 + y) as u8]));
        let as_grey = pdq_from_image(
            &DynamicImage::ImageLuma8(grey.clone()),
            PdqPipeline::Default,
        )
        .unwrap();
        let luma: Vec<f32> = grey.as_raw().iter().map(|&v| f32::from(v)).collect();
        assert_eq!(as_grey, pdq_from_luma(32, 8, &luma).unwrap());
    }

    #[test]
    fn output_accessors_index_by_variant() {
        let out = pdq_from_image(&gradient(120, 90), PdqPipeline::Default).unwrap();
        assert_eq!(out.hash(), out.hashes[0]);
        for d in Dihedral::ALL {
            assert_eq!(out.variant(d), out.hashes[d.index()]);
        }
        assert!(out.quality <= 100);
    }

    #[test]
    fn pipelines_agree_up_to_512() {
        let img = gradient(512, 300);
        assert_eq!(
            pdq_from_image(&img, PdqPipeline::Default).unwrap(),
            pdq_from_image(&img, PdqPipeline::CliCompat).unwrap()
        );
    }
}
