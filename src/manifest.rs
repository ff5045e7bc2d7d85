//! The chain-of-custody manifest written beside every scan report, and its verification.
//!
//! Owns the manifest's wire format (`hashsweep-manifest` v1, docs/reports.md): which build
//! ran which command where and when, with which thresholds and algorithms, against which
//! lists (their SHA-256 and counts), over which evidence (path, size, the image's own hashes
//! when `--verify-image` computed or read them), and the SHA-256 of the report file itself.
//! `verify` re-hashes the report and every list and says, per file, whether it still
//! matches. Writing the report is the caller's; `DigestWriter` hashes it on the way out.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::report::read::ScanReport;
use crate::report::why::EXACT_ALGORITHMS;

pub const MANIFEST_FORMAT: &str = "hashsweep-manifest";
/// Bumped on any incompatible change.
pub const MANIFEST_VERSION: u32 = 1;

/// Which build this is. `build_id` is `HASHSWEEP_BUILD_ID` as a packager or CI set it at
/// compile time, else `git-<commit>` of the checkout built (build.rs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    pub name: String,
    pub version: String,
    pub build_id: Option<String>,
    pub target: String,
    pub profile: String,
    /// The Cargo features this build was made with (`heif`, `turbojpeg`).
    #[serde(default)]
    pub features: Vec<String>,
    /// SHA-256 of the running program's own file, so the build that wrote a report can
    /// be told from any other (`sha256sum $(which hashsweep)`); `None` if unreadable.
    #[serde(default)]
    pub program_sha256: Option<String>,
}

impl BuildInfo {
    pub fn current() -> Self {
        BuildInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            build_id: option_env!("HASHSWEEP_BUILD_ID").map(str::to_string),
            target: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .into(),
            features: [
                cfg!(feature = "heif").then_some("heif"),
                cfg!(feature = "turbojpeg").then_some("turbojpeg"),
            ]
            .into_iter()
            .flatten()
            .map(str::to_string)
            .collect(),
            program_sha256: std::env::current_exe()
                .ok()
                .and_then(|exe| sha256_file(&exe).ok())
                .map(|(digest, _)| digest),
        }
    }
}

