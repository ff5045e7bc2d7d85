//! Reports: the typed records of hashsweep's JSON Lines report and their writer.
//!
//! Owns the wire format (docs/report-format.md): a `header` record, one record per reported
//! file (`match`, `failure`, `skipped`, or `file` when every file is asked for), then a
//! `summary` record. Per-file records carry no timestamps, so the same inputs give the same
//! records. No record ever holds picture content: only paths, sizes, hashes, distances and
//! list metadata. Report files are written by the caller; printers take any `W: Write`.
//!
//! Reading a report back (`read`) and rendering it in the formats people use (`render`:
//! text, json, csv, case, vics) live in their own modules, one per format (docs/reports.md).

pub(crate) mod case;
pub mod csv;
pub(crate) mod file_record;
pub(crate) mod flood;
pub(crate) mod header;
pub(crate) mod hit;
pub(crate) mod json;
pub(crate) mod meta_cells;
mod open;
mod options;
pub(crate) mod read;
mod records;
pub(crate) mod render;
mod shown;
pub mod text;
pub mod timeline;
pub(crate) mod vics;
pub(crate) mod video;
pub mod why;

use std::io::{self, Write};

pub use records::{
    CaseIdentity, EvidenceVerification, ResumeInfo, SummaryRecord, ToolInfo, REPORT_FORMAT,
    REPORT_VERSION,
};

pub use header::{Header, ListRecord, SourceRecord};

pub use file_record::{ContainerRecord, FileKind, FileRecord};

pub use flood::{flooded_entries, FloodedEntry, DEFAULT_FLOOD_THRESHOLD};
pub use open::Open;
pub use options::RenderOptions;
pub use read::{ReadError, ScanReport};
pub use render::{render, Format};
pub use shown::Shown;
pub use video::VideoHeader;

use crate::result::FileResult;

/// A file's report record as one line of JSON text (no newline).
pub fn record_line(result: &FileResult) -> serde_json::Result<String> {
    serde_json::to_string(&FileRecord::from_result(result))
}

/// One record per line.
pub fn write_line<W: Write, T: serde::Serialize>(out: &mut W, record: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}

/// The hand-written sample report (fixtures/reports/sample-scan.jsonl), for renderer tests.
#[cfg(test)]
pub(crate) fn sample_report() -> ScanReport {
    let text = include_str!("../../fixtures/reports/sample-scan.jsonl");
    match ScanReport::read(text.as_bytes()) {
        Ok(r) => r,
        Err(e) => panic!("sample report: {e}"),
    }
}
