//! Disk images as evidence: every file of every readable partition, deleted ones included.
//!
//! Owns `DiskImageSource`, which stacks the layers of this folder (`bytes`: raw, split raw,
//! E01 → `partition`: MBR, GPT or bare volume → `fs`: FAT, exFAT, NTFS, ext) behind the
//! `EvidenceSource` trait, and `ItemLocation`, which tells an examiner where each file sits.
//! Each volume is walked once, on one thread, into runs of image bytes; `open` then reads a
//! file's runs by positioned reads, so the hashing pool reads many files of one image at
//! once and no filesystem object crosses threads. Paths: `<image>/p<N>/<path inside>`, with
//! `p<N>` left out for a bare volume (an image holding one filesystem and no table).

pub(crate) mod bytes;
pub mod carve;
pub(crate) mod detect;
pub mod fs;
pub(crate) mod partition;
pub(crate) mod verify;

use std::borrow::Cow;
use std::io::{self, BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::extra::Extra;
use crate::failure::{Failure, FailureKind};

use self::bytes::{read_exact_at, ByteSource, StoredHashes, Window};
use self::carve::{CarveOptions, Carved};
use self::fs::compressed::CompressedReader;
use self::fs::reader::DataReader;
use self::fs::{FileData, FsEntry, FsError, FsKind};
use self::partition::{Layout, Partition};
use super::{
    EvidenceError, EvidenceItem, EvidenceSource, ImageVerification, ItemKind, ItemPath, Locator,
    SkipReason, SourceFile, SourceInfo,
};

/// Where an item of a disk image lives, for finding it again in another tool: the report's
/// `location`, written by `scan` and read back by the renderers (every field optional there,
/// so an older report reads; fields of a newer build kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemLocation {
    /// Partition number (Linux numbering); `None` for a bare volume.
    pub partition: Option<u32>,
    /// Byte offset of the partition (volume) in the image.
    pub partition_offset: u64,
    /// `fat12`, `fat16`, `fat32`, `exfat`, `ntfs`, `ext2`, `ext3`, `ext4`.
    pub filesystem: Cow<'static, str>,
    /// Inode (ext) or MFT record number (NTFS); FAT and exFAT have none.
    pub inode: Option<u64>,
    /// Image byte offset of the file's first data byte, when it has one on disk.
    pub data_offset: Option<u64>,
    /// The filesystem marks the file deleted.
    pub deleted: bool,
    /// The content was located by a heuristic (FAT contiguous free clusters), not by
    /// surviving metadata: it may belong partly to another file.
    pub recovered: bool,
    /// Listed under `$OrphanFiles`: its entry survives but no directory reachable from the
    /// root names it (a deleted directory's lost clusters). Written only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub orphan: bool,
    /// Found by carving the bytes no listed file owns: a picture's header and structure,
    /// with no filesystem metadata at all. Written only for carved items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carved: Option<CarvedRegion>,
    /// NTFS alternate data stream name (the item's path ends `:stream`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// Stored NTFS-compressed (LZNT1); the hashes are of the decompressed content.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compressed: bool,
    /// Recycle Bin: the path the file had before it was recycled (from `$I…` or INFO2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recycled_from: Option<String>,
    /// Recycle Bin: its size then, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recycled_size: Option<u64>,
    /// Recycle Bin: when it was recycled (RFC 3339 UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where a carved item lies in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarvedRegion {
    /// Image byte offset of the first byte.
    pub offset: u64,
    pub length: u64,
    /// Only the start of a picture (a JPEG whose structure breaks after `length` bytes):
    /// decoded with its missing part grey.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// The virtual directory carved items are listed under, beside the volume's files.
const CARVED_DIR: &str = "$Carved";

/// A disk image (raw, split raw or E01) as an evidence source.
pub struct DiskImageSource {
    path: PathBuf,
    kind: &'static str,
    src: Arc<dyn ByteSource>,
    /// What `open` reads for `Locator::Index(i)`, filled by `enumerate`.
    table: RwLock<Vec<Content>>,
    carving: RwLock<CarveOptions>,
}

/// Readable content of one listed file.
#[derive(Clone)]
enum Content {
    Runs {
        base: u64,
        runs: Vec<fs::Run>,
    },
    Inline(Arc<[u8]>),
    Compressed {
        base: u64,
        data: Arc<fs::compressed::CompressedData>,
    },
}

/// Reads of at least this size go to the image (or the whole file when smaller): large
/// sequential reads, whatever buffer the caller hashes with.
const READ_CHUNK: usize = 1 << 20;

impl DiskImageSource {
    pub fn new(path: &Path, kind: &'static str, src: Arc<dyn ByteSource>) -> Self {
        DiskImageSource {
            path: path.to_path_buf(),
            kind,
            src,
            table: RwLock::new(Vec::new()),
            carving: RwLock::new(CarveOptions::default()),
        }
    }

    fn carving(&self) -> CarveOptions {
        *self.carving.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Carves `regions` of `window` and lists what it finds under `<root>/$Carved/`.
    fn carved_items(
        &self,
        volume: &VolumeCtx<'_>,
        window: &Window,
        regions: &[(u64, u64)],
        stop: &AtomicBool,
        out: &mut Items,
    ) -> Result<(), EvidenceError> {
        let options = self.carving();
        if !options.enabled {
            return Ok(());
        }
        // Headers are searched at every sector: a superset of every cluster boundary.
        let found = carve::carve(window, regions, 512, options, stop).map_err(|_| {
            EvidenceError::Interrupted {
                path: self.path.clone(),
            }
        })?;
        found.into_iter().for_each(|c| out.push_carved(volume, c));
        Ok(())
    }

    /// The image's bytes (for verification).
    pub fn bytes(&self) -> &Arc<dyn ByteSource> {
        &self.src
    }

    fn root(&self) -> ItemPath {
        ItemPath::from(self.path.as_path())
    }

    /// Items of one volume: its files, or one item saying why it was not read.
    fn volume_items(
        &self,
        part: Option<&Partition>,
        window: &Window,
        stop: &AtomicBool,
        out: &mut Items,
    ) -> Result<(), EvidenceError> {
        let root = match part {
            Some(p) => self.root().join(format!("p{}", p.index).as_bytes()),
            None => self.root(),
        };
        let mut head = vec![0u8; 2048.min(window.len() as usize)];
        let kind = match read_exact_at(window, 0, &mut head) {
            Ok(()) => fs::sniff(&head),
            Err(e) => {
                out.push_error(
                    root,
                    Failure::new(FailureKind::Read, format!("cannot read volume: {e}")),
                );
                return Ok(());
            }
        };
        let Some(kind) = kind else {
            let reason = match partition::encrypted_kind(&head) {
                Some(_) => SkipReason::Encrypted,
                None => SkipReason::UnsupportedPartition {
                    partition_type: part
                        .map_or("no partition table".into(), |p| p.type_desc.clone()),
                    size: window.len(),
                },
            };
            let ctx = VolumeCtx {
                root: root.clone(),
                part,
                base: window.start(),
                fs_name: "none",
            };
            out.push_skipped(root, reason);
            return self.carved_items(&ctx, window, &[(0, window.len())], stop, out);
        };
        match walk(kind, window, stop) {
            Ok((fs_name, mut entries)) => {
                let read = |e: &FsEntry| read_small(&self.src, window.start(), e);
                fs::recycle::attach(&mut entries, &read);
                let ctx = VolumeCtx {
                    root,
                    part,
                    base: window.start(),
                    fs_name,
                };
                let owned = entries.iter().flat_map(|e| match &e.data {
                    FileData::Runs(runs) => runs.clone(),
                    // Compressed streams own their clusters too: never carve them again.
                    FileData::Compressed(c) => c.extents().to_vec(),
                    _ => Vec::new(),
                });
                let free = carve::unowned(window.len(), owned);
                out.take_entries(&ctx, entries);
                self.carved_items(&ctx, window, &free, stop, out)
            }
            Err(FsError::Interrupted) => Err(EvidenceError::Interrupted {
                path: self.path.clone(),
            }),
            Err(e) => {
                out.push_error(root, Failure::new(e.failure_kind(), e.to_string()));
                Ok(())
            }
        }
    }
}

/// Opens and walks one volume, catching crate panics as a per-volume error.
fn walk(
    kind: FsKind,
    window: &Window,
    stop: &AtomicBool,
) -> Result<(&'static str, Vec<FsEntry>), FsError> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut volume = fs::open_volume(kind, window)?;
        let entries = volume.entries(stop)?;
        Ok((volume.fs_name(), entries))
    }))
    .unwrap_or(Err(FsError::Panicked { fs: kind }))
}

