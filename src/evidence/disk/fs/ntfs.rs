//! NTFS volumes, through the `ntfs` crate (read-only, no write code at all).
//!
//! The MFT is read record by record rather than walking directory indexes: that finds
//! deleted files (records without IN_USE whose `$FILE_NAME` and `$DATA` still parse) with
//! the same code as live ones. Paths are rebuilt from each name's parent reference; a file
//! whose parent is gone goes under `$OrphanFiles/`, as The Sleuth Kit does. Only the unnamed
//! `$DATA` stream is read (alternate streams are not listed). Metadata files (records 0–15
//! and everything under `$Extend`) are not listed. Compressed (LZNT1) and encrypted data
//! are listed as skipped: the crate cannot decode them. A damaged record is reported only
//! when a directory index still names it (unreferenced records may simply be unused).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use ntfs::attribute_value::NtfsAttributeValue;
use ntfs::structured_values::NtfsFileNamespace;
use ntfs::{Ntfs, NtfsAttributeFlags, NtfsFile, NtfsFileFlags};

use super::ntfs_meta::{self, SecureIndex};
use super::{join, runs_for_size, FileData, FsEntry, FsError, Volume};
use crate::evidence::disk::bytes::{ByteSource, Cursor};
use crate::evidence::meta::FileMeta;
use crate::evidence::SkipReason;

const ROOT: u64 = 5;
const EXTEND: u64 = 11;
/// Records below this are NTFS metadata files ($MFT … $Extend, then reserved ones).
const FIRST_USER_RECORD: u64 = 16;
/// More MFT records than this is not a real volume (2^32 records = 4 TiB of MFT).
const MAX_RECORDS: u64 = 1 << 32;
/// Parent chains longer than this are treated as loops.
const MAX_DEPTH: usize = 1024;

pub struct NtfsVolume<'a> {
    src: &'a dyn ByteSource,
    ntfs: Ntfs,
}

/// What the walk keeps of one record.
struct Record {
    name: Vec<u8>,
    parent: u64,
    is_dir: bool,
    in_use: bool,
    data: Option<(u64, FileData)>,
    meta: Option<FileMeta>,
}

impl<'a> NtfsVolume<'a> {
    pub fn open(src: &'a dyn ByteSource) -> Result<Self, FsError> {
        let ntfs = Ntfs::new(&mut Cursor::new(src)).map_err(|e| FsError::corrupt("ntfs", e))?;
        Ok(NtfsVolume { src, ntfs })
    }

    fn record_count(&self, fs: &mut Cursor<'_>) -> Result<u64, FsError> {
        let err = |e: ntfs::NtfsError| FsError::corrupt("ntfs", format!("$MFT: {e}"));
        let mft = self.ntfs.file(fs, 0).map_err(err)?;
        let item = mft
            .data(fs, "")
            .ok_or_else(|| FsError::corrupt("ntfs", "$MFT has no $DATA"))?
            .map_err(err)?;
        let len = item.to_attribute().map_err(err)?.value_length();
        let per = u64::from(self.ntfs.file_record_size()).max(1);
        Ok((len / per).min(MAX_RECORDS))
    }

    fn record(
        &self,
        fs: &mut Cursor<'_>,
        file: &NtfsFile<'_>,
        secure: &SecureIndex,
    ) -> Option<Record> {
        let (name, parent) = best_name(fs, file)?;
        let is_dir = file.is_directory();
        let data = (!is_dir).then(|| self.file_data(fs, file));
        let meta = (!is_dir)
            .then(|| ntfs_meta::file_meta(fs, file, secure))
            .flatten();
        Some(Record {
            name,
            parent,
            is_dir,
            in_use: file.flags().contains(NtfsFileFlags::IN_USE),
            data,
            meta,
        })
    }

