//! The filesystem layer: one small trait in front of every filesystem crate.
//!
//! Owns `Volume` (a filesystem opened on a byte source, walked once into `FsEntry`s), the
//! description of where a file's bytes live (`FileData`: runs of volume bytes, or bytes held
//! in metadata) and `FsKind` sniffing from a boot sector or superblock. Reading is not a
//! backend's business: `reader::DataReader` reads any `FileData` from the byte source, so
//! the walk (single-threaded, some crates are `!Send`) is apart from the hashing (parallel).
//! Each backend module wraps one crate; swapping a crate touches one file.

pub(crate) mod compressed;
pub(crate) mod ext;
mod facts;
pub(crate) mod fat;
pub mod fat_orphans;
pub mod lznt1;
pub(crate) mod ntfs;
mod ntfs_meta;
mod ntfs_streams;
pub(crate) mod reader;
pub(crate) mod recycle;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::bytes::ByteSource;
use crate::evidence::meta::FileMeta;
use crate::evidence::SkipReason;
use crate::failure::FailureKind;

/// The virtual directory orphan files are listed under, as The Sleuth Kit names it: files
/// whose directory entry or record survives but no walk from the root reaches it.
pub const ORPHAN_DIR: &[u8] = b"$OrphanFiles";

/// A filesystem opened read-only, listing its files.
pub trait Volume {
    /// Stable short name for reports (`fat32`, `exfat`, `ntfs`, `ext4`).
    fn fs_name(&self) -> &'static str;
    /// Hands every regular file to `found` as it is listed (allocated, then deleted where
    /// recoverable), in the walk's own order; directories are containers, not entries.
    /// Checks `stop` between directories. On an error, what was already handed out is
    /// to be discarded: the volume is one failed item.
    fn walk(&mut self, stop: &AtomicBool, found: &mut dyn FnMut(FsEntry)) -> Result<(), FsError>;
}

/// One file found in a volume (serialisable: a large listing is spilled while it is sorted).
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct FsEntry {
    /// `/`-separated path inside the volume, raw bytes, no leading `/`.
    pub path: Vec<u8>,
    pub size: u64,
    /// The filesystem marks the file deleted (FAT 0xE5, NTFS record not in use, ext dtime).
    pub deleted: bool,
    /// The content was located by a heuristic (FAT contiguous clusters), not by metadata.
    pub recovered: bool,
    /// Inode (ext) or MFT record number (NTFS); FAT has none.
    pub inode: Option<u64>,
    pub data: FileData,
    /// Times, owner and attributes as the filesystem keeps them.
    pub meta: Option<FileMeta>,
    /// What only some filesystems or folders have (streams, compression, Recycle Bin).
    pub detail: EntryDetail,
}

impl FsEntry {
    /// The bytes of content the entry lists: its size, or the inline bytes when fewer;
    /// 0 for content that is not read.
    pub fn content_size(&self) -> u64 {
        match &self.data {
            FileData::Runs(_) => self.size,
            FileData::Inline(bytes) => self.size.min(bytes.len() as u64),
            FileData::Compressed(data) => data.size(),
            FileData::Skipped(_) | FileData::Error(_) => 0,
        }
    }
}

/// Facts about an entry beyond its place and content, most of them NTFS's.
#[derive(Debug, Clone, Default, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct EntryDetail {
    /// Name of the NTFS alternate data stream this entry is (the path ends `:name`).
    pub stream: Option<Vec<u8>>,
    /// The content is stored NTFS-compressed (LZNT1).
    pub compressed: bool,
    /// What the Recycle Bin's `$I` record or `INFO2` says of this recycled file.
    pub recycled: Option<recycle::Recycled>,
}

/// Where a file's bytes are, or why they are not read.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum FileData {
    /// Byte runs of the volume, in file order; their lengths add up to the file size.
    Runs(Vec<Run>),
    /// Bytes stored in metadata (NTFS resident data, ext4 inline data).
    Inline(Vec<u8>),
    /// NTFS LZNT1-compressed clusters, decompressed as they are read.
    Compressed(Arc<compressed::CompressedData>),
    /// Deliberately not read (encrypted, symlinks, device nodes).
    Skipped(SkipReason),
    /// The metadata describing the content is damaged.
    Error(String),
}

/// A stretch of file content: `len` bytes at volume byte `offset`, or zeros when sparse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Run {
    pub offset: Option<u64>,
    pub len: u64,
}

/// A volume that cannot be walked at all (a per-partition error in the report).
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{fs}: {message}")]
    Corrupt { fs: FsKind, message: String },
    /// The parser panicked; the panic was contained to this volume.
    #[error("{fs}: parser panicked on this volume")]
    Panicked { fs: FsKind },
    #[error("walk interrupted")]
    Interrupted,
}

impl FsError {
    pub fn corrupt(fs: FsKind, message: impl std::fmt::Display) -> Self {
        FsError::Corrupt {
            fs,
            message: message.to_string(),
        }
    }

    /// The kind of the failure of the volume's item in the report.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            FsError::Panicked { .. } => FailureKind::Panic,
            FsError::Corrupt { .. } | FsError::Interrupted => FailureKind::Filesystem,
        }
    }
}

/// Filesystems hashsweep recognises from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsKind {
    /// FAT12/16/32, and the parser's name for exFAT too (one parser reads both).
    Fat,
    ExFat,
    Ntfs,
    Ext,
}

impl std::fmt::Display for FsKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FsKind::Fat => "fat",
            FsKind::ExFat => "exfat",
            FsKind::Ntfs => "ntfs",
            FsKind::Ext => "ext",
        })
    }
}

