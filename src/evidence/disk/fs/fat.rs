//! FAT12/16/32 and exFAT volumes, through the `fat-core` crate.
//!
//! `fat-core` parses the boot sector and directories (long names, exFAT entry sets, deleted
//! entries). Cluster chains are followed here, from our own copy of FAT1, so that every
//! file's runs are known at walk time, a cyclic chain is caught, and deleted files can be
//! recovered. Deleted FAT12/16/32 files have no chain left (deletion zeroes it), so their
//! content is recovered the way The Sleuth Kit does: from the first cluster on, taking the
//! following clusters that are still free, until the size is covered; such entries are
//! flagged `recovered`. Deleted directories are descended into (their first cluster, or
//! their contiguous run on exFAT), and everything found there is flagged deleted.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use fat::{FatFs, FatVariant, FileId, Geometry, Node};

use super::fat_orphans::{orphan_entries, EntryLimits, OrphanEntry};
use super::{join, runs_for_size, FileData, FsEntry, FsError, FsKind, Volume, ORPHAN_DIR};
use crate::evidence::disk::bytes::{read_exact_at, ByteSource, Cursor};

/// FAT1 larger than this is refused (a FAT32 volume of 2 TiB with 4 KiB clusters has 2 GiB
/// of FAT; 256 MiB covers 64 Mi clusters, as `fat-core` itself caps it).
const MAX_FAT_BYTES: u64 = 256 * 1024 * 1024;
/// Directories deeper than this are reported, not walked (a loop guard of last resort).
const MAX_DEPTH: usize = 256;

pub(crate) struct FatVolume<'a> {
    src: &'a dyn ByteSource,
    fs: FatFs<Cursor<'a>>,
    fat: Vec<u8>,
    volume_len: u64,
}

impl<'a> FatVolume<'a> {
    pub(crate) fn open(src: &'a dyn ByteSource) -> Result<Self, FsError> {
        let fs = FatFs::open(Cursor::new(src)).map_err(|e| FsError::corrupt(FsKind::Fat, e))?;
        let g = fs.geometry();
        let fat_len = u64::from(g.fat_size_sectors)
            .checked_mul(u64::from(g.bytes_per_sector))
            .filter(|n| *n <= MAX_FAT_BYTES)
            .ok_or_else(|| FsError::corrupt(FsKind::Fat, "FAT size out of range"))?;
        let mut fat = vec![0u8; usize::try_from(fat_len).unwrap_or(0)];
        read_exact_at(src, g.fat_start, &mut fat).map_err(|e| {
            FsError::corrupt(
                FsKind::Fat,
                format!("reading FAT1 at byte {}: {e}", g.fat_start),
            )
        })?;
        Ok(FatVolume {
            src,
            fs,
            fat,
            volume_len: src.len(),
        })
    }

    fn geom(&self) -> &Geometry {
        self.fs.geometry()
    }

