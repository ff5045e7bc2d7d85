//! Containers: files whose content is other files — archives (zip, 7z, tar) and single
//! compressed streams (gzip, bzip2, xz, zstd). Their entries are evidence within evidence.
//!
//! Owns recognising a container by its leading bytes (`sniff_container`; extensions are never
//! trusted), the entry model (`EntryInfo`, `EntryBody`), the limits a scan puts on opening
//! containers (`ContainerLimits`) and `read_entries`, which walks one container held in memory
//! and hands each entry to a visitor as a stream of decompressed bytes. One module per family
//! does the format work (`zip`, `sevenz`, `tar`, `stream`); `guard` counts decompressed bytes
//! as they are produced, so a bomb is stopped by what it yields, never by what its headers say.
//! Recursion into entries, the item names (`outer!/inner`) and the accounting belong to the
//! scan pipeline (`crate::nested`). Nothing here writes anything anywhere.

mod guard;
mod sevenz;
mod stream;
mod tar;
pub mod thumbcache;
mod thumbcache_checksum;
pub mod thumbs_db;
mod zip;

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

pub use guard::{Budget, BudgetExceeded, GuardedReader};

use super::SkipReason;
use crate::failure::{Failure, FailureKind};

/// The container formats hashsweep recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerFormat {
    Zip,
    #[serde(rename = "7z")]
    SevenZip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    /// Recognised but not opened (no maintained pure-Rust reader): the entries are not
    /// examined, and the report says so.
    Rar,
    /// The EXIF segment of a JPEG, holding its IFD1 thumbnail (`a.jpg!/exif-thumbnail`).
    Exif,
    /// The Multi-Picture Format index of a JPEG, listing its secondary images
    /// (`a.jpg!/mpf-2`).
    Mpf,
    /// The images of a Windows icon or cursor (`a.ico!/icon-2-32x32`).
    Ico,
    /// The pages of a multi-page TIFF after the first (`scan.tif!/page-2`).
    Tiff,
    /// The thumbnail items of a HEIF or AVIF picture (`a.heic!/thumbnail-2`).
    Heif,
    /// An OLE compound file, opened as a Windows thumbnail cache (`Thumbs.db`); any other
    /// OLE file (an Office 97–2003 document, an installer) is reported as not examined.
    ThumbsDb,
    /// A Windows Vista–11 thumbnail cache (`thumbcache_256.db`): its cached thumbnails.
    Thumbcache,
    /// A video's frames, decoded by ffmpeg and matched inside the video's own record. Named
    /// as a container only by `video!/$Unread`, the item for frames that were not decoded.
    Video,
}

impl ContainerFormat {
    pub fn name(self) -> &'static str {
        match self {
            ContainerFormat::Zip => "zip",
            ContainerFormat::SevenZip => "7z",
            ContainerFormat::Tar => "tar",
            ContainerFormat::Gzip => "gzip",
            ContainerFormat::Bzip2 => "bzip2",
            ContainerFormat::Xz => "xz",
            ContainerFormat::Zstd => "zstd",
            ContainerFormat::Rar => "rar",
            ContainerFormat::Exif => "exif",
            ContainerFormat::Mpf => "mpf",
            ContainerFormat::Ico => "ico",
            ContainerFormat::Tiff => "tiff",
            ContainerFormat::Heif => "heif",
            ContainerFormat::ThumbsDb => "thumbs_db",
            ContainerFormat::Thumbcache => "thumbcache",
            ContainerFormat::Video => "video",
        }
    }

    /// Whether the entries are thumbnails kept apart from their pictures (the summary's
    /// `thumbnails`): an EXIF thumbnail, a Windows thumbnail cache's entries.
    pub fn holds_thumbnails(self) -> bool {
        matches!(
            self,
            ContainerFormat::Exif | ContainerFormat::ThumbsDb | ContainerFormat::Thumbcache
        )
    }

    /// Whether `read_entries` lists and reads the entries (a picture's embedded children are
    /// found by `embedded`, not here).
    pub fn is_supported(self) -> bool {
        !matches!(
            self,
            ContainerFormat::Rar
                | ContainerFormat::Exif
                | ContainerFormat::Mpf
                | ContainerFormat::Ico
                | ContainerFormat::Tiff
                | ContainerFormat::Heif
                | ContainerFormat::Video
        )
    }
}

