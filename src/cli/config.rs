//! From what was typed to what runs: resolves and validates `Args` into plain settings and
//! builds the engine's parts (lists, matcher, scan options). No clap types leave this file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use hashsweep::alert_rule::AlertRule;
use hashsweep::algorithm::Algorithm;
use hashsweep::evidence::container::ContainerLimits;
use hashsweep::list::{load_list, HashList, ListFormat, ListRole, LoadOptions};
use hashsweep::listing::Listing;
use hashsweep::matcher::Thresholds;
use hashsweep::pdq::PdqPipeline;
use hashsweep::perceptual::{ChildDecoder, DecodeLimits, PerceptualConfig};
use hashsweep::scan::ScanOptions;
use hashsweep::video::VideoConfig;

use super::args::{ReadArgs, ScanArgs};

/// Parses `--threshold ALGO=N` flags over the defaults.
pub fn thresholds(flags: &[String]) -> Result<Thresholds> {
    let mut thresholds = Thresholds::default();
    for flag in flags {
        let (name, value) = flag
            .split_once('=')
            .with_context(|| format!("--threshold {flag:?}: expected ALGO=N, e.g. pdq=31"))?;
        let algorithm: Algorithm = name.parse()?;
        let value: u32 = value
            .parse()
            .with_context(|| format!("--threshold {flag:?}: {value:?} is not a whole number"))?;
        thresholds.set(algorithm, value)?;
    }
    Ok(thresholds)
}

/// Parses `--perceptual a,b` (or `none`); `None` when the flag was not given.
pub fn perceptual_flag(read: &ReadArgs) -> Result<Option<Vec<Algorithm>>> {
    let Some(names) = &read.perceptual else {
        return Ok(None);
    };
    let mut algorithms = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| *n != "none") {
        let algorithm: Algorithm = name.parse()?;
        if !algorithm.is_perceptual() {
            bail!("--perceptual {name}: not a perceptual algorithm (pdq, phash, dhash, ahash)");
        }
        algorithms.push(algorithm);
    }
    Ok(Some(algorithms))
}

/// Which results get a record: `--all-files`, `--list-skipped`, `--list-low-quality`.
pub fn listing(args: &ScanArgs) -> Listing {
    Listing {
        all_files: args.all_files,
        skipped: args.list_skipped,
        low_quality: args.list_low_quality,
        weak: args.report_weak,
    }
}

pub fn scan_options(
    read: &ReadArgs,
    algorithms: &[Algorithm],
    listing: Listing,
    dihedral: bool,
) -> ScanOptions {
    let pipeline = if read.pdq_cli_compat {
        PdqPipeline::CliCompat
    } else {
        PdqPipeline::Default
    };
    let mut perceptual = PerceptualConfig::new(algorithms, DecodeLimits::default())
        .with_pdq_pipeline(pipeline)
        .with_fast(read.fast);
    // HEIF/AVIF are decoded by this very binary re-executed as a child process.
    if let Some(child) = ChildDecoder::current_exe() {
        perceptual = perceptual.with_child_decoder(child);
    }
    ScanOptions {
        perceptual,
        max_picture_bytes: read.max_picture_bytes,
        listing,
        dihedral,
        containers: (!read.no_archives).then(|| ContainerLimits {
            max_depth: read.max_depth,
            max_entry_bytes: read.max_entry_bytes,
            max_entries: read.max_entries,
            ..ContainerLimits::default()
        }),
        video: None,
        alert_rule: AlertRule::default(),
    }
}