    /// Size and location of the unnamed `$DATA` stream.
    fn file_data(&self, fs: &mut Cursor<'_>, file: &NtfsFile<'_>) -> (u64, FileData) {
        let item = match file.data(fs, "") {
            None => return (0, FileData::Runs(Vec::new())),
            Some(Err(e)) => return (0, FileData::Error(format!("$DATA: {e}"))),
            Some(Ok(item)) => item,
        };
        let attr = match item.to_attribute() {
            Ok(a) => a,
            Err(e) => return (0, FileData::Error(format!("$DATA: {e}"))),
        };
        let size = attr.value_length();
        if attr.flags().contains(NtfsAttributeFlags::COMPRESSED) {
            return (size, FileData::Skipped(SkipReason::Compressed));
        }
        if attr.flags().contains(NtfsAttributeFlags::ENCRYPTED) {
            return (size, FileData::Skipped(SkipReason::Encrypted));
        }
        let data = match attr.value(fs) {
            Err(e) => FileData::Error(format!("$DATA value: {e}")),
            Ok(NtfsAttributeValue::Resident(r)) => FileData::Inline(r.data().to_vec()),
            Ok(NtfsAttributeValue::NonResident(nr)) => {
                let mut extents = Vec::new();
                for run in nr.data_runs() {
                    match run {
                        Ok(run) => extents.push((
                            run.data_position().value().map(|p| p.get()),
                            run.allocated_size(),
                        )),
                        Err(e) => return (size, FileData::Error(format!("data run: {e}"))),
                    }
                }
                runs_for_size(extents, size, self.src.len())
                    .map_or_else(FileData::Error, FileData::Runs)
            }
            Ok(NtfsAttributeValue::AttributeListNonResident(_)) => {
                FileData::Error("$DATA spread over an attribute list: not supported yet".into())
            }
        };
        (size, data)
    }

    /// Entries a directory index still names whose MFT record could not be read.
    fn damaged_entries(
        &self,
        fs: &mut Cursor<'_>,
        records: &BTreeMap<u64, Record>,
        failed: &HashMap<u64, String>,
    ) -> Vec<FsEntry> {
        let mut out = Vec::new();
        let dirs = records.iter().filter(|(_, r)| r.is_dir && r.in_use);
        for dir in dirs.map(|(n, _)| *n) {
            let Some(dir_path) = path_of(records, dir) else {
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
                });
            }
        }
        out
    }
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

/// Path of record `n` inside the volume; `None` for metadata (under `$Extend` or < 16).
fn path_of(records: &BTreeMap<u64, Record>, n: u64) -> Option<Vec<u8>> {
    if n == ROOT {
        return Some(Vec::new());
    }
    let mut names: Vec<&[u8]> = Vec::new();
    let mut cur = n;
    let mut orphan = false;
    while cur != ROOT {
        if cur == EXTEND || (cur < FIRST_USER_RECORD && cur != n) || n < FIRST_USER_RECORD {
            return None;
        }
        let Some(rec) = records.get(&cur) else {
            orphan = true;
            break;
        };
        if cur != n && !rec.is_dir || names.len() >= MAX_DEPTH {
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

    fn entries(&mut self, stop: &AtomicBool) -> Result<Vec<FsEntry>, FsError> {
        let mut fs = Cursor::new(self.src);
        let count = self.record_count(&mut fs)?;
        let secure = SecureIndex::load(&self.ntfs, &mut fs);
        let mut records = BTreeMap::new();
        let mut failed = HashMap::new();
        for n in 0..count {
            if n % 1024 == 0 && stop.load(Ordering::Relaxed) {
                return Err(FsError::Interrupted);
            }
            match self.ntfs.file(&mut fs, n) {
                Ok(file) => {
                    if let Some(rec) = self.record(&mut fs, &file, &secure) {
                        records.insert(n, rec);
                    }
                }
                Err(e) => {
                    failed.insert(n, e.to_string());
                }
            }
        }
        let mut out = Vec::new();
        for (&n, rec) in &records {
            let (Some((size, data)), Some(path)) = (&rec.data, path_of(&records, n)) else {
                continue;
            };
            out.push(FsEntry {
                path,
                size: *size,
                deleted: !rec.in_use,
                recovered: false,
                inode: Some(n),
                data: data.clone(),
                meta: rec.meta.clone(),
            });
        }
        if !failed.is_empty() {
            out.extend(self.damaged_entries(&mut fs, &records, &failed));
        }
        Ok(out)
    }
}
