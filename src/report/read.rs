//! Reading a finished JSON Lines report back into owned, typed records, so any format can be
//! rendered again without rescanning.
//!
//! Owns `ScanReport` and the parts of a record the writer does not share yet: the header's
//! `HeaderIn`, `SourceIn`, `ListIn`, the file's `FileIn` and the `SummaryIn` (issue 16), with
//! the rules renderers ask of a record (`FileIn::is_listed`, …) stated on them once. The
//! parts below them are the writer's own types, read back: the tool (`ToolInfo`), a disk
//! item's `ItemLocation`, a file's hashes (`records::HashesRecord`) and `ImageInfo`, hits
//! (`hit::HitRecord`) and vPDQ matches (`video::VideoMatchRecord`). The mirrors keep the
//! writer's field order, so `report --format jsonl` writes the scan's own lines, but for
//! the objects kept as JSON values (a file's `container` and `video`, the header's `video`,
//! the summary's `by_evidence`), whose keys then sort.
//!
//! All of them are deliberately tolerant: every field a newer scan may add is optional, a
//! role or kind this build does not know is kept as written (`Open`), and fields this build
//! does not know are kept in `extra` and written back out by the `json` format, so a report
//! from a newer build still renders. Writing lives in `records`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::hit::HitRecord;
use super::open::Open;
use super::records::HashesRecord;
use super::video::VideoMatchRecord;
use super::{ResumeInfo, ToolInfo, REPORT_FORMAT, REPORT_VERSION};
use crate::evidence::{FileMeta, ItemLocation, SkipKind};
use crate::extra::Extra;
use crate::list::ListRole;
use crate::perceptual::ImageInfo;

/// A whole report: header, per-file records sorted by evidence then path, summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub header: HeaderIn,
    pub files: Vec<FileIn>,
    /// `None` when the scan died before writing it (the report is then incomplete).
    pub summary: Option<SummaryIn>,
}

/// An evidence source as the header names it (`evidence::SourceInfo`), its fields in the
/// writer's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceIn {
    /// The exhibit ID given with `--exhibit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhibit: Option<String>,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_raw_hex: Option<String>,
    pub kind: String,
    /// A disk image's files (segments) with their sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_size: Option<u64>,
    /// The media hashes an E01 image stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_hashes: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A list as the header names it (`list::ListProvenance`), its fields in the writer's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListIn {
    pub name: String,
    pub path: String,
    pub role: Open<ListRole>,
    pub format: String,
    pub format_version: Option<String>,
    pub format_variant: Option<String>,
    pub category_scheme: Option<String>,
    pub sha256: String,
    pub bytes: u64,
    pub records: u64,
    pub entries: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates_merged: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_without_hash: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_file_hashes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeaderIn {
    pub record: String,
    pub format: String,
    pub format_version: u32,
    pub tool: ToolInfo,
    pub command_line: Vec<String>,
    pub started_at: String,
    pub evidence: Vec<SourceIn>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence_verification: Vec<Value>,
    pub lists: Vec<ListIn>,
    /// The lab's category map: its path, SHA-256 and rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_map: Option<Value>,
    pub thresholds: BTreeMap<String, u32>,
    /// `--fast`: perceptual hashes of JPEGs are approximate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fast: bool,
    pub perceptual_algorithms: Vec<String>,
    pub decoders: BTreeMap<String, String>,
    /// How videos were handled (`video::VideoHeader`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resumed: Vec<ResumeInfo>,
    /// Case number, examiner and agency as the scan recorded them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<super::CaseIdentity>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ListIn {
    /// An alert list (hits on it are reported), as opposed to a known-good one.
    pub fn is_alert(&self) -> bool {
        self.role.is(ListRole::Alert)
    }
}

/// The hits inside a video record's `video` object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct VideoHitsIn {
    frame_hits: Vec<HitRecord>,
    video_matches: Vec<VideoMatchRecord>,
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

/// The kinds of line a report holds (`record`), in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LineKind {
    Header,
    Match,
    Failure,
    Skipped,
    File,
    Summary,
}

/// The kind of a per-file record.
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