/// The video settings of `--no-video`, `--video-seconds-per-hash`, `--video-timeout` and
/// `--vpdq-threshold`, with ffmpeg located on `PATH`.
pub fn video_config(read: &ReadArgs, vpdq: Option<&str>) -> Result<Option<VideoConfig>> {
    if read.no_video {
        return Ok(None);
    }
    let seconds = read.video_seconds_per_hash;
    if !(seconds.is_finite() && seconds >= 0.0) {
        bail!("--video-seconds-per-hash {seconds}: expected 0 or a positive number");
    }
    let mut config = VideoConfig::detect();
    config.seconds_per_hash = seconds;
    config.limits.timeout = std::time::Duration::from_secs(read.video_timeout.max(1));
    if let Some(text) = vpdq {
        config.vpdq = text
            .parse()
            .map_err(|e| anyhow::anyhow!("--vpdq-threshold {text:?}: {e}"))?;
    }
    Ok(Some(config))
}

/// A list argument: `FILE`, or `FORMAT:FILE` to force that list's format (when `FILE` as a
/// whole is not an existing path and `FORMAT` is a format name, e.g. `sha256:hashes.txt`).
fn list_argument(arg: &Path) -> (PathBuf, Option<ListFormat>) {
    let plain = (arg.to_path_buf(), None);
    if arg.exists() {
        return plain;
    }
    let text = arg.to_string_lossy();
    match text.split_once(':') {
        Some((format, path)) if !format.contains('/') => match format.parse::<ListFormat>() {
            Ok(format) => (PathBuf::from(path), Some(format)),
            Err(_) => plain,
        },
        _ => plain,
    }
}

/// Loads every `--list` and `--known` file, in command-line order. An NSRL set is refused
/// as an alert list (every stock system file would be a match); two lists of one name are
/// told apart by their paths.
pub fn load_lists(args: &ScanArgs) -> Result<Vec<HashList>> {
    let format: Option<ListFormat> = args
        .list_format
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| anyhow::anyhow!("--list-format: {e}"))?;
    let with_role = |paths: &[PathBuf], role| {
        paths
            .iter()
            .map(move |p| (p.clone(), role))
            .collect::<Vec<_>>()
    };
    let mut all = with_role(&args.lists, ListRole::Alert);
    all.extend(with_role(&args.known, ListRole::KnownGood));
    let resolved: Vec<(PathBuf, Option<ListFormat>, ListRole)> = all
        .into_iter()
        .map(|(arg, role)| {
            let (path, own_format) = list_argument(&arg);
            (path, own_format, role)
        })
        .collect();
    resolved
        .iter()
        .map(|(path, own_format, role)| {
            let base = match role {
                ListRole::Alert => LoadOptions::alert(),
                ListRole::KnownGood => LoadOptions::known_good(),
            };
            // Lists are named by file name; two of one name are named by their paths.
            let same_name = resolved
                .iter()
                .filter(|(other, _, _)| other.file_name() == path.file_name())
                .count();
            let options = LoadOptions {
                format: own_format.or(format),
                lenient: args.lenient,
                name: (same_name > 1).then(|| path.display().to_string()),
                ..base
            };
            let list = load_list(path, &options)?;
            let format = list.provenance.format;
            if *role == ListRole::Alert
                && matches!(format, ListFormat::NsrlRds2 | ListFormat::NsrlRds3)
            {
                bail!(
                    "{} is an NSRL known-good set: pass it with --known, not --list",
                    path.display()
                );
            }
            Ok(list)
        })
        .collect()
}

/// Refuses a report path inside any evidence directory: the evidence is never written.
pub fn check_output_outside_evidence(output: &Path, evidence: &[PathBuf]) -> Result<()> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = parent
        .canonicalize()
        .with_context(|| format!("report directory {} does not exist", parent.display()))?;
    for root in evidence {
        let Ok(root) = root.canonicalize() else {
            continue;
        };
        if parent.starts_with(&root) || output == root {
            bail!(
                "refusing to write the report {} inside the evidence {}",
                output.display(),
                root.display()
            );
        }
    }
    Ok(())
}

/// Sizes the one worker pool for the whole process.
pub fn init_thread_pool(threads: Option<usize>) -> Result<()> {
    if threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build_global()
        .context("cannot start the worker pool")
}
