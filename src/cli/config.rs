//! What a command was asked to do, resolved once from what was typed: `ReadConfig` (the
//! flags every command that reads evidence shares) and `ScanConfig` (a scan's), each built by
//! one `TryFrom` that checks every rule between flags before any list or evidence is read.
//! No clap types leave this file; building the engine's parts from a config is `build`'s.
//!
//! A `ScanConfig` is serializable: a journaled scan records it, and `--resume` rebuilds the
//! scan from it (with only `--threads` and `--quiet` taken from the resuming command).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use hashsweep::alert_rule::AlertRule;
use hashsweep::evidence::container::ContainerLimits;
use hashsweep::evidence::{CarveOptions, EvidenceType};
use hashsweep::listing::Listing;
use hashsweep::pdq::PdqPipeline;
use hashsweep::report::{CaseIdentity, RenderOptions};
use hashsweep::video::VpdqThresholds;
use hashsweep::{Algorithm, ListFormat, ListRole, Thresholds};

use super::args::{ReadArgs, ReportFormat, ScanArgs};
use super::exhibit::fold_exhibits;
use super::flag_values::{perceptual_algorithms, thresholds};
use super::reports;

/// The reading, decoding and hashing settings of `scan` and `hash`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadConfig {
    /// `--threads`: not recorded, a resume may change it.
    #[serde(skip)]
    pub threads: Option<usize>,
    /// `--quiet`: not recorded, a resume may add it.
    #[serde(skip)]
    pub quiet: bool,
    /// `--perceptual`; `None` when not given (each command has its default).
    pub perceptual: Option<Vec<Algorithm>>,
    pub max_picture_bytes: u64,
    /// How containers are opened; `None` with `--no-archives`.
    pub containers: Option<ContainerLimits>,
    pub pdq_pipeline: PdqPipeline,
    pub fast: bool,
    /// Video decoding; `None` with `--no-video`.
    pub video: Option<VideoSettings>,
    pub evidence_type: EvidenceType,
    pub carving: CarveOptions,
}

impl TryFrom<&ReadArgs> for ReadConfig {
    type Error = anyhow::Error;

    fn try_from(read: &ReadArgs) -> Result<Self> {
        if read.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        Ok(ReadConfig {
            threads: read.threads,
            quiet: read.quiet,
            perceptual: read.perceptual.as_deref().map(perceptual_algorithms),
            max_picture_bytes: read.max_picture_bytes,
            containers: (!read.no_archives).then(|| ContainerLimits {
                max_depth: read.max_depth,
                max_entry_bytes: read.max_entry_bytes,
                max_entries: read.max_entries,
                ..ContainerLimits::default()
            }),
            pdq_pipeline: if read.pdq_cli_compat {
                PdqPipeline::CliCompat
            } else {
                PdqPipeline::Default
            },
            fast: read.fast,
            video: video_config(read)?,
            evidence_type: read.evidence_type,
            carving: CarveOptions {
                enabled: !read.no_carve,
                max_bytes: read.max_carve_bytes,
            },
        })
    }
}

/// How videos are decoded and matched (ffmpeg itself is found when the scan is built).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VideoSettings {
    /// `--video-seconds-per-hash`: 0 hashes every frame.
    pub seconds_per_hash: f64,
    /// `--video-timeout`, at least 1.
    pub timeout_seconds: u64,
    /// `--vpdq-threshold` (`scan` only).
    pub vpdq: VpdqThresholds,
}

/// The video settings of `--no-video`, `--video-seconds-per-hash` and `--video-timeout`.
fn video_config(read: &ReadArgs) -> Result<Option<VideoSettings>> {
    if read.no_video {
        return Ok(None);
    }
    let seconds = read.video_seconds_per_hash;
    if !(seconds.is_finite() && seconds >= 0.0) {
        bail!("--video-seconds-per-hash {seconds}: expected 0 or a positive number");
    }
    Ok(Some(VideoSettings {
        seconds_per_hash: seconds,
        timeout_seconds: read.video_timeout.max(1),
        vpdq: VpdqThresholds::default(),
    }))
}