/// The whole content of a small entry (a Recycle Bin record), `None` when unreadable or
/// larger than `recycle::MAX_RECORD_FILE`.
fn read_small(src: &Arc<dyn ByteSource>, base: u64, e: &FsEntry) -> Option<Vec<u8>> {
    if e.size > fs::recycle::MAX_RECORD_FILE {
        return None;
    }
    let content = match &e.data {
        FileData::Runs(runs) => Content::Runs {
            base,
            runs: runs.clone(),
        },
        FileData::Inline(b) => Content::Inline(b.as_slice().into()),
        FileData::Compressed(data) => Content::Compressed {
            base,
            data: data.clone(),
        },
        FileData::Skipped(_) | FileData::Error(_) => return None,
    };
    let mut out = Vec::new();
    content
        .reader(src)
        .take(e.size)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

impl Content {
    fn reader(self, src: &Arc<dyn ByteSource>) -> Box<dyn Read + Send> {
        match self {
            Content::Runs { base, runs } => {
                let total: u64 = runs.iter().map(|r| r.len).sum();
                let cap = usize::try_from(total)
                    .unwrap_or(READ_CHUNK)
                    .clamp(1, READ_CHUNK);
                let reader = DataReader::new(src.clone(), base, runs);
                Box::new(BufReader::with_capacity(cap, reader))
            }
            Content::Inline(bytes) => Box::new(io::Cursor::new(bytes)),
            Content::Compressed { base, data } => {
                Box::new(CompressedReader::new(src.clone(), base, data))
            }
        }
    }
}

struct VolumeCtx<'p> {
    root: ItemPath,
    part: Option<&'p Partition>,
    base: u64,
    fs_name: &'static str,
}

