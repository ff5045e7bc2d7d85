//! Evidence sources: what a scan walks, and how each file in it is opened for reading.
//!
//! Owns the `EvidenceSource` trait (enumerate items, open one read-only), the item model
//! (`EvidenceItem`, `ItemPath`, `SkipReason`) and `open_evidence`, which picks a source
//! for a path. Each kind of source (directory; disk images under `disk/`) lives in its own
//! module.
//! Sources never write: not to the evidence, not beside it.

pub mod container;
pub(crate) mod directory;
pub mod disk;
pub mod meta;
mod path;
mod statx;

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::failure::{Failure, FailureKind};

pub use directory::DirectorySource;
pub use disk::bytes::StoredHashes;
pub use disk::carve::CarveOptions;
pub use disk::detect::EvidenceType;
pub use disk::verify::{verify_image, ImageVerification};
pub use disk::{CarvedRegion, DiskImageSource, ItemLocation};
pub use meta::FileMeta;
pub use path::{serialize_lossy, ItemPath};

/// A place files come from: a directory today, a disk image tomorrow.
pub trait EvidenceSource: Send + Sync {
    /// What the examiner named, and what kind of source it turned out to be.
    fn info(&self) -> SourceInfo;

    /// Every item of the source, in any order. Checks `stop` between items.
    fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError>;

    /// Every item of the source in report order: by path bytes, items that share a path in
    /// the source's own (deterministic) order. The stream ends early once `stop` is set.
    /// By default everything is listed, then sorted; a source that can list in order
    /// without holding every item (a directory) streams instead.
    fn items<'a>(&'a self, stop: &'a AtomicBool) -> Result<ItemStream<'a>, EvidenceError> {
        let mut items = self.enumerate(stop)?;
        // Stable: items sharing a path keep the source's order.
        items.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(ItemStream::listed(items))
    }

    /// Opens one `ItemKind::File` item read-only.
    fn open(&self, item: &EvidenceItem) -> io::Result<Box<dyn Read + Send + '_>>;

    /// For a disk image, hashes its whole media through the reader already open (and
    /// compares with the hashes stored in an E01); `None` for a source with no media.
    /// Thread-safe, so it can run while the source's files are being read.
    fn verify_media(&self, _stop: &AtomicBool) -> Option<ImageVerification> {
        None
    }

    /// How a disk image's unowned bytes are carved for pictures (sources without media
    /// ignore it). Set before `enumerate`.
    fn set_carving(&self, _options: CarveOptions) {}
}

/// A source's items in report order (`EvidenceSource::items`): streamed as they are found,
/// or listed whole before the scan, in which case their totals are known from the start.
pub struct ItemStream<'a> {
    items: Box<dyn Iterator<Item = EvidenceItem> + Send + 'a>,
    listed: Option<ListedTotals>,
}

/// How many items a source listed before the scan, and their listed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedTotals {
    pub items: u64,
    pub bytes: u64,
}

impl<'a> ItemStream<'a> {
    /// Items found as the stream is read.
    pub fn streamed(items: impl Iterator<Item = EvidenceItem> + Send + 'a) -> Self {
        ItemStream {
            items: Box::new(items),
            listed: None,
        }
    }

    /// Items listed whole, in report order; each is handed out (and its memory freed once
    /// the scan is done with it) as the stream is read.
    pub fn listed(items: Vec<EvidenceItem>) -> Self {
        let totals = ListedTotals {
            items: items.len() as u64,
            bytes: items.iter().map(EvidenceItem::listed_size).sum(),
        };
        Self::counted(items.into_iter(), totals)
    }

    /// Items listed (and counted) before the scan, handed out as they are made.
    pub fn counted(
        items: impl Iterator<Item = EvidenceItem> + Send + 'a,
        totals: ListedTotals,
    ) -> Self {
        ItemStream {
            items: Box::new(items),
            listed: Some(totals),
        }
    }

    /// The totals, for a source that listed its items before the scan.
    pub fn listed_totals(&self) -> Option<ListedTotals> {
        self.listed
    }
}

impl Iterator for ItemStream<'_> {
    type Item = EvidenceItem;

    fn next(&mut self) -> Option<EvidenceItem> {
        self.items.next()
    }
}

/// Identity of an evidence source, for the report header and the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// The exhibit ID the examiner gave this evidence (`--exhibit ID=PATH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhibit: Option<String>,
    #[serde(serialize_with = "path::serialize_lossy")]
    pub path: PathBuf,
    /// The path's exact bytes in hex, present only when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_raw_hex: Option<String>,
    pub kind: &'static str,
    /// A disk image's files (every segment of a split or E01 image) with their sizes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<SourceFile>,
    /// A disk image's media size: the bytes the image holds, whatever its container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_size: Option<u64>,
    /// Media hashes stored in the image by the acquisition tool (E01), without verifying
    /// them (`--verify-image` does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_hashes: Option<StoredHashes>,
}