/// One `--list` or `--known` file: its path, the format forced on it (its own
/// `FORMAT:FILE`, else `--list-format`) and its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSpec {
    pub path: PathBuf,
    pub format: Option<ListFormat>,
    pub role: ListRole,
}

/// Where the report goes and how it is rendered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputConfig {
    /// `-o`; standard output without it.
    pub report: Option<PathBuf>,
    /// `--format`: rendered to standard output from the written report.
    pub format: ReportFormat,
    /// `--manifest`.
    pub manifest: Option<PathBuf>,
    /// `--force`: replace an existing report or manifest.
    pub force: bool,
    pub render: RenderOptions,
    pub case: Option<CaseIdentity>,
}

/// Everything a scan was asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanConfig {
    /// Evidence paths in command-line order, exhibits' paths after them.
    pub evidence: Vec<PathBuf>,
    /// Each evidence path's exhibit ID, in `evidence` order.
    pub exhibits: Vec<Option<String>>,
    pub lists: Vec<ListSpec>,
    pub lenient: bool,
    pub category_map: Option<PathBuf>,
    pub thresholds: Thresholds,
    pub read: ReadConfig,
    pub listing: Listing,
    pub dihedral: bool,
    pub alert_rule: AlertRule,
    pub output: OutputConfig,
    pub verify_image: bool,
    pub journal: Option<PathBuf>,
}

impl TryFrom<ScanArgs> for ScanConfig {
    type Error = anyhow::Error;

    fn try_from(mut args: ScanArgs) -> Result<Self> {
        let exhibits = fold_exhibits(&mut args.evidence, &args.exhibit)?;
        let mut read = ReadConfig::try_from(&args.read)?;
        if let (Some(video), Some(vpdq)) = (read.video.as_mut(), args.vpdq_threshold) {
            video.vpdq = vpdq;
        }
        let output = OutputConfig {
            report: args.output,
            format: args.format,
            manifest: args.manifest,
            force: args.force,
            // The case number goes in the header (`case`), where every renderer finds it;
            // `RenderOptions::case_number` is `report`'s override of a recorded one.
            render: RenderOptions {
                case_number: None,
                ..reports::render_options(&args.render)
            },
            case: CaseIdentity::of(
                args.render.case_number,
                args.render.examiner,
                args.render.agency,
            ),
        };
        let lists = list_specs(&args.lists, &args.known, args.list_format);
        let config = ScanConfig {
            evidence: args.evidence,
            exhibits,
            lists,
            lenient: args.lenient,
            category_map: args.category_map,
            thresholds: thresholds(&args.thresholds)?,
            read,
            listing: Listing {
                all_files: args.all_files,
                skipped: args.list_skipped,
                low_quality: args.list_low_quality,
                weak: args.report_weak,
            },
            dihedral: !args.no_dihedral,
            alert_rule: AlertRule {
                alert_on_weak: args.alert_on_weak,
            },
            output,
            verify_image: args.verify_image,
            journal: args.journal,
        };
        config.check()?;
        Ok(config)
    }
}

impl ScanConfig {
    /// The rules between flags and destinations that could only fail once the scan is
    /// over: checked before any work is done (again on a resume: the disk may have
    /// changed).
    pub fn check(&self) -> Result<()> {
        reports::check_output(&self.output, &self.evidence)?;
        for output in self.output.report.iter().chain(&self.journal) {
            check_output_outside_evidence(output, &self.evidence)?;
        }
        Ok(())
    }
}

