//! The command-line front end: runs a parsed command and maps its outcome to an `Exit`.
//!
//! Owns the order of operations for each command (load lists, open evidence, scan, write,
//! summarise) and the only place errors are printed. The engine never prints.
#![allow(clippy::print_stderr)]

pub mod args;
mod build;
mod config;
mod exhibit;
mod exit;
mod flag_values;
mod human;
mod lists;
mod polish;
mod progress_bar;
mod records_out;
mod reports;
mod scan;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{Context, Result};

use hashsweep::listing::Listing;
use hashsweep::progress::Progress;
use hashsweep::report::{self, FileRecord};
use hashsweep::scan::{FileResult, ItemKey, ResultSink, ScanOptions, ScanTotals, Scanner};
use hashsweep::{Algorithm, EvidenceSource, Matcher, Thresholds};

use args::{Args, Command, HashArgs};
pub use exit::Exit;

pub fn run(args: Args) -> Exit {
    let result = match args.command {
        Command::Scan(a) => scan::scan(*a),
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

/// A panic in a decoder or filesystem crate is caught by the engine and recorded as that
/// file's (or volume's) failure; on the terminal it is one escaped warning line instead of
/// Rust's multi-line message and backtrace, which would read as a crash of the scan.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = hashsweep::scan::panic_message(info.payload());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "hashsweep: internal error{}: {}",
            human::escape(&location),
            human::escape(&message)
        );
    }));
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

/// A journaled scan's part in running the scanner: where finished files go, and which
/// files an earlier run of it already did.
struct Journaling<'a> {
    sink: &'a dyn ResultSink,
    already_done: &'a HashSet<ItemKey>,
}

/// Runs the scanner with a progress bar when stderr is a terminal, handing each kept
/// result to `keep` in report order. `stop` is the Ctrl-C flag of `stop_flag`.
fn run_scanner(
    matcher: &Matcher,
    options: ScanOptions,
    sources: &[Box<dyn EvidenceSource>],
    quiet: bool,
    journaling: Option<Journaling<'_>>,
    stop: &Arc<AtomicBool>,
    keep: impl FnMut(FileResult),
) -> Result<ScanTotals> {
    let progress = Arc::new(Progress::default());
    let bar = progress_bar::ProgressBarThread::start(Arc::clone(&progress), quiet);
    let mut scanner = Scanner::new(matcher, options, stop, &progress);
    if let Some(journaling) = journaling {
        scanner = scanner
            .with_sink(journaling.sink)
            .skipping(journaling.already_done);
    }
    let totals = scanner.scan_each(sources, keep);
    bar.finish();
    Ok(totals?)
}

/// Creates a report, manifest or rendering at `path` (standard output without one). An
/// existing file is refused unless `overwrite` (`--force`): a second run with the same
/// `-o` must not silently replace the first run's report. `create_new` makes the check
/// and the creation one step.
pub(crate) fn create_output(
    path: Option<&std::path::Path>,
    overwrite: bool,
    what: &str,
) -> Result<Box<dyn Write>> {
    // A device or pipe (`-o /dev/null`) is a stream, not a file to protect from overwriting.
    let is_stream = |p: &&std::path::Path| std::fs::metadata(p).is_ok_and(|m| !m.is_file());
    let Some(p) = path.filter(|p| !overwrite && !is_stream(p)) else {
        return open_output(path);
    };
    let file = File::options()
        .write(true)
        .create_new(true)
        .open(p)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{what} {} already exists: refusing to overwrite it (use --force to replace it)",
                p.display()
            ),
            _ => anyhow::Error::new(e).context(format!("cannot write {what} {}", p.display())),
        })?;
    Ok(Box::new(BufWriter::new(file)))
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

fn hash(args: HashArgs) -> Result<Exit> {
    let read = config::ReadConfig::try_from(&args.read)?;
    if let Some(output) = &args.output {
        config::check_output_outside_evidence(output, &args.paths)?;
    }
    build::init_thread_pool(read.threads)?;
    let perceptual = read
        .perceptual
        .clone()
        .unwrap_or_else(|| Algorithm::PERCEPTUAL.to_vec());
    let options = build::scan_options(&read, &perceptual, Listing::EVERYTHING, false);
    let matcher = Matcher::new(Vec::new(), Thresholds::default())?;
    let sources = build::open_sources(&args.paths, &read)?;
    // Opened before the scan: an output that cannot be written is fatal before any work.
    let mut out = open_output(args.output.as_deref())?;
    let mut written = Ok(());
    let totals = run_scanner(
        &matcher,
        options,
        &sources,
        read.quiet,
        None,
        &stop_flag(),
        |result| {
            if written.is_ok() {
                written = report::write_line(&mut out, &FileRecord::from_result(&result));
            }
        },
    )?;
    written?;
    out.flush()?;
    Ok(if totals.interrupted {
        Exit::Interrupted
    } else {
        Exit::NoMatch
    })
}
