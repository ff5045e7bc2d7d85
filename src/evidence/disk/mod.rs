//! Disk images as evidence: every file of every readable partition, deleted ones included.
//!
//! Owns `DiskImageSource`, which stacks the layers of this folder (`bytes`: raw, split raw,
//! E01 → `partition`: MBR, GPT or bare volume → `fs`: FAT, exFAT, NTFS, ext) behind the
//! `EvidenceSource` trait, and `ItemLocation`, which tells an examiner where each file sits.
//! Each volume is walked once, on one thread, into runs of image bytes, and its listing
//! sorted by path through `spill_sort` (`listing`), never held whole; each item carries its
//! runs (`Locator::Image`), and `open` reads them by positioned reads, so the hashing pool
//! reads many files of one image at once and no filesystem object crosses threads. Paths: `<image>/p<N>/<path inside>`, with
//! `p<N>` left out for a bare volume (an image holding one filesystem and no table).

pub(crate) mod bytes;
pub mod carve;
pub(crate) mod detect;
mod ewf_chunks;
pub mod fs;
mod listing;
pub(crate) mod partition;
mod read_ahead;
mod spill_sort;
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
use self::carve::CarveOptions;
use self::fs::compressed::CompressedReader;
use self::fs::reader::DataReader;
use self::fs::{FileData, FsEntry, FsError, FsKind};
use self::listing::{VolumeCtx, VolumeListing};
use self::partition::{Layout, Partition};
use super::{
    EvidenceError, EvidenceItem, EvidenceSource, ImageVerification, ItemPath, ItemStream,
    ListedTotals, Locator, SkipReason, SourceFile, SourceInfo,
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
    carving: RwLock<CarveOptions>,
    /// Listed files of a volume held in memory at once; more are spilled while sorting.
    run_items: usize,
}

/// Files of one volume sorted in memory before a sorted run is spilled (about 25 MB of
/// listing). `HASHSWEEP_LISTING_RUN_ITEMS` overrides it, for tests and benchmarks.
const LISTING_RUN_ITEMS: usize = 32 << 10;

/// Items made ahead of the scan's workers, on the listing's own thread (`read_ahead`).
const READ_AHEAD_ITEMS: usize = 1024;

/// Where an image item's content lies: what `open` reads (`Locator::Image`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageContent(Content);

