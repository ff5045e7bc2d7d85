//! Picture decoding under explicit limits.
//!
//! Owns which decoder each `PictureFormat` goes to (the limits and errors every decoder
//! shares are `limits`'s): JPEG to `jpeg_turbo`, JPEG XL to `jxl`, HEIF and AVIF to a
//! child process (`isolate`), ICO to the image Pillow picks (`embedded::ico`), the rest
//! to image-rs. A picture that declares more pixels or memory than allowed (a decompression
//! bomb) is refused before its pixels are allocated. Animations (GIF, APNG, WebP, JPEG XL)
//! give their first frame, as Pillow's `Image.open` does; multi-page TIFF its first page. EXIF orientation is deliberately not applied: list hashes are made
//! from the stored pixels, and rotated copies are the job of dihedral matching.

use image::{DynamicImage, ImageFormat};

use super::image_rs::decode_image_rs;
use super::isolate::ChildDecoder;
pub use super::limits::{DecodeError, DecodeLimits};
use crate::embedded::ico;
use crate::sniff::PictureFormat;

pub use super::jpeg_turbo::JPEG_DECODER;

/// Decodes a picture of a known format from memory, in this process. HEIF and AVIF need
/// the decode child: use `decode_with`.
pub fn decode(
    bytes: &[u8],
    format: PictureFormat,
    limits: &DecodeLimits,
) -> Result<DynamicImage, DecodeError> {
    decode_with(bytes, format, limits, None)
}

/// Decodes a picture of a known format; HEIF and AVIF go to `child`.
pub fn decode_with(
    bytes: &[u8],
    format: PictureFormat,
    limits: &DecodeLimits,
    child: Option<&ChildDecoder>,
) -> Result<DynamicImage, DecodeError> {
    match format {
        PictureFormat::Jpeg => {
            check_jpeg_complete(bytes)?;
            super::jpeg_turbo::decode_jpeg(bytes, limits)
        }
        PictureFormat::JpegXl => super::jxl::decode_jxl(bytes, limits),
        PictureFormat::Heif | PictureFormat::Avif => match child {
            Some(child) => child.decode(bytes, format, limits),
            None => Err(DecodeError::Unsupported(format!(
                "{} is decoded only in a child process, and none is configured",
                format.name()
            ))),
        },
        PictureFormat::Ico => decode_icon(bytes, limits),
        PictureFormat::Pnm => decode_image_rs(bytes, ImageFormat::Pnm, limits)
            .map(|image| super::pnm::pillow_levels(bytes, image)),
        other => match other.image_rs() {
            Some(image_rs) => decode_image_rs(bytes, image_rs, limits),
            None => Err(DecodeError::Unsupported(other.name().to_string())),
        },
    }
}

/// `--fast` for a JPEG: checked complete like any JPEG, then decoded at reduced size, in
/// grey alone with `luma_only` (`jpeg_turbo::decode_jpeg_reduced`). Returns the picture and
/// the JPEG's full size.
pub fn decode_jpeg_reduced(
    bytes: &[u8],
    limits: &DecodeLimits,
    min_short_side: u32,
    luma_only: bool,
) -> Result<(DynamicImage, (u32, u32)), DecodeError> {
    check_jpeg_complete(bytes)?;
    super::jpeg_turbo::decode_jpeg_reduced(bytes, limits, min_short_side, luma_only)
}

/// A picture whose bytes are known to be cut short (a partial carve): a JPEG is decoded
/// with its missing rows grey (`jpeg_turbo::decode_jpeg_partial`); any other format as
/// usual.
pub fn decode_partial_with(
    bytes: &[u8],
    format: PictureFormat,
    limits: &DecodeLimits,
    child: Option<&ChildDecoder>,
) -> Result<DynamicImage, DecodeError> {
    match format {
        PictureFormat::Jpeg => super::jpeg_turbo::decode_jpeg_partial(bytes, limits),
        other => decode_with(bytes, other, limits, child),
    }
}

