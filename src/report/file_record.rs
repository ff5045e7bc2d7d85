//! The per-file record of the report (`match`, `failure`, `skipped`, `file`): one owned type
//! that the scan writes (`FileRecord::from_result`), the reader reads back, and every
//! renderer and the `report --format jsonl` writer take, so a field is declared once and the
//! rules renderers ask of a record (`is_listed`, `is_not_examined`, …) are stated here once.
//!
//! Reading is tolerant: every field is optional, a kind or role this build does not know is
//! kept as written (`Open`), and fields it does not know go to `extra` and are written back.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::hit::HitRecord;
use super::open::Open;
use super::records::HashesRecord;
use super::video::{VideoMatchRecord, VideoRecord};
use crate::evidence::container::{ContainerFormat, EntryInfo};
use crate::evidence::{FileMeta, ItemLocation, SkipKind};
use crate::extra::Extra;
use crate::failure::FailureKind;
use crate::matcher::Hit;
use crate::perceptual::ImageInfo;
use crate::result::{EntryLocation, FileResult, Hashed, Outcome};

/// The kind of a per-file record (its `record` field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// At least one hit on an alert list.
    Match,
    /// The file could not be read, or a picture not decoded.
    Failure,
    /// Seen but deliberately not read.
    Skipped,
    /// Hashed, no alert hit (listed when asked for, or when it needs a look).
    #[default]
    File,
}

impl FileKind {
    /// The record's `record` code.
    pub fn code(self) -> &'static str {
        match self {
            FileKind::Match => "match",
            FileKind::Failure => "failure",
            FileKind::Skipped => "skipped",
            FileKind::File => "file",
        }
    }
}

/// One file: a `match`, `failure`, `skipped` or (all-files mode) `file` record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileRecord {
    pub record: FileKind,
    /// The path as text (invalid UTF-8 replaced by U+FFFD; see `path_raw_hex`).
    pub path: String,
    /// The path's exact bytes in hex, present only when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_raw_hex: Option<String>,
    /// Index into the header's `evidence`.
    pub evidence: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Partition, filesystem, inode and deleted flag of a file inside a disk image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<ItemLocation>,
    /// For an item inside a container (archive entry): the container and the entry as
    /// stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerRecord>,
    /// Times, owner and attributes as the evidence keeps them (report format 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<FileMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_read: Option<u64>,
    /// Lowercase hex per algorithm (`md5`, `sha1`, `sha256`, `blake3`, perceptual ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<HashesRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    /// PDQ quality (0–100) of the picture's PDQ hash; under 50 it is never matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdq_quality: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<HitRecord>,
    /// The alert-list hits name different categories: the lists disagree (`Hashed::
    /// category_conflict`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conflict: bool,
    /// Hits that do not alert alone (`alert_rule`), each with its `weak_reason`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weak_hits: Vec<HitRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `not_examined` or `nothing_to_examine`, for `skipped` records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_kind: Option<Open<SkipKind>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure `error` is (`failure::FailureKind`), for `failure` records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<Open<FailureKind>>,
    /// Byte offset into the item's content where the failure happened, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// A video's frames and video hits (`report::video`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoRecord>,
    /// A video's frame hits and vPDQ matches as hits, lifted from `video` when read.
    #[serde(skip)]
    pub video_hits: Vec<HitRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where an entry lives (`result::EntryLocation`): the enclosing item and what the
/// container stores about the entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerRecord {
    /// The container's item path (as the report prints paths).
    pub container: String,
    pub format: Open<ContainerFormat>,
    /// Containers around the entry (1 for an entry of an evidence file).
    pub depth: u32,
    #[serde(flatten)]
    pub stored: EntryInfo,
    /// Whether the CRC-32 of the bytes read equals the stored one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crc_ok: Option<bool>,
    /// This item stands for what the container could not yield, not for a stored entry.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unread: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

impl From<&EntryLocation> for ContainerRecord {
    fn from(e: &EntryLocation) -> Self {
        ContainerRecord {
            container: e.container.clone(),
            format: Open::Known(e.format),
            depth: e.depth,
            stored: e.stored.clone(),
            crc_ok: e.crc_ok,
            unread: e.unread,
            extra: Extra::new(),
        }
    }
}

impl FileRecord {
    /// The record the scan writes for a result.
    pub fn from_result(result: &FileResult) -> Self {
        let mut record = FileRecord {
            record: FileKind::of(&result.outcome),
            path: result.path.lossy(),
            path_raw_hex: result.path.raw_hex_if_not_utf8(),
            evidence: result.source,
            size: result.size,
            location: result.location.clone(),
            container: result.entry.as_deref().map(ContainerRecord::from),
            meta: result.meta.clone(),
            ..FileRecord::default()
        };
        // A failure may carry what was hashed before it (a video decoded part-way).
        if let Some(h) = result.hashed() {
            record.add_hashed(h);
        }
        match &result.outcome {
            Outcome::Hashed(_) => {}
            Outcome::Skipped(r) => {
                record.reason = Some(r.code().to_string());
                record.skip_kind = Some(Open::Known(r.kind()));
                record.reason_detail = r.detail();
            }
            Outcome::Failed { failure, .. } => {
                record.error = Some(failure.message.clone());
                record.failure_kind = Some(Open::Known(failure.kind));
                record.offset = failure.offset;
            }
        }
        record
    }

