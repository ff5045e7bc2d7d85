//! "Why it matched", without pixels: the facts that let a reader re-check a hit by hand.
//!
//! Owns `Why`, resolved from a hit and its file record. A scan that writes the per-hit
//! `threshold` and `also_exact` fields is taken at its word; for older reports the threshold
//! comes from the header and `also_exact` from the file's other hits, and `derived` says so.

use super::file_record::FileRecord;
use super::hit::{HitRecord, VpdqScoreRecord};
use super::read::ScanReport;

/// Cryptographic algorithms: a hit on one of these is an exact match.
pub const EXACT_ALGORITHMS: [&str; 4] = ["md5", "sha1", "sha256", "blake3"];

pub fn is_exact(algorithm: &str) -> bool {
    EXACT_ALGORITHMS.contains(&algorithm)
}

/// Everything a report says about one hit besides the list metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Why<'a> {
    pub exact: bool,
    pub algorithm: &'a str,
    pub distance: u32,
    /// Inclusive Hamming threshold in force; `None` for exact hits.
    pub threshold: Option<u32>,
    pub list_hash: &'a str,
    /// The file's own value for the hit's algorithm.
    pub file_hash: Option<&'a str>,
    pub transform: Option<&'a str>,
    pub quality: Option<u32>,
    /// A cryptographic hash of the file matched the same list entry too (perceptual hits).
    pub also_exact: Option<bool>,
    /// `threshold` or `also_exact` were worked out here, not written by the scan.
    pub derived: bool,
    /// A video's frame hit: `frame N at T s` and how many frames hit the entry.
    pub frame: Option<String>,
    /// A vPDQ match: the score, and the thresholds in force from the header.
    pub vpdq: Option<(&'a VpdqScoreRecord, Option<(f64, f64)>)>,
    /// A weak hit's reason: it did not alert on its own.
    pub weak: Option<&'a str>,
    /// Perceptual hits: the other perceptual hashes the file has that hit no hash of the
    /// same entry (they disagreed, or the entry lists none).
    pub unmatched: Vec<&'static str>,
}

