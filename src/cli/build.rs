//! The engine's parts, built from a resolved config: the worker pool, the hash lists, the
//! evidence sources and the scanner's options.

use anyhow::{bail, Context, Result};

use hashsweep::list::{load_list, HashList, ListFormat, ListRole, LoadOptions};
use hashsweep::listing::Listing;
use hashsweep::perceptual::{ChildDecoder, DecodeLimits, PerceptualConfig};
use hashsweep::video::VideoConfig;
use hashsweep::{open_evidence_or_failure, Algorithm, EvidenceSource, ScanOptions};

use super::config::{ListSpec, ReadConfig, VideoSettings};

/// Sizes the one worker pool for the whole process.
pub fn init_thread_pool(threads: Option<usize>) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build_global()
        .context("cannot start the worker pool")
}

/// Loads every list, in command-line order. An NSRL set is refused as an alert list (every
/// stock system file would be a match); two lists of one name are told apart by their
/// paths.
pub fn load_lists(specs: &[ListSpec], lenient: bool) -> Result<Vec<HashList>> {
    specs
        .iter()
        .map(|spec| {
            let base = match spec.role {
                ListRole::Alert => LoadOptions::alert(),
                ListRole::KnownGood => LoadOptions::known_good(),
            };
            // Lists are named by file name; two of one name are named by their paths.
            let same_name = specs
                .iter()
                .filter(|other| other.path.file_name() == spec.path.file_name())
                .count();
            let options = LoadOptions {
                format: spec.format,
                lenient,
                name: (same_name > 1).then(|| spec.path.display().to_string()),
                ..base
            };
            let list = load_list(&spec.path, &options)?;
            if spec.role == ListRole::Alert
                && matches!(
                    list.provenance.format,
                    ListFormat::NsrlRds2 | ListFormat::NsrlRds3
                )
            {
                bail!(
                    "{} is an NSRL known-good set: pass it with --known, not --list",
                    spec.path.display()
                );
            }
            Ok(list)
        })
        .collect()
}

/// Opens each evidence path as `--evidence-type` says, with the carving settings.
pub fn open_sources(
    paths: &[std::path::PathBuf],
    read: &ReadConfig,
) -> Result<Vec<Box<dyn EvidenceSource>>> {
    paths
        .iter()
        .map(|p| {
            let source = open_evidence_or_failure(p, read.evidence_type)?;
            source.set_carving(read.carving);
            Ok(source)
        })
        .collect()
}

/// The scanner's options: `algorithms` are the perceptual hashes computed, `listing` which
/// results get a record, `dihedral` whether PDQ also matches rotations and mirrors.
pub fn scan_options(
    read: &ReadConfig,
    algorithms: &[Algorithm],
    listing: Listing,
    dihedral: bool,
) -> ScanOptions {
    let mut perceptual = PerceptualConfig::new(algorithms, DecodeLimits::default())
        .with_pdq_pipeline(read.pdq_pipeline)
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
        containers: read.containers.clone(),
        video: read.video.as_ref().map(video_config),
        alert_rule: Default::default(),
    }
}

/// The video settings with the installed ffmpeg located on `PATH`.
fn video_config(settings: &VideoSettings) -> VideoConfig {
    let mut config = VideoConfig::detect();
    config.seconds_per_hash = settings.seconds_per_hash;
    config.limits.timeout = std::time::Duration::from_secs(settings.timeout_seconds);
    config.vpdq = settings.vpdq;
    config
}