/// The icon image Pillow opens (largest, then lowest depth), not image-rs's choice (highest
/// depth first).
fn decode_icon(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, DecodeError> {
    let own = ico::own_picture(bytes).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let format = if own.offset.is_some() {
        ImageFormat::Png
    } else {
        ImageFormat::Ico
    };
    decode_image_rs(&own.data, format, limits)
}

/// JPEG decoders fill a truncated scan with grey and report success, so a cut-off file
/// (a partly recovered deletion, an interrupted download) would get hashes of pixels it
/// does not hold. A complete JPEG has an end-of-image marker (FF D9) after its last
/// start-of-scan (FF DA); the entropy-coded data between them cannot contain FF D9 because
/// FF bytes there are stuffed as FF 00. (An EXIF thumbnail's own FF D9 comes before the main
/// image's scans, so it does not count.)
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), DecodeError> {
    if jpeg_is_complete(bytes) {
        Ok(())
    } else {
        Err(DecodeError::Corrupt(
            "truncated JPEG: no end-of-image marker after the last scan".to_string(),
        ))
    }
}

/// Whether the last FF D9 comes after the last FF DA (see `check_jpeg_complete`). Both
/// searches are `memchr`'s vectorised ones (a byte-by-byte scan of every JPEG was 1.8% of a
/// default scan's CPU time).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = memchr::memmem::find_iter(bytes, &[0xFF, 0xDA]).last();
    let last_end = memchr::memmem::rfind(bytes, &[0xFF, 0xD9]);
    matches!((last_scan, last_end), (Some(scan), Some(end)) if end > scan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};
    use proptest::prelude::*;
    use std::io::Cursor;

    proptest! {
        /// The searches agree with the definition: an FF D9 somewhere after the last FF DA.
        #[test]
        fn completeness_matches_its_definition(
            bytes in proptest::collection::vec(
                prop_oneof![Just(0xFFu8), Just(0xDA), Just(0xD9), Just(0x00), any::<u8>()],
                0..64,
            )
        ) {
            let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
            let expected = last_scan
                .is_some_and(|start| bytes[start..].windows(2).any(|w| w == [0xFF, 0xD9]));
            prop_assert_eq!(jpeg_is_complete(&bytes), expected);
        }
    }

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img: ImageBuffer<Rgb<u8>, Vec<u8>> =
            ImageBuffer::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 7]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn decodes_within_limits() {
        let img = decode(
            &png_bytes(40, 30),
            PictureFormat::Png,
            &DecodeLimits::default(),
        )
        .unwrap();
        assert_eq!((img.width(), img.height()), (40, 30));
    }

    #[test]
    fn refuses_pictures_over_the_size_limit() {
        let limits = DecodeLimits {
            max_width: 32,
            ..DecodeLimits::default()
        };
        let err = decode(&png_bytes(40, 30), PictureFormat::Png, &limits).unwrap_err();
        assert!(matches!(err, DecodeError::LimitExceeded(_)), "{err:?}");
    }

    #[test]
    fn truncated_jpeg_is_corrupt_complete_one_decodes() {
        let img = crate::synth::picture(crate::synth::Pattern::Shapes, 64, 48, 1);
        let jpeg = crate::synth::jpeg_bytes(&img, 90);
        let limits = DecodeLimits::default();
        assert!(decode(&jpeg, PictureFormat::Jpeg, &limits).is_ok());
        let err = decode(&jpeg[..jpeg.len() - 200], PictureFormat::Jpeg, &limits).unwrap_err();
        assert!(err.to_string().contains("truncated JPEG"), "{err}");
    }

    #[test]
    fn truncated_picture_is_corrupt() {
        let bytes = png_bytes(64, 64);
        let err = decode(
            &bytes[..bytes.len() / 2],
            PictureFormat::Png,
            &DecodeLimits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, DecodeError::Corrupt(_)), "{err:?}");
    }
}
