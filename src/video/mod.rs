//! Video: frames decoded by the `ffmpeg` program, sampled and PDQ-hashed as Meta's vPDQ
//! does it, and matched against picture lists (frame by frame) and vPDQ video lists.
//!
//! Owns `VideoConfig`, the frame model (`VideoFrame`, `VideoHashes`) and `hash_video`, the
//! step from a sealed in-memory copy of a video to its per-frame hashes. The parts:
//! `sniff` (containers), `input` (the memfd), `ffmpeg` (the child processes and their
//! limits), `vpdq` (vPDQ's match rule), `matching` (both kinds of hit). Loading vPDQ
//! lists is `list::vpdq`'s; the per-file pipeline calls in through `scan_video`.
//!
//! Sampling follows vPDQ's `filehasher.cpp`: with `f` the stream's frames per second and
//! `s` the seconds per hash, frame `n` (counted from 0 in decode order) is hashed when
//! `n mod max(1, trunc(s·f)) = 0`; its timestamp is `n / f`. `s = 0` hashes every frame.

pub mod animation;
pub(crate) mod ffmpeg;
pub(crate) mod input;
pub(crate) mod matching;
pub(crate) mod sniff;
pub(crate) mod vpdq;

use image::{DynamicImage, RgbImage};

pub use crate::list::VpdqFeature;
use crate::pdq::{pdq_from_image, PdqOutput, PdqPipeline};
pub use ffmpeg::{DecodeError, Ffmpeg, Limits, Probe};
pub use input::{VideoBytes, VideoInput, VideoTee};
pub use matching::{
    animation_outcome, scan_video, video_outcome, VideoHit, VideoMatch, VideoOutcome, VideoResult,
};
pub use sniff::{sniff_video, VideoContainer, VIDEO_SNIFF_LEN};
pub use vpdq::VpdqThresholds;

/// How videos are handled in a scan.
#[derive(Debug, Clone)]
pub struct VideoConfig {
    /// The decoder, or `None` when ffmpeg is not installed (videos are then skipped).
    pub ffmpeg: Option<Ffmpeg>,
    /// One frame hashed each this many seconds; 0 hashes every frame.
    pub seconds_per_hash: f64,
    pub limits: Limits,
    /// Videos larger than this are digested but not decoded (the copy lives in memory).
    pub max_bytes: u64,
    pub vpdq: VpdqThresholds,
}

impl VideoConfig {
    /// vPDQ's defaults with the installed ffmpeg, if any.
    pub fn detect() -> Self {
        VideoConfig {
            ffmpeg: Ffmpeg::locate(),
            seconds_per_hash: 1.0,
            limits: Limits::default(),
            max_bytes: 4 << 30,
            vpdq: VpdqThresholds::default(),
        }
    }
}

/// One hashed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFrame {
    /// Frame number in decode order, from 0.
    pub number: u64,
    /// `number / fps` in milliseconds, rounded (vPDQ keeps 3 decimals of seconds).
    pub timestamp_ms: u64,
    pub pdq: PdqOutput,
}

impl VideoFrame {
    pub fn quality(&self) -> u32 {
        self.pdq.quality
    }

    /// The timestamp in seconds, as vPDQ lists write it (`1.500`).
    pub fn timestamp_text(&self) -> String {
        format!(
            "{}.{:03}",
            self.timestamp_ms / 1000,
            self.timestamp_ms % 1000
        )
    }
}

/// What was learnt about one video (never its pixels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoHashes {
    pub container: VideoContainer,
    pub width: u32,
    pub height: u32,
    /// Frames per second as ffprobe gave it (`30000/1001`).
    pub frame_rate: String,
    /// The hashed frames, in frame order.
    pub frames: Vec<VideoFrame>,
}

/// A video that could not be hashed completely: why, and the frames hashed before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFailure {
    pub error: DecodeError,
    pub partial: Option<VideoHashes>,
}

/// vPDQ's frame step: `trunc(seconds × fps)`, at least 1.
pub fn frame_step(seconds_per_hash: f64, fps: f64) -> u64 {
    let step = (seconds_per_hash * fps) as u64;
    step.max(1)
}

/// Decodes the sampled frames of `input` and PDQ-hashes each.
pub fn hash_video(
    ffmpeg: &Ffmpeg,
    input: &VideoInput,
    container: VideoContainer,
    seconds_per_hash: f64,
    limits: Limits,
) -> Result<VideoHashes, VideoFailure> {
    let fail = |error| VideoFailure {
        error,
        partial: None,
    };
    let probe = ffmpeg.probe(input, container, limits).map_err(fail)?;
    let fps = probe.fps();
    let step = frame_step(seconds_per_hash, fps);
    let mut hashes = VideoHashes {
        container,
        width: probe.width,
        height: probe.height,
        frame_rate: format!("{}/{}", probe.rate_num, probe.rate_den),
        frames: Vec::new(),
    };
    let mut pdq_error = None;
    let decoded = ffmpeg.decode(input, container, &probe, step, limits, |rgb| {
        let number = hashes.frames.len() as u64 * step;
        match hash_frame(rgb, probe.width, probe.height) {
            Ok(pdq) => hashes.frames.push(VideoFrame {
                number,
                timestamp_ms: (number as f64 * 1000.0 / fps).round() as u64,
                pdq,
            }),
            Err(e) => pdq_error = Some(e),
        }
    });
    match (decoded, pdq_error) {
        (Ok(()), None) => Ok(hashes),
        (Err(error), _) => Err(VideoFailure {
            error,
            partial: Some(hashes),
        }),
        (Ok(()), Some(e)) => Err(VideoFailure {
            error: DecodeError::Ffmpeg(format!("frame not hashable: {e}")),
            partial: Some(hashes),
        }),
    }
}

/// PDQ of one rgb24 frame, with the picture pipeline's luma rule.
fn hash_frame(rgb: Vec<u8>, width: u32, height: u32) -> Result<PdqOutput, String> {
    let image = RgbImage::from_raw(width, height, rgb).ok_or("frame of the wrong size")?;
    pdq_from_image(&DynamicImage::ImageRgb8(image), PdqPipeline::Default).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_step_follows_vpdq() {
        assert_eq!(frame_step(1.0, 30.0), 30);
        assert_eq!(frame_step(1.0, 29.97), 29);
        assert_eq!(frame_step(0.0, 25.0), 1);
        assert_eq!(frame_step(1.0, 0.5), 1);
        assert_eq!(frame_step(2.0, 10.0), 20);
    }

    #[test]
    fn timestamps_print_with_three_decimals() {
        let frame = VideoFrame {
            number: 3,
            timestamp_ms: 1500,
            pdq: PdqOutput {
                quality: 100,
                hashes: [crate::pdq::PdqHash::default(); 8],
            },
        };
        assert_eq!(frame.timestamp_text(), "1.500");
    }
}
