//! The report side of the CLI: `report` (render a finished scan), `verify` (re-check a
//! manifest), and what `scan` does once its JSON Lines report is written (manifest,
//! `--format`).
//!
//! How `scan --format` and `-o` interact: the JSON Lines report is the source of truth and
//! always goes to `-o FILE` (or standard output without `-o`). Any other `--format` needs
//! `-o`; the rendering is made from the written file and goes to standard output. The
//! manifest goes to `--manifest FILE`, else beside `-o` as `FILE.manifest.json`; a report
//! on standard output gets a manifest only with `--manifest`.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use hashsweep::manifest::{self, DigestWriter, FileDigest, Manifest, ManifestContext, Status};
use hashsweep::report::{self, Format, Header, RenderOptions, ScanReport, SummaryRecord};

use super::args::{RenderArgs, ReportArgs, ReportFormat, ScanArgs, VerifyArgs};
use super::{create_output, Exit};

pub fn format(f: ReportFormat) -> Format {
    match f {
        ReportFormat::Jsonl => Format::Jsonl,
        ReportFormat::Text => Format::Text,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::Case => Format::Case,
        ReportFormat::Vics => Format::Vics,
    }
}

fn options(args: &RenderArgs) -> RenderOptions {
    RenderOptions {
        flood_threshold: args.flood_threshold,
        case_number: args.case_number.clone(),
    }
}

/// Whether a format shows `file` records (hashed, no alert hit); others need not hold them.
fn shows_clean_files(format: ReportFormat) -> bool {
    matches!(format, ReportFormat::Json | ReportFormat::Jsonl)
}

fn read_report(path: &Path, keep_clean: bool) -> Result<ScanReport> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ScanReport::read_with(BufReader::new(file), keep_clean)
        .with_context(|| format!("{}", path.display()))
}

/// `hashsweep report`.
pub fn report(args: ReportArgs) -> Result<Exit> {
    let scan = read_report(&args.report, shows_clean_files(args.format))?;
    let mut out = create_output(args.output.as_deref(), args.force, "rendering")?;
    if args.timeline {
        report::timeline::write_body_file(&scan, &mut out).context("cannot write the body file")?;
        return Ok(Exit::NoMatch);
    }
    report::render(format(args.format), &scan, &options(&args.render), &mut out)
        .context("cannot write the rendered report")?;
    if let Some(why) = scan.incomplete() {
        eprintln!(
            "hashsweep: warning: INCOMPLETE report {}: {why}",
            super::human::escape(&args.report.display().to_string())
        );
        return Ok(Exit::Incomplete);
    }
    Ok(Exit::NoMatch)
}

/// Refuses flag combinations before any work is done.
pub fn check_scan_args(args: &ScanArgs) -> Result<()> {
    if args.format != ReportFormat::Jsonl && args.output.is_none() {
        bail!(
            "--format {} needs -o FILE for the JSON Lines report it is rendered from \
             (the report is the source of truth)",
            format(args.format)
        );
    }
    if let Some(manifest) = &args.manifest {
        super::config::check_output_outside_evidence(manifest, &args.evidence)?;
    }
    Ok(())
}

/// Wraps the report's destination so its SHA-256 can go in the manifest.
/// `overwrite`: `--force`, or a resume (the killed run's report is the one to replace).
pub fn report_writer(args: &ScanArgs, overwrite: bool) -> Result<DigestWriter<Box<dyn Write>>> {
    Ok(DigestWriter::new(create_output(
        args.output.as_deref(),
        overwrite,
        "report",
    )?))
}

/// After the report is written: the manifest, notes on stderr (unless `--quiet`), then the
/// `--format` rendering. Returns the manifest's path, if one was written.
pub fn after_scan(
    args: &ScanArgs,
    overwrite: bool,
    header: &Header,
    summary: &SummaryRecord,
    mut digest: FileDigest,
) -> Result<Option<PathBuf>> {
    let scan = match &args.output {
        // Nothing is rendered for jsonl: the manifest and the flood guard need no clean files.
        Some(path) => read_report(path, args.format == ReportFormat::Json)?,
        None => ScanReport::read(header_and_summary(header, summary)?.as_slice())?,
    };
    let manifest_path = manifest_path(args);
    if let Some(manifest_path) = &manifest_path {
        digest.path = args
            .output
            .as_deref()
            .map(|report| relative_to_manifest(report, manifest_path))
            .transpose()?;
        write_manifest(&scan, digest, manifest_path, overwrite)?;
    }
    if !args.read.quiet {
        super::human::print_manifest_note(manifest_path.as_deref());
        warn_flooded(&scan, args.render.flood_threshold);
    }
    if args.format != ReportFormat::Jsonl {
        let mut out = BufWriter::new(io::stdout().lock());
        report::render(format(args.format), &scan, &options(&args.render), &mut out)
            .context("cannot write the rendered report")?;
    }
    Ok(manifest_path)
}

