//! Decoding with image-rs (PNG, GIF, WebP, BMP, TIFF and the other formats without a
//! decoder of their own, and JPEG where libjpeg-turbo is not built in), under the limits.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader};

use super::limits::{DecodeError, DecodeLimits};

/// Decodes with image-rs under `limits`.
pub(crate) fn decode_image_rs(
    bytes: &[u8],
    format: ImageFormat,
    limits: &DecodeLimits,
) -> Result<DynamicImage, DecodeError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
    Ok(reader.decode()?)
}