    /// The FAT entry of `cluster`, `None` past the end of the table.
    fn next(&self, cluster: u32) -> Option<u32> {
        let c = usize::try_from(cluster).ok()?;
        let u16_at = |i: usize| {
            Some(u16::from_le_bytes([
                *self.fat.get(i)?,
                *self.fat.get(i + 1)?,
            ]))
        };
        let u32_at = |i: usize| {
            let b = self.fat.get(i..i + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        match self.geom().variant {
            FatVariant::Fat12 => {
                let v = u32::from(u16_at(c + c / 2)?);
                Some(if c % 2 == 1 { v >> 4 } else { v & 0xFFF })
            }
            FatVariant::Fat16 => u16_at(c * 2).map(u32::from),
            FatVariant::Fat32 => u32_at(c * 4).map(|v| v & 0x0FFF_FFFF),
            FatVariant::ExFat => u32_at(c * 4),
        }
    }

    /// Whether a FAT value marks the end of a chain (or a bad cluster: also an end).
    fn is_end(&self, v: u32) -> bool {
        let first_reserved = match self.geom().variant {
            FatVariant::Fat12 => 0xFF7,
            FatVariant::Fat16 => 0xFFF7,
            FatVariant::Fat32 => 0x0FFF_FFF7,
            FatVariant::ExFat => 0xFFFF_FFF7,
        };
        v >= first_reserved || v < 2
    }

    fn valid_cluster(&self, c: u32) -> bool {
        c >= 2 && u64::from(c) < u64::from(self.geom().count_of_clusters) + 2
    }

    fn cluster_runs(&self, clusters: &[u32], size: u64) -> Result<Vec<super::Run>, String> {
        let cs = u64::from(self.geom().cluster_size);
        let extents = clusters
            .iter()
            .map(|c| (self.geom().cluster_offset(*c), cs))
            .collect::<Vec<_>>();
        if extents.iter().any(|(o, _)| o.is_none()) {
            return Err("cluster number below 2".into());
        }
        runs_for_size(extents, size, self.volume_len)
    }

    /// The clusters of an allocated file: its FAT chain (or contiguous run on exFAT).
    fn chain(&self, first: u32, needed: u64, contiguous: bool) -> Result<Vec<u32>, String> {
        if contiguous {
            return self.contiguous(first, needed);
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut c = first;
        while (out.len() as u64) < needed {
            if !self.valid_cluster(c) {
                return Err(format!("cluster chain reaches invalid cluster {c}"));
            }
            if !seen.insert(c) {
                return Err(format!("cyclic cluster chain: cluster {c} repeats"));
            }
            out.push(c);
            let v = self
                .next(c)
                .ok_or_else(|| format!("cluster {c} past the FAT"))?;
            if self.is_end(v) && (out.len() as u64) < needed {
                return Err(format!(
                    "cluster chain ends after {} of {needed} clusters",
                    out.len()
                ));
            }
            c = v;
        }
        Ok(out)
    }

    fn contiguous(&self, first: u32, needed: u64) -> Result<Vec<u32>, String> {
        let last = u64::from(first) + needed;
        if !self.valid_cluster(first) || last > u64::from(self.geom().count_of_clusters) + 2 {
            return Err(format!(
                "contiguous run from cluster {first} leaves the volume"
            ));
        }
        Ok((u64::from(first)..last)
            .filter_map(|c| u32::try_from(c).ok())
            .collect())
    }

    /// TSK-style recovery of a deleted FAT12/16/32 file: the first cluster must still be
    /// free, then the following free clusters in order (allocated ones belong to others).
    fn recover(&self, first: u32, needed: u64) -> Result<Vec<u32>, String> {
        if self.next(first) != Some(0) {
            return Err(format!(
                "first cluster {first} is allocated again: content overwritten"
            ));
        }
        let mut out = Vec::new();
        let mut c = first;
        while (out.len() as u64) < needed {
            if !self.valid_cluster(c) {
                return Err("not enough free clusters after the first one".into());
            }
            if self.next(c) == Some(0) {
                out.push(c);
            }
            c = c.saturating_add(1);
        }
        Ok(out)
    }

    fn file_data(&self, node: &Node, deleted: bool) -> (FileData, bool) {
        let cs = u64::from(self.geom().cluster_size);
        let needed = node.size.div_ceil(cs);
        if node.size == 0 {
            return (FileData::Runs(Vec::new()), false);
        }
        let exfat = self.geom().variant == FatVariant::ExFat;
        let (clusters, recovered) = if !deleted || exfat {
            // exFAT keeps the chain (or NoFatChain flag) of a deleted file.
            (
                self.chain(node.first_cluster, needed, node.contiguous),
                false,
            )
        } else {
            (self.recover(node.first_cluster, needed), true)
        };
        let data = clusters
            .and_then(|c| self.cluster_runs(&c, node.size))
            .map_or_else(FileData::Error, FileData::Runs);
        (data, recovered)
    }

    /// Raw bytes of directory `id` (FAT12/16/32), for what `fat-core` does not decode.
    fn dir_bytes(&self, id: FileId) -> Vec<u8> {
        let g = self.geom();
        let clusters = match id {
            FileId::Root if g.variant != FatVariant::Fat32 => {
                let mut buf = vec![0u8; g.root_dir_bytes as usize];
                let src = self.src;
                return match read_exact_at(src, g.root_dir_start, &mut buf) {
                    Ok(()) => buf,
                    Err(_) => Vec::new(),
                };
            }
            FileId::Root => self.dir_chain(g.root_cluster),
            FileId::Entry { .. } => match self.fs.meta(id) {
                Ok(node) => self.dir_chain(node.first_cluster),
                Err(_) => Vec::new(),
            },
        };
        let cs = g.cluster_size as usize;
        let regions = clusters
            .into_iter()
            .map_while(|c| g.cluster_offset(c).map(|off| (off, cs)));
        read_regions(self.src, regions)
    }

    /// Raw bytes of exFAT directory `id`, from the runs `fat-core` reads it from (a
    /// directory may be one contiguous run without a FAT chain), up to 64 MiB: for the
    /// fields `fat-core` does not decode (UTC offsets).
    fn exfat_dir_bytes(&self, id: FileId) -> Vec<u8> {
        let Ok(runs) = self.fs.runs(id) else {
            return Vec::new();
        };
        let regions = runs
            .into_iter()
            .map_while(|(offset, len)| Some((offset, usize::try_from(len).ok()?)));
        read_regions(self.src, regions)
    }

    /// A directory's clusters: its chain until the end mark, a repeat, or 64 MiB.
    fn dir_chain(&self, first: u32) -> Vec<u32> {
        let max = (64 << 20) / u64::from(self.geom().cluster_size).max(1);
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut c = first;
        while self.valid_cluster(c) && seen.insert(c) && (out.len() as u64) < max {
            out.push(c);
            match self.next(c) {
                Some(v) if !self.is_end(v) => c = v,
                _ => break,
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)] // one recursion's state; a struct would only rename it
    fn walk_dir(
        &self,
        id: FileId,
        path: &[u8],
        parent_deleted: bool,
        depth: usize,
        seen_dirs: &mut HashSet<u32>,
        out: &mut dyn FnMut(FsEntry),
        stop: &AtomicBool,
    ) -> Result<(), FsError> {
        if stop.load(Ordering::Relaxed) {
            return Err(FsError::Interrupted);
        }
        let nodes = match self.fs.read_dir(id) {
            Ok(nodes) => nodes,
            Err(e) => {
                out(error_entry(path, format!("cannot read directory: {e}")));
                return Ok(());
            }
        };
        // The directory's raw bytes, read once when needed: FAT for deleted long names,
        // exFAT for UTC offsets.
        let exfat = self.geom().variant == FatVariant::ExFat;
        let mut raw_dir: Option<Vec<u8>> = None;
        for mut node in nodes {
            if !exfat && node.is_deleted && node.name.starts_with('?') {
                let raw = raw_dir.get_or_insert_with(|| self.dir_bytes(id));
                if let FileId::Entry { index, .. } = node.id {
                    if let Some(name) = deleted_long_name(raw, usize::from(index)) {
                        node.name = name;
                    }
                }
            }
            if node.is_volume_label || node.name == "." || node.name == ".." || node.name.is_empty()
            {
                continue;
            }
            let child = join(path, node.name.as_bytes());
            let deleted = node.is_deleted || parent_deleted;
            if node.is_dir {
                if !seen_dirs.insert(node.first_cluster) || node.first_cluster < 2 {
                    // A deleted directory whose cluster is reused is not worth an error.
                    if !deleted {
                        out(error_entry(
                            &child,
                            "directory loop: cluster already walked",
                        ));
                    }
                    continue;
                }
                if depth >= MAX_DEPTH {
                    out(error_entry(&child, "directories nested too deep"));
                    continue;
                }
                self.walk_dir(node.id, &child, deleted, depth + 1, seen_dirs, out, stop)?;
            } else {
                let (data, recovered) = self.file_data(&node, deleted);
                let utc_offsets = match node.id {
                    FileId::Entry { index, .. } if exfat => {
                        let raw = raw_dir.get_or_insert_with(|| self.exfat_dir_bytes(id));
                        super::facts::exfat_utc_offsets(raw, usize::from(index))
                    }
                    _ => [None; 3],
                };
                out(FsEntry {
                    path: child,
                    size: node.size,
                    deleted,
                    recovered,
                    inode: None,
                    data,
                    meta: Some(super::facts::fat_meta(&node, exfat, utc_offsets)),
                    detail: Default::default(),
                });
            }
        }
        Ok(())
    }
}

/// The bytes of `regions` (image offset, length) one after another, up to 64 MiB (a
/// directory's size cap) or the first region that cannot be read.
fn read_regions(src: &dyn ByteSource, regions: impl Iterator<Item = (u64, usize)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (offset, len) in regions {
        if out.len() + len > 64 << 20 {
            break;
        }
        let start = out.len();
        out.resize(start + len, 0);
        if read_exact_at(src, offset, &mut out[start..]).is_err() {
            out.truncate(start);
            break;
        }
    }
    out
}

/// The long name of a deleted entry at `slot` of a directory's bytes. Deletion overwrites
/// the first byte of every slot (the LFN sequence number and the 8.3 name's first letter)
/// with 0xE5, so `fat-core` shows `?ELETE~1.JPG`; the LFN characters survive. They are
/// accepted when every LFN slot carries the same checksum and it is the 8.3 checksum for
/// some first letter (a weak check: 95 letters cover many of the 256 values).
fn deleted_long_name(dir: &[u8], slot: usize) -> Option<String> {
    let sfn = dir.get(slot * 32..slot * 32 + 11)?;
    let mut units = Vec::new();
    let mut checksum = None;
    for i in (slot.saturating_sub(20)..slot).rev() {
        let e = dir.get(i * 32..i * 32 + 32)?;
        if e[11] != 0x0F || checksum.is_some_and(|c| c != e[13]) {
            break;
        }
        checksum = Some(e[13]);
        for r in [1..11, 14..26, 28..32] {
            units.extend(
                e[r].chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]])),
            );
        }
    }
    let checksum = checksum?;
    let fits = (0x20u8..0x7F).any(|first| sfn_checksum(first, &sfn[1..]) == checksum);
    let end = units
        .iter()
        .position(|u| *u == 0 || *u == 0xFFFF)
        .unwrap_or(units.len());
    (fits && end > 0).then(|| String::from_utf16_lossy(&units[..end]))
}

