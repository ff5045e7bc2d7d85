//! Animated GIF, WebP and PNG (APNG): their frames sampled and PDQ-hashed as a video's are,
//! so a listed still shown as one frame of an animation is found. The first frame is
//! still the file's picture (as the reference pipelines decode it); this adds the rest.
//!
//! Owns `hash_animation`. Frames are decoded in this process by image-rs (pure Rust, so a
//! panic is contained per file by the caller), composited onto the full canvas, alpha
//! dropped as Pillow's `convert("RGB")` and ffmpeg's `rgb24` drop it. Sampling is vPDQ's:
//! with `f` the frame rate of the first frame's delay and `s` the seconds per hash, frame
//! `n` is hashed when `n mod max(1, trunc(s·f)) = 0`; a frame's timestamp is the sum of the
//! delays before it (for the usual constant delay, exactly vPDQ's `n / f`). Delays under
//! 20 ms count as 100 ms, as ffmpeg's GIF demuxer and browsers play them.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, Frames, ImageDecoder};

use super::{frame_step, VideoContainer, VideoFrame, VideoHashes};
use crate::evidence::disk::carve::formats::gif_image_count;
use crate::pdq::{pdq_from_image, PdqPipeline};
use crate::perceptual::DecodeLimits;
use crate::sniff::PictureFormat;

/// At most this many frames are decoded (a longer animation is hashed up to here).
pub const MAX_FRAMES: u64 = 20_000;

/// A delay under this many milliseconds plays as `DEFAULT_DELAY_MS`.
const MIN_DELAY_MS: f64 = 20.0;
const DEFAULT_DELAY_MS: f64 = 100.0;

/// Why an animation's frames could not all be hashed.
#[derive(Debug, thiserror::Error)]
pub enum AnimationError {
    #[error("animation frame {frame} not decoded: {source}")]
    Frame {
        frame: u64,
        #[source]
        source: image::ImageError,
    },
    #[error("animation canvas {width}×{height} exceeds the decode limits")]
    TooLarge { width: u32, height: u32 },
    #[error("animation frame {frame} not hashed: {message}")]
    Pdq { frame: u64, message: String },
}