/// One `match`, `failure`, `skipped` or `file` record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileIn {
    pub record: FileKind,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_raw_hex: Option<String>,
    pub evidence: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<ItemLocation>,
    /// An archive entry's container and what it stores about the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Value>,
    /// Times, owner and attributes (report format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<FileMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_read: Option<u64>,
    /// Lowercase hex per algorithm (`md5`, `sha1`, `sha256`, `blake3`, perceptual ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<HashesRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    /// The PDQ quality (0–100) of the picture's hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdq_quality: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<HitRecord>,
    /// The alert-list hits name different categories.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub conflict: bool,
    /// Hits that do not alert alone (a lone or low-information 64-bit perceptual hit).
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
    /// A failure's kind (`read`, `decode`, `panic`, …), where the scan gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_kind: Option<String>,
    /// The byte offset a failure happened at, where the scan gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// A video's frames and hits, as written (`video::VideoRecord`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<Value>,
    /// A video's frame hits and vPDQ matches, read from its `video` object.
    #[serde(skip)]
    pub video_hits: Vec<HitRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl FileIn {
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

    /// Reads the hits of the record's `video` object into `video_hits`.
    fn lift_video_hits(&mut self) -> Result<(), serde_json::Error> {
        let Some(video) = &self.video else {
            return Ok(());
        };
        let hits = VideoHitsIn::deserialize(video)?;
        self.video_hits = hits.frame_hits;
        self.video_hits
            .extend(hits.video_matches.into_iter().map(vpdq_hit));
        Ok(())
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

/// The `summary` record (`records::SummaryRecord`: `summary::Counts` flattened, then
/// `by_evidence` and the times), its fields in the writer's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryIn {
    pub record: String,
    pub files_seen: u64,
    pub hashed: u64,
    pub images: u64,
    pub matched: u64,
    /// Distinct contents (SHA-256) among matched files (absent from older reports).
    pub matched_distinct: u64,
    /// Matched files per alert list and category code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub matched_by_category: BTreeMap<String, BTreeMap<String, u64>>,
    pub known_good: u64,
    pub pdq_low_quality: u64,
    /// Files whose only alert-list hits are non-pertinent.
    pub non_pertinent: u64,
    /// Files with weak hits (absent from older reports).
    pub weak: u64,
    pub skipped: BTreeMap<String, u64>,
    pub not_examined: BTreeMap<String, u64>,
    pub nothing_to_examine: BTreeMap<String, u64>,
    pub failed: u64,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containers_opened: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries_seen: Option<u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub orphans: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub carved: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub thumbnails: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videos: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_frames_hashed: Option<u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub animations: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub animation_frames_hashed: u64,
    /// The same counters per evidence source, in header order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_evidence: Option<Vec<Value>>,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl SummaryIn {
    /// Skipped items not examined and with nothing to examine, per reason. A summary of an
    /// older build has only `skipped`: all of it counts as not examined.
    pub fn skip_split(&self) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
        let split_total: u64 = self
            .not_examined
            .values()
            .chain(self.nothing_to_examine.values())
            .sum();
        if split_total == 0 && !self.skipped.is_empty() {
            return (self.skipped.clone(), BTreeMap::new());
        }
        (self.not_examined.clone(), self.nothing_to_examine.clone())
    }
}

/// Why a report could not be read. Line numbers are 1-based.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the report: {0}")]
    Io(#[from] std::io::Error),
    // The cause is in the message, not chained as a source: `{:#}` would print it twice.
    #[error("line {line}: not a JSON object: {error}")]
    Json {
        line: usize,
        error: serde_json::Error,
    },
    #[error("line {line}: unexpected {found:?} record: {why}")]
    Unexpected {
        line: usize,
        found: String,
        why: &'static str,
    },
    #[error("not a hashsweep scan report (format {found:?}; `hash` output has no header)")]
    NotAReport { found: String },
    #[error("report format version {found} is newer than this build reads ({REPORT_VERSION})")]
    TooNew { found: u32 },
    #[error("the report is empty")]
    Empty,
}

impl ScanReport {
    /// Parses a report. Blank lines are ignored; an unknown record kind is an error, since
    /// silently dropping records would hide files from the examiner.
    pub fn read<R: BufRead>(input: R) -> Result<ScanReport, ReadError> {
        ScanReport::read_with(input, true)
    }

