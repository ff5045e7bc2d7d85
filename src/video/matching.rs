//! Both kinds of video hit, and the one call the per-file pipeline makes for a video.
//!
//! Owns `scan_video`, `VideoResult`, `VideoHit` (a frame within the PDQ threshold of a
//! listed picture, all eight dihedral variants as for pictures) and `VideoMatch` (the
//! video against a listed vPDQ video by vPDQ's rule). Frames under PDQ quality 50 are kept
//! in the result and never matched, as pictures are.

use std::collections::BTreeMap;

use crate::algorithm::Algorithm;
use crate::evidence::SkipReason;
use crate::failure::{Failure, FailureKind};
use crate::list::ListRole;
use crate::matcher::{Hit, Matcher, Query};
use crate::pdq::Dihedral;
use crate::perceptual::DecodeLimits;
use crate::sniff::PictureFormat;

use super::animation::hash_animation;
use super::vpdq::{compare, VpdqScore, VpdqThresholds};
use super::{
    hash_video, DecodeError, VideoConfig, VideoContainer, VideoHashes, VideoInput, VideoTee,
};
use crate::list::VpdqFeature;

/// A frame that matched a listed picture: the earliest closest frame for each list entry,
/// and how many frames hit that entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoHit {
    pub frame: u64,
    pub timestamp_ms: u64,
    pub frames_matched: u32,
    pub hit: Hit,
}

/// The video matched a listed vPDQ video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoMatch {
    pub list: String,
    pub role: ListRole,
    /// The listed video's identifier.
    pub video_id: String,
    pub score: VpdqScore,
}

/// Everything learnt about a video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoResult {
    /// The frames hashed (all of them, or those before a failure).
    pub hashes: Option<VideoHashes>,
    pub frame_hits: Vec<VideoHit>,
    pub video_matches: Vec<VideoMatch>,
}

impl VideoResult {
    pub fn frames_hashed(&self) -> u64 {
        self.hashes.as_ref().map_or(0, |h| h.frames.len() as u64)
    }

    pub fn has_alert_hit(&self) -> bool {
        self.frame_hits.iter().any(|h| h.hit.alerts())
            || self.video_matches.iter().any(|m| m.role == ListRole::Alert)
    }
}

/// What the per-file pipeline keeps about a video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoOutcome {
    pub container: VideoContainer,
    pub result: VideoResult,
    /// Why the video was digested but not decoded (no decoder, over the size cap): the
    /// reason of its `video!/$Unread` item.
    pub not_decoded: Option<SkipReason>,
}

impl VideoOutcome {
    /// An animated picture's frames, not a video's.
    pub fn is_animation(&self) -> bool {
        self.container == VideoContainer::Animation
    }
}

/// The per-file pipeline's one call: finishes the in-memory copy, hashes and matches the
/// video. The error, if any, is the file's failure (what was hashed is kept).
pub fn video_outcome(
    config: &VideoConfig,
    matcher: &Matcher,
    dihedral: bool,
    tee: VideoTee,
) -> (VideoOutcome, Option<Failure>) {
    let container = tee.container;
    let mut outcome = VideoOutcome {
        container,
        result: VideoResult {
            hashes: None,
            frame_hits: Vec::new(),
            video_matches: Vec::new(),
        },
        not_decoded: None,
    };
    let input = match tee.finish() {
        Err(e) => {
            let failure = Failure::new(
                FailureKind::DecoderProcess,
                format!("video not decoded: {e}"),
            );
            return (outcome, Some(failure));
        }
        Ok(None) => {
            outcome.not_decoded = Some(SkipReason::VideoTooLarge {
                limit: config.max_bytes,
            });
            return (outcome, None);
        }
        Ok(Some(input)) => input,
    };
    if config.ffmpeg.is_none() {
        outcome.not_decoded = Some(SkipReason::NoVideoDecoder);
        return (outcome, None);
    }
    let (result, error) = scan_video(config, matcher, dihedral, &input, container);
    let frames = result.frames_hashed();
    outcome.result = result;
    let failure = error.map(|e| {
        Failure::new(
            e.failure_kind(),
            format!("video not fully decoded ({frames} frames hashed): {e}"),
        )
    });
    (outcome, failure)
}

/// The per-file pipeline's call for a decoded picture: the sampled frames of an animated
/// GIF, WebP or APNG, hashed and matched as a video's; `None` for a still picture. The
/// note, if any, says why not every frame was hashed.
pub fn animation_outcome(
    config: &VideoConfig,
    matcher: &Matcher,
    dihedral: bool,
    bytes: &[u8],
    format: PictureFormat,
    limits: &DecodeLimits,
) -> Option<(VideoOutcome, Option<String>)> {
    let (hashes, error) = hash_animation(bytes, format, config.seconds_per_hash, limits)?;
    let note = error.map(|e| {
        format!(
            "animation not fully hashed ({} frames hashed): {e}",
            hashes.frames.len()
        )
    });
    let result = VideoResult {
        frame_hits: match_frames(matcher, &hashes, dihedral),
        video_matches: match_videos(matcher, &hashes, &config.vpdq),
        hashes: Some(hashes),
    };
    let outcome = VideoOutcome {
        container: VideoContainer::Animation,
        result,
        not_decoded: None,
    };
    Some((outcome, note))
}

