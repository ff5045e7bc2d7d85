//! The scan's accounting: every file seen lands in exactly one of hashed, skipped (by
//! reason) or failed, so `files_seen == hashed + skipped + failed` always holds, for the
//! whole scan and for each evidence source. Skipped items are also counted by kind
//! (`not_examined`, `nothing_to_examine`: `SkipKind`), so a report that lists only the
//! not-examined ones still accounts for every link and device node.
//!
//! Owns `Counts` (one set of counters), `Summary` (the totals plus one `Counts` per
//! evidence source) and `FileTally`, what one file adds to them. A tally is small and
//! serialisable so a scan journal can carry it and a resumed scan adds up to the same
//! summary as an uninterrupted one. Timing lives with the caller.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::evidence::SkipKind;
use crate::result::{FileResult, Hashed, Outcome};

/// The counters of a scan or of one evidence source (a counter an older build did not
/// write reads as 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    pub files_seen: u64,
    /// Read to the end and hashed (including files that matched).
    pub hashed: u64,
    /// Pictures decoded and perceptually hashed.
    pub images: u64,
    /// Files with at least one hit on an alert list.
    pub matched: u64,
    /// Distinct contents (SHA-256) among the matched files: two copies of one picture are
    /// two matched files and one distinct content.
    #[serde(default)]
    pub matched_distinct: u64,
    /// Matched files per alert list and category code (`none` where the entry has none);
    /// a file hit in two categories counts in both.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub matched_by_category: BTreeMap<String, BTreeMap<String, u64>>,
    /// The contents behind `matched_distinct` (rebuilt from the tallies on resume).
    #[serde(skip)]
    matched_contents: BTreeSet<[u8; 32]>,
    /// Files with a hit on a known-good list.
    pub known_good: u64,
    /// Pictures whose PDQ quality is under the cut-off: hashed, never matched by PDQ.
    pub pdq_low_quality: u64,
    /// Files whose only alert-list hits are in a non-pertinent category (VICS US 0):
    /// reported as such, not matched.
    #[serde(default)]
    pub non_pertinent: u64,
    /// Files with at least one weak hit (a lone or low-information 64-bit perceptual hit,
    /// `alert_rule`), whether or not another hit made them a match.
    #[serde(default)]
    pub weak: u64,
    /// Every skipped item, per reason code.
    pub skipped: BTreeMap<String, u64>,
    /// The skipped items whose content was not examined, per reason: each has a record.
    pub not_examined: BTreeMap<String, u64>,
    /// The skipped items with nothing to examine, per reason: counted, not listed.
    pub nothing_to_examine: BTreeMap<String, u64>,
    pub failed: u64,
    /// Bytes read from evidence files.
    pub bytes: u64,
    /// Archives and compressed files opened and their entries scanned.
    #[serde(default)]
    pub containers_opened: u64,
    /// Items inside containers (each also counted in `files_seen`), including the
    /// `$Unread` items that stand for what a container could not yield.
    #[serde(default)]
    pub entries_seen: u64,
    /// Items of disk images found under `$OrphanFiles` (no directory names them).
    /// Written only when non-zero, like `carved`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub orphans: u64,
    /// Items carved from disk-image bytes no listed file owns.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub carved: u64,
    /// Thumbnails kept apart from their picture: EXIF thumbnails of JPEGs and the entries
    /// of Windows thumbnail caches (`Thumbs.db`, `thumbcache_*.db`). Each is also counted
    /// in `entries_seen`; written only when non-zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub thumbnails: u64,
    /// Files recognised as videos (hashed or failed; frames not decoded are a skipped
    /// `video!/$Unread` item).
    #[serde(default)]
    pub videos: u64,
    /// Video frames PDQ-hashed.
    #[serde(default)]
    pub video_frames_hashed: u64,
    /// Animated GIF, WebP and PNG pictures whose frames were sampled (also counted in
    /// `images`); written only when non-zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub animations: u64,
    /// Their frames PDQ-hashed; written only when non-zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub animation_frames_hashed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn parse_sha256(hex_digest: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut out).ok()?;
    Some(out)
}

/// The category code a count is kept under: the entry's, or `none`.
pub const NO_CATEGORY: &str = "none";

