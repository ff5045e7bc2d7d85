//! What kind of evidence a path is: decided from content, or forced by the examiner.
//!
//! Owns `EvidenceType` (the `--evidence-type` choices), `open_as` and the discovery of the
//! pieces of a split raw image. E01 segments (`.E02…`) are found by the `ewf` crate. A
//! regular file that is neither an E01 nor starts with a partition table or a filesystem is
//! scanned as a single file, as before disk images were supported.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bytes::{ByteSource, RawFile, SplitRaw};
use super::ewf_chunks::Ewf;
use super::partition::{self, Layout};
use super::DiskImageSource;
use crate::evidence::directory::open_read_only;
use crate::evidence::{DirectorySource, EvidenceError, EvidenceSource};

/// How to read the evidence path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceType {
    /// Decide from content: directory, E01, raw disk image, or a single file.
    #[default]
    Auto,
    /// A directory tree.
    Directory,
    /// One file, hashed as it is (an image file is not opened up).
    File,
    /// A raw disk or volume image; `x.001` takes `x.002…` with it.
    Raw,
    /// An Expert Witness image; `x.E01` takes `x.E02…` with it.
    Ewf,
}

impl EvidenceType {
    pub const ALL: [EvidenceType; 5] = [
        EvidenceType::Auto,
        EvidenceType::Directory,
        EvidenceType::File,
        EvidenceType::Raw,
        EvidenceType::Ewf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceType::Auto => "auto",
            EvidenceType::Directory => "directory",
            EvidenceType::File => "file",
            EvidenceType::Raw => "raw",
            EvidenceType::Ewf => "ewf",
        }
    }
}

impl std::str::FromStr for EvidenceType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EvidenceType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown evidence type {s:?}"))
    }
}

/// EWF v1 (`EVF 09 0D 0A FF 00`) and v2 (`EVF2 0D 0A 81 00`) segment signatures.
const EWF1: &[u8; 8] = b"EVF\x09\x0d\x0a\xff\x00";
const EWF2: &[u8; 8] = b"EVF2\x0d\x0a\x81\x00";

/// Opens `path` as evidence of type `ty`.
pub(crate) fn open_as(
    path: &Path,
    ty: EvidenceType,
) -> Result<Box<dyn EvidenceSource>, EvidenceError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| EvidenceError::Open {
        path: path.to_path_buf(),
        error: source,
    })?;
    let unsupported = || EvidenceError::Unsupported {
        path: path.to_path_buf(),
    };
    match ty {
        _ if meta.is_dir() && matches!(ty, EvidenceType::Auto | EvidenceType::Directory) => {
            Ok(Box::new(DirectorySource::new(path)))
        }
        _ if !meta.is_file() => Err(unsupported()),
        EvidenceType::Directory => Err(unsupported()),
        EvidenceType::File => Ok(Box::new(DirectorySource::new(path))),
        EvidenceType::Ewf => open_ewf(path),
        EvidenceType::Raw => Ok(Box::new(open_raw(path)?.0)),
        EvidenceType::Auto if is_ewf(path) => open_ewf(path),
        EvidenceType::Auto => {
            let (source, layout) = open_raw(path)?;
            if layout == Layout::Unknown {
                Ok(Box::new(DirectorySource::new(path)))
            } else {
                Ok(Box::new(source))
            }
        }
    }
}

/// Opens the byte source of an image, with its kind name.
pub(crate) fn open_bytes(
    path: &Path,
    ty: EvidenceType,
) -> Result<(&'static str, Arc<dyn ByteSource>), EvidenceError> {
    let ewf = match ty {
        EvidenceType::Ewf => true,
        EvidenceType::Raw => false,
        _ => is_ewf(path),
    };
    if ewf {
        let img = Ewf::open(path).map_err(|e| image_error(path, e))?;
        return Ok(("ewf", Arc::new(img)));
    }
    let pieces = split_pieces(path);
    if pieces.len() > 1 {
        let img = SplitRaw::open(&pieces).map_err(|e| open_error(path, e))?;
        Ok(("split_raw", Arc::new(img)))
    } else {
        let img = RawFile::open(path).map_err(|e| open_error(path, e))?;
        Ok(("raw", Arc::new(img)))
    }
}

fn open_ewf(path: &Path) -> Result<Box<dyn EvidenceSource>, EvidenceError> {
    let (kind, src) = open_bytes(path, EvidenceType::Ewf)?;
    Ok(Box::new(DiskImageSource::new(path, kind, src)))
}

fn open_raw(path: &Path) -> Result<(DiskImageSource, Layout), EvidenceError> {
    let (kind, src) = open_bytes(path, EvidenceType::Raw)?;
    let layout = partition::detect(src.as_ref());
    Ok((DiskImageSource::new(path, kind, src), layout))
}

/// The image file itself cannot be opened or read: fatal, like any unreadable evidence.
fn open_error(path: &Path, source: std::io::Error) -> EvidenceError {
    EvidenceError::Open {
        path: path.to_path_buf(),
        error: source,
    }
}

/// The image opens but its container is damaged: one failure of that evidence.
fn image_error(path: &Path, e: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::Image {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn is_ewf(path: &Path) -> bool {
    let mut sig = [0u8; 8];
    open_read_only(path)
        .and_then(|mut f| f.read_exact(&mut sig))
        .is_ok()
        && (&sig == EWF1 || &sig == EWF2)
}

/// `x.E01` → `[x.E01, x.E02, …]` while the next segment exists (EnCase names: `.E01` to
/// `.E99`, then `.EAA` to `.EZZ`); any other name → itself.
pub(crate) fn ewf_segments(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(stem) = name
        .strip_suffix(".E01")
        .or_else(|| name.strip_suffix(".e01"))
    else {
        return vec![path.to_path_buf()];
    };
    let upper = name.ends_with(".E01");
    let letters = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| format!("{}{}", a as char, b as char)));
    let suffixes = (2..=99u32).map(|n| format!("{n:02}")).chain(letters);
    let mut segments = vec![path.to_path_buf()];
    for suffix in suffixes {
        let ext = if upper {
            format!("E{suffix}")
        } else {
            format!("e{}", suffix.to_lowercase())
        };
        let next = path.with_file_name(format!("{stem}.{ext}"));
        if !next.is_file() {
            break;
        }
        segments.push(next);
    }
    segments
}

/// `x.001` → `[x.001, x.002, …]` while the next piece exists; any other name → itself.
pub(crate) fn split_pieces(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(stem) = name.strip_suffix(".001") else {
        return vec![path.to_path_buf()];
    };
    let mut pieces = vec![path.to_path_buf()];
    // Three digits are the common convention (FTK, `split -d -a 3`); 999 pieces at most.
    for n in 2..=999u32 {
        let next = path.with_file_name(format!("{stem}.{n:03}"));
        if !next.is_file() {
            break;
        }
        pieces.push(next);
    }
    pieces
}