impl SourceInfo {
    /// A directory or single file: its path and kind say all.
    pub fn plain(path: &Path, kind: &'static str) -> Self {
        SourceInfo {
            exhibit: None,
            path: path.to_path_buf(),
            path_raw_hex: ItemPath::from(path).raw_hex_if_not_utf8(),
            kind,
            files: Vec::new(),
            media_size: None,
            stored_hashes: None,
        }
    }
}

/// One file of an evidence source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    #[serde(serialize_with = "path::serialize_lossy")]
    pub path: PathBuf,
    pub size: u64,
}

/// One thing found in a source: a file to hash, or something accounted for otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    pub path: ItemPath,
    pub kind: ItemKind,
    /// How the source finds the item again in `open`.
    pub locator: Locator,
    /// Partition, filesystem, inode and deleted flag of an item inside a disk image;
    /// `None` for files of a directory.
    pub location: Option<ItemLocation>,
    /// Times, owner and attributes of the file, where its source keeps them.
    pub meta: Option<FileMeta>,
}

impl EvidenceItem {
    /// The size the source lists for a file; 0 for anything else.
    pub fn listed_size(&self) -> u64 {
        match self.kind {
            ItemKind::File { size } => size,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// A regular file of the given size (as listed; the read may find otherwise).
    File { size: u64 },
    /// Deliberately not read, with the reason.
    Skipped { reason: SkipReason },
    /// Could not even be listed (e.g. a directory without permission).
    Unreadable { failure: Box<Failure> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// A path on the examiner's own filesystem.
    Path(PathBuf),
    /// Where a disk image's file lies in the image: its byte runs or its inline bytes.
    Image(disk::ImageContent),
    /// Nothing to read (an item skipped or failed as listed).
    NoContent,
}

/// Why an item was seen but not read. The `code` is what the summary counts by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A symbolic link: never followed, so nothing outside the evidence is read.
    Symlink,
    /// A FIFO, socket or device node: never opened (a FIFO would block the scan).
    SpecialFile,
    /// The scan was interrupted before this item was read.
    Interrupted,
    /// A partition (or a whole image) holding no filesystem hashsweep reads: its table type
    /// and size, so the examiner knows what was left out.
    UnsupportedPartition { partition_type: String, size: u64 },
    /// Compressed file data the filesystem reader cannot decode (NTFS LZNT1).
    Compressed,
    /// Encrypted file data or volume (NTFS EFS, BitLocker, LUKS), or an encrypted archive
    /// entry or archive.
    Encrypted,
    /// A container hashsweep recognises but cannot open (rar), or an entry kind or
    /// compression method it cannot read: what it is, for the examiner.
    ArchiveUnsupported { what: String },
    /// A hard link inside an archive: its content is the entry it links to, examined there.
    HardLink,
    /// A container nested deeper than `--max-depth`: hashed as a file, not opened.
    TooDeep { depth: u32 },
    /// A container larger than `--max-entry-bytes`: digested as it streamed, not opened.
    TooLarge { limit: u64 },
    /// A container whose content equals an enclosing container's (a quine): not opened
    /// again.
    Recursive,
    /// A regular file of zero bytes as listed: no content to hash or match (the empty
    /// file's digests are on many lists and would match every empty file).
    Empty,
    /// A deleted file whose metadata survives but whose content the filesystem cleared on
    /// deletion (ext4 zeroes a deleted inode's size and extents): listed so that the file
    /// list equals The Sleuth Kit's, with nothing to read.
    ContentErased,
    /// A video whose frames were not decoded because no ffmpeg is installed: the video
    /// itself is digested and matched exactly; this stands for its frames.
    NoVideoDecoder,
    /// A video larger than the in-memory cap for decoding: digested as it streamed, its
    /// frames not decoded.
    VideoTooLarge { limit: u64 },
}

/// The two kinds of skipped item (docs/report-format.md, "Skip reasons"): an examiner must
/// know what was not looked at, but not be shown every link and device node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// Content exists that was not hashed or decoded: one report record per item.
    NotExamined,
    /// No content of its own (a link, a device node, an empty file): counted, not listed
    /// unless asked (`--list-skipped`).
    NothingToExamine,
}

impl SkipKind {
    pub fn code(self) -> &'static str {
        match self {
            SkipKind::NotExamined => "not_examined",
            SkipKind::NothingToExamine => "nothing_to_examine",
        }
    }
}