fn sfn_checksum(first: u8, rest: &[u8]) -> u8 {
    std::iter::once(&first)
        .chain(rest)
        .fold(0u8, |sum, b| sum.rotate_right(1).wrapping_add(*b))
}

/// Reading free clusters for orphan directory entries: this many bytes per read.
const ORPHAN_READ: u64 = 1 << 20;

impl FatVolume<'_> {
    /// Orphan files (`$OrphanFiles/<8.3 name>`): file entries in free clusters that look
    /// like a directory and were not walked (the lost clusters of a deleted directory).
    /// Their content is recovered like any deleted file's, and flagged so.
    fn orphans(
        &self,
        walked: &HashSet<u32>,
        out: &mut dyn FnMut(FsEntry),
        stop: &AtomicBool,
    ) -> Result<(), FsError> {
        let g = self.geom();
        let cs = u64::from(g.cluster_size.max(1));
        let end = g.count_of_clusters.saturating_add(2);
        let limits = EntryLimits {
            cluster_end: end,
            volume_len: self.volume_len,
        };
        let per_read = u32::try_from((ORPHAN_READ / cs).max(1)).unwrap_or(1);
        let free = |c: u32| self.next(c) == Some(0) && !walked.contains(&c);
        let mut c = 2u32;
        let mut buf = Vec::new();
        while c < end {
            if !free(c) {
                c += 1;
                continue;
            }
            if stop.load(Ordering::Relaxed) {
                return Err(FsError::Interrupted);
            }
            // A run of free clusters, read at once (they are contiguous on disk).
            let first = c;
            while c < end && c - first < per_read && free(c) {
                c += 1;
            }
            let Some(off) = g.cluster_offset(first) else {
                continue;
            };
            buf.resize(usize::try_from(u64::from(c - first) * cs).unwrap_or(0), 0);
            if read_exact_at(self.src, off, &mut buf).is_err() {
                continue;
            }
            for cluster in buf.chunks_exact(usize::try_from(cs).unwrap_or(usize::MAX)) {
                for e in orphan_entries(cluster, limits)
                    .into_iter()
                    .filter(|e| !e.is_dir)
                {
                    out(self.orphan_file(&e));
                }
            }
        }
        Ok(())
    }

    fn orphan_file(&self, e: &OrphanEntry) -> FsEntry {
        let size = u64::from(e.size);
        let needed = size.div_ceil(u64::from(self.geom().cluster_size.max(1)));
        let data = if size == 0 {
            FileData::Runs(Vec::new())
        } else {
            self.recover(e.first_cluster, needed)
                .and_then(|c| self.cluster_runs(&c, size))
                .map_or_else(FileData::Error, FileData::Runs)
        };
        FsEntry {
            path: join(ORPHAN_DIR, e.name.as_bytes()),
            size,
            deleted: true,
            recovered: true,
            inode: None,
            data,
            // The orphan slot's times are not decoded yet (fat_orphans reads names, sizes
            // and clusters only).
            meta: None,
            detail: Default::default(),
        }
    }
}

