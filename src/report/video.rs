//! The `video` object of a file record: container, size, the hashed frames, frame hits on
//! picture lists and vPDQ matches on video lists. Frame hashes and timestamps only, never a
//! frame's pixels.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::hit::{HitRecord, VpdqScoreRecord};
use super::open::Open;
use crate::extra::Extra;

use crate::list::ListRole;
use crate::video::vpdq::FramePair;
use crate::video::{VideoConfig, VideoContainer, VideoFrame, VideoHit, VideoMatch, VideoOutcome};

/// A file record's `video` object: written by `scan`, read back by the renderers (every
/// field optional there; fields of a newer build kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoRecord {
    pub container: Open<VideoContainer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<String>,
    pub frames_hashed: u64,
    /// The skip reason code of the video's `$Unread` item, when its frames were not decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_decoded: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frame_hits: Vec<HitRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub video_matches: Vec<VideoMatchRecord>,
    /// Every hashed frame (quality under 50 included: shown, never matched).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<FrameRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrameRecord {
    pub frame: u64,
    /// Seconds, three decimals.
    pub timestamp: String,
    pub quality: u32,
    pub pdq: String,
}

/// One vPDQ match of a video against a listed video: written by `scan`, read back (as a hit
/// with its score) by the renderers; fields of a newer build kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoMatchRecord {
    pub list: String,
    pub role: Open<ListRole>,
    pub algorithm: Cow<'static, str>,
    pub video_id: String,
    #[serde(flatten)]
    pub score: VpdqScoreRecord,
    pub best_pairs: Vec<PairRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One of a vPDQ match's closest frame pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PairRecord {
    pub frame: u64,
    pub timestamp: String,
    pub listed_frame: u64,
    pub listed_timestamp: String,
    pub distance: u32,
}

/// The header's account of video handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoHeader {
    /// `ffmpeg -version`'s first line, or `none: ffmpeg not found (videos are digested,
    /// not decoded)`.
    pub decoder: String,
    pub seconds_per_hash: f64,
    pub timeout_seconds: u64,
    pub vpdq_query_percent: f64,
    pub vpdq_compared_percent: f64,
    pub vpdq_distance: u32,
    pub vpdq_min_quality: u32,
}

impl VideoHeader {
    /// `None` with `--no-video`.
    pub fn of(config: Option<&VideoConfig>) -> Option<Self> {
        let config = config?;
        Some(VideoHeader {
            decoder: match &config.ffmpeg {
                Some(f) => f.version.clone(),
                None => "none: ffmpeg not found; videos are digested and matched exactly, \
                         their frames counted as skipped: no_video_decoder"
                    .to_string(),
            },
            seconds_per_hash: config.seconds_per_hash,
            timeout_seconds: config.limits.timeout.as_secs(),
            vpdq_query_percent: config.vpdq.query_percent,
            vpdq_compared_percent: config.vpdq.compared_percent,
            vpdq_distance: config.vpdq.distance,
            vpdq_min_quality: config.vpdq.quality,
        })
    }
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Two decimals are what an examiner reads; the counts beside them are exact.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl VideoRecord {
    pub fn of(video: &VideoOutcome) -> Self {
        let hashes = video.result.hashes.as_ref();
        VideoRecord {
            container: Open::Known(video.container),
            width: hashes.map(|h| h.width),
            height: hashes.map(|h| h.height),
            frame_rate: hashes.map(|h| h.frame_rate.clone()),
            frames_hashed: video.result.frames_hashed(),
            not_decoded: video.not_decoded.as_ref().map(|r| r.code().to_string()),
            frame_hits: video.result.frame_hits.iter().map(frame_hit).collect(),
            video_matches: video.result.video_matches.iter().map(video_match).collect(),
            frames: hashes
                .map(|h| h.frames.iter().map(frame).collect())
                .unwrap_or_default(),
            extra: Extra::new(),
        }
    }
}

fn frame(f: &VideoFrame) -> FrameRecord {
    FrameRecord {
        frame: f.number,
        timestamp: seconds(f.timestamp_ms),
        quality: f.quality(),
        pdq: f.pdq.hash().to_hex(),
    }
}

/// A frame hit: the hit, with the frame first (as the scan has always written it).
fn frame_hit(h: &VideoHit) -> HitRecord {
    HitRecord {
        frame: Some(h.frame),
        timestamp: Some(seconds(h.timestamp_ms)),
        frames_matched: Some(h.frames_matched),
        ..HitRecord::from(&h.hit)
    }
}

fn video_match(m: &VideoMatch) -> VideoMatchRecord {
    VideoMatchRecord {
        list: m.list.clone(),
        role: Open::Known(m.role),
        algorithm: Cow::Borrowed("vpdq"),
        video_id: m.video_id.clone(),
        score: VpdqScoreRecord {
            query_percent: round2(m.score.query_percent()),
            compared_percent: round2(m.score.compared_percent()),
            query_frames_matched: m.score.query_matched,
            query_frames: m.score.query_frames,
            compared_frames_matched: m.score.compared_matched,
            compared_frames: m.score.compared_frames,
        },
        best_pairs: m.score.best_pairs.iter().map(pair).collect(),
        extra: Extra::new(),
    }
}

fn pair(p: &FramePair) -> PairRecord {
    PairRecord {
        frame: p.frame,
        timestamp: seconds(p.timestamp_ms),
        listed_frame: p.listed_frame,
        listed_timestamp: seconds(p.listed_timestamp_ms),
        distance: p.distance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::vpdq::VpdqScore;

    /// The fields in the order the scan has always written them; the reader takes it back.
    #[test]
    fn a_video_match_is_written_as_before_and_reads_back() {
        let pair = FramePair {
            distance: 3,
            frame: 2,
            timestamp_ms: 2000,
            listed_frame: 1,
            listed_timestamp_ms: 1500,
        };
        let matched = VideoMatch {
            list: "v".into(),
            role: ListRole::Alert,
            video_id: "7".into(),
            score: VpdqScore {
                query_matched: 2,
                query_frames: 3,
                compared_matched: 1,
                compared_frames: 4,
                best_pairs: vec![pair],
            },
        };
        let text = serde_json::to_string(&video_match(&matched)).unwrap();
        assert_eq!(
            text,
            r#"{"list":"v","role":"alert","algorithm":"vpdq","video_id":"7","query_percent":66.67,"compared_percent":25.0,"query_frames_matched":2,"query_frames":3,"compared_frames_matched":1,"compared_frames":4,"best_pairs":[{"frame":2,"timestamp":"2.000","listed_frame":1,"listed_timestamp":"1.500","distance":3}]}"#
        );
        let read: VideoMatchRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), text);
    }

    #[test]
    fn a_frame_hit_is_the_hit_after_its_frame() {
        let hit = crate::report::hit::tests::full_hit();
        let hit_text = serde_json::to_string(&hit).unwrap();
        let frame_hit = VideoHit {
            frame: 4,
            timestamp_ms: 1250,
            frames_matched: 2,
            hit,
        };
        let text = serde_json::to_string(&super::frame_hit(&frame_hit)).unwrap();
        let before = format!(
            r#"{{"frame":4,"timestamp":"1.250","frames_matched":2,{}"#,
            &hit_text[1..]
        );
        assert_eq!(text, before);
    }
}