/// Items being listed, with the readable content table they index into.
#[derive(Default)]
struct Items {
    items: Vec<EvidenceItem>,
    table: Vec<Content>,
}

impl Items {
    fn push_skipped(&mut self, path: ItemPath, reason: SkipReason) {
        self.push_plain(path, ItemKind::Skipped { reason });
    }

    fn push_error(&mut self, path: ItemPath, failure: Failure) {
        self.push_plain(
            path,
            ItemKind::Unreadable {
                failure: Box::new(failure),
            },
        );
    }

    fn push_plain(&mut self, path: ItemPath, kind: ItemKind) {
        let locator = Locator::Index(u64::MAX);
        self.items.push(EvidenceItem {
            path,
            kind,
            locator,
            location: None,
            meta: None,
        });
    }

    /// Turns a volume's entries into items, in their order. Only one of the two lists is
    /// ever held whole: the items' room is reserved (its pages are only touched as items
    /// are written) and the entries' shrinks as they are taken.
    fn take_entries(&mut self, ctx: &VolumeCtx<'_>, mut entries: Vec<FsEntry>) {
        self.items.reserve(entries.len());
        entries.reverse();
        while let Some(entry) = entries.pop() {
            self.push_entry(ctx, entry);
            if entries.len() < entries.capacity() / 4 {
                entries.shrink_to_fit();
            }
        }
    }

    fn push_entry(&mut self, ctx: &VolumeCtx<'_>, e: FsEntry) {
        let mut data_offset = None;
        let (kind, content) = match e.data {
            FileData::Runs(runs) => {
                data_offset = runs
                    .iter()
                    .find_map(|r| r.offset)
                    .map(|o| o.saturating_add(ctx.base));
                let content = Content::Runs {
                    base: ctx.base,
                    runs,
                };
                (ItemKind::File { size: e.size }, Some(content))
            }
            FileData::Inline(mut bytes) => {
                bytes.truncate(usize::try_from(e.size).unwrap_or(usize::MAX));
                let size = bytes.len() as u64;
                (ItemKind::File { size }, Some(Content::Inline(bytes.into())))
            }
            FileData::Compressed(data) => {
                data_offset = data.first_offset().map(|o| o.saturating_add(ctx.base));
                let size = data.size();
                let content = Content::Compressed {
                    base: ctx.base,
                    data,
                };
                (ItemKind::File { size }, Some(content))
            }
            FileData::Skipped(reason) => (ItemKind::Skipped { reason }, None),
            FileData::Error(error) => (
                ItemKind::Unreadable {
                    failure: Box::new(Failure::new(FailureKind::Filesystem, error)),
                },
                None,
            ),
        };
        let recycled = e.detail.recycled;
        let locator = match content {
            Some(c) => {
                self.table.push(c);
                Locator::Index(self.table.len() as u64 - 1)
            }
            None => Locator::Index(u64::MAX),
        };
        let location = ItemLocation {
            partition: ctx.part.map(|p| p.index),
            partition_offset: ctx.base,
            filesystem: Cow::Borrowed(ctx.fs_name),
            inode: e.inode,
            data_offset,
            deleted: e.deleted,
            recovered: e.recovered,
            carved: None,
            orphan: e.path.starts_with(fs::ORPHAN_DIR)
                && e.path.get(fs::ORPHAN_DIR.len()) == Some(&b'/'),
            stream: e
                .detail
                .stream
                .map(|s| String::from_utf8_lossy(&s).into_owned()),
            compressed: e.detail.compressed,
            recycled_from: recycled.as_ref().map(|r| r.original_path.clone()),
            recycled_size: recycled.as_ref().map(|r| r.original_size),
            deleted_at: recycled.and_then(|r| r.deleted_at),
            extra: Extra::new(),
        };
        self.items.push(EvidenceItem {
            path: ctx.root.join(&e.path),
            kind,
            locator,
            location: Some(location),
            meta: e.meta,
        });
    }
}