/// How many leading bytes `sniff_container` needs (tar's magic sits at offset 257).
pub const CONTAINER_SNIFF_LEN: usize = 265;

/// The container format of a stream from its leading bytes, or `None`.
pub fn sniff_container(head: &[u8]) -> Option<ContainerFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08PK\x03\x04") {
        Some(ContainerFormat::Zip)
    } else if starts(b"7z\xBC\xAF\x27\x1C") {
        Some(ContainerFormat::SevenZip)
    } else if starts(b"\x1F\x8B\x08") {
        Some(ContainerFormat::Gzip)
    } else if starts(b"BZh") && head.get(3).is_some_and(|d| (b'1'..=b'9').contains(d)) {
        Some(ContainerFormat::Bzip2)
    } else if starts(b"\xFD7zXZ\x00") {
        Some(ContainerFormat::Xz)
    } else if starts(b"\x28\xB5\x2F\xFD") {
        Some(ContainerFormat::Zstd)
    } else if starts(b"Rar!\x1A\x07") {
        Some(ContainerFormat::Rar)
    } else if starts(thumbs_db::OLE_MAGIC) {
        Some(ContainerFormat::ThumbsDb)
    } else if starts(thumbcache::SIGNATURE) {
        Some(ContainerFormat::Thumbcache)
    } else if head.len() >= 263 && (&head[257..263] == b"ustar\0" || &head[257..263] == b"ustar ") {
        Some(ContainerFormat::Tar)
    } else {
        None
    }
}

/// What a scan allows one container (and the containers inside it) to cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerLimits {
    /// Containers nested deeper than this are hashed as files, not opened (`--max-depth`).
    pub max_depth: u32,
    /// An entry larger than this is digested while it streams, but not kept in memory, so
    /// it is neither decoded as a picture nor opened as a container (`--max-entry-bytes`).
    pub max_entry_bytes: u64,
    /// Entries listed per container before the rest are left out (`--max-entries`).
    pub max_entries: u64,
    /// IPED's bomb rule: a container whose descendants have yielded more than both this
    /// many bytes and `expansion_ratio` times the container's own size is stopped.
    pub max_expanded_bytes: u64,
    pub expansion_ratio: u64,
}

impl Default for ContainerLimits {
    fn default() -> Self {
        ContainerLimits {
            max_depth: 8,
            max_entry_bytes: 1 << 30,
            max_entries: 1_000_000,
            max_expanded_bytes: 1 << 30,
            expansion_ratio: 100,
        }
    }
}

/// What the container says about one entry, as stored (never trusted for sizes); the
/// report's `container` object holds it, and reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryInfo {
    /// The entry's place in the container (0-based, in stored order).
    pub index: u64,
    /// The name as stored (`/`-separated inside the container).
    #[serde(skip)]
    pub name: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    /// The uncompressed size the container declares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The CRC-32 the container stores, lowercase hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crc32: Option<String>,
    /// Modification time as stored (RFC 3339; zip and tar times carry no zone and are
    /// written as stored, without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<String>,
    /// Byte offset of the entry's header (zip, tar) inside the container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Thumbnail caches (`thumbcache_*.db`): whether the entry's stored CRC-64 header and
    /// data checksums match its bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksums_ok: Option<bool>,
}

/// An entry's content as handed to the visitor.
pub enum EntryBody<'a> {
    /// The decompressed bytes, streamed (read errors carry their cause).
    Data(&'a mut dyn Read),
    /// Deliberately not read (encrypted, a link, a device node…).
    Skipped(SkipReason),
    /// Could not be read at all.
    Failed(Failure),
}

