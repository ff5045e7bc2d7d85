//! Choosing a format and rendering a `ScanReport` in it.
//!
//! Owns `Format` and the dispatch to one module per format (`RenderOptions` is
//! `options`'s, so that the renderers need not import this dispatcher). Every
//! renderer writes to any `W: Write`, sorts by evidence then path, and adds no timestamps
//! of its own, so re-rendering the same report gives the same bytes.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use super::options::RenderOptions;
use super::read::ScanReport;
use super::{case, csv, json, text, vics};

/// An output format of `hashsweep report` and `scan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The JSON Lines records themselves (the source of truth).
    Jsonl,
    Text,
    Json,
    Csv,
    Case,
    Vics,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Jsonl,
        Format::Text,
        Format::Json,
        Format::Csv,
        Format::Case,
        Format::Vics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Text => "text",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Case => "case",
            Format::Vics => "vics",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown report format {s:?} (jsonl, text, json, csv, case, vics)")
            })
    }
}

/// Renders `report` as `format`.
pub fn render<W: Write>(
    format: Format,
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    match format {
        Format::Jsonl => write_jsonl(report, out),
        Format::Text => text::render(report, options, out),
        Format::Json => json::render(report, options, out),
        Format::Csv => csv::render(report, options, out),
        Format::Case => case::render(report, options, out),
        Format::Vics => vics::render(report, options, out),
    }?;
    out.flush()
}

/// The records again, one per line (normalised: path order, re-serialised).
fn write_jsonl<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    super::write_line(out, &report.header)?;
    for file in &report.files {
        super::write_line(out, file)?;
    }
    if let Some(summary) = &report.summary {
        super::write_line(out, summary)?;
    }
    Ok(())
}