/// Where the scan's manifest goes: `--manifest`, else beside the `-o` report.
pub fn manifest_path(args: &ScanArgs) -> Option<PathBuf> {
    args.manifest
        .clone()
        .or_else(|| args.output.as_deref().map(manifest::manifest_path_for))
}

/// The flood guard on the terminal too: these entries would otherwise drown the list of
/// matches above. (Needs `-o`: a report on standard output is not read back.)
fn warn_flooded(scan: &ScanReport, threshold: usize) {
    for f in report::flooded_entries(scan, threshold) {
        eprintln!(
            "hashsweep: warning: {} entry {} ({}) matched {} files: likely a degenerate hash \
             (blank, solid colour, logo); see the report's flood section",
            super::human::escape(&f.list),
            super::human::escape(f.entry_id.as_deref().unwrap_or("-")),
            f.algorithm,
            f.files
        );
    }
}

/// A report holding only the header and summary: all a manifest needs.
fn header_and_summary(header: &Header, summary: &SummaryRecord) -> Result<Vec<u8>> {
    let mut text = Vec::new();
    report::write_line(&mut text, header)?;
    report::write_line(&mut text, summary)?;
    Ok(text)
}

/// The report's path as the manifest records it: relative to the manifest's directory
/// when it sits there (the usual case), absolute otherwise, so `verify` finds it either way.
fn relative_to_manifest(report: &Path, manifest: &Path) -> Result<PathBuf> {
    let report = std::path::absolute(report)?;
    let dir = std::path::absolute(manifest)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok(report
        .strip_prefix(&dir)
        .map(Path::to_path_buf)
        .unwrap_or(report))
}

fn write_manifest(
    scan: &ScanReport,
    report: FileDigest,
    path: &Path,
    overwrite: bool,
) -> Result<()> {
    let context = ManifestContext {
        working_directory: std::env::current_dir().context("cannot read the working directory")?,
        host: manifest::host_name(),
        report,
    };
    let manifest = Manifest::new(scan, context);
    let mut file = create_output(Some(path), overwrite, "manifest")?;
    manifest
        .write(&mut file)
        .with_context(|| format!("cannot write manifest {}", path.display()))
}

/// `hashsweep verify`: one line per file on standard output, then a verdict.
pub fn verify(args: VerifyArgs) -> Result<Exit> {
    let checks = manifest::verify(&args.manifest)?;
    let mut out = io::stdout().lock();
    for check in &checks {
        let path = check
            .path
            .as_deref()
            .map_or("(standard output)".into(), |p| p.display().to_string());
        let path = super::human::escape(&path);
        match &check.status {
            Status::Ok => writeln!(
                out,
                "OK        {}  {path}  sha256 {}",
                check.subject, check.expected
            )?,
            Status::NotAFile => writeln!(
                out,
                "NOT FILE  {}  went to standard output; recorded sha256 {} cannot be re-checked",
                check.subject, check.expected
            )?,
            Status::Mismatch { actual } => writeln!(
                out,
                "MISMATCH  {}  {path}  expected sha256 {}, found {actual}",
                check.subject, check.expected
            )?,
            Status::Unreadable { error } => {
                writeln!(out, "MISSING   {}  {path}  {error}", check.subject)?
            }
        }
    }
    let failed = checks.iter().filter(|c| !c.passed()).count();
    if failed == 0 {
        writeln!(out, "verified: {} files match the manifest", checks.len())?;
        Ok(Exit::NoMatch)
    } else {
        writeln!(
            out,
            "FAILED: {failed} of {} files do not match the manifest",
            checks.len()
        )?;
        Ok(Exit::Error)
    }
}
