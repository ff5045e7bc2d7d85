//! NTFS volumes, through the `ntfs` crate (read-only, no write code at all).
//!
//! The MFT is read record by record rather than walking directory indexes: that finds
//! deleted files (records without IN_USE whose `$FILE_NAME` and `$DATA` still parse) with
//! the same code as live ones. Paths are rebuilt from each name's parent reference; a file
//! whose parent is gone goes under `$OrphanFiles/`, as The Sleuth Kit does. Every `$DATA`
//! stream is an entry: the unnamed one as the file, named ones (of files and directories)
//! as `path:name` (`ntfs_streams.rs`; compressed ones are read by `compressed.rs`).
//! Metadata files (records 0–15 and everything under `$Extend`) are not listed. A damaged
//! record is reported only when a directory index still names it (unreferenced records may
//! simply be unused). The MFT is read twice: first for directories only (found by the flags
//! in the raw record headers, then parsed), keeping their names and parents, a few dozen
//! bytes each; then listing every record as it is read, so a volume of millions of files
//! is never held whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use ntfs::structured_values::NtfsFileNamespace;
use ntfs::{Ntfs, NtfsFile, NtfsFileFlags};

use super::ntfs_meta::{self, SecureIndex};
use super::ntfs_streams::{streams, Stream};
use super::{join, EntryDetail, FileData, FsEntry, FsError, FsKind, Volume};
use crate::evidence::disk::bytes::{ByteSource, Cursor};
use crate::evidence::meta::FileMeta;

const ROOT: u64 = 5;
const EXTEND: u64 = 11;
/// Records below this are NTFS metadata files ($MFT … $Extend, then reserved ones).
const FIRST_USER_RECORD: u64 = 16;
/// More MFT records than this is not a real volume (2^32 records = 4 TiB of MFT).
const MAX_RECORDS: u64 = 1 << 32;
/// Records read at once when the `$MFT` is scanned for directories.
const MFT_READ_RECORDS: usize = 1024;
/// Where a file record header keeps its flags (in use, directory).
const FLAGS_OFFSET: usize = 0x16;
/// Parent chains longer than this are treated as loops.
const MAX_DEPTH: usize = 1024;

pub(crate) struct NtfsVolume<'a> {
    src: &'a dyn ByteSource,
    ntfs: Ntfs,
}

/// What the first pass keeps of a directory's record: enough to name what lies under it.
struct DirRecord {
    name: Vec<u8>,
    parent: u64,
    in_use: bool,
}

/// What the walk reads of one record.
struct Record {
    name: Vec<u8>,
    parent: u64,
    in_use: bool,
    meta: Option<FileMeta>,
    /// `$DATA` streams: a file's unnamed one first, then named ones (directories: named only).
    streams: Vec<Stream>,
}

impl<'a> NtfsVolume<'a> {
    pub(crate) fn open(src: &'a dyn ByteSource) -> Result<Self, FsError> {
        let ntfs =
            Ntfs::new(&mut Cursor::new(src)).map_err(|e| FsError::corrupt(FsKind::Ntfs, e))?;
        Ok(NtfsVolume { src, ntfs })
    }

    fn record_count(&self, fs: &mut Cursor<'_>) -> Result<u64, FsError> {
        let err = |e: ntfs::NtfsError| FsError::corrupt(FsKind::Ntfs, format!("$MFT: {e}"));
        let mft = self.ntfs.file(fs, 0).map_err(err)?;
        let item = mft
            .data(fs, "")
            .ok_or_else(|| FsError::corrupt(FsKind::Ntfs, "$MFT has no $DATA"))?
            .map_err(err)?;
        let len = item.to_attribute().map_err(err)?.value_length();
        let per = u64::from(self.ntfs.file_record_size()).max(1);
        Ok((len / per).min(MAX_RECORDS))
    }

