//! Reading a finished JSON Lines report back into owned, typed records, so any format can be
//! rendered again without rescanning.
//!
//! Owns `ScanReport` and the reading of lines: which record comes where (`LineKind`), what
//! breaks a report (`ReadError`). The records themselves are the writer's own types, read
//! back: `header::Header`, `file_record::FileRecord`, `records::SummaryRecord`. They keep
//! the writer's field order, so `report --format jsonl` writes the scan's own lines (but
//! for the keys inside the header's display-only objects, `shown::Shown`, which sort).
//!
//! All of it is deliberately tolerant: every field a newer scan may add is optional, a
//! role or kind this build does not know is kept as written (`Open`), and fields this build
//! does not know are kept in `extra` and written back out by the `json` format, so a report
//! from a newer build still renders.

use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::file_record::{FileKind, FileRecord};
use super::header::Header;
use super::open::Open;
use super::records::SummaryRecord;
use super::{REPORT_FORMAT, REPORT_VERSION};

/// A whole report: header, per-file records sorted by evidence then path, summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub header: Header,
    pub files: Vec<FileRecord>,
    /// `None` when the scan died before writing it (the report is then incomplete).
    pub summary: Option<SummaryRecord>,
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
        let mut header: Option<Header> = None;
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
                    let mut file: FileRecord = parse(value, line_no)?;
                    file.lift_video_hits();
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

    pub fn matches(&self) -> impl Iterator<Item = &FileRecord> {
        self.files.iter().filter(|f| f.is_match())
    }

    /// Files with weak hits, matched or not.
    pub fn with_weak_hits(&self) -> impl Iterator<Item = &FileRecord> {
        self.files.iter().filter(|f| f.has_weak_hits())
    }

    pub fn failures(&self) -> impl Iterator<Item = &FileRecord> {
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
    pub fn not_examined(&self) -> impl Iterator<Item = &FileRecord> {
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
    pub fn path_in_evidence<'a>(&self, file: &'a FileRecord) -> &'a str {
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

fn check_header(header: Header) -> Result<Header, ReadError> {
    if header.format != REPORT_FORMAT {
        return Err(ReadError::NotAReport {
            found: header.format.into_owned(),
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
fn sort_files(files: &mut [FileRecord]) {
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
        assert_eq!(report.summary.unwrap().total.matched, 1);
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

    /// The summary reads back as the writer's own type: counters, per-source counters and
    /// an unknown field each once, in the writer's order.
    #[test]
    fn a_summary_reads_back_as_the_scan_wrote_it() {
        let counts = crate::summary::Summary::for_sources(2);
        let mut written = SummaryRecord::new(counts, "x".into(), "y".into(), 5);
        written.total.files_seen = 3;
        written.by_evidence[1].files_seen = 3;
        written.extra.insert("future".into(), Value::from(1));
        let text = serde_json::to_string(&written).unwrap();
        let line = format!("{HEADER}\n{text}\n");
        let read = ScanReport::read(line.as_bytes()).unwrap().summary.unwrap();
        assert_eq!(read, written);
        assert_eq!(serde_json::to_string(&read).unwrap(), text);
        assert!(
            text.ends_with(r#""interrupted":false,"future":1}"#),
            "{text}"
        );
    }
}