/// The sampled frames of an animated picture, or `None` for a still one (one frame, or a
/// format without animation). On an error the frames hashed before it come back too.
pub fn hash_animation(
    bytes: &[u8],
    format: PictureFormat,
    seconds_per_hash: f64,
    limits: &DecodeLimits,
) -> Option<(VideoHashes, Option<AnimationError>)> {
    let (frames, (width, height)) = frames(bytes, format)?;
    if width > limits.max_width
        || height > limits.max_height
        || u64::from(width) * u64::from(height) * 4 > limits.max_alloc
    {
        let empty = hashes(width, height, 0.0, Vec::new());
        return Some((empty, Some(AnimationError::TooLarge { width, height })));
    }
    let mut hashed = Vec::new();
    let mut step = 1;
    let mut fps = 0.0;
    let mut elapsed_ms: f64 = 0.0;
    let mut count = 0u64;
    let mut error = None;
    let mut first = None;
    for (number, frame) in frames.enumerate() {
        let number = number as u64;
        if number >= MAX_FRAMES {
            break;
        }
        let frame = match frame {
            Ok(frame) => frame,
            Err(source) => {
                error = Some(AnimationError::Frame {
                    frame: number,
                    source,
                });
                break;
            }
        };
        let (numer, denom) = frame.delay().numer_denom_ms();
        let mut delay_ms = f64::from(numer) / f64::from(denom.max(1));
        if delay_ms < MIN_DELAY_MS {
            delay_ms = DEFAULT_DELAY_MS;
        }
        if number == 0 {
            fps = 1000.0 / delay_ms;
            step = frame_step(seconds_per_hash, fps);
        }
        count = number + 1;
        // Frame 0 is hashed only once a second frame shows this is an animation: a still
        // picture (most GIFs) was hashed already as the file's picture.
        if number == 0 {
            first = Some(frame);
        } else {
            if let Some(frame0) = first.take() {
                match hash_frame(frame0, 0, 0.0) {
                    Ok(f) => hashed.push(f),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            if number.is_multiple_of(step) {
                match hash_frame(frame, number, elapsed_ms) {
                    Ok(f) => hashed.push(f),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
        }
        elapsed_ms += delay_ms;
    }
    if count <= 1 && error.is_none() {
        return None;
    }
    if let Some(frame0) = first {
        // A one-frame file whose second frame failed to decode.
        match hash_frame(frame0, 0, 0.0) {
            Ok(f) => hashed.insert(0, f),
            Err(e) => error = error.or(Some(e)),
        }
    }
    Some((hashes(width, height, fps, hashed), error))
}

/// One sampled frame, PDQ-hashed; `elapsed_ms` is its start time.
fn hash_frame(
    frame: image::Frame,
    number: u64,
    elapsed_ms: f64,
) -> Result<VideoFrame, AnimationError> {
    let rgb = DynamicImage::ImageRgba8(frame.into_buffer()).to_rgb8();
    pdq_from_image(&DynamicImage::ImageRgb8(rgb), PdqPipeline::Default)
        .map(|pdq| VideoFrame {
            number,
            timestamp_ms: elapsed_ms.round() as u64,
            pdq,
        })
        .map_err(|e| AnimationError::Pdq {
            frame: number,
            message: e.to_string(),
        })
}

fn hashes(width: u32, height: u32, fps: f64, frames: Vec<VideoFrame>) -> VideoHashes {
    VideoHashes {
        container: VideoContainer::Animation,
        width,
        height,
        frame_rate: format!("{fps:.3}"),
        frames,
    }
}

/// The frames of an animated GIF, WebP or APNG and its canvas size; `None` for anything
/// else (a still GIF, WebP or PNG, another format, a header that does not parse).
fn frames(bytes: &[u8], format: PictureFormat) -> Option<(Frames<'_>, (u32, u32))> {
    match format {
        PictureFormat::Gif => {
            // Most GIFs are stills: their one image was decoded already as the picture.
            if gif_image_count(bytes) == Some(1) {
                return None;
            }
            let decoder = GifDecoder::new(Cursor::new(bytes)).ok()?;
            let size = decoder.dimensions();
            Some((decoder.into_frames(), size))
        }
        PictureFormat::WebP => {
            let decoder = WebPDecoder::new(Cursor::new(bytes)).ok()?;
            if !decoder.has_animation() {
                return None;
            }
            let size = decoder.dimensions();
            Some((decoder.into_frames(), size))
        }
        PictureFormat::Png => {
            let decoder = PngDecoder::new(Cursor::new(bytes)).ok()?;
            if !decoder.is_apng().ok()? {
                return None;
            }
            let size = decoder.dimensions();
            Some((decoder.apng().ok()?.into_frames(), size))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, Rgba, RgbaImage};

    fn gif(frames: u32, delay_ms: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            for i in 0..frames {
                let img = RgbaImage::from_fn(64, 48, |x, y| {
                    let v = ((x * 7 + y * 13 + i * 40) % 256) as u8;
                    Rgba([v, v.wrapping_mul(3), 255 - v, 255])
                });
                let delay = Delay::from_numer_denom_ms(delay_ms, 1);
                encoder
                    .encode_frame(Frame::from_parts(img, 0, 0, delay))
                    .unwrap();
            }
        }
        out
    }

    #[test]
    fn frames_are_sampled_as_vpdq_samples_them() {
        let limits = DecodeLimits::default();
        let bytes = gif(25, 100);
        let (hashes, error) = hash_animation(&bytes, PictureFormat::Gif, 1.0, &limits).unwrap();
        assert!(error.is_none());
        let at: Vec<(u64, u64)> = hashes
            .frames
            .iter()
            .map(|f| (f.number, f.timestamp_ms))
            .collect();
        assert_eq!(at, [(0, 0), (10, 1000), (20, 2000)]);
        assert_eq!(hashes.frame_rate, "10.000");
        let (every, _) = hash_animation(&bytes, PictureFormat::Gif, 0.0, &limits).unwrap();
        assert_eq!(every.frames.len(), 25);
    }

    #[test]
    fn a_gif_s_images_are_counted_without_decoding() {
        assert_eq!(gif_image_count(&gif(1, 100)), Some(1));
        assert_eq!(gif_image_count(&gif(3, 100)), Some(3));
        let cut = gif(3, 100);
        assert_eq!(gif_image_count(&cut[..cut.len() - 1]), None);
    }

    #[test]
    fn a_still_picture_is_no_animation() {
        let limits = DecodeLimits::default();
        assert!(hash_animation(&gif(1, 100), PictureFormat::Gif, 1.0, &limits).is_none());
        assert!(hash_animation(b"not a gif", PictureFormat::Gif, 1.0, &limits).is_none());
    }

    #[test]
    fn a_zero_delay_plays_as_100_ms() {
        let limits = DecodeLimits::default();
        let (hashes, _) = hash_animation(&gif(12, 0), PictureFormat::Gif, 1.0, &limits).unwrap();
        assert_eq!(hashes.frames.len(), 2);
        assert_eq!(hashes.frames[1].number, 10);
        assert_eq!(hashes.frames[1].timestamp_ms, 1000);
    }

    #[test]
    fn a_truncated_animation_keeps_the_frames_before_the_cut() {
        let limits = DecodeLimits::default();
        let bytes = gif(25, 100);
        let cut = &bytes[..bytes.len() * 3 / 4];
        let (hashes, error) = hash_animation(cut, PictureFormat::Gif, 0.0, &limits).unwrap();
        assert!(
            matches!(error, Some(AnimationError::Frame { .. })),
            "{error:?}"
        );
        assert!(hashes.frames.len() > 10 && hashes.frames.len() < 25);
    }
}