impl<'a> Why<'a> {
    pub fn of(report: &'a ScanReport, file: &'a FileRecord, hit: &'a HitRecord) -> Why<'a> {
        if let Some(score) = &hit.vpdq {
            return Why::of_vpdq(report, hit, score);
        }
        let exact = is_exact(&hit.algorithm);
        let mut derived = false;
        let threshold = match (exact, hit.threshold) {
            (true, _) => None,
            (false, Some(t)) => Some(t),
            (false, None) => {
                derived = true;
                report.header.thresholds.get(&*hit.algorithm).copied()
            }
        };
        let also_exact = match (exact, hit.also_exact) {
            (true, _) => None,
            (false, Some(a)) => Some(a),
            (false, None) => {
                derived = true;
                Some(exact_hit_on_same_entry(file, hit))
            }
        };
        Why {
            exact,
            algorithm: &hit.algorithm,
            distance: hit.distance,
            threshold,
            list_hash: &hit.list_hash,
            file_hash: hit.file_hash.as_deref().or(file.hash(&hit.algorithm)),
            transform: hit.transform.as_deref(),
            quality: hit.quality,
            also_exact,
            derived,
            frame: hit.frame.map(|frame| {
                let at = hit.timestamp.as_deref().unwrap_or("?");
                match hit.frames_matched {
                    Some(n) if n > 1 => format!("frame {frame} at {at} s ({n} frames matched)"),
                    _ => format!("frame {frame} at {at} s"),
                }
            }),
            vpdq: None,
            weak: hit.weak_reason.as_deref(),
            unmatched: if exact {
                Vec::new()
            } else {
                unmatched_on_same_entry(file, hit)
            },
        }
    }

    fn of_vpdq(report: &'a ScanReport, hit: &'a HitRecord, score: &'a VpdqScoreRecord) -> Why<'a> {
        let video = report.header.video.as_ref().map(|v| v.json());
        let percent = |key| video.as_ref()?.get(key)?.as_f64();
        let thresholds = percent("vpdq_query_percent").zip(percent("vpdq_compared_percent"));
        Why {
            exact: false,
            algorithm: &hit.algorithm,
            distance: hit.distance,
            threshold: None,
            list_hash: &hit.list_hash,
            file_hash: None,
            transform: None,
            quality: None,
            also_exact: None,
            derived: false,
            frame: None,
            vpdq: Some((score, thresholds)),
            weak: None,
            unmatched: Vec::new(),
        }
    }

    /// One line for people, in plain words: `exact MD5 match (identical content)`, or
    /// `PDQ: 3 of 256 bits differ (threshold 31) after turning the file 90° counter-clockwise;
    /// PDQ quality 87; a digest of the file matches this entry too`.
    pub fn summary(&self) -> String {
        if self.exact {
            return format!(
                "exact {} match (identical content)",
                display_name(self.algorithm)
            );
        }
        if let Some((score, thresholds)) = self.vpdq {
            let mut s = format!(
                "vPDQ: {:.2}% of this video's frames ({} of {}) and {:.2}% of the listed \
                 video's ({} of {}) match",
                score.query_percent,
                score.query_frames_matched,
                score.query_frames,
                score.compared_percent,
                score.compared_frames_matched,
                score.compared_frames
            );
            if let Some((query, compared)) = thresholds {
                s.push_str(&format!(" (thresholds {query}% and {compared}%)"));
            }
            s.push_str(&format!(", closest frames at distance {}", self.distance));
            return s;
        }
        let name = display_name(self.algorithm);
        let mut s = format!(
            "{name}: {} of {} bits differ",
            self.distance,
            bits(self.algorithm)
        );
        if let Some(t) = self.threshold {
            s.push_str(&format!(" (threshold {t})"));
        }
        match self.transform.and_then(transform_phrase) {
            Some(phrase) => s.push_str(&format!(" {phrase}")),
            None => {
                if let Some(t) = self.transform.filter(|t| *t != "original") {
                    s.push_str(&format!(" (variant {t})"));
                }
            }
        }
        if let Some(q) = self.quality {
            s.push_str(&format!("; {name} quality {q}"));
        }
        match self.also_exact {
            Some(true) => s.push_str("; a digest of the file matches this entry too"),
            Some(false) => {
                s.push_str("; no digest of the file matches this entry (a near copy, or the entry lists no digest)")
            }
            None => {}
        }
        if !self.unmatched.is_empty() {
            let names: Vec<&str> = self.unmatched.iter().map(|a| display_name(a)).collect();
            s.push_str(&format!("; no {} hit on this entry", names.join("/")));
        }
        if let Some(frame) = &self.frame {
            s.push_str(&format!("; {frame}"));
        }
        if let Some(reason) = self.weak {
            s.push_str(&format!("; WEAK ({reason}): not an alert on its own"));
        }
        s
    }
}

/// The standing caution every rendering of perceptual matches carries.
pub const VISUAL_CONFIRMATION: &str = "Perceptual matches (PDQ, pHash, dHash, aHash, vPDQ) \
     measure similarity, not identity: each must be confirmed visually by an authorised \
     examiner before it is relied on.";

/// How reports name an algorithm for people: `MD5`, `SHA-256`, `PDQ`, `pHash`.
pub fn display_name(algorithm: &str) -> &str {
    match algorithm {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha256" => "SHA-256",
        "blake3" => "BLAKE3",
        "pdq" => "PDQ",
        "phash" => "pHash",
        "dhash" => "dHash",
        "ahash" => "aHash",
        "vpdq" => "vPDQ",
        other => other,
    }
}

/// Bits in one hash of a perceptual algorithm.
fn bits(algorithm: &str) -> u32 {
    if algorithm == "pdq" || algorithm == "vpdq" {
        256
    } else {
        64
    }
}

/// What a dihedral variant means, as a phrase: the listed picture resembles the file so
/// transformed. `None` for the file as stored (and for names this build does not know).
pub fn transform_phrase(transform: &str) -> Option<&'static str> {
    Some(match transform {
        "rotate90" => "after turning the file 90° counter-clockwise",
        "rotate180" => "after turning the file 180°",
        "rotate270" => "after turning the file 90° clockwise",
        "flipx" => "after mirroring the file top-to-bottom",
        "flipy" => "after mirroring the file left-to-right",
        "flipplus1" => "after mirroring the file across its top-left to bottom-right diagonal",
        "flipminus1" => "after mirroring the file across its top-right to bottom-left diagonal",
        _ => return None,
    })
}

/// The perceptual hashes the file has that hit no hash of `hit`'s entry (same list and
/// entry id; same list where the list has no ids).
fn unmatched_on_same_entry(file: &FileRecord, hit: &HitRecord) -> Vec<&'static str> {
    ["pdq", "phash", "dhash", "ahash"]
        .into_iter()
        .filter(|alg| *alg != hit.algorithm && file.hash(alg).is_some())
        .filter(|alg| {
            !file
                .all_hits()
                .chain(&file.weak_hits)
                .any(|h| h.algorithm == *alg && hit.is_same_entry(h))
        })
        .collect()
}

/// Same list and entry id (or, without ids, same list) hit by a cryptographic hash.
fn exact_hit_on_same_entry(file: &FileRecord, hit: &HitRecord) -> bool {
    file.hits
        .iter()
        .any(|h| is_exact(&h.algorithm) && hit.is_same_entry(h))
}