/// Recognises a filesystem from its boot sector (`first` = the volume's first 2 KiB).
pub fn sniff(first: &[u8]) -> Option<FsKind> {
    let at = |range: std::ops::Range<usize>| first.get(range).unwrap_or(&[]);
    if at(3..11) == b"NTFS    " {
        return Some(FsKind::Ntfs);
    }
    if at(3..11) == b"EXFAT   " {
        return Some(FsKind::ExFat);
    }
    // ext2/3/4: magic 0xEF53 in the superblock at byte 1024 + 56.
    if at(1080..1082) == [0x53, 0xEF] {
        return Some(FsKind::Ext);
    }
    if looks_like_fat_bpb(first) {
        return Some(FsKind::Fat);
    }
    None
}

/// A FAT BPB: a jump instruction, a power-of-two sector size, a power-of-two cluster,
/// reserved sectors and one or two FATs. An MBR has none of these where a BPB has them,
/// which is why a bare volume is told from a partitioned disk by this and not by 55 AA.
fn looks_like_fat_bpb(b: &[u8]) -> bool {
    let Some(b) = b.get(..512) else {
        return false;
    };
    let jump = b[0] == 0xEB && b[2] == 0x90 || b[0] == 0xE9;
    let bps = u16::from_le_bytes([b[11], b[12]]);
    let spc = b[13];
    let reserved = u16::from_le_bytes([b[14], b[15]]);
    let fats = b[16];
    jump && matches!(bps, 512 | 1024 | 2048 | 4096)
        && spc.is_power_of_two()
        && reserved >= 1
        && matches!(fats, 1 | 2)
}

/// Opens the filesystem of `kind` on `src` (a partition window or a bare image).
pub fn open_volume<'a>(
    kind: FsKind,
    src: &'a dyn ByteSource,
) -> Result<Box<dyn Volume + 'a>, FsError> {
    match kind {
        FsKind::Fat | FsKind::ExFat => Ok(Box::new(fat::FatVolume::open(src)?)),
        FsKind::Ntfs => Ok(Box::new(ntfs::NtfsVolume::open(src)?)),
        FsKind::Ext => Ok(Box::new(ext::ExtVolume::open(src)?)),
    }
}

/// Joins a parent path and a name with `/` (the root has an empty path).
pub fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parent.len() + 1 + name.len());
    out.extend_from_slice(parent);
    if !parent.is_empty() {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

/// Turns block/cluster extents into byte runs truncated to `size`, checking every run lies
/// inside the volume. `extents` are `(first byte or None for sparse, byte length)`.
pub fn runs_for_size(
    extents: impl IntoIterator<Item = (Option<u64>, u64)>,
    size: u64,
    volume_len: u64,
) -> Result<Vec<Run>, String> {
    let mut runs: Vec<Run> = Vec::new();
    let mut left = size;
    for (offset, len) in extents {
        if left == 0 {
            break;
        }
        let len = len.min(left);
        if let Some(off) = offset {
            let end = off.checked_add(len).filter(|e| *e <= volume_len);
            if end.is_none() {
                return Err(format!(
                    "data run at byte {off} (+{len}) lies outside the volume"
                ));
            }
        }
        left -= len;
        match runs.last_mut() {
            // Merge physically adjacent runs: fewer, larger reads.
            Some(last)
                if matches!((last.offset, offset), (Some(a), Some(b)) if a + last.len == b)
                    || (last.offset.is_none() && offset.is_none()) =>
            {
                last.len += len
            }
            _ => runs.push(Run { offset, len }),
        }
    }
    if left > 0 {
        return Err(format!(
            "data runs end {left} bytes before the file size {size}"
        ));
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_volume_error_names_its_filesystem_and_its_kind() {
        let panicked = FsError::Panicked { fs: FsKind::Ntfs };
        assert_eq!(panicked.to_string(), "ntfs: parser panicked on this volume");
        assert_eq!(panicked.failure_kind(), FailureKind::Panic);
        let corrupt = FsError::corrupt(FsKind::Ext, "bad superblock");
        assert_eq!(corrupt.to_string(), "ext: bad superblock");
        assert_eq!(corrupt.failure_kind(), FailureKind::Filesystem);
    }

    #[test]
    fn runs_merge_and_check_bounds() {
        let runs = runs_for_size(
            [
                (Some(0), 512),
                (Some(512), 512),
                (None, 512),
                (Some(4096), 512),
            ],
            1800,
            10_000,
        )
        .unwrap();
        assert_eq!(
            runs,
            vec![
                Run {
                    offset: Some(0),
                    len: 1024
                },
                Run {
                    offset: None,
                    len: 512
                },
                Run {
                    offset: Some(4096),
                    len: 264
                },
            ]
        );
        assert!(runs_for_size([(Some(9_900), 512)], 512, 10_000).is_err());
        assert!(runs_for_size([(Some(0), 512)], 1000, 10_000).is_err());
    }

    #[test]
    fn sniffs_boot_sectors() {
        let mut ntfs = vec![0u8; 2048];
        ntfs[3..11].copy_from_slice(b"NTFS    ");
        assert_eq!(sniff(&ntfs), Some(FsKind::Ntfs));
        let mut mbr = vec![0u8; 2048];
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        assert_eq!(sniff(&mbr), None);
        let mut ext = vec![0u8; 2048];
        ext[1080] = 0x53;
        ext[1081] = 0xEF;
        assert_eq!(sniff(&ext), Some(FsKind::Ext));
    }
}