impl Counts {
    pub fn add(&mut self, tally: &FileTally) {
        self.files_seen += 1;
        match &tally.outcome {
            TallyOutcome::Hashed => self.hashed += 1,
            TallyOutcome::Failed => self.failed += 1,
            TallyOutcome::Skipped(code) => {
                *self.skipped.entry(code.clone()).or_insert(0) += 1;
                let by_kind = match tally.skip_kind {
                    Some(SkipKind::NothingToExamine) => &mut self.nothing_to_examine,
                    // A journal of an older build has no kind: count as not examined.
                    Some(SkipKind::NotExamined) | None => &mut self.not_examined,
                };
                *by_kind.entry(code.clone()).or_insert(0) += 1;
            }
        }
        self.bytes += tally.bytes;
        self.images += u64::from(tally.image);
        self.matched += u64::from(tally.matched);
        if let Some(sha256) = tally.matched_sha256.as_deref().and_then(parse_sha256) {
            if self.matched_contents.insert(sha256) {
                self.matched_distinct += 1;
            }
        }
        for (list, category) in &tally.categories {
            *self
                .matched_by_category
                .entry(list.clone())
                .or_default()
                .entry(category.clone())
                .or_insert(0) += 1;
        }
        self.known_good += u64::from(tally.known_good);
        self.pdq_low_quality += u64::from(tally.pdq_low_quality);
        self.weak += u64::from(tally.weak);
        self.non_pertinent += u64::from(tally.non_pertinent);
        self.containers_opened += u64::from(tally.container_opened);
        self.entries_seen += u64::from(tally.entry);
        self.orphans += u64::from(tally.orphan);
        self.carved += u64::from(tally.carved);
        self.thumbnails += u64::from(tally.thumbnail);
        self.videos += u64::from(tally.video);
        self.video_frames_hashed += tally.video_frames;
        self.animations += u64::from(tally.animation);
        self.animation_frames_hashed += tally.animation_frames;
    }

    /// Adds another set of counters, as if its files had been added here one by one.
    pub fn merge(&mut self, other: &Counts) {
        // Destructured without `..`: a new counter cannot be forgotten here.
        let Counts {
            files_seen,
            hashed,
            images,
            matched,
            matched_distinct: _,
            matched_by_category,
            matched_contents,
            known_good,
            pdq_low_quality,
            non_pertinent,
            weak,
            skipped,
            not_examined,
            nothing_to_examine,
            failed,
            bytes,
            containers_opened,
            entries_seen,
            orphans,
            carved,
            thumbnails,
            videos,
            video_frames_hashed,
            animations,
            animation_frames_hashed,
        } = other;
        let add_map = |into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>| {
            for (key, n) in from {
                *into.entry(key.clone()).or_insert(0) += n;
            }
        };
        self.files_seen += files_seen;
        self.hashed += hashed;
        self.images += images;
        self.matched += matched;
        for content in matched_contents {
            if self.matched_contents.insert(*content) {
                self.matched_distinct += 1;
            }
        }
        for (list, categories) in matched_by_category {
            add_map(
                self.matched_by_category.entry(list.clone()).or_default(),
                categories,
            );
        }
        self.known_good += known_good;
        self.pdq_low_quality += pdq_low_quality;
        self.non_pertinent += non_pertinent;
        self.weak += weak;
        add_map(&mut self.skipped, skipped);
        add_map(&mut self.not_examined, not_examined);
        add_map(&mut self.nothing_to_examine, nothing_to_examine);
        self.failed += failed;
        self.bytes += bytes;
        self.containers_opened += containers_opened;
        self.entries_seen += entries_seen;
        self.orphans += orphans;
        self.carved += carved;
        self.thumbnails += thumbnails;
        self.videos += videos;
        self.video_frames_hashed += video_frames_hashed;
        self.animations += animations;
        self.animation_frames_hashed += animation_frames_hashed;
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub fn not_examined_total(&self) -> u64 {
        self.not_examined.values().sum()
    }

    pub fn nothing_to_examine_total(&self) -> u64 {
        self.nothing_to_examine.values().sum()
    }

    /// Skipped items not examined and with nothing to examine, per reason. A summary of an
    /// older build has only `skipped`: all of it counts as not examined.
    pub fn skip_split(&self) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
        if self.not_examined_total() + self.nothing_to_examine_total() == 0
            && !self.skipped.is_empty()
        {
            return (self.skipped.clone(), BTreeMap::new());
        }
        (self.not_examined.clone(), self.nothing_to_examine.clone())
    }