    /// As `read`, but `keep_clean: false` drops `file` records (hashed, no alert hit) as
    /// they are read: an `--all-files` scan of millions of files then still fits in memory
    /// for the formats that show only matches, failures and counts.
    pub fn read_with<R: BufRead>(input: R, keep_clean: bool) -> Result<ScanReport, ReadError> {
        let mut header: Option<HeaderIn> = None;
        let mut files = Vec::new();
        let mut summary = None;
        for (index, line) in input.lines().enumerate() {
            let line_no = index + 1;
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(&line).map_err(|source| ReadError::Json {
                line: line_no,
                error: source,
            })?;
            let found = value["record"].as_str().unwrap_or("").to_string();
            let kind = Open::<LineKind>::deserialize(&value["record"]).unwrap_or_default();
            let unexpected = |why| ReadError::Unexpected {
                line: line_no,
                found: found.clone(),
                why,
            };
            match (kind, &header, &summary) {
                (Open::Known(LineKind::Header), None, _) => {
                    header = Some(check_header(parse(value, line_no)?)?)
                }
                (Open::Known(LineKind::Header), Some(_), _) => {
                    return Err(unexpected("a second header"))
                }
                (_, None, _) => return Err(ReadError::NotAReport { found }),
                (_, _, Some(_)) => return Err(unexpected("records after the summary")),
                (Open::Known(LineKind::Summary), _, None) => summary = Some(parse(value, line_no)?),
                (Open::Known(_), _, None) => {
                    let mut file: FileIn = parse(value, line_no)?;
                    file.lift_video_hits().map_err(|source| ReadError::Json {
                        line: line_no,
                        error: source,
                    })?;
                    if keep_clean || file.record != FileKind::File || file.is_listed() {
                        files.push(file)
                    }
                }
                (Open::Unknown(_), _, None) => return Err(unexpected("unknown record kind")),
            }
        }
        let header = header.ok_or(ReadError::Empty)?;
        sort_files(&mut files);
        Ok(ScanReport {
            header,
            files,
            summary,
        })
    }

    pub fn matches(&self) -> impl Iterator<Item = &FileIn> {
        self.files.iter().filter(|f| f.is_match())
    }

    /// Files with weak hits, matched or not.
    pub fn with_weak_hits(&self) -> impl Iterator<Item = &FileIn> {
        self.files.iter().filter(|f| f.has_weak_hits())
    }

    pub fn failures(&self) -> impl Iterator<Item = &FileIn> {
        self.files.iter().filter(|f| f.is_failure())
    }

    /// Why the report does not account for every file of the evidence, if it does not: the
    /// scan was killed before its summary (a truncated report) or interrupted by Ctrl-C.
    /// Every renderer says INCOMPLETE and `hashsweep report` exits 3.
    pub fn incomplete(&self) -> Option<&'static str> {
        match &self.summary {
            None => Some("the report has no summary record: the scan did not finish"),
            Some(s) if s.interrupted => Some("the scan was interrupted: not every file was seen"),
            Some(_) => None,
        }
    }

    /// Skipped items whose content was not examined (encrypted, unsupported, …).
    pub fn not_examined(&self) -> impl Iterator<Item = &FileIn> {
        self.files.iter().filter(|f| f.is_not_examined())
    }

    /// The evidence source's path as the examiner named it.
    pub fn evidence_path(&self, index: usize) -> &str {
        self.header
            .evidence
            .get(index)
            .map_or("", |e| e.path.as_str())
    }

    /// The exhibit ID of an evidence source, where the scan was given one.
    pub fn exhibit(&self, index: usize) -> Option<&str> {
        self.header.evidence.get(index)?.exhibit.as_deref()
    }

    /// How reports name an evidence source for people: `exhibit HD-01`, or `evidence 0`
    /// (its index in the header).
    pub fn evidence_name(&self, index: usize) -> String {
        match self.exhibit(index) {
            Some(id) => format!("exhibit {id}"),
            None => format!("evidence {index}"),
        }
    }

    /// A file's path inside its evidence source (`DCIM/a.jpg`, `vol.img/p1/DCIM/a.jpg` →
    /// `p1/DCIM/a.jpg`): the path without the evidence path and the separator after it;
    /// the path itself when it does not start with the evidence path, and the evidence's
    /// file name when the evidence is that one file.
    pub fn path_in_evidence<'a>(&self, file: &'a FileIn) -> &'a str {
        let root = self.evidence_path(file.evidence);
        match file.path.strip_prefix(root) {
            Some("") => file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path),
            Some(rest) if root.ends_with(['/', '\\']) => rest,
            Some(rest) if rest.starts_with(['/', '\\']) => &rest[1..],
            _ => &file.path,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: Value, line: usize) -> Result<T, ReadError> {
    serde_json::from_value(value).map_err(|source| ReadError::Json {
        line,
        error: source,
    })
}

