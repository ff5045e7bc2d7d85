//! vPDQ's video-to-video match rule.
//!
//! Owns `VpdqFeature` (one frame of a vPDQ hash), `VpdqThresholds` and `compare`. The rule
//! is python-threatexchange's (`vpdq_brute_matcher.py`, `vpdq_util.py`), the one HMA
//! ships: on both sides drop repeated hashes (first kept), then frames of quality < 50;
//! the query percentage is the share of the file's frames within distance ≤ 31 of any
//! listed frame, the compared percentage the share of the listed video's frames within
//! ≤ 31 of any of the file's; a match when query ≥ 80 % and compared ≥ 0 %. Where the
//! C++ reference (`matchTwoHash.cpp`) differs, Python is followed: the C++ counts a
//! distance strictly below the tolerance as a match and does not de-duplicate. A side left
//! without frames scores 0 % (the C++ rule; Python would divide by zero).

use std::collections::HashSet;
use std::str::FromStr;

use crate::list::VpdqFeature;

/// When two videos match.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VpdqThresholds {
    /// Minimum share of the file's frames that match the listed video, percent.
    pub query_percent: f64,
    /// Minimum share of the listed video's frames that match the file, percent.
    pub compared_percent: f64,
    /// Frames within this PDQ distance match (inclusive).
    pub distance: u32,
    /// Frames under this PDQ quality take no part.
    pub quality: u32,
}

impl Default for VpdqThresholds {
    /// python-threatexchange's `VPDQ_QUERY_MATCH_THRESHOLD_PERCENT = 80.0`,
    /// `VPDQ_INDEX_MATCH_THRESHOLD_PERCENT = 0.0`, `VPDQ_DISTANCE_THRESHOLD = 31`,
    /// `VPDQ_QUALITY_THRESHOLD = 50`.
    fn default() -> Self {
        VpdqThresholds {
            query_percent: 80.0,
            compared_percent: 0.0,
            distance: 31,
            quality: 50,
        }
    }
}

impl FromStr for VpdqThresholds {
    type Err = String;

    /// `query=Q,compared=C` (either may be left out; percentages 0–100).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut t = VpdqThresholds::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not key=value"))?;
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=100.0).contains(v))
                .ok_or_else(|| format!("{key}: {value:?} is not a percentage 0-100"))?;
            match key.trim() {
                "query" => t.query_percent = value,
                "compared" => t.compared_percent = value,
                other => return Err(format!("unknown key {other:?} (query, compared)")),
            }
        }
        Ok(t)
    }
}

/// Two frames that matched: the file's and the listed video's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FramePair {
    pub distance: u32,
    pub frame: u64,
    pub timestamp_ms: u64,
    pub listed_frame: u64,
    pub listed_timestamp_ms: u64,
}

/// The outcome of comparing a file's frames with one listed video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpdqScore {
    /// Frames of the file (after de-duplication and the quality cut) that matched.
    pub query_matched: u32,
    pub query_frames: u32,
    /// Frames of the listed video (same filtering) that matched.
    pub compared_matched: u32,
    pub compared_frames: u32,
    /// The closest pairs, closest first (ties: earlier file frame first).
    pub best_pairs: Vec<FramePair>,
}

impl VpdqScore {
    pub fn query_percent(&self) -> f64 {
        percent(self.query_matched, self.query_frames)
    }

    pub fn compared_percent(&self) -> f64 {
        percent(self.compared_matched, self.compared_frames)
    }

    /// Both shares reach their thresholds.
    pub fn is_match(&self, t: &VpdqThresholds) -> bool {
        self.query_frames > 0
            && self.compared_frames > 0
            && self.query_percent() >= t.query_percent
            && self.compared_percent() >= t.compared_percent
    }
}

fn percent(matched: u32, of: u32) -> f64 {
    if of == 0 {
        0.0
    } else {
        f64::from(matched) * 100.0 / f64::from(of)
    }
}

/// How many closest frame pairs a score keeps.
pub(crate) const BEST_PAIRS: usize = 3;

/// python-threatexchange's `dedupe` then `quality_filter`.
pub(crate) fn prepare(features: &[VpdqFeature], quality: u32) -> Vec<VpdqFeature> {
    let mut seen = HashSet::new();
    features
        .iter()
        .filter(|f| seen.insert(f.hash))
        .filter(|f| f.quality >= quality)
        .copied()
        .collect()
}