    /// The accounting identity every scan must satisfy.
    pub fn is_balanced(&self) -> bool {
        self.files_seen == self.hashed + self.skipped_total() + self.failed
            && self.skipped_total() == self.not_examined_total() + self.nothing_to_examine_total()
    }
}

/// The totals of a scan (flattened into the summary record) and the same counters per
/// evidence source, in command-line order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(flatten)]
    pub total: Counts,
    #[serde(default)]
    pub by_evidence: Vec<Counts>,
}

impl Summary {
    /// A summary with a zeroed `Counts` for each of `sources` evidence sources, so a source
    /// that held nothing still shows up.
    pub fn for_sources(sources: usize) -> Self {
        Summary {
            total: Counts::default(),
            by_evidence: vec![Counts::default(); sources],
        }
    }

    pub fn count(&mut self, result: &FileResult) {
        self.add(result.source, &FileTally::of(result));
    }

    pub fn add(&mut self, source: usize, tally: &FileTally) {
        self.total.add(tally);
        if self.by_evidence.len() <= source {
            self.by_evidence.resize(source + 1, Counts::default());
        }
        self.by_evidence[source].add(tally);
    }

    /// Adds another summary, source by source, as if its files had been added here.
    pub fn merge(&mut self, other: &Summary) {
        self.total.merge(&other.total);
        if self.by_evidence.len() < other.by_evidence.len() {
            self.by_evidence
                .resize(other.by_evidence.len(), Counts::default());
        }
        for (into, from) in self.by_evidence.iter_mut().zip(&other.by_evidence) {
            into.merge(from);
        }
    }

    /// Balanced in total and for every evidence source, and the sources add up.
    pub fn is_balanced(&self) -> bool {
        let seen: u64 = self.by_evidence.iter().map(|c| c.files_seen).sum();
        self.total.is_balanced()
            && self.by_evidence.iter().all(Counts::is_balanced)
            && seen == self.total.files_seen
    }
}

/// Which bucket one file fell in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TallyOutcome {
    Hashed,
    Failed,
    /// The skip reason's code.
    Skipped(String),
}

/// What one file adds to the counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTally {
    pub outcome: TallyOutcome,
    pub bytes: u64,
    pub image: bool,
    pub matched: bool,
    /// A matched file's SHA-256 (hex), for the distinct-content count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_sha256: Option<String>,
    /// Each (alert list, category code) the file's alerting hits name, once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<(String, String)>,
    pub known_good: bool,
    #[serde(default)]
    pub pdq_low_quality: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weak: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_pertinent: bool,
    #[serde(default)]
    pub container_opened: bool,
    /// The item lives inside a container.
    #[serde(default)]
    pub entry: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub orphan: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carved: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thumbnail: bool,
    /// For a skipped item: whether its content went unexamined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_kind: Option<SkipKind>,
    pub video: bool,
    #[serde(default)]
    pub video_frames: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub animation: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub animation_frames: u64,
}

/// Each (list, category code) of a file's alerting hits (its own, its video's frame hits
/// and vPDQ matches, which have no category), sorted, once each.
fn alert_categories(hashed: &Hashed) -> Vec<(String, String)> {
    let category = |c: &Option<String>| c.clone().unwrap_or_else(|| NO_CATEGORY.to_string());
    let mut found: BTreeSet<(String, String)> = hashed
        .hits
        .iter()
        .filter(|h| h.alerts())
        .map(|h| (h.list.clone(), category(&h.category)))
        .collect();
    if let Some(video) = &hashed.video {
        let frames = video.result.frame_hits.iter().map(|h| &h.hit);
        found.extend(
            frames
                .filter(|h| h.alerts())
                .map(|h| (h.list.clone(), category(&h.category))),
        );
        found.extend(
            video
                .result
                .video_matches
                .iter()
                .filter(|m| m.role == crate::list::ListRole::Alert)
                .map(|m| (m.list.clone(), NO_CATEGORY.to_string())),
        );
    }
    found.into_iter().collect()
}