fn check_header(header: HeaderIn) -> Result<HeaderIn, ReadError> {
    if header.format != REPORT_FORMAT {
        return Err(ReadError::NotAReport {
            found: header.format,
        });
    }
    if header.format_version > REPORT_VERSION {
        return Err(ReadError::TooNew {
            found: header.format_version,
        });
    }
    Ok(header)
}

/// Evidence order, then path bytes: the scan's own order, restored for hand-edited input.
fn sort_files(files: &mut [FileIn]) {
    files.sort_by_cached_key(|f| (f.evidence, f.raw_path()));
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"record":"header","format":"hashsweep-report","format_version":1,"tool":{"name":"hashsweep","version":"0.1.0"},"command_line":["hashsweep"],"started_at":"2024-01-02T03:04:05.000Z","evidence":[{"path":"ev","kind":"directory"}],"lists":[],"thresholds":{"pdq":31},"perceptual_algorithms":[],"decoders":{},"future":1}"#;

    #[test]
    fn reads_records_in_path_order_and_keeps_unknown_fields() {
        let text = format!(
            "{HEADER}\n{}\n{}\n{}\n",
            r#"{"record":"match","path":"b","evidence":0,"hits":[{"list":"l","role":"alert","entry_id":"1","category":"1","label":null,"algorithm":"md5","distance":0,"list_hash":"00","new_field":true}]}"#,
            r#"{"record":"failure","path":"a","evidence":0,"error":"boom"}"#,
            r#"{"record":"summary","files_seen":2,"matched":1,"failed":1,"started_at":"x","finished_at":"y","elapsed_ms":1,"interrupted":false,"skipped":{}}"#
        );
        let report = ScanReport::read(text.as_bytes()).unwrap();
        assert_eq!(report.files[0].path, "a");
        assert_eq!(report.header.extra["future"], 1);
        assert_eq!(report.files[1].hits[0].extra["new_field"], true);
        assert_eq!(report.summary.unwrap().matched, 1);
    }

    #[test]
    fn rejects_hash_output_and_unknown_records() {
        let hash_line = r#"{"record":"file","path":"a","evidence":0}"#;
        let clean = format!("{HEADER}\n{hash_line}\n");
        assert_eq!(ScanReport::read(clean.as_bytes()).unwrap().files.len(), 1);
        let dropped = ScanReport::read_with(clean.as_bytes(), false).unwrap();
        assert!(dropped.files.is_empty());
        assert!(matches!(
            ScanReport::read(hash_line.as_bytes()),
            Err(ReadError::NotAReport { .. })
        ));
        let odd = format!("{HEADER}\n{{\"record\":\"odd\"}}\n");
        assert!(matches!(
            ScanReport::read(odd.as_bytes()),
            Err(ReadError::Unexpected { line: 2, .. })
        ));
    }

    #[test]
    fn a_location_reads_back_as_the_scan_wrote_it() {
        let location = r#"{"partition":1,"partition_offset":1048576,"filesystem":"ntfs","inode":65,"data_offset":null,"deleted":true,"recovered":false,"carved":{"offset":9,"length":3,"partial":true},"stream":"s","compressed":true,"future":1}"#;
        let line = format!(r#"{{"record":"file","path":"a","evidence":0,"location":{location}}}"#);
        let report = ScanReport::read(format!("{HEADER}\n{line}\n").as_bytes()).unwrap();
        let read = report.files[0].location.as_ref().unwrap();
        assert_eq!(serde_json::to_string(read).unwrap(), location);
    }
}