/// Scores the file's frames (`query`) against a listed video (`compared`); both are
/// prepared here.
pub(crate) fn compare(
    query: &[VpdqFeature],
    compared: &[VpdqFeature],
    t: &VpdqThresholds,
) -> VpdqScore {
    let query = prepare(query, t.quality);
    let compared = prepare(compared, t.quality);
    let mut compared_hit = vec![false; compared.len()];
    let mut query_matched = 0;
    let mut pairs = Vec::new();
    for q in &query {
        let mut best: Option<FramePair> = None;
        for (i, c) in compared.iter().enumerate() {
            let distance = q.hash.distance(&c.hash);
            if distance > t.distance {
                continue;
            }
            compared_hit[i] = true;
            let pair = FramePair {
                distance,
                frame: q.frame,
                timestamp_ms: q.timestamp_ms,
                listed_frame: c.frame,
                listed_timestamp_ms: c.timestamp_ms,
            };
            best = Some(best.map_or(pair, |b| b.min(pair)));
        }
        if let Some(pair) = best {
            query_matched += 1;
            pairs.push(pair);
        }
    }
    pairs.sort();
    pairs.truncate(BEST_PAIRS);
    VpdqScore {
        query_matched,
        query_frames: query.len() as u32,
        compared_matched: compared_hit.iter().filter(|h| **h).count() as u32,
        compared_frames: compared.len() as u32,
        best_pairs: pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdq::PdqHash;

    fn hash_with_bits(bits: &[usize]) -> PdqHash {
        let mut hex = [b'0'; 64];
        for &b in bits {
            let nibble = 63 - b / 4;
            let v = (hex[nibble] as char).to_digit(16).unwrap() | (1 << (b % 4));
            hex[nibble] = char::from_digit(v, 16).unwrap() as u8;
        }
        PdqHash::from_hex(std::str::from_utf8(&hex).unwrap()).unwrap()
    }

    fn feature(frame: u64, quality: u32, bits: std::ops::Range<usize>) -> VpdqFeature {
        VpdqFeature {
            frame,
            quality,
            hash: hash_with_bits(&bits.collect::<Vec<_>>()),
            timestamp_ms: frame * 1000,
        }
    }

    #[test]
    fn percentages_follow_python_threatexchange() {
        // File: A, A again (dropped as repeat), B, a low-quality frame (dropped), C.
        let query = [
            feature(0, 100, 0..0),
            feature(1, 100, 0..0),
            feature(2, 100, 100..140),
            feature(3, 10, 200..240),
            feature(4, 90, 50..90),
        ];
        // Listed: A at distance 31 (counts, ≤), B at distance 32 (does not), D unrelated.
        let compared = [
            feature(0, 100, 0..31),
            feature(1, 100, 100..140).with_extra(140..172),
            feature(2, 100, 180..250),
        ];
        let score = compare(&query, &compared, &VpdqThresholds::default());
        assert_eq!((score.query_matched, score.query_frames), (1, 3));
        assert_eq!((score.compared_matched, score.compared_frames), (1, 3));
        assert_eq!(
            score.best_pairs,
            vec![FramePair {
                distance: 31,
                frame: 0,
                timestamp_ms: 0,
                listed_frame: 0,
                listed_timestamp_ms: 0
            }]
        );
        assert!(!score.is_match(&VpdqThresholds::default()));
        let loose: VpdqThresholds = "query=33,compared=33".parse().unwrap();
        assert!(score.is_match(&loose));
        let strict: VpdqThresholds = "query=33.4".parse().unwrap();
        assert!(!score.is_match(&strict));
    }

    #[test]
    fn empty_sides_score_zero_and_never_match() {
        let only_low = [feature(0, 49, 0..10)];
        let score = compare(&only_low, &only_low, &"query=0".parse().unwrap());
        assert_eq!((score.query_frames, score.compared_frames), (0, 0));
        assert_eq!(score.query_percent(), 0.0);
        assert!(!score.is_match(&"query=0".parse().unwrap()));
    }

    #[test]
    fn thresholds_parse_and_refuse_nonsense() {
        let t: VpdqThresholds = "query=70, compared=20".parse().unwrap();
        assert_eq!((t.query_percent, t.compared_percent), (70.0, 20.0));
        assert!("query=101".parse::<VpdqThresholds>().is_err());
        assert!("frames=3".parse::<VpdqThresholds>().is_err());
        assert!("query".parse::<VpdqThresholds>().is_err());
    }

    impl VpdqFeature {
        fn with_extra(mut self, bits: std::ops::Range<usize>) -> Self {
            let extra = hash_with_bits(&bits.collect::<Vec<_>>());
            let mut hex = String::new();
            let (a, b) = (self.hash.to_hex(), extra.to_hex());
            for (x, y) in a.chars().zip(b.chars()) {
                let v = x.to_digit(16).unwrap() | y.to_digit(16).unwrap();
                hex.push(char::from_digit(v, 16).unwrap());
            }
            self.hash = PdqHash::from_hex(&hex).unwrap();
            self
        }
    }
}