impl FileTally {
    pub fn of(result: &FileResult) -> Self {
        let outcome = match &result.outcome {
            Outcome::Hashed(_) => TallyOutcome::Hashed,
            Outcome::Failed { .. } => TallyOutcome::Failed,
            Outcome::Skipped(reason) => TallyOutcome::Skipped(reason.code().to_string()),
        };
        // A failure may still carry what was hashed before it (e.g. a corrupt picture's
        // digests and exact hits): that counts too.
        let hashed: Option<&Hashed> = result.hashed();
        let video = hashed.and_then(|h| h.video.as_deref());
        FileTally {
            outcome,
            bytes: hashed.map_or(0, |h| h.bytes_read),
            image: hashed.is_some_and(|h| h.picture.is_some()),
            matched: hashed.is_some_and(Hashed::has_alert_hit),
            matched_sha256: hashed
                .filter(|h| h.has_alert_hit())
                .map(|h| hex::encode(h.digests.sha256)),
            categories: hashed.map(alert_categories).unwrap_or_default(),
            known_good: hashed.is_some_and(Hashed::is_known_good),
            pdq_low_quality: hashed.is_some_and(Hashed::is_pdq_gated),
            weak: hashed.is_some_and(|h| !h.weak_hits.is_empty()),
            non_pertinent: hashed.is_some_and(Hashed::is_non_pertinent_only),
            container_opened: hashed.is_some_and(|h| h.container.is_some()),
            entry: result.entry.is_some(),
            orphan: result.location.as_ref().is_some_and(|l| l.orphan),
            carved: result.location.as_ref().is_some_and(|l| l.carved.is_some()),
            thumbnail: result
                .entry
                .as_ref()
                .is_some_and(|e| !e.unread && e.format.holds_thumbnails()),
            skip_kind: match &result.outcome {
                Outcome::Skipped(reason) => Some(reason.kind()),
                _ => None,
            },
            video: video.is_some_and(|v| !v.is_animation()),
            video_frames: video
                .filter(|v| !v.is_animation())
                .map_or(0, |v| v.result.frames_hashed()),
            animation: video.is_some_and(|v| v.is_animation()),
            animation_frames: video
                .filter(|v| v.is_animation())
                .map_or(0, |v| v.result.frames_hashed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tally() -> impl Strategy<Value = (usize, FileTally)> {
        let outcome = prop_oneof![
            Just(TallyOutcome::Hashed),
            Just(TallyOutcome::Failed),
            prop_oneof![Just("symlink"), Just("encrypted")]
                .prop_map(|code| TallyOutcome::Skipped(code.to_string())),
        ];
        let flags = proptest::collection::vec(any::<bool>(), 14);
        let skip_kind = prop_oneof![
            Just(None),
            Just(Some(SkipKind::NotExamined)),
            Just(Some(SkipKind::NothingToExamine)),
        ];
        (
            0..3usize,
            outcome,
            flags,
            0..4u8,
            0..5u64,
            skip_kind,
            0..3usize,
        )
            .prop_map(
                |(source, outcome, f, content, frames, skip_kind, category)| {
                    let categories = ["1", "2", "none"][..category]
                        .iter()
                        .map(|c| ("list".to_string(), c.to_string()))
                        .collect();
                    let tally = FileTally {
                        outcome,
                        bytes: frames * 1000,
                        image: f[0],
                        matched: f[1],
                        matched_sha256: f[1].then(|| hex::encode([content; 32])),
                        categories,
                        known_good: f[2],
                        pdq_low_quality: f[3],
                        weak: f[4],
                        non_pertinent: f[5],
                        container_opened: f[6],
                        entry: f[7],
                        orphan: f[8],
                        carved: f[9],
                        thumbnail: f[10],
                        skip_kind,
                        video: f[11],
                        video_frames: frames,
                        animation: f[12],
                        animation_frames: u64::from(f[13]) * frames,
                    };
                    (source, tally)
                },
            )
    }

    proptest! {
        /// A resumed scan's summary is the interrupted run's merged with its own: it must
        /// equal adding every file to one summary, distinct matched contents included.
        #[test]
        fn merging_two_summaries_equals_adding_every_file_to_one(
            tallies in proptest::collection::vec(tally(), 0..40),
            cut in 0..40usize,
        ) {
            let cut = cut.min(tallies.len());
            let summary_of = |part: &[(usize, FileTally)]| {
                let mut summary = Summary::for_sources(3);
                for (source, tally) in part {
                    summary.add(*source, tally);
                }
                summary
            };
            let mut merged = summary_of(&tallies[..cut]);
            merged.merge(&summary_of(&tallies[cut..]));
            prop_assert_eq!(merged, summary_of(&tallies));
        }
    }
}