/// What the visitor wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// The container could not be walked (any further): entries visited before it stay valid.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("{format} container unreadable at byte offset {offset}: {message}")]
    Corrupt {
        format: &'static str,
        offset: u64,
        message: String,
    },
    #[error("{format} container unreadable: {message}")]
    Unreadable {
        format: &'static str,
        message: String,
    },
    /// Recognised, but of a kind hashsweep does not read (an OLE file that is not a
    /// thumbnail cache): nothing in it is examined.
    #[error("{format}: {what}")]
    Unsupported { format: &'static str, what: String },
    /// The container's own listing is encrypted: nothing in it can be examined.
    #[error("{format} container is encrypted")]
    Encrypted { format: &'static str },
    #[error(transparent)]
    Budget(#[from] BudgetExceeded),
}

impl ContainerError {
    /// The failure of the container's unread rest, located where the container broke.
    pub fn failure(&self) -> Failure {
        let kind = match self {
            ContainerError::Budget(_) => FailureKind::Limit,
            ContainerError::Unsupported { .. } => FailureKind::Unsupported,
            _ => FailureKind::Container,
        };
        let failure = Failure::new(kind, self.to_string());
        match self {
            ContainerError::Corrupt { offset, .. } => failure.at(*offset),
            _ => failure,
        }
    }

    fn unreadable(format: ContainerFormat, e: impl std::fmt::Display) -> Self {
        ContainerError::Unreadable {
            format: format.name(),
            message: e.to_string(),
        }
    }
}

/// The visitor `read_entries` calls for each entry, in stored order.
pub type Visitor<'v> = dyn FnMut(EntryInfo, EntryBody<'_>) -> Result<Flow, ContainerError> + 'v;

/// Walks the entries of a container held in memory. `name` is the container's own name (the
/// payload of a single compressed stream is named after it). Stops at `limits.max_entries`
/// (the visitor is told through a last `Failed` entry) or when the visitor says so.
pub fn read_entries(
    format: ContainerFormat,
    bytes: &[u8],
    name: &[u8],
    limits: &ContainerLimits,
    visit: &mut Visitor<'_>,
) -> Result<(), ContainerError> {
    let mut capped = |info: EntryInfo, body: EntryBody<'_>| {
        if info.index >= limits.max_entries {
            let rest = EntryInfo {
                name: b"$EntriesOverCap".to_vec(),
                ..info
            };
            visit(
                rest,
                EntryBody::Failed(Failure::new(
                    FailureKind::Limit,
                    format!(
                        "entry cap reached: entries from index {} on not examined \
                         (--max-entries {})",
                        limits.max_entries, limits.max_entries
                    ),
                )),
            )?;
            return Ok(Flow::Stop);
        }
        visit(info, body)
    };
    match format {
        ContainerFormat::Zip => zip::read_entries(bytes, &mut capped),
        ContainerFormat::SevenZip => sevenz::read_entries(bytes, &mut capped),
        ContainerFormat::Tar => tar::read_entries(bytes, &mut capped),
        ContainerFormat::Gzip
        | ContainerFormat::Bzip2
        | ContainerFormat::Xz
        | ContainerFormat::Zstd => stream::read_entries(format, bytes, name, &mut capped),
        ContainerFormat::ThumbsDb => thumbs_db::read_entries(bytes, &mut capped),
        ContainerFormat::Thumbcache => thumbcache::read_entries(bytes, &mut capped),
        ContainerFormat::Rar
        | ContainerFormat::Exif
        | ContainerFormat::Mpf
        | ContainerFormat::Ico
        | ContainerFormat::Tiff
        | ContainerFormat::Heif
        | ContainerFormat::Video => Err(ContainerError::unreadable(
            format,
            "not an archive hashsweep reads",
        )),
    }
}

/// Reads `reader` to its end, turning a budget stop hidden inside an `io::Error` back into
/// the typed error.
pub fn budget_error(e: &io::Error) -> Option<BudgetExceeded> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<BudgetExceeded>())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(
            sniff_container(b"PK\x03\x04rest"),
            Some(ContainerFormat::Zip)
        );
        assert_eq!(sniff_container(b"PK\x05\x06"), Some(ContainerFormat::Zip));
        assert_eq!(
            sniff_container(b"7z\xBC\xAF\x27\x1C\0\x04"),
            Some(ContainerFormat::SevenZip)
        );
        assert_eq!(
            sniff_container(b"\x1F\x8B\x08\0"),
            Some(ContainerFormat::Gzip)
        );
        assert_eq!(sniff_container(b"BZh9"), Some(ContainerFormat::Bzip2));
        assert_eq!(sniff_container(b"BZhx"), None);
        assert_eq!(sniff_container(b"\xFD7zXZ\0"), Some(ContainerFormat::Xz));
        assert_eq!(
            sniff_container(b"\x28\xB5\x2F\xFD"),
            Some(ContainerFormat::Zstd)
        );
        assert_eq!(
            sniff_container(b"Rar!\x1A\x07\x01\0"),
            Some(ContainerFormat::Rar)
        );
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff_container(&tar), Some(ContainerFormat::Tar));
        assert_eq!(sniff_container(b"plain text"), None);
    }
}