    /// Record numbers below `count` whose header marks a directory, read straight from the
    /// `$MFT`'s data in large sequential reads: a record's flags lie before its first fixup,
    /// so its raw bytes hold them as written, and only these records are then parsed by the
    /// crate (which re-reads the `$MFT`'s own record for every record it opens). Should the
    /// data stop reading part way, every later record is a candidate.
    fn directory_candidates(&self, fs: &mut Cursor<'_>, count: u64) -> Vec<u64> {
        let size = usize::try_from(self.ntfs.file_record_size()).map_or(1, |s| s.max(1));
        let mut candidates = Vec::new();
        let mut n = 0u64;
        let mut scan = || -> Option<()> {
            let mft = self.ntfs.file(fs, 0).ok()?;
            let item = mft.data(fs, "")?.ok()?;
            let attribute = item.to_attribute().ok()?;
            let mut data = attribute.value(fs).ok()?.attach(fs);
            let mut buf = vec![0u8; size * MFT_READ_RECORDS];
            while n < count {
                let left = usize::try_from(count - n).unwrap_or(usize::MAX);
                let chunk = &mut buf[..left.min(MFT_READ_RECORDS) * size];
                std::io::Read::read_exact(&mut data, chunk).ok()?;
                for record in chunk.chunks_exact(size) {
                    let flags = match record.get(FLAGS_OFFSET..FLAGS_OFFSET + 2) {
                        Some(&[lo, hi]) => {
                            NtfsFileFlags::from_bits_truncate(u16::from_le_bytes([lo, hi]))
                        }
                        _ => NtfsFileFlags::IS_DIRECTORY, // a record too short to tell: parse it
                    };
                    if record.starts_with(b"FILE") && flags.contains(NtfsFileFlags::IS_DIRECTORY) {
                        candidates.push(n);
                    }
                    n += 1;
                }
            }
            Some(())
        };
        let _ = scan();
        candidates.extend(n..count);
        candidates
    }

    fn record(
        &self,
        fs: &mut Cursor<'_>,
        file: &NtfsFile<'_>,
        secure: &SecureIndex,
    ) -> Option<Record> {
        let (name, parent) = best_name(fs, file)?;
        let is_dir = file.is_directory();
        let meta = (!is_dir)
            .then(|| ntfs_meta::file_meta(fs, file, secure))
            .flatten();
        let streams = streams(&self.ntfs, self.src, fs, file, !is_dir);
        Some(Record {
            name,
            parent,
            in_use: file.flags().contains(NtfsFileFlags::IN_USE),
            meta,
            streams,
        })
    }

    /// Entries a directory index still names whose MFT record could not be read.
    fn damaged_entries(
        &self,
        fs: &mut Cursor<'_>,
        dirs: &BTreeMap<u64, DirRecord>,
        failed: &HashMap<u64, String>,
    ) -> Vec<FsEntry> {
        let mut out = Vec::new();
        for (&dir, rec) in dirs.iter().filter(|(_, r)| r.in_use) {
            let Some(dir_path) = path_of(dirs, dir, &rec.name, rec.parent) else {
                continue;
            };
            let Ok(file) = self.ntfs.file(fs, dir) else {
                continue;
            };
            let Ok(index) = file.directory_index(fs) else {
                continue;
            };
            let mut iter = index.entries();
            while let Some(Ok(entry)) = iter.next(fs) {
                let number = entry.file_reference().file_record_number();
                let Some(error) = failed.get(&number) else {
                    continue;
                };
                let Some(Ok(key)) = entry.key() else {
                    continue;
                };
                if key.namespace() == NtfsFileNamespace::Dos {
                    continue;
                }
                let name = key.name().to_string_lossy();
                out.push(FsEntry {
                    path: join(&dir_path, name.as_bytes()),
                    size: key.data_size(),
                    deleted: false,
                    recovered: false,
                    inode: Some(number),
                    data: FileData::Error(format!("MFT record {number}: {error}")),
                    meta: None,
                    detail: EntryDetail::default(),
                });
            }
        }
        out
    }
}

/// One entry per stream of a record: `path` for the unnamed stream, `path:name` (TSK's
/// naming; `.:name` for the root directory) for each named one.
fn stream_entries<'r>(
    path: &'r [u8],
    n: u64,
    rec: &'r Record,
) -> impl Iterator<Item = FsEntry> + 'r {
    rec.streams.iter().map(move |s| {
        let mut path = path.to_vec();
        if let Some(name) = &s.name {
            if path.is_empty() {
                path.push(b'.');
            }
            path.push(b':');
            path.extend_from_slice(name);
        }
        FsEntry {
            path,
            size: s.size,
            deleted: !rec.in_use,
            recovered: false,
            inode: Some(n),
            data: s.data.clone(),
            meta: rec.meta.clone(),
            detail: EntryDetail {
                stream: s.name.clone(),
                compressed: s.compressed,
                recycled: None,
            },
        }
    })
}

