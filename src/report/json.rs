//! The `json` format: the whole report as one JSON document, for tools that want a single
//! parse instead of JSON Lines.
//!
//! Owns the document's shape, published as docs/report-schema.json (versioned by
//! `DOCUMENT_VERSION`; a test validates output against the schema). Records keep their JSON
//! Lines fields, including fields this build does not know.

use std::io::{self, Write};

use serde::Serialize;

use super::file_record::{FileKind, FileRecord};
use super::flood::{flooded_entries, FloodedEntry};
use super::header::Header;
use super::options::RenderOptions;
use super::read::ScanReport;
use super::records::SummaryRecord;

pub(crate) const DOCUMENT_FORMAT: &str = "hashsweep-report-document";
/// Bumped on any incompatible change to the document.
pub(crate) const DOCUMENT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    format_version: u32,
    header: &'a Header,
    matches: Vec<&'a FileRecord>,
    failures: Vec<&'a FileRecord>,
    skipped: Vec<&'a FileRecord>,
    /// Hashed files without an alert hit (present only in `--all-files` scans).
    files: Vec<&'a FileRecord>,
    /// `null` when the scan never wrote its summary (killed, disk full).
    summary: Option<&'a SummaryRecord>,
    /// `INCOMPLETE: why` when the report does not account for every file, else `null`.
    incomplete: Option<String>,
    flood: Flood,
}

#[derive(Serialize)]
struct Flood {
    threshold: usize,
    entries: Vec<FloodedEntry>,
}

pub(crate) fn render<W: Write>(
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    let of = |kind: FileKind| -> Vec<&FileRecord> {
        report.files.iter().filter(|f| f.record == kind).collect()
    };
    let doc = Document {
        format: DOCUMENT_FORMAT,
        format_version: DOCUMENT_VERSION,
        header: &report.header,
        matches: of(FileKind::Match),
        failures: of(FileKind::Failure),
        skipped: of(FileKind::Skipped),
        files: of(FileKind::File),
        summary: report.summary.as_ref(),
        incomplete: report.incomplete().map(|why| format!("INCOMPLETE: {why}")),
        flood: Flood {
            threshold: options.flood_threshold,
            entries: flooded_entries(report, options.flood_threshold),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}
