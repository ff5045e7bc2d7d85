//! HEIF/HEIC (HEVC) and AVIF (AV1) decoding with libheif, run only inside the decode child
//! process (`isolate`), never in the scan process.
//!
//! Owns the libheif call: the primary image only (depth maps, alpha and other auxiliary
//! images are ignored), the size checked against the limits before decoding, libheif's own
//! security limits set from them, and decoding to 8-bit interleaved RGB as pillow-heif does
//! (libheif's YCbCr→RGB conversion; 10/12-bit pictures reduced to 8 bits by libheif). The
//! HEIF transformations (clean aperture crop, `irot`, `imir`) are applied, as libheif and
//! pillow-heif apply them by default: they are part of the picture, not EXIF metadata.

use image::DynamicImage;

use super::limits::{DecodeError, DecodeLimits};

/// Which HEIF/AVIF decoder this build uses, for the report.
#[cfg(feature = "heif")]
pub const HEIF_DECODER: &str = "libheif 1.23 (embedded; libde265, dav1d) in a child process";
/// Which HEIF/AVIF decoder this build uses, for the report.
#[cfg(not(feature = "heif"))]
pub const HEIF_DECODER: &str = "none (built without the `heif` feature)";

/// Decodes the primary image of a HEIF or AVIF file to 8-bit RGB.
#[cfg(feature = "heif")]
pub fn decode_heif(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, DecodeError> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

    let corrupt = |e: libheif_rs::HeifError| DecodeError::Corrupt(e.message);
    // Parsing runs under libheif's default security limits (item, box and extent counts);
    // decoding under ours.
    let mut context = HeifContext::read_from_bytes(bytes).map_err(corrupt)?;
    let mut security = context.security_limits();
    security.set_max_image_size_pixels(u64::from(limits.max_width) * u64::from(limits.max_height));
    security.set_max_total_memory(limits.max_alloc);
    context.set_security_limits(&security).map_err(corrupt)?;
    let handle = context.primary_image_handle().map_err(corrupt)?;
    let (width, height) = (handle.width(), handle.height());
    if width > limits.max_width || height > limits.max_height {
        return Err(DecodeError::LimitExceeded(format!(
            "{width}×{height} px exceeds {}×{} px",
            limits.max_width, limits.max_height
        )));
    }
    let image = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(corrupt)?;
    let plane = image
        .planes()
        .interleaved
        .ok_or_else(|| DecodeError::Corrupt("libheif returned no RGB plane".to_string()))?;
    let row_len = plane.width as usize * 3;
    let mut pixels = Vec::with_capacity(row_len * plane.height as usize);
    for row in plane.data.chunks(plane.stride).take(plane.height as usize) {
        let row = row
            .get(..row_len)
            .ok_or_else(|| DecodeError::Corrupt("libheif row shorter than its width".into()))?;
        pixels.extend_from_slice(row);
    }
    image::RgbImage::from_raw(plane.width, plane.height, pixels)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| DecodeError::Corrupt("libheif plane size mismatch".to_string()))
}

/// Without the `heif` feature the child cannot decode HEIF or AVIF.
#[cfg(not(feature = "heif"))]
pub fn decode_heif(_bytes: &[u8], _limits: &DecodeLimits) -> Result<DynamicImage, DecodeError> {
    Err(DecodeError::Unsupported(
        "HEIF/AVIF: built without the `heif` feature".to_string(),
    ))
}