/// The file's long name (Win32 or POSIX over DOS 8.3) and its parent record.
fn best_name(fs: &mut Cursor<'_>, file: &NtfsFile<'_>) -> Option<(Vec<u8>, u64)> {
    let mut best: Option<(Vec<u8>, u64, bool)> = None;
    let mut attrs = file.attributes();
    while let Some(Ok(item)) = attrs.next(fs) {
        let Ok(attr) = item.to_attribute() else {
            continue;
        };
        if attr.ty().ok() != Some(ntfs::NtfsAttributeType::FileName) {
            continue;
        }
        let Ok(name) = attr.structured_value::<_, ntfs::structured_values::NtfsFileName>(fs) else {
            continue;
        };
        let dos = name.namespace() == NtfsFileNamespace::Dos;
        if best.as_ref().is_some_and(|b| !b.2) {
            break;
        }
        let parent = name.parent_directory_reference().file_record_number();
        best = Some((name.name().to_string_lossy().into_bytes(), parent, dos));
    }
    best.map(|(n, p, _)| (n, p))
}

/// Path of record `n`, named `name` in directory `parent`, inside the volume; `None` for
/// metadata (under `$Extend` or < 16). A parent that is not a directory the first pass
/// kept (gone, reused, or a file) puts the file under `$OrphanFiles/`.
fn path_of(dirs: &BTreeMap<u64, DirRecord>, n: u64, name: &[u8], parent: u64) -> Option<Vec<u8>> {
    if n == ROOT {
        return Some(Vec::new());
    }
    if n < FIRST_USER_RECORD {
        return None;
    }
    let mut names: Vec<&[u8]> = vec![name];
    let mut cur = parent;
    let mut orphan = false;
    while cur != ROOT {
        if cur == EXTEND || cur < FIRST_USER_RECORD {
            return None;
        }
        let Some(rec) = dirs.get(&cur) else {
            orphan = true;
            break;
        };
        if names.len() >= MAX_DEPTH {
            orphan = true;
            break;
        }
        names.push(&rec.name);
        cur = rec.parent;
    }
    let mut path = if orphan {
        b"$OrphanFiles".to_vec()
    } else {
        Vec::new()
    };
    for name in names.iter().rev() {
        path = join(&path, name);
    }
    Some(path)
}

impl Volume for NtfsVolume<'_> {
    fn fs_name(&self) -> &'static str {
        "ntfs"
    }

    fn walk(&mut self, stop: &AtomicBool, found: &mut dyn FnMut(FsEntry)) -> Result<(), FsError> {
        let mut fs = Cursor::new(self.src);
        let count = self.record_count(&mut fs)?;
        let secure = SecureIndex::load(&self.ntfs, &mut fs);
        let mut dirs = BTreeMap::new();
        for n in self.directory_candidates(&mut fs, count) {
            if n % 1024 == 0 && stop.load(Ordering::Relaxed) {
                return Err(FsError::Interrupted);
            }
            match self.ntfs.file(&mut fs, n) {
                Ok(file) if file.is_directory() => {
                    if let Some((name, parent)) = best_name(&mut fs, &file) {
                        let in_use = file.flags().contains(NtfsFileFlags::IN_USE);
                        dirs.insert(
                            n,
                            DirRecord {
                                name,
                                parent,
                                in_use,
                            },
                        );
                    }
                }
                // Unreadable records are counted in the second pass.
                Ok(_) | Err(_) => {}
            }
        }
        let mut failed = HashMap::new();
        for n in 0..count {
            if n % 1024 == 0 && stop.load(Ordering::Relaxed) {
                return Err(FsError::Interrupted);
            }
            let file = match self.ntfs.file(&mut fs, n) {
                Ok(file) => file,
                Err(e) => {
                    failed.insert(n, e.to_string());
                    continue;
                }
            };
            let Some(rec) = self.record(&mut fs, &file, &secure) else {
                continue;
            };
            let Some(path) = path_of(&dirs, n, &rec.name, rec.parent) else {
                continue;
            };
            stream_entries(&path, n, &rec).for_each(&mut *found);
        }
        if !failed.is_empty() {
            self.damaged_entries(&mut fs, &dirs, &failed)
                .into_iter()
                .for_each(found);
        }
        Ok(())
    }
}