    fn add_hashed(&mut self, h: &Hashed) {
        let picture = h.picture.as_ref();
        self.bytes_read = Some(h.bytes_read);
        self.hashes = Some(HashesRecord::from(h));
        self.image = picture.map(|p| p.info.clone());
        self.pdq_quality = picture.and_then(|p| p.hashes.pdq.as_ref().map(|q| q.quality));
        self.hits = hit_records(&h.hits);
        self.conflict = h.category_conflict();
        self.weak_hits = hit_records(&h.weak_hits);
        self.notes = h.notes.clone();
        self.video = h.video.as_deref().map(VideoRecord::of);
    }

    /// Whether this picture was never matched perceptually (PDQ quality under the cut-off).
    pub fn is_pdq_gated(&self) -> bool {
        self.record == FileKind::File && self.pdq_quality.is_some_and(crate::pdq::below_cutoff)
    }

    /// A `file` record renderers list: a picture never matched perceptually, a file whose
    /// alert-list hits are all non-pertinent, or one with weak hits. Kept even when clean
    /// files are dropped (`ScanReport::read_with`).
    pub fn is_listed(&self) -> bool {
        self.record == FileKind::File
            && (self.is_pdq_gated() || self.is_non_pertinent_only() || self.has_weak_hits())
    }

    /// The path's exact bytes: from `path_raw_hex` when the path is not UTF-8.
    pub fn raw_path(&self) -> Vec<u8> {
        self.path_raw_hex
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
            .unwrap_or_else(|| self.path.as_bytes().to_vec())
    }

    pub fn hash(&self, algorithm: &str) -> Option<&str> {
        self.hashes.as_ref()?.get(algorithm)
    }

    /// Every hit: the file's own, then a video's frame hits and vPDQ matches.
    pub fn all_hits(&self) -> impl Iterator<Item = &HitRecord> {
        self.hits.iter().chain(&self.video_hits)
    }

    /// Hits on alert lists (known-good hits only mark a file known).
    pub fn alert_hits(&self) -> impl Iterator<Item = &HitRecord> {
        self.all_hits().filter(|h| h.is_alert())
    }

    /// Lifts the hits of the record's `video` object into `video_hits` (done on reading).
    pub(crate) fn lift_video_hits(&mut self) {
        let Some(video) = &self.video else {
            return;
        };
        self.video_hits = video.frame_hits.clone();
        self.video_hits
            .extend(video.video_matches.iter().cloned().map(vpdq_hit));
    }

    pub fn is_match(&self) -> bool {
        self.record == FileKind::Match
    }

    /// A hashed file whose alert-list hits are all in non-pertinent categories.
    pub fn is_non_pertinent_only(&self) -> bool {
        !self.is_match() && self.all_hits().any(HitRecord::is_non_pertinent)
    }

    /// Whether the record holds weak hits (listed with `--report-weak`).
    pub fn has_weak_hits(&self) -> bool {
        !self.weak_hits.is_empty()
    }

    pub fn is_failure(&self) -> bool {
        self.record == FileKind::Failure
    }

    /// A skipped item whose content was not examined. A `skipped` record without a kind
    /// (from an older build), or with one this build does not know, counts as not
    /// examined: better shown than hidden.
    pub fn is_not_examined(&self) -> bool {
        self.record == FileKind::Skipped && !self.is_nothing_to_examine()
    }

    /// A skipped item with nothing to examine (listed only with `--list-skipped`).
    pub fn is_nothing_to_examine(&self) -> bool {
        self.record == FileKind::Skipped
            && self
                .skip_kind
                .as_ref()
                .is_some_and(|k| k.is(SkipKind::NothingToExamine))
    }

    /// What was not examined and why, in words: `encrypted (detail)`.
    pub fn reason_text(&self) -> String {
        let reason = self.reason.as_deref().unwrap_or("unknown reason");
        match &self.reason_detail {
            Some(detail) => format!("{reason} ({detail})"),
            None => reason.to_string(),
        }
    }
}

impl FileKind {
    fn of(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Skipped(_) => FileKind::Skipped,
            Outcome::Failed { .. } => FileKind::Failure,
            Outcome::Hashed(h) if h.has_alert_hit() => FileKind::Match,
            Outcome::Hashed(_) => FileKind::File,
        }
    }
}

fn hit_records(hits: &[Hit]) -> Vec<HitRecord> {
    hits.iter().map(HitRecord::from).collect()
}

/// A vPDQ match read as a hit plus its score.
fn vpdq_hit(m: VideoMatchRecord) -> HitRecord {
    HitRecord {
        list: m.list,
        role: m.role,
        entry_id: Some(m.video_id),
        algorithm: Cow::Borrowed("vpdq"),
        distance: m.best_pairs.iter().map(|p| p.distance).min().unwrap_or(0),
        vpdq: Some(m.score),
        ..HitRecord::default()
    }
}