/// Hashes a video and matches what was hashed, even when decoding failed part-way; the
/// error, if any, comes back beside the result.
pub fn scan_video(
    config: &VideoConfig,
    matcher: &Matcher,
    dihedral: bool,
    input: &VideoInput,
    container: VideoContainer,
) -> (VideoResult, Option<DecodeError>) {
    let Some(ffmpeg) = &config.ffmpeg else {
        let empty = VideoResult {
            hashes: None,
            frame_hits: Vec::new(),
            video_matches: Vec::new(),
        };
        return (empty, None);
    };
    let (hashes, error) = match hash_video(
        ffmpeg,
        input,
        container,
        config.seconds_per_hash,
        config.limits,
    ) {
        Ok(h) => (Some(h), None),
        Err(f) => (f.partial, Some(f.error)),
    };
    let (frame_hits, video_matches) = match &hashes {
        Some(h) => (
            match_frames(matcher, h, dihedral),
            match_videos(matcher, h, &config.vpdq),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let result = VideoResult {
        hashes,
        frame_hits,
        video_matches,
    };
    (result, error)
}

/// Each matchable frame against the picture lists; one hit per list entry, from its
/// closest frame (the earliest on a tie).
pub(crate) fn match_frames(
    matcher: &Matcher,
    video: &VideoHashes,
    dihedral: bool,
) -> Vec<VideoHit> {
    let variants: &[Dihedral] = if dihedral {
        &Dihedral::ALL
    } else {
        &Dihedral::ALL[..1]
    };
    let mut best: BTreeMap<(String, Option<String>, String), VideoHit> = BTreeMap::new();
    for frame in video
        .frames
        .iter()
        .filter(|f| !crate::pdq::below_cutoff(f.quality()))
    {
        let queries: Vec<Query<'_>> = variants
            .iter()
            .map(|d| Query {
                value: &frame.pdq.hashes[d.index()].0,
                transform: Some(d.name()),
            })
            .collect();
        for mut hit in matcher.match_perceptual(Algorithm::Pdq, &queries) {
            hit.quality = Some(frame.quality());
            let key = (
                hit.list.clone(),
                hit.entry_id.clone(),
                hit.list_hash.clone(),
            );
            let found = VideoHit {
                frame: frame.number,
                timestamp_ms: frame.timestamp_ms,
                frames_matched: 1,
                hit,
            };
            best.entry(key)
                .and_modify(|kept| {
                    kept.frames_matched += 1;
                    if found.hit.distance < kept.hit.distance {
                        let count = kept.frames_matched;
                        *kept = found.clone();
                        kept.frames_matched = count;
                    }
                })
                .or_insert(found);
        }
    }
    best.into_values().collect()
}

/// The video against every listed vPDQ video.
pub(crate) fn match_videos(
    matcher: &Matcher,
    video: &VideoHashes,
    thresholds: &VpdqThresholds,
) -> Vec<VideoMatch> {
    let query = features(video);
    let mut found = Vec::new();
    for list in matcher.lists() {
        for listed in &list.videos {
            let score = compare(&query, &listed.frames, thresholds);
            if score.is_match(thresholds) {
                found.push(VideoMatch {
                    list: list.provenance.name.clone(),
                    role: list.provenance.role,
                    video_id: listed.id.clone(),
                    score,
                });
            }
        }
    }
    found
}

/// A hashed video as vPDQ features.
pub(crate) fn features(video: &VideoHashes) -> Vec<VpdqFeature> {
    video
        .frames
        .iter()
        .map(|f| VpdqFeature {
            frame: f.number,
            quality: f.quality(),
            hash: f.pdq.hash(),
            timestamp_ms: f.timestamp_ms,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithm::HashValue;
    use crate::list::{HashList, ListEntry, ListFormat, ListProvenance};
    use crate::matcher::Thresholds;
    use crate::pdq::{PdqHash, PdqOutput};
    use crate::video::VideoFrame;

    const H: &str = "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c";

    fn frame(number: u64, quality: u32, hex: &str) -> VideoFrame {
        let hash = PdqHash::from_hex(hex).unwrap();
        VideoFrame {
            number,
            timestamp_ms: number * 100,
            pdq: PdqOutput {
                quality,
                hashes: [hash; 8],
            },
        }
    }

    #[test]
    fn low_quality_frames_are_never_matched_and_one_hit_names_the_closest_frame() {
        let provenance =
            ListProvenance::new("l", "l".into(), ListRole::Alert, ListFormat::HashsweepJsonl);
        let entry = ListEntry {
            value: HashValue::parse_hex(Algorithm::Pdq, H).unwrap(),
            id: Some("7".to_string()),
            category: None,
            label: None,
        };
        let matcher = Matcher::new(
            vec![HashList::new(provenance, vec![entry])],
            Thresholds::default(),
        )
        .unwrap();
        // Frame 0 is the listed hash but quality 49; frame 10 is 1 bit off; frame 20 exact.
        let near = format!("{}{}", "f", &H[1..]);
        let video = VideoHashes {
            container: VideoContainer::IsoBmff,
            width: 64,
            height: 64,
            frame_rate: "10/1".to_string(),
            frames: vec![frame(0, 49, H), frame(10, 90, &near), frame(20, 90, H)],
        };
        let hits = match_frames(&matcher, &video, false);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].frame, hits[0].timestamp_ms), (20, 2000));
        assert_eq!(hits[0].frames_matched, 2);
        assert_eq!(hits[0].hit.distance, 0);
        assert_eq!(hits[0].hit.quality, Some(90));
    }
}