/// A file the manifest vouches for by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// `None` when the report went to standard output (its digest is kept, but there is no
    /// file to check again). Relative to the manifest's own directory for the report.
    pub path: Option<PathBuf>,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestList {
    pub name: String,
    /// As given on the command line; relative paths are relative to `working_directory`.
    pub path: PathBuf,
    pub role: String,
    pub format: String,
    pub format_version: Option<String>,
    pub sha256: String,
    pub bytes: u64,
    pub records: u64,
    pub entries: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEvidence {
    /// The exhibit ID given with `--exhibit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhibit: Option<String>,
    pub path: PathBuf,
    pub kind: String,
    /// Bytes of the evidence file, all segments of a split or E01 image together; `None`
    /// for a directory, whose identity is its path and the report's per-file hashes.
    pub size: Option<u64>,
    /// A disk image's segment files with their sizes, its media size and the hashes its
    /// acquisition tool stored, as the report header records them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_hashes: Option<Value>,
    /// `--verify-image` result for a disk image: computed and stored hashes, as in the
    /// report header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_hashes: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub tool: BuildInfo,
    pub command_line: Vec<String>,
    /// Case number, examiner and agency, as the report header records them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<crate::report::CaseIdentity>,
    #[serde(serialize_with = "crate::evidence::serialize_lossy")]
    pub working_directory: PathBuf,
    pub host: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub interrupted: bool,
    pub thresholds: BTreeMap<String, u32>,
    pub exact_algorithms: Vec<String>,
    pub perceptual_algorithms: Vec<String>,
    pub lists: Vec<ManifestList>,
    /// The lab's category map (`--category-map`): path, SHA-256 and rule count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_map: Option<Value>,
    pub evidence: Vec<ManifestEvidence>,
    pub report: FileDigest,
}

/// Where and by whom a manifest is made, besides the report itself.
#[derive(Debug, Clone)]
pub struct ManifestContext {
    pub working_directory: PathBuf,
    pub host: String,
    pub report: FileDigest,
}

impl Manifest {
    pub fn new(report: &ScanReport, context: ManifestContext) -> Manifest {
        let h = &report.header;
        let lists = h.lists.iter().map(|l| ManifestList {
            name: l.name.clone(),
            path: PathBuf::from(&l.path),
            role: l.role.to_string(),
            format: l.format.clone(),
            format_version: l.format_version.clone(),
            sha256: l.sha256.clone(),
            bytes: l.bytes,
            records: l.records,
            entries: l.entries.clone(),
        });
        let evidence = h.evidence.iter().enumerate().map(|(i, e)| {
            let path = context.working_directory.join(&e.path);
            let files = e.files.as_ref().map(|f| f.json().into_owned());
            let segments_size = files
                .as_ref()
                .and_then(Value::as_array)
                .map(|files| files.iter().filter_map(|f| f["size"].as_u64()).sum::<u64>());
            ManifestEvidence {
                exhibit: e.exhibit.clone(),
                path: PathBuf::from(&e.path),
                kind: e.kind.clone(),
                size: segments_size.or_else(|| {
                    std::fs::metadata(path)
                        .ok()
                        .filter(|m| m.is_file())
                        .map(|m| m.len())
                }),
                files,
                media_size: e.media_size,
                stored_hashes: e.stored_hashes.as_ref().map(|s| s.json().into_owned()),
                image_hashes: h
                    .evidence_verification
                    .iter()
                    .map(|v| v.json().into_owned())
                    .find(|v| v["evidence"].as_u64() == Some(i as u64)),
            }
        });
        let evidence = evidence.collect();
        Manifest {
            format: MANIFEST_FORMAT.into(),
            format_version: MANIFEST_VERSION,
            tool: BuildInfo::current(),
            command_line: h.command_line.clone(),
            case: h.case.clone(),
            working_directory: context.working_directory,
            host: context.host,
            started_at: h.started_at.clone(),
            finished_at: report.summary.as_ref().map(|s| s.finished_at.clone()),
            interrupted: report.summary.as_ref().is_none_or(|s| s.interrupted),
            thresholds: h.thresholds.clone(),
            exact_algorithms: EXACT_ALGORITHMS.iter().map(|a| a.to_string()).collect(),
            perceptual_algorithms: h.perceptual_algorithms.clone(),
            lists: lists.collect(),
            category_map: h.category_map.as_ref().map(|m| m.json().into_owned()),
            evidence,
            report: context.report,
        }
    }

    pub fn write<W: Write>(&self, out: &mut W) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

/// The conventional manifest path for a report: `<report>.manifest.json`.
pub fn manifest_path_for(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_os_string();
    name.push(".manifest.json");
    PathBuf::from(name)
}

/// This machine's name, from the kernel (no unsafe `gethostname` needed on Linux).
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// A writer that passes bytes through and keeps their SHA-256 and count.
pub struct DigestWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> DigestWriter<W> {
    pub fn new(inner: W) -> Self {
        DigestWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Flushes and returns the digest of everything written (path left for the caller).
    pub fn finish(mut self) -> io::Result<FileDigest> {
        self.inner.flush()?;
        Ok(FileDigest {
            path: None,
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.bytes,
        })
    }
}

impl<W: Write> Write for DigestWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// SHA-256 and length of a file's bytes.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    // The cause is in the message, not chained as a source: `{:#}` would print it twice.
    #[error("cannot read the manifest {path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("{path} is not a hashsweep manifest: {error}")]
    Parse {
        path: PathBuf,
        error: serde_json::Error,
    },
    #[error("{path}: manifest format {found:?} v{version} is not one this build reads")]
    Unsupported {
        path: PathBuf,
        found: String,
        version: u32,
    },
}

/// The verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok,
    Mismatch {
        actual: String,
    },
    Unreadable {
        error: String,
    },
    /// The report went to standard output: its digest is recorded, nothing to re-check.
    NotAFile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `report` or `list NAME`.
    pub subject: String,
    pub path: Option<PathBuf>,
    pub expected: String,
    pub status: Status,
}

impl Check {
    /// Only a `NotAFile` report is accepted without a digest comparison.
    pub fn passed(&self) -> bool {
        matches!(self.status, Status::Ok | Status::NotAFile)
    }
}

/// Reads a manifest file.
pub fn read_manifest(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read(path).map_err(|source| ManifestError::Io {
        path: path.to_path_buf(),
        error: source,
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|source| ManifestError::Parse {
            path: path.to_path_buf(),
            error: source,
        })?;
    if manifest.format != MANIFEST_FORMAT || manifest.format_version > MANIFEST_VERSION {
        return Err(ManifestError::Unsupported {
            path: path.to_path_buf(),
            found: manifest.format,
            version: manifest.format_version,
        });
    }
    Ok(manifest)
}

/// Re-hashes the report (relative to the manifest's directory) and every list (relative
/// to the scan's working directory) and compares with the recorded SHA-256.
pub fn verify(manifest_path: &Path) -> Result<Vec<Check>, ManifestError> {
    let manifest = read_manifest(manifest_path)?;
    let base = manifest_path.parent().unwrap_or(Path::new(""));
    let mut checks = vec![match &manifest.report.path {
        Some(p) => check_file("report".into(), &base.join(p), &manifest.report.sha256),
        None => Check {
            subject: "report".into(),
            path: None,
            expected: manifest.report.sha256.clone(),
            status: Status::NotAFile,
        },
    }];
    for list in &manifest.lists {
        let path = manifest.working_directory.join(&list.path);
        checks.push(check_file(
            format!("list {}", list.name),
            &path,
            &list.sha256,
        ));
    }
    Ok(checks)
}

fn check_file(subject: String, path: &Path, expected: &str) -> Check {
    let status = match sha256_file(path) {
        Ok((actual, _)) if actual.eq_ignore_ascii_case(expected) => Status::Ok,
        Ok((actual, _)) => Status::Mismatch { actual },
        Err(e) => Status::Unreadable {
            error: e.to_string(),
        },
    };
    Check {
        subject,
        path: Some(path.to_path_buf()),
        expected: expected.to_string(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_writer_hashes_what_passes_through() {
        let mut w = DigestWriter::new(Vec::new());
        w.write_all(b"abc").unwrap();
        let d = w.finish().unwrap();
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.bytes, 3);
    }

    #[test]
    fn verify_notices_a_changed_report_and_a_missing_list() {
        let dir = tempfile::tempdir().unwrap();
        let report_path = dir.path().join("scan.jsonl");
        let text = include_str!("../fixtures/reports/sample-scan.jsonl");
        std::fs::write(&report_path, text).unwrap();
        let report = ScanReport::read(text.as_bytes()).unwrap();
        let (sha256, bytes) = sha256_file(&report_path).unwrap();
        let context = ManifestContext {
            working_directory: dir.path().to_path_buf(),
            host: "test-host".into(),
            report: FileDigest {
                path: Some("scan.jsonl".into()),
                sha256,
                bytes,
            },
        };
        let manifest = Manifest::new(&report, context);
        let manifest_path = manifest_path_for(&report_path);
        manifest
            .write(&mut File::create(&manifest_path).unwrap())
            .unwrap();
        let checks = verify(&manifest_path).unwrap();
        assert!(checks[0].passed());
        assert!(matches!(checks[1].status, Status::Unreadable { .. }));
        std::fs::write(&report_path, format!("{text}\n")).unwrap();
        let checks = verify(&manifest_path).unwrap();
        assert!(matches!(checks[0].status, Status::Mismatch { .. }));
    }
}
