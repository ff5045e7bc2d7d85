//! The report side of the CLI: `report` (render a finished scan), `verify` (re-check a
//! manifest), and what `scan` does once its JSON Lines report is written (manifest,
//! `--format`).
//!
//! How `scan --format` and `-o` interact: the JSON Lines report is the source of truth and
//! always goes to `-o FILE` (or standard output without `-o`). Any other `--format` needs
//! `-o`; the rendering is made from the written file and goes to standard output. The
//! manifest goes to `--manifest FILE`, else beside `-o` as `FILE.manifest.json`; a report
//! on standard output gets a manifest only with `--manifest`. So does a report sent to
//! something that is not a regular file (`-o /dev/null`, a pipe): it cannot be read back.
//! Everything that could stop the scan after its work is checked before the first file is
//! read (`check_output`).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use hashsweep::manifest::{self, DigestWriter, FileDigest, Manifest, ManifestContext, Status};
use hashsweep::report::{self, Format, Header, RenderOptions, ScanReport, SummaryRecord};

use super::args::{RenderArgs, ReportArgs, ReportFormat, VerifyArgs};
use super::config::OutputConfig;
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

/// The rendered formats' options from their flags.
pub fn render_options(args: &RenderArgs) -> RenderOptions {
    RenderOptions {
        flood_threshold: args.flood_threshold,
        case_number: args.case_number.clone(),
        vics_absolute_paths: args.vics_absolute_paths,
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
    report::render(
        format(args.format),
        &scan,
        &render_options(&args.render),
        &mut out,
    )
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

/// Whether `-o PATH` names something other than a regular file (a device such as
/// `/dev/null`, a pipe, a socket): a report written there cannot be read back, so it gets
/// no manifest beside it and cannot be rendered with `--format`. A path that does not
/// exist yet will be a regular file.
pub fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// The `-o` report if it is a regular file, which can be read back after the scan.
fn readable_report(output: &OutputConfig) -> Option<&Path> {
    output.report.as_deref().filter(|p| !is_stream(p))
}

/// Where a report's records wait for its header (`--verify-image`): beside the report, on
/// the examiner's output drive, else in the temporary directory.
pub fn spool_dir(output: &OutputConfig) -> PathBuf {
    readable_report(output)
        .and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or_else(std::env::temp_dir, Path::to_path_buf)
}

/// Where the manifest goes: `--manifest`, else beside a regular `-o` report.
pub fn manifest_destination(output: &OutputConfig) -> Option<PathBuf> {
    output
        .manifest
        .clone()
        .or_else(|| readable_report(output).map(manifest::manifest_path_for))
}

/// Refuses flag combinations, and destinations that could only fail once the scan is over,
/// before any work is done.
pub fn check_output(output: &OutputConfig, evidence: &[PathBuf]) -> Result<()> {
    if output.format != ReportFormat::Jsonl && readable_report(output).is_none() {
        bail!(
            "--format {} needs -o FILE, a regular file, for the JSON Lines report it is \
             rendered from (the report is the source of truth)",
            format(output.format)
        );
    }
    if let Some(manifest) = &output.manifest {
        super::config::check_output_outside_evidence(manifest, evidence)?;
    }
    if let Some(report) = readable_report(output) {
        check_writable(report).context("cannot write report")?;
    }
    if let Some(manifest) = manifest_destination(output) {
        check_writable(&manifest).context("the manifest could not be written after the scan")?;
    }
    Ok(())
}

/// That `path` can be created or overwritten as a regular file: it is not a directory or
/// device, and its directory exists and is writable. Nothing is created.
fn check_writable(path: &Path) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            bail!("{} exists and is not a regular file", path.display());
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    rustix::fs::access(
        dir,
        rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK,
    )
    .with_context(|| {
        format!(
            "cannot write {} (directory {})",
            path.display(),
            dir.display()
        )
    })
}

/// Wraps the report's destination so its SHA-256 can go in the manifest.
/// `overwrite`: `--force`, or a resume (the killed run's report is the one to replace).
pub fn report_writer(
    output: &OutputConfig,
    overwrite: bool,
) -> Result<DigestWriter<Box<dyn Write>>> {
    Ok(DigestWriter::new(create_output(
        output.report.as_deref(),
        overwrite,
        "report",
    )?))
}

/// After the report is written: the manifest, notes on stderr (unless `--quiet`), then the
/// `--format` rendering. Returns the manifest's path, if one was written.
pub fn after_scan(
    output: &OutputConfig,
    quiet: bool,
    overwrite: bool,
    header: &Header,
    summary: &SummaryRecord,
    mut digest: FileDigest,
) -> Result<Option<PathBuf>> {
    let scan = match readable_report(output) {
        // Nothing is rendered for jsonl: the manifest and the flood guard need no clean files.
        Some(path) => read_report(path, output.format == ReportFormat::Json)?,
        None => ScanReport {
            header: header.clone(),
            files: Vec::new(),
            summary: Some(summary.clone()),
        },
    };
    let manifest_path = manifest_destination(output);
    if let Some(manifest_path) = &manifest_path {
        digest.path = readable_report(output)
            .map(|report| relative_to_manifest(report, manifest_path))
            .transpose()?;
        write_manifest(&scan, digest, manifest_path, overwrite)?;
    }
    if !quiet {
        super::human::print_manifest_note(manifest_path.as_deref(), output.report.as_deref());
        warn_flooded(&scan, output.render.flood_threshold);
    }
    if output.format != ReportFormat::Jsonl {
        let mut out = BufWriter::new(io::stdout().lock());
        report::render(format(output.format), &scan, &output.render, &mut out)
            .context("cannot write the rendered report")?;
    }
    Ok(manifest_path)
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
