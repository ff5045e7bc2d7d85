//! JPEG XL decoding with jxl-oxide (pure Rust), under the decode limits.
//!
//! Owns the JPEG XL path of `decode`: the size check on the header before any pixel is
//! decoded, jxl-oxide's allocation tracker set to the memory limit, and the conversion of
//! the first keyframe to 8-bit grey or RGB (rounded as libjxl rounds, `v·255 + 0.5`). Alpha
//! is dropped (PDQ ignores it). The codestream's own orientation field is applied by
//! jxl-oxide, as libjxl (and so the Pillow plugins of the reference pipeline) applies it;
//! EXIF orientation is not. Animations give their first frame.

use image::{DynamicImage, GrayImage, RgbImage};
use jxl_oxide::{AllocTracker, JxlImage};

use super::limits::{DecodeError, DecodeLimits};

/// Which JPEG XL decoder this build uses, for the report.
pub(crate) const JXL_DECODER: &str = "jxl-oxide 0.12";

/// Decodes the first frame of a JPEG XL codestream or container.
pub(crate) fn decode_jxl(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, DecodeError> {
    let tracker = AllocTracker::with_limit(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    let image = JxlImage::builder()
        .alloc_tracker(tracker)
        .read(bytes)
        .map_err(|e| DecodeError::Corrupt(format!("JPEG XL: {e}")))?;
    let (width, height) = (image.width(), image.height());
    if width > limits.max_width || height > limits.max_height {
        return Err(DecodeError::LimitExceeded(format!(
            "JPEG XL of {width}×{height} px exceeds {}×{} px",
            limits.max_width, limits.max_height
        )));
    }
    if image.num_loaded_keyframes() == 0 {
        return Err(DecodeError::Corrupt(
            "truncated JPEG XL: no complete frame".to_string(),
        ));
    }
    let render = image
        .render_frame(0)
        .map_err(|e| DecodeError::Corrupt(format!("JPEG XL: {e}")))?;
    let mut stream = render.stream_no_alpha();
    let (w, h, channels) = (stream.width(), stream.height(), stream.channels());
    let len = (w as usize)
        .checked_mul(h as usize)
        .and_then(|n| n.checked_mul(channels as usize))
        .ok_or_else(|| DecodeError::LimitExceeded("JPEG XL buffer size overflows".into()))?;
    let mut pixels = vec![0u8; len];
    if stream.write_to_buffer(&mut pixels) != len {
        return Err(DecodeError::Corrupt("JPEG XL: short frame".to_string()));
    }
    let built = match channels {
        1 => GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8),
        3 => RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
        _ => {
            return Err(DecodeError::Unsupported(format!(
                "JPEG XL with {channels} colour channels (CMYK)"
            )))
        }
    };
    built.ok_or_else(|| DecodeError::Corrupt("JPEG XL: frame size mismatch".to_string()))
}
