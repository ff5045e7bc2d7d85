//! Calibrates the perceptual thresholds on a benign corpus (issue 22): how far transformed
//! copies drift from their listed original, how close unrelated pictures come to any listed
//! one, and the pHash, dHash and aHash thresholds that raise no false alert under the
//! corroboration rule while finding the most copies. The numbers behind
//! `Algorithm::default_threshold` and docs/detection.md.
//!
//! ```sh
//! benches/calibration_corpus.sh /tmp/hashsweep-calibration
//! cargo run --release --example calibrate -- /tmp/hashsweep-calibration --docs docs
//! ```
//!
//! Without `--docs` the markdown goes to stdout. The output depends only on the corpus:
//! files are sorted, hashed in parallel in that order, and every number is formatted
//! exactly, so any thread count gives the same bytes (tests/calibration.rs checks it).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod corpus;
mod measure;
mod plot;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

/// Measures the perceptual hashes on a calibration corpus and writes docs/detection.md
/// and docs/detection.svg.
#[derive(Parser)]
struct Args {
    /// The corpus made by benches/calibration_corpus.sh (`unrelated/` and `variants/`).
    corpus: PathBuf,
    /// Write detection.md and detection.svg into this directory instead of printing the
    /// markdown.
    #[arg(long, value_name = "DIR")]
    docs: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calibrate: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let corpus = corpus::load(&args.corpus)
        .with_context(|| format!("reading the corpus {}", args.corpus.display()))?;
    eprintln!(
        "hashed {} unrelated pictures, {} originals, {} copies",
        corpus.unrelated.len(),
        corpus.groups.len(),
        corpus.groups.iter().map(|g| g.copies.len()).sum::<usize>()
    );
    let calibration = measure::measure(&corpus);
    let at_old = measure::rule_false_alerts(&corpus, measure::OLD_SHORT);
    let at_new = calibration
        .chosen
        .map(|t| measure::rule_false_alerts(&corpus, t));
    let margins = calibration.chosen.map(|t| measure::margins(&corpus, t));
    let markdown = report::markdown(&corpus, &calibration, (at_old, at_new), margins);
    match &args.docs {
        None => print!("{markdown}"),
        Some(dir) => {
            let write = |name: &str, text: &str| {
                let path = dir.join(name);
                std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
            };
            write("detection.md", &markdown)?;
            write("detection.svg", &plot::svg(&calibration))?;
        }
    }
    Ok(())
}
