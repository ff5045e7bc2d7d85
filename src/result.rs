//! The result model: what became of one item of the evidence (`FileResult`, `Outcome`,
//! `Hashed`), how an item is identified across runs (`ItemKey`), where an entry lives inside
//! its container (`EntryLocation`), and who receives results as they finish (`ResultSink`).
//!
//! Owned here, not by the pipeline that makes results (`scan`, `nested`) nor by those that
//! read them (`summary`, `listing`, `journal`, `report`), so that none of them imports
//! another's module for the shared model.

use serde::Serialize;

use crate::digest::FileDigests;
use crate::evidence::container::{ContainerFormat, EntryInfo};
use crate::evidence::{FileMeta, ItemLocation, ItemPath, SkipReason};
use crate::failure::Failure;
use crate::list::ListRole;
use crate::matcher::Hit;
use crate::perceptual::PictureHashes;
use crate::video::VideoOutcome;

/// Everything learnt about one file that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashed {
    pub digests: FileDigests,
    pub bytes_read: u64,
    pub picture: Option<PictureHashes>,
    /// The file was opened as a container of this format and its entries scanned.
    pub container: Option<ContainerFormat>,
    pub hits: Vec<Hit>,
    /// Perceptual hits that do not alert alone (`alert_rule`): reported, counted, and
    /// never a match or a known-good mark.
    pub weak_hits: Vec<Hit>,
    /// Facts a reader should know (size changed while reading, picture not decoded, …).
    pub notes: Vec<String>,
    /// A file that sniffed as a video: its frames and video hits (`video`).
    pub video: Option<Box<VideoOutcome>>,
}

/// Whether two hits' categories, each `(code, label)`, disagree: by label where both
/// have one, else by code.
fn categories_differ(a: (&str, Option<&str>), b: (&str, Option<&str>)) -> bool {
    match (a.1, b.1) {
        (Some(label_a), Some(label_b)) => label_a != label_b,
        _ => a.0.trim() != b.0.trim(),
    }
}

impl Hashed {
    pub fn has_alert_hit(&self) -> bool {
        self.hits.iter().any(Hit::alerts)
            || self
                .video
                .as_ref()
                .is_some_and(|v| v.result.has_alert_hit())
    }

    /// A hit on an alert list in a non-pertinent category (VICS US 0), without any alert.
    pub fn is_non_pertinent_only(&self) -> bool {
        !self.has_alert_hit()
            && (self.hits.iter().any(Hit::is_non_pertinent)
                || self
                    .video
                    .as_ref()
                    .is_some_and(|v| v.result.frame_hits.iter().any(|h| h.hit.is_non_pertinent())))
    }

    /// Alert-list hits (pertinent or not) that name different categories: lists (or two
    /// entries of one list) disagree about this content. Two categories compare by their
    /// labels where both lists' schemes give one, else by code; uncategorised hits cannot
    /// disagree.
    pub fn category_conflict(&self) -> bool {
        let frames = self.video.iter().flat_map(|v| &v.result.frame_hits);
        let named: Vec<(&str, Option<&str>)> = self
            .hits
            .iter()
            .chain(frames.map(|f| &f.hit))
            .filter(|h| h.role == ListRole::Alert)
            .filter_map(|h| Some((h.category.as_deref()?, h.category_label.as_deref())))
            .collect();
        named
            .iter()
            .enumerate()
            .any(|(i, a)| named[i + 1..].iter().any(|b| categories_differ(*a, *b)))
    }

    pub fn is_known_good(&self) -> bool {
        self.hits.iter().any(|h| h.role == ListRole::KnownGood)
    }

    /// Every hit: the file's own, and a video's frame hits and vPDQ matches.
    pub fn hit_count(&self) -> usize {
        self.hits.len()
            + self.video.as_ref().map_or(0, |v| {
                v.result.frame_hits.len() + v.result.video_matches.len()
            })
    }