/// Every `--list` then every `--known`, in command-line order, each with the format forced
/// on it: its own `FORMAT:FILE` prefix, else `format`.
fn list_specs(lists: &[PathBuf], known: &[PathBuf], format: Option<ListFormat>) -> Vec<ListSpec> {
    let with_role = |paths: &[PathBuf], role| {
        paths
            .iter()
            .map(move |arg| {
                let (path, own) = list_argument(arg);
                ListSpec {
                    path,
                    format: own.or(format),
                    role,
                }
            })
            .collect::<Vec<_>>()
    };
    let mut specs = with_role(lists, ListRole::Alert);
    specs.extend(with_role(known, ListRole::KnownGood));
    specs
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Args, Command};
    use clap::Parser;

    fn config(argv: &[&str]) -> Result<ScanConfig> {
        let args = Args::try_parse_from(["hashsweep", "scan"].iter().chain(argv))?;
        let Command::Scan(args) = args.command else {
            unreachable!()
        };
        ScanConfig::try_from(*args)
    }

    #[test]
    fn every_flag_is_resolved_once() {
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().to_str().unwrap();
        let c = config(&[
            evidence,
            "-l",
            "sha256:a.txt",
            "-k",
            "b.txt",
            "--list-format",
            "pdq",
            "--threshold",
            "pdq=20",
            "--perceptual",
            "pdq,none",
            "--no-archives",
            "--no-video",
            "--no-dihedral",
            "--alert-on-weak",
            "--case-number",
            "42",
        ])
        .unwrap();
        assert_eq!(
            c.lists,
            [
                ListSpec {
                    path: "a.txt".into(),
                    format: Some(ListFormat::Sha256),
                    role: ListRole::Alert
                },
                ListSpec {
                    path: "b.txt".into(),
                    format: Some(ListFormat::Pdq),
                    role: ListRole::KnownGood
                },
            ]
        );
        assert_eq!(c.thresholds.get(Algorithm::Pdq), Some(20));
        assert_eq!(c.read.perceptual, Some(vec![Algorithm::Pdq]));
        assert!(c.read.containers.is_none() && c.read.video.is_none());
        assert!(!c.dihedral && c.alert_rule.alert_on_weak);
        assert_eq!(
            c.output.render.case_number, None,
            "recorded once, in `case`"
        );
        assert_eq!(c.output.case.unwrap().number.as_deref(), Some("42"));
    }

    #[test]
    fn a_recorded_config_rebuilds_the_same_scan() {
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().to_str().unwrap();
        let c = config(&[
            evidence,
            "-l",
            "sha256:a.txt",
            "--threshold",
            "phash=4",
            "--perceptual",
            "pdq,dhash",
            "--evidence-type",
            "raw",
            "--vpdq-threshold",
            "query=70",
            "--max-entries",
            "5",
            "--no-carve",
            "--pdq-cli-compat",
            "--list-skipped",
            "--format",
            "csv",
            "-o",
            "/tmp/r.jsonl",
            "--examiner",
            "J. Doe",
            "--threads",
            "3",
        ])
        .unwrap();
        let recorded = serde_json::to_value(&c).unwrap();
        let back: ScanConfig = serde_json::from_value(recorded.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), recorded);
        assert_eq!(back.read.video.unwrap().vpdq.query_percent, 70.0);
        assert_eq!(back.read.evidence_type, EvidenceType::Raw);
        // The resuming command says how many threads.
        assert_eq!((c.read.threads, back.read.threads), (Some(3), None));
        // A recorded threshold is checked as a typed one is.
        let mut tampered = recorded;
        tampered["thresholds"]["pdq"] = 300.into();
        assert!(serde_json::from_value::<ScanConfig>(tampered).is_err());
    }

    #[test]
    fn rules_between_flags_are_checked_before_anything_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().to_str().unwrap();
        let inside = dir.path().join("report.jsonl");
        let err = config(&[evidence, "-l", "x", "-o", inside.to_str().unwrap()]).unwrap_err();
        assert!(
            format!("{err:#}").contains("inside the evidence"),
            "{err:#}"
        );
        let err = config(&[evidence, "-l", "x", "--format", "text"]).unwrap_err();
        assert!(format!("{err:#}").contains("needs -o FILE"), "{err:#}");
        let err = config(&[evidence, "-l", "x", "--threads", "0"]).unwrap_err();
        assert!(format!("{err:#}").contains("at least 1"), "{err:#}");
    }
}
