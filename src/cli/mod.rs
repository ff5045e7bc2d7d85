//! The command-line front end: runs a parsed command and maps its outcome to an `Exit`.
//!
//! Owns the order of operations for each command (load lists, open evidence, scan, write,
//! summarise) and the only place errors are printed. The engine never prints.
#![allow(clippy::print_stderr)]

pub mod args;
mod config;
mod exit;
mod human;
mod lists;
mod polish;
mod progress_bar;
mod reports;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};

use hashsweep::algorithm::Algorithm;
use hashsweep::evidence::{open_evidence_as, verify_image, EvidenceSource, EvidenceType};
use hashsweep::matcher::{Matcher, Thresholds};
use hashsweep::progress::Progress;
use hashsweep::report::{self, EvidenceVerification, FileRecord, Header, SummaryRecord, ToolInfo};
use hashsweep::scan::{ScanOptions, ScanOutput, Scanner};

use args::{Args, Command, HashArgs, ScanArgs};
pub use exit::Exit;

pub fn run(args: Args) -> Exit {
    let result = match args.command {
        Command::Scan(a) => scan(a),
        Command::Hash(a) => hash(a),
        Command::Report(a) => reports::report(a),
        Command::Verify(a) => reports::verify(a),
        Command::Completions(a) => polish::completions(a),
        Command::Man => polish::man(),
        Command::List(c) => lists::run(c),
    };
    result.unwrap_or_else(|err| {
        if is_broken_pipe(&err) {
            return Exit::Error;
        }
        eprintln!("hashsweep: error: {}", human::escape(&format!("{err:#}")));
        Exit::Error
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    // A failure to install the handler only loses graceful Ctrl-C; the scan still runs.
    let _ = ctrlc::set_handler(move || handler_stop.store(true, Ordering::Relaxed));
    stop
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

fn open_sources(
    paths: &[std::path::PathBuf],
    read: &args::ReadArgs,
) -> Result<Vec<Box<dyn EvidenceSource>>> {
    let ty: EvidenceType = read
        .evidence_type
        .parse()
        .map_err(|e| anyhow::anyhow!("--evidence-type: {e}"))?;
    paths
        .iter()
        .map(|p| open_evidence_as(p, ty).map_err(anyhow::Error::from))
        .collect()
}

/// `--verify-image`: the whole-image hashes of every evidence source that is a disk image.
fn verify_images(
    args: &ScanArgs,
    sources: &[Box<dyn EvidenceSource>],
) -> Result<Vec<EvidenceVerification>> {
    if !args.verify_image {
        return Ok(Vec::new());
    }
    let ty: EvidenceType = args
        .read
        .evidence_type
        .parse()
        .map_err(anyhow::Error::msg)?;
    let stop = AtomicBool::new(false);
    let mut out = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        if matches!(source.info().kind, "raw" | "split_raw" | "ewf") {
            let result = verify_image(&args.evidence[index], ty, &stop)?;
            out.push(EvidenceVerification {
                evidence: index,
                result,
            });
        }
    }
    Ok(out)
}

/// Runs the scanner with a progress bar when stderr is a terminal.
fn run_scanner(
    matcher: &Matcher,
    options: ScanOptions,
    sources: &[Box<dyn EvidenceSource>],
    quiet: bool,
) -> Result<ScanOutput> {
    let stop = stop_flag();
    let progress = Arc::new(Progress::default());
    let bar = progress_bar::ProgressBarThread::start(Arc::clone(&progress), quiet);
    let scanner = Scanner::new(matcher, options, &stop, &progress);
    let output = scanner.scan(sources);
    bar.finish();
    Ok(output?)
}

pub(crate) fn open_output(path: Option<&std::path::Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => {
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                format!("cannot write report {}", p.display())
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

fn scan(args: ScanArgs) -> Result<Exit> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    config::init_thread_pool(args.read.threads)?;
    reports::check_scan_args(&args)?;
    let thresholds = config::thresholds(&args.thresholds)?;
    if let Some(output) = &args.output {
        config::check_output_outside_evidence(output, &args.evidence)?;
    }
    let lists = config::load_lists(&args)?;
    let matcher = Matcher::new(lists, thresholds).context("cannot index the hash lists")?;
    let perceptual = config::perceptual_flag(&args.read)?.unwrap_or_else(|| {
        let mut algorithms = matcher.perceptual_algorithms();
        algorithms.push(Algorithm::Pdq);
        algorithms
    });
    let options = config::scan_options(&args.read, &perceptual, args.all_files, !args.no_dihedral);
    let sources = open_sources(&args.evidence, &args.read)?;
    let mut header = header(&matcher, &options, &sources, started_at.clone());
    header.evidence_verification = verify_images(&args, &sources)?;
    let output = run_scanner(&matcher, options, &sources, args.read.quiet)?;
    let summary = SummaryRecord {
        record: "summary",
        counts: output.summary.clone(),
        started_at,
        finished_at: now_rfc3339(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        interrupted: output.interrupted,
    };
    let mut out = reports::report_writer(&args)?;
    report::write_jsonl(&mut out, &header, &output.results, &summary)
        .context("cannot write the report")?;
    let digest = out.finish().context("cannot write the report")?;
    if !args.read.quiet {
        human::print_scan_summary(&output, &summary, args.output.as_deref());
    }
    reports::after_scan(&args, &header, &summary, digest)?;
    Ok(if output.interrupted {
        Exit::Interrupted
    } else if output.summary.matched > 0 {
        Exit::Match
    } else {
        Exit::NoMatch
    })
}

fn header(
    matcher: &Matcher,
    options: &ScanOptions,
    sources: &[Box<dyn EvidenceSource>],
    started_at: String,
) -> Header {
    Header {
        record: "header",
        format: report::REPORT_FORMAT,
        format_version: report::REPORT_VERSION,
        tool: ToolInfo::current(),
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        started_at,
        evidence: sources.iter().map(|s| s.info()).collect(),
        evidence_verification: Vec::new(),
        lists: matcher
            .lists()
            .iter()
            .map(|l| l.provenance.clone())
            .collect(),
        thresholds: matcher.thresholds().to_named(),
        perceptual_algorithms: options
            .perceptual
            .algorithms()
            .iter()
            .map(|a| a.name())
            .collect(),
        decoders: hashsweep::perceptual::decoders(),
    }
}

fn hash(args: HashArgs) -> Result<Exit> {
    config::init_thread_pool(args.read.threads)?;
    let perceptual =
        config::perceptual_flag(&args.read)?.unwrap_or_else(|| Algorithm::PERCEPTUAL.to_vec());
    let options = config::scan_options(&args.read, &perceptual, true, false);
    let matcher = Matcher::new(Vec::new(), Thresholds::default())?;
    let sources = open_sources(&args.paths, &args.read)?;
    let output = run_scanner(&matcher, options, &sources, args.read.quiet)?;
    let mut out = open_output(args.output.as_deref())?;
    for result in &output.results {
        report::write_line(&mut out, &FileRecord::from_result(result))?;
    }
    out.flush()?;
    Ok(if output.interrupted {
        Exit::Interrupted
    } else {
        Exit::NoMatch
    })
}