/// Readable content of one listed file.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            carving: RwLock::new(CarveOptions::default()),
            run_items: std::env::var("HASHSWEEP_LISTING_RUN_ITEMS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(LISTING_RUN_ITEMS),
        }
    }

    fn carving(&self) -> CarveOptions {
        *self.carving.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Carves `regions` of `window` and lists what it finds under `<root>/$Carved/`.
    fn carved_items(
        &self,
        window: &Window,
        regions: &[(u64, u64)],
        stop: &AtomicBool,
        out: &mut VolumeListing,
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
        found.into_iter().for_each(|c| out.push_carved(c));
        Ok(())
    }

    /// The image's bytes (for verification).
    pub fn bytes(&self) -> &Arc<dyn ByteSource> {
        &self.src
    }

    fn root(&self) -> ItemPath {
        ItemPath::from(self.path.as_path())
    }

    /// One volume's items: its files, or one item saying why it was not read, and the
    /// pictures carved from the bytes no file owns.
    fn volume_listing(
        &self,
        part: Option<&Partition>,
        window: &Window,
        stop: &AtomicBool,
    ) -> Result<VolumeListing, EvidenceError> {
        let root = match part {
            Some(p) => self.root().join(format!("p{}", p.index).as_bytes()),
            None => self.root(),
        };
        let ctx = VolumeCtx {
            root,
            partition: part.map(|p| p.index),
            base: window.start(),
            fs_name: "none",
        };
        let mut out = VolumeListing::new(ctx, self.run_items);
        let mut head = vec![0u8; 2048.min(window.len() as usize)];
        let kind = match read_exact_at(window, 0, &mut head) {
            Ok(()) => fs::sniff(&head),
            Err(e) => {
                let message = format!("cannot read volume: {e}");
                out.push_error(Failure::new(FailureKind::Read, message));
                return Ok(out);
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
            out.push_skipped(reason);
            self.carved_items(window, &[(0, window.len())], stop, &mut out)?;
            return Ok(out);
        };
        let read = |e: &FsEntry| read_small(&self.src, window.start(), e);
        let walked = walk(kind, window, stop, &mut |e| out.push_entry(e, &read));
        match walked {
            Ok(fs_name) => {
                out.set_fs_name(fs_name);
                let free = out.unowned(window.len());
                self.carved_items(window, &free, stop, &mut out)?;
                Ok(out)
            }
            Err(FsError::Interrupted) => Err(EvidenceError::Interrupted {
                path: self.path.clone(),
            }),
            Err(e) => {
                out.discard_listed(self.run_items);
                out.push_error(Failure::new(e.failure_kind(), e.to_string()));
                Ok(out)
            }
        }
    }

    /// Every volume's listing, in the order their paths sort (`p10` before `p2`): a
    /// volume's items all sort before the next volume's, so they are handed out volume
    /// after volume. The finished volumes hold less than one run in memory between them;
    /// a volume that would fill it is spilled.
    fn listings(&self, stop: &AtomicBool) -> Result<Vec<VolumeListing>, EvidenceError> {
        let whole = Window::new(self.src.clone(), 0, self.src.len());
        let mut listings: Vec<VolumeListing> = Vec::new();
        match partition::detect(self.src.as_ref()) {
            Layout::Bare(_) => listings.push(self.volume_listing(None, &whole, stop)?),
            Layout::Partitioned(parts) => {
                let mut held = 0;
                for p in &parts {
                    let window = Window::new(self.src.clone(), p.offset, p.len);
                    let mut listing = self.volume_listing(Some(p), &window, stop)?;
                    if held + listing.held() >= self.run_items {
                        listing.spill_held();
                    }
                    held += listing.held();
                    listings.push(listing);
                }
            }
            Layout::Unknown => {
                let ctx = VolumeCtx {
                    root: self.root(),
                    partition: None,
                    base: 0,
                    fs_name: "none",
                };
                let mut out = VolumeListing::new(ctx, self.run_items);
                out.push_skipped(SkipReason::UnsupportedPartition {
                    partition_type: "no partition table or filesystem recognised".into(),
                    size: self.src.len(),
                });
                self.carved_items(&whole, &[(0, whole.len())], stop, &mut out)?;
                listings.push(out);
            }
        }
        // Stable: two volumes never share a root, but keep the table's order if they did.
        listings.sort_by(|a, b| a.root().cmp(b.root()));
        Ok(listings)
    }
}

/// Opens and walks one volume, handing its files to `found`; catches crate panics as a
/// per-volume error. Gives the filesystem's name.
fn walk(
    kind: FsKind,
    window: &Window,
    stop: &AtomicBool,
    found: &mut dyn FnMut(FsEntry),
) -> Result<&'static str, FsError> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut volume = fs::open_volume(kind, window)?;
        volume.walk(stop, found)?;
        Ok(volume.fs_name())
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
        Ok(self.items(stop)?.collect())
    }

    /// Every volume is walked before the first item is handed out (a walk's order is the
    /// filesystem's; the report's is by path), each through a `SpillSort` that holds a few
    /// thousand listed files at a time: the items then stream, volume after volume, made on
    /// a thread of their own ahead of the scan's workers.
    fn items<'a>(&'a self, stop: &'a AtomicBool) -> Result<ItemStream<'a>, EvidenceError> {
        let listings = self.listings(stop)?;
        let totals = listings
            .iter()
            .fold(ListedTotals { items: 0, bytes: 0 }, |sum, l| ListedTotals {
                items: sum.items + l.totals().items,
                bytes: sum.bytes + l.totals().bytes,
            });
        let items = listings.into_iter().flat_map(VolumeListing::into_items);
        let items =
            read_ahead::read_ahead("hashsweep-listing", items, READ_AHEAD_ITEMS).map_err(|e| {
                EvidenceError::Threads {
                    error: e.to_string(),
                }
            })?;
        Ok(ItemStream::counted(items, totals))
    }

    fn set_carving(&self, options: CarveOptions) {
        *self.carving.write().unwrap_or_else(|p| p.into_inner()) = options;
    }

    fn verify_media(&self, stop: &AtomicBool) -> Option<ImageVerification> {
        Some(verify::hash_media(self.kind, self.src.as_ref(), stop))
    }

    fn open(&self, item: &EvidenceItem) -> io::Result<Box<dyn Read + Send + '_>> {
        match &item.locator {
            Locator::Image(ImageContent(content)) => Ok(content.clone().reader(&self.src)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "item has no readable content",
            )),
        }
    }
}
