//! The `csv` format: one row per hit, for spreadsheets and review-tool imports.
//!
//! The first column, `record`, says what a row is: `match` (one hit of a matched file),
//! `non_pertinent` (one hit of a file whose alert-list hits are all in a non-pertinent
//! category, e.g. Project VIC 0: not an alert), `weak` (one weak hit: a lone or low-information 64-bit perceptual hit, never an alert
//! on its own), `incomplete` (first, only when the report does not account for every file: `why` says
//! INCOMPLETE and why), `note` (after it, when a perceptual hit is listed: `why` says that
//! perceptual matches must be confirmed visually), `failure` and `not_examined` (one file each, `why` saying why), `nothing_to_examine`
//! and `file` (when the scan listed them), and `count` (one summary counter per row,
//! in `count_name` and `count`, for the whole scan and then per evidence source). Filter
//! on `record` to import only the hits.
//!
//! Owns the column set (`COLUMNS`) and cell neutralisation: a cell an attacker controls (a
//! file name) that starts with `=`, `+`, `-`, `@`, tab or carriage return is what
//! spreadsheets execute as a formula (OWASP "CSV injection"), so such cells get a leading
//! apostrophe. Quoting is the `csv` crate's.

use std::io::{self, Write};

use crate::evidence::FileMeta;
use serde_json::Value;

use super::file_record::{FileKind, FileRecord};
use super::hit::HitRecord;
use super::meta_cells::{meta_cells, meta_columns};
use super::options::RenderOptions;
use super::read::ScanReport;
use super::why::{is_exact, Why, VISUAL_CONFIRMATION};

pub const COLUMNS: [&str; 37] = [
    "record",
    "evidence",
    "evidence_path",
    "path",
    "path_raw_hex",
    "size",
    "partition",
    "filesystem",
    "inode",
    "data_offset",
    "deleted",
    "md5",
    "sha1",
    "sha256",
    "list",
    "role",
    "entry_id",
    "category",
    "category_label",
    "algorithm",
    "distance",
    "threshold",
    "list_hash",
    "file_hash",
    "transform",
    "quality",
    "also_exact",
    "label",
    "series",
    "tags",
    "flags",
    "photodna",
    "conflict",
    "exhibit",
    "why",
    "count_name",
    "count",
];

/// Prefixes an apostrophe to a cell a spreadsheet would run as a formula.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

pub fn render<W: Write>(
    report: &ScanReport,
    _options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    // The file's times, owner and attributes follow the other columns (empty on rows that
    // are not about one file).
    writer.write_record(COLUMNS.iter().copied().chain(meta_columns()))?;
    let mut write = |row: Vec<String>, meta: Option<&FileMeta>| {
        let row: Vec<String> = row
            .into_iter()
            .chain(meta_cells(meta))
            .map(|c| neutralise(&c))
            .collect();
        writer.write_record(&row)
    };
    if let Some(why) = report.incomplete() {
        let mut row = vec![String::new(); COLUMNS.len()];
        row[0] = "incomplete".to_string();
        row[COLUMNS.len() - 3] = format!("INCOMPLETE: {why}");
        write(row, None)?;
    }
    let perceptual = |f: &FileRecord| {
        f.all_hits()
            .chain(&f.weak_hits)
            .any(|h| !is_exact(&h.algorithm))
    };
    if report.files.iter().any(perceptual) {
        let mut row = vec![String::new(); COLUMNS.len()];
        row[0] = "note".to_string();
        row[COLUMNS.len() - 3] = VISUAL_CONFIRMATION.to_string();
        write(row, None)?;
    }
    for file in report.matches() {
        for hit in file.all_hits() {
            let record = if hit.is_non_pertinent() {
                "non_pertinent"
            } else {
                "match"
            };
            write(hit_row(report, file, hit, record), file.meta.as_ref())?;
        }
    }
    for file in report.files.iter().filter(|f| f.is_non_pertinent_only()) {
        for hit in file.all_hits().filter(|h| h.is_non_pertinent()) {
            write(
                hit_row(report, file, hit, "non_pertinent"),
                file.meta.as_ref(),
            )?;
        }
    }
    for file in report.with_weak_hits() {
        for hit in &file.weak_hits {
            write(hit_row(report, file, hit, "weak"), file.meta.as_ref())?;
        }
    }
    for file in report
        .files
        .iter()
        .filter(|f| !f.is_match() && !f.has_weak_hits() && !f.is_non_pertinent_only())
    {
        write(file_row(report, file), file.meta.as_ref())?;
    }
    for (evidence, name, count) in counts(report) {
        let mut row = vec![String::new(); COLUMNS.len()];
        row[0] = "count".to_string();
        row[1] = evidence.map(|e| e.to_string()).unwrap_or_default();
        row[2] = evidence
            .map(|e| report.evidence_path(e).to_string())
            .unwrap_or_default();
        row[COLUMNS.len() - 4] = evidence
            .and_then(|e| report.exhibit(e))
            .unwrap_or_default()
            .to_string();
        row[COLUMNS.len() - 2] = name;
        row[COLUMNS.len() - 1] = count.to_string();
        write(row, None)?;
    }
    writer.flush()
}

/// Every summary counter as (evidence source or `None` for the whole scan, name, value):
/// scalar counters by name, matched files per list and category as
/// `matched_by_category:LIST:CATEGORY`, skipped ones as `skipped:REASON`, `not_examined:REASON`,
/// `nothing_to_examine:REASON`.
fn counts(report: &ScanReport) -> Vec<(Option<usize>, String, u64)> {
    let Some(summary) = &report.summary else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    let total = serde_json::to_value(summary).unwrap_or_default();
    push_counts(&mut rows, None, &total);
    for (i, counts) in summary.by_evidence.iter().enumerate() {
        let counts = serde_json::to_value(counts).unwrap_or_default();
        push_counts(&mut rows, Some(i), &counts);
    }
    rows
}