impl Items {
    /// A carved picture: `<volume>/$Carved/<volume offset, 12 hex digits>.<ext>`, so that
    /// carved items sort by offset.
    fn push_carved(&mut self, ctx: &VolumeCtx<'_>, c: Carved) {
        let name = format!("{CARVED_DIR}/{:012x}.{}", c.offset, c.kind.extension());
        let offset = Some(c.offset);
        self.table.push(Content::Runs {
            base: ctx.base,
            runs: vec![fs::Run { offset, len: c.len }],
        });
        let image_offset = ctx.base.saturating_add(c.offset);
        let location = ItemLocation {
            partition: ctx.part.map(|p| p.index),
            partition_offset: ctx.base,
            filesystem: Cow::Borrowed(ctx.fs_name),
            inode: None,
            data_offset: Some(image_offset),
            deleted: false,
            recovered: false,
            orphan: false,
            carved: Some(CarvedRegion {
                offset: image_offset,
                length: c.len,
                partial: c.partial,
            }),
            stream: None,
            compressed: false,
            recycled_from: None,
            recycled_size: None,
            deleted_at: None,
            extra: Extra::new(),
        };
        self.items.push(EvidenceItem {
            path: ctx.root.join(name.as_bytes()),
            kind: ItemKind::File { size: c.len },
            locator: Locator::Index(self.table.len() as u64 - 1),
            location: Some(location),
            // Carved bytes have no filesystem facts.
            meta: None,
        });
    }
}

impl EvidenceSource for DiskImageSource {
    fn info(&self) -> SourceInfo {
        let files = match self.kind {
            "split_raw" => detect::split_pieces(&self.path),
            "ewf" => detect::ewf_segments(&self.path),
            _ => vec![self.path.clone()],
        };
        let stored = self.src.stored_hashes();
        SourceInfo {
            files: files
                .into_iter()
                .filter_map(|path| {
                    let size = std::fs::metadata(&path).ok()?.len();
                    Some(SourceFile { path, size })
                })
                .collect(),
            media_size: Some(self.src.len()),
            stored_hashes: (stored != StoredHashes::default()).then_some(stored),
            ..SourceInfo::plain(&self.path, self.kind)
        }
    }

    fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
        let mut out = Items::default();
        let whole = Window::new(self.src.clone(), 0, self.src.len());
        match partition::detect(self.src.as_ref()) {
            Layout::Bare(_) => self.volume_items(None, &whole, stop, &mut out)?,
            Layout::Partitioned(parts) => {
                for p in &parts {
                    let window = Window::new(self.src.clone(), p.offset, p.len);
                    self.volume_items(Some(p), &window, stop, &mut out)?;
                }
            }
            Layout::Unknown => {
                out.push_skipped(
                    self.root(),
                    SkipReason::UnsupportedPartition {
                        partition_type: "no partition table or filesystem recognised".into(),
                        size: self.src.len(),
                    },
                );
                let ctx = VolumeCtx {
                    root: self.root(),
                    part: None,
                    base: 0,
                    fs_name: "none",
                };
                self.carved_items(&ctx, &whole, &[(0, whole.len())], stop, &mut out)?;
            }
        }
        let mut table = self.table.write().unwrap_or_else(|p| p.into_inner());
        *table = out.table;
        Ok(out.items)
    }

    fn set_carving(&self, options: CarveOptions) {
        *self.carving.write().unwrap_or_else(|p| p.into_inner()) = options;
    }

    fn verify_media(&self, stop: &AtomicBool) -> Option<ImageVerification> {
        Some(verify::hash_media(self.kind, self.src.as_ref(), stop))
    }

    fn open(&self, item: &EvidenceItem) -> io::Result<Box<dyn Read + Send + '_>> {
        let Locator::Index(i) = item.locator else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an image item",
            ));
        };
        let content = {
            let table = self.table.read().unwrap_or_else(|p| p.into_inner());
            usize::try_from(i).ok().and_then(|i| table.get(i).cloned())
        };
        match content {
            Some(content) => Ok(content.reader(&self.src)),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "item has no readable content",
            )),
        }
    }
}