    /// A picture whose PDQ hash is under the quality cut-off, so it was never matched
    /// perceptually (its digests were): counted, and listed with `--list-low-quality`.
    pub fn is_pdq_gated(&self) -> bool {
        self.picture
            .as_ref()
            .and_then(|p| p.hashes.pdq.as_ref())
            .is_some_and(|pdq| crate::pdq::below_cutoff(pdq.quality))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Hashed(Box<Hashed>),
    /// Something went wrong; `partial` holds what was hashed before it did (e.g. the digests
    /// of a picture that then failed to decode).
    Failed {
        failure: Failure,
        partial: Option<Box<Hashed>>,
    },
    Skipped(SkipReason),
}

impl From<SkipReason> for Outcome {
    fn from(reason: SkipReason) -> Self {
        Outcome::Skipped(reason)
    }
}

/// What identifies an item across runs of the same scan, and orders the report: the
/// evidence source, the path, and (for the rare items inside a disk image that share a
/// path, such as two deleted files of one name) the item's place among those.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemKey {
    pub source: usize,
    pub path: ItemPath,
    pub ordinal: u64,
}

/// Receives each file's result as soon as it is finished, from any worker thread.
pub trait ResultSink: Sync {
    fn finished(&self, result: &FileResult);
}

/// One item of the evidence and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// Index of the evidence source, in command-line order.
    pub source: usize,
    pub path: ItemPath,
    /// Among items of this source with the same path, this one's place (almost always 0).
    pub ordinal: u64,
    /// Size as listed by the source, if it is a file.
    pub size: Option<u64>,
    /// Where inside a disk image the item lives; `None` for files of a directory.
    pub location: Option<ItemLocation>,
    /// For an item inside a container: which container, and what it says of the entry.
    pub entry: Option<Box<EntryLocation>>,
    /// Times, owner and attributes, as the evidence keeps them.
    pub meta: Option<FileMeta>,
    pub outcome: Outcome,
}

impl FileResult {
    pub fn key(&self) -> ItemKey {
        ItemKey {
            source: self.source,
            path: self.path.clone(),
            ordinal: self.ordinal,
        }
    }

    /// Whether the scan got to this file (false only for items skipped because the scan
    /// was interrupted first: a resumed scan must still do them).
    pub fn is_done(&self) -> bool {
        !matches!(self.outcome, Outcome::Skipped(SkipReason::Interrupted))
    }

    /// The hashed part of the result, complete or partial.
    pub fn hashed(&self) -> Option<&Hashed> {
        match &self.outcome {
            Outcome::Hashed(h) => Some(h),
            Outcome::Failed { partial, .. } => partial.as_deref(),
            Outcome::Skipped(_) => None,
        }
    }
}

/// Where an entry lives: its container and what the container stores about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryLocation {
    /// The container's item path (as the report prints paths).
    pub container: String,
    pub format: ContainerFormat,
    /// Containers around the entry (1 for an entry of an evidence file).
    pub depth: u32,
    #[serde(flatten)]
    pub stored: EntryInfo,
    /// Whether the CRC-32 of the bytes read equals the stored one; absent where the
    /// container stores none, or the entry was not read to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crc_ok: Option<bool>,
    /// This item stands for what the container could not yield, not for a stored entry.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unread: bool,
}

#[cfg(test)]
mod tests {
    use super::categories_differ;

    #[test]
    fn categories_compare_by_label_where_both_have_one_else_by_code() {
        let cam = ("1", Some("Child Abuse Material (CAM)"));
        assert!(!categories_differ(
            cam,
            ("1", Some("Child Abuse Material (CAM)"))
        ));
        assert!(categories_differ(
            cam,
            ("3", Some("CGI/Animation - Child Exploitive"))
        ));
        // A list without a scheme: its code "1" is the same code, not a conflict.
        assert!(!categories_differ(cam, (" 1", None)));
        assert!(categories_differ(cam, ("A", None)));
    }
}