impl SkipReason {
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Symlink => "symlink",
            SkipReason::SpecialFile => "special_file",
            SkipReason::Interrupted => "interrupted",
            SkipReason::UnsupportedPartition { .. } => "unsupported_partition",
            SkipReason::Compressed => "compressed",
            SkipReason::Encrypted => "encrypted",
            SkipReason::ArchiveUnsupported { .. } => "archive_unsupported",
            SkipReason::HardLink => "hard_link",
            SkipReason::TooDeep { .. } => "too_deep",
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::Recursive => "recursive_container",
            SkipReason::Empty => "empty",
            SkipReason::ContentErased => "content_erased",
            SkipReason::NoVideoDecoder => "no_video_decoder",
            SkipReason::VideoTooLarge { .. } => "too_large",
        }
    }

    /// Whether content was left unexamined. Every reason is classified here, by an
    /// exhaustive match, so a new reason cannot be added without deciding whether the
    /// examiner must see each such item.
    pub fn kind(&self) -> SkipKind {
        match self {
            SkipReason::Symlink
            | SkipReason::SpecialFile
            | SkipReason::Empty
            | SkipReason::ContentErased
            | SkipReason::HardLink
            | SkipReason::Recursive => SkipKind::NothingToExamine,
            SkipReason::Interrupted
            | SkipReason::UnsupportedPartition { .. }
            | SkipReason::Compressed
            | SkipReason::Encrypted
            | SkipReason::ArchiveUnsupported { .. }
            | SkipReason::TooDeep { .. }
            | SkipReason::TooLarge { .. }
            | SkipReason::NoVideoDecoder
            | SkipReason::VideoTooLarge { .. } => SkipKind::NotExamined,
        }
    }

    /// The particulars behind the code, where there are any.
    pub fn detail(&self) -> Option<String> {
        match self {
            SkipReason::UnsupportedPartition {
                partition_type,
                size,
            } => Some(format!("partition type {partition_type}, {size} bytes")),
            SkipReason::ArchiveUnsupported { what } => Some(what.clone()),
            SkipReason::TooLarge { limit } => Some(format!(
                "container larger than {limit} bytes (--max-entry-bytes): entries not examined"
            )),
            SkipReason::Recursive => Some(
                "same content (SHA-256) as an enclosing container: not opened again".to_string(),
            ),
            SkipReason::TooDeep { depth } => Some(format!(
                "container nested {depth} levels deep (--max-depth): entries not examined"
            )),
            SkipReason::NoVideoDecoder => Some(
                "ffmpeg not found: the video's frames were not decoded (the video itself is \
                 digested and matched exactly)"
                    .to_string(),
            ),
            SkipReason::VideoTooLarge { limit } => Some(format!(
                "video larger than {limit} bytes: its frames were not decoded (the video \
                 itself is digested and matched exactly)"
            )),
            _ => None,
        }
    }
}

/// A source that cannot be scanned at all (fatal for the scan).
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    // The cause is in the message, not chained as a source: `{:#}` would print it twice.
    #[error("cannot open evidence {path}: {error}")]
    Open { path: PathBuf, error: io::Error },
    #[error("evidence {path} is not a directory or a file hashsweep can read")]
    Unsupported { path: PathBuf },
    #[error("enumeration of {path} was interrupted")]
    Interrupted { path: PathBuf },
    #[error("cannot start the scan's worker threads: {error}")]
    Threads { error: String },
    #[error("cannot read image {path}: {message}")]
    Image { path: PathBuf, message: String },
}

/// Opens the evidence at `path`, deciding its type from content: a directory is walked; an
/// E01 or a raw disk/volume image is opened up; any other regular file is scanned on its own.
pub fn open_evidence(path: &Path) -> Result<Box<dyn EvidenceSource>, EvidenceError> {
    open_evidence_as(path, EvidenceType::Auto)
}

/// A disk image that exists but cannot be opened up (a truncated or missing E01 segment, a
/// corrupt container): scanned as one failed item naming the error, so the other evidence
/// of the scan is still swept and the report says what could not be read.
pub struct UnreadableImage {
    path: PathBuf,
    error: String,
}

impl UnreadableImage {
    pub fn new(path: &Path, error: String) -> Self {
        UnreadableImage {
            path: path.to_path_buf(),
            error,
        }
    }
}

impl EvidenceSource for UnreadableImage {
    fn info(&self) -> SourceInfo {
        SourceInfo::plain(&self.path, "unreadable_image")
    }

    fn enumerate(&self, _stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
        Ok(vec![EvidenceItem {
            path: ItemPath::from(self.path.as_path()),
            kind: ItemKind::Unreadable {
                failure: Box::new(Failure::new(FailureKind::Open, self.error.clone())),
            },
            locator: Locator::Path(self.path.clone()),
            location: None,
            meta: None,
        }])
    }

    fn open(&self, _item: &EvidenceItem) -> io::Result<Box<dyn Read + Send + '_>> {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            self.error.clone(),
        ))
    }
}

/// Opens the evidence at `path` as the given type, but a disk image whose container cannot
/// be read becomes an `UnreadableImage` (one failure in the report) instead of an error.
/// Only evidence that cannot be opened at all (missing, no permission, not a file or
/// directory) is fatal.
pub fn open_evidence_or_failure(
    path: &Path,
    ty: EvidenceType,
) -> Result<Box<dyn EvidenceSource>, EvidenceError> {
    match disk::detect::open_as(path, ty) {
        Err(EvidenceError::Image { path, message }) => Ok(Box::new(UnreadableImage::new(
            &path,
            format!("cannot read image: {message}"),
        ))),
        other => other,
    }
}

/// Opens the evidence at `path` as the given type (`--evidence-type`).
pub fn open_evidence_as(
    path: &Path,
    ty: EvidenceType,
) -> Result<Box<dyn EvidenceSource>, EvidenceError> {
    disk::detect::open_as(path, ty)
}