fn error_entry(path: &[u8], message: impl Into<String>) -> FsEntry {
    FsEntry {
        path: path.to_vec(),
        size: 0,
        deleted: false,
        recovered: false,
        inode: None,
        data: FileData::Error(message.into()),
        meta: None,
        detail: Default::default(),
    }
}

impl Volume for FatVolume<'_> {
    fn fs_name(&self) -> &'static str {
        match self.geom().variant {
            FatVariant::Fat12 => "fat12",
            FatVariant::Fat16 => "fat16",
            FatVariant::Fat32 => "fat32",
            FatVariant::ExFat => "exfat",
        }
    }

    fn walk(&mut self, stop: &AtomicBool, found: &mut dyn FnMut(FsEntry)) -> Result<(), FsError> {
        let mut seen = HashSet::from([self.geom().root_cluster]);
        self.walk_dir(self.fs.root(), b"", false, 0, &mut seen, found, stop)?;
        if self.geom().variant != FatVariant::ExFat {
            let walked: HashSet<u32> = seen.iter().flat_map(|c| self.dir_chain(*c)).collect();
            self.orphans(&walked, found, stop)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One LFN slot holding up to 13 UTF-16 units of `part`, deleted (first byte 0xE5).
    fn lfn_slot(part: &str, checksum: u8) -> [u8; 32] {
        let mut units: Vec<u16> = part.encode_utf16().collect();
        if units.len() < 13 {
            units.push(0);
        }
        units.resize(13, 0xFFFF);
        let mut e = [0u8; 32];
        e[0] = 0xE5;
        e[11] = 0x0F;
        e[13] = checksum;
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        e[1..11].copy_from_slice(&bytes[0..10]);
        e[14..26].copy_from_slice(&bytes[10..22]);
        e[28..32].copy_from_slice(&bytes[22..26]);
        e
    }

    #[test]
    fn deleted_long_name_is_rebuilt_when_the_checksum_fits() {
        let sfn = *b"DELETE~1JPG";
        let sum = sfn_checksum(b'D', &sfn[1..]);
        let mut dir = Vec::new();
        dir.extend(lfn_slot("g", sum)); // second part, stored first
        dir.extend(lfn_slot("deleted_me.jp", sum));
        let mut entry = [0u8; 32];
        entry[0] = 0xE5;
        entry[1..11].copy_from_slice(&sfn[1..]);
        dir.extend(entry);
        // Slots are read backwards from the 8.3 entry: "deleted_me.jp" then "g".
        let name = deleted_long_name(&dir, 2);
        assert_eq!(name.as_deref(), Some("deleted_me.jpg"));
        // Without LFN slots before it there is no long name to rebuild.
        assert_eq!(deleted_long_name(&dir[64..], 0), None);
    }
}
