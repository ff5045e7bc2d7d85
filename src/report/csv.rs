//! The `csv` format: one row per hit, for spreadsheets and review-tool imports.
//!
//! Owns the column set (`COLUMNS`) and cell neutralisation: a cell an attacker controls (a
//! file name) that starts with `=`, `+`, `-`, `@`, tab or carriage return is what
//! spreadsheets execute as a formula (OWASP "CSV injection"), so such cells get a leading
//! apostrophe. Quoting is the `csv` crate's.

use std::io::{self, Write};

use super::meta_cells::{meta_cells, meta_columns};
use super::read::{FileIn, HitIn, ScanReport};
use super::render::RenderOptions;
use super::why::Why;

pub const COLUMNS: [&str; 27] = [
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
    "why",
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
    // The file's times, owner and attributes follow the hit columns.
    writer.write_record(COLUMNS.iter().copied().chain(meta_columns()))?;
    for file in report.matches() {
        for hit in &file.hits {
            let mut cells = row(report, file, hit);
            cells.extend(meta_cells(file.meta.as_ref()));
            let row: Vec<String> = cells.iter().map(|c| neutralise(c)).collect();
            writer.write_record(&row)?;
        }
    }
    writer.flush()
}

fn row(report: &ScanReport, file: &FileIn, hit: &HitIn) -> Vec<String> {
    let why = Why::of(report, file, hit);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let loc = file.location.as_ref();
    vec![
        file.evidence.to_string(),
        report.evidence_path(file.evidence).to_string(),
        file.path.clone(),
        opt(file.path_raw_hex.clone()),
        opt(file.size.map(|s| s.to_string())),
        opt(loc.and_then(|l| l.partition).map(|p| p.to_string())),
        opt(loc.map(|l| l.filesystem.clone())),
        opt(loc.and_then(|l| l.inode).map(|i| i.to_string())),
        opt(loc.and_then(|l| l.data_offset).map(|o| o.to_string())),
        opt(loc.map(|l| l.deleted.to_string())),
        opt(file.hash("md5").map(str::to_string)),
        opt(file.hash("sha1").map(str::to_string)),
        opt(file.hash("sha256").map(str::to_string)),
        hit.list.clone(),
        hit.role.clone(),
        opt(hit.entry_id.clone()),
        opt(hit.category.clone()),
        opt(hit.category_label.clone()),
        hit.algorithm.clone(),
        hit.distance.to_string(),
        opt(why.threshold.map(|t| t.to_string())),
        hit.list_hash.clone(),
        opt(why.file_hash.map(str::to_string)),
        opt(why.transform.map(str::to_string)),
        opt(why.quality.map(|q| q.to_string())),
        opt(why.also_exact.map(|a| a.to_string())),
        why.summary(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_report;

    #[test]
    fn one_row_per_hit_with_formula_cells_neutralised() {
        let mut out = Vec::new();
        render(&sample_report(), &RenderOptions::default(), &mut out).unwrap();
        let mut reader = ::csv::Reader::from_reader(&out[..]);
        assert_eq!(
            reader.headers().unwrap().len(),
            COLUMNS.len() + meta_columns().len()
        );
        let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| !r[2].starts_with('=')));
        assert!(rows.iter().any(|r| r[2].starts_with("'=HYPERLINK")));
    }

    #[test]
    fn neutralises_every_formula_lead() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            assert!(neutralise(&format!("{lead}x")).starts_with('\''));
        }
        assert_eq!(neutralise("plain"), "plain");
    }
}