const SCALAR_COUNTS: [&str; 9] = [
    "files_seen",
    "hashed",
    "images",
    "matched",
    "matched_distinct",
    "known_good",
    "pdq_low_quality",
    "failed",
    "bytes",
];

const PER_REASON_COUNTS: [&str; 3] = ["skipped", "not_examined", "nothing_to_examine"];

fn push_counts(rows: &mut Vec<(Option<usize>, String, u64)>, at: Option<usize>, v: &Value) {
    for name in SCALAR_COUNTS {
        if let Some(n) = v[name].as_u64() {
            rows.push((at, name.to_string(), n));
        }
    }
    for (list, categories) in v["matched_by_category"].as_object().into_iter().flatten() {
        for (code, n) in categories.as_object().into_iter().flatten() {
            if let Some(n) = n.as_u64() {
                rows.push((at, format!("matched_by_category:{list}:{code}"), n));
            }
        }
    }
    for group in PER_REASON_COUNTS {
        for (reason, n) in v[group].as_object().into_iter().flatten() {
            if let Some(n) = n.as_u64() {
                rows.push((at, format!("{group}:{reason}"), n));
            }
        }
    }
}

/// A row for a file without hits to show: a failure, an item not examined (or, when the
/// scan listed them, one with nothing to examine), a hashed file.
fn file_row(report: &ScanReport, file: &FileRecord) -> Vec<String> {
    let (record, why) = match file.record {
        FileKind::Failure => ("failure", file.error.clone().unwrap_or_default()),
        FileKind::Skipped if file.is_not_examined() => ("not_examined", file.reason_text()),
        FileKind::Skipped => ("nothing_to_examine", file.reason_text()),
        other => (other.code(), String::new()),
    };
    let mut row = file_columns(report, file);
    row.insert(0, record.to_string());
    row.resize(COLUMNS.len() - 4, String::new());
    let exhibit = report.exhibit(file.evidence).unwrap_or_default();
    row.extend([exhibit.to_string(), why, String::new(), String::new()]);
    row
}

/// A row for one hit: `record` is `match` for the hits of a matched file, `weak` for a
/// weak hit (which never alerts on its own).
fn hit_row(report: &ScanReport, file: &FileRecord, hit: &HitRecord, record: &str) -> Vec<String> {
    let why = Why::of(report, file, hit);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut row = vec![record.to_string()];
    row.extend(file_columns(report, file));
    row.extend([
        hit.list.clone(),
        hit.role.to_string(),
        opt(hit.entry_id.clone()),
        opt(hit.category.clone()),
        opt(hit.category_label.clone()),
        hit.algorithm.to_string(),
        hit.distance.to_string(),
        opt(why.threshold.map(|t| t.to_string())),
        hit.list_hash.clone(),
        opt(why.file_hash.map(str::to_string)),
        opt(why.transform.map(str::to_string)),
        opt(why.quality.map(|q| q.to_string())),
        opt(why.also_exact.map(|a| a.to_string())),
        opt(hit.label.clone()),
        opt(hit.series.clone()),
        opt(hit.tags.clone()),
        flags_cell(hit),
        if hit.photodna { "true" } else { "" }.to_string(),
        file.conflict.to_string(),
        report
            .exhibit(file.evidence)
            .unwrap_or_default()
            .to_string(),
        why.summary(),
        String::new(),
        String::new(),
    ]);
    row
}

/// `victim_identified=true;is_distributed=false`: the entry's flags the list gave.
fn flags_cell(hit: &HitRecord) -> String {
    let flags: Vec<String> = hit
        .flags
        .by_name()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    flags.join(";")
}

/// The columns `evidence` to `sha256`: where the file is and what it hashes to.
fn file_columns(report: &ScanReport, file: &FileRecord) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let loc = file.location.as_ref();
    vec![
        file.evidence.to_string(),
        report.evidence_path(file.evidence).to_string(),
        file.path.clone(),
        opt(file.path_raw_hex.clone()),
        opt(file.size.map(|s| s.to_string())),
        opt(loc.and_then(|l| l.partition).map(|p| p.to_string())),
        opt(loc.map(|l| l.filesystem.to_string())),
        opt(loc.and_then(|l| l.inode).map(|i| i.to_string())),
        opt(loc.and_then(|l| l.data_offset).map(|o| o.to_string())),
        opt(loc.map(|l| l.deleted.to_string())),
        opt(file.hash("md5").map(str::to_string)),
        opt(file.hash("sha1").map(str::to_string)),
        opt(file.hash("sha256").map(str::to_string)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_report;

    #[test]
    fn one_row_per_hit_then_files_and_counts_with_formula_cells_neutralised() {
        let mut out = Vec::new();
        render(&sample_report(), &RenderOptions::default(), &mut out).unwrap();
        let mut reader = ::csv::Reader::from_reader(&out[..]);
        assert_eq!(
            reader.headers().unwrap().len(),
            COLUMNS.len() + meta_columns().len()
        );
        let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let hits = rows.iter().filter(|r| &r[0] == "match").count();
        assert_eq!(hits, 3);
        assert!(rows.iter().all(|r| !r[3].starts_with('=')));
        assert!(rows.iter().any(|r| r[3].starts_with("'=HYPERLINK")));
        assert!(rows
            .iter()
            .all(|r| r.len() == COLUMNS.len() + meta_columns().len()));
    }

    #[test]
    fn neutralises_every_formula_lead() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            assert!(neutralise(&format!("{lead}x")).starts_with('\''));
        }
        assert_eq!(neutralise("plain"), "plain");
    }
}
