//! ext2/3/4 volumes: the `ext4fs-core` crate for the superblock, group descriptors and
//! inodes; extent trees, block maps and directory blocks are walked here.
//!
//! Why not the crate's own walkers: its extent-tree walk recurses without a depth check
//! (a self-referencing index block overflows the stack, which no `catch_unwind` can stop),
//! and it reads whole files into memory. Ours bound the depth, check every block number
//! against the volume, and yield runs that the hashing pool reads later.
//! `ext4-view` (recommended for allocated files) is not used: it rejects 128-byte inodes
//! and `metadata_csum` layouts, and it lists no deleted inodes; one backend covers both.
//! Deleted files: names left in directory-entry gaps (`rec_len` slack) whose inode has a
//! deletion time and still holds its extents (a kernel delete zeroes them; `debugfs rm`
//! and many crashes do not); deleted inodes no name points to go under `$OrphanFiles/`.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use ext4fs::block::BlockReader;
use ext4fs::inode::InodeReader;
use ext4fs::ondisk::{FileType, Inode};

use super::{join, runs_for_size, FileData, FsEntry, FsError, FsKind, Run, Volume};
use crate::evidence::disk::bytes::{read_exact_at, ByteSource, Cursor};
use crate::evidence::SkipReason;

const ROOT_INO: u64 = 2;
/// ext4 allows extent trees of depth 5 at most.
const MAX_EXTENT_DEPTH: u16 = 5;
const MAX_DIR_DEPTH: usize = 256;
/// Directories larger than this are not read whole (a lying size must not exhaust memory).
const MAX_DIR_BYTES: u64 = 64 * 1024 * 1024;
/// `EXT4_INLINE_DATA_FL` and `EXT4_EXTENTS_FL`.
const INLINE_DATA_FL: u32 = 0x1000_0000;
const EXTENTS_FL: u32 = 0x0008_0000;

pub(crate) struct ExtVolume<'a> {
    src: &'a dyn ByteSource,
    inodes: InodeReader<Cursor<'a>>,
    block_size: u64,
    name: &'static str,
}

/// A name found in a directory block: live, or left in the slack of the previous entry.
struct DirName {
    inode: u64,
    name: Vec<u8>,
    live: bool,
}

impl<'a> ExtVolume<'a> {
    pub(crate) fn open(src: &'a dyn ByteSource) -> Result<Self, FsError> {
        let br =
            BlockReader::open(Cursor::new(src)).map_err(|e| FsError::corrupt(FsKind::Ext, e))?;
        let sb = br.superblock();
        let name = if sb.has_extents() {
            "ext4"
        } else if sb.has_journal() {
            "ext3"
        } else {
            "ext2"
        };
        check_inode_geometry(sb, src.len())?;
        let block_size = u64::from(sb.block_size);
        Ok(ExtVolume {
            src,
            inodes: InodeReader::new(br),
            block_size,
            name,
        })
    }

    fn block(&self, n: u64) -> Result<Vec<u8>, String> {
        let off = self.block_offset(n)?;
        let mut buf = vec![0u8; usize::try_from(self.block_size).unwrap_or(0)];
        read_exact_at(self.src, off, &mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    }

    fn block_offset(&self, n: u64) -> Result<u64, String> {
        n.checked_mul(self.block_size)
            .filter(|o| o.saturating_add(self.block_size) <= self.src.len())
            .ok_or_else(|| format!("block {n} lies outside the volume"))
    }

    /// `(logical block, physical block or None, block count)` of the inode's data.
    fn extents(&self, inode: &Inode) -> Result<Vec<(u64, Option<u64>, u64)>, String> {
        let mut out = Vec::new();
        if inode.flags.bits() & EXTENTS_FL != 0 {
            self.extent_node(&inode.i_block, MAX_EXTENT_DEPTH, &mut out)?;
        } else {
            self.block_map(&inode.i_block, &mut out)?;
        }
        out.sort_by_key(|e| e.0);
        Ok(out)
    }

    fn extent_node(
        &self,
        node: &[u8],
        max_depth: u16,
        out: &mut Vec<(u64, Option<u64>, u64)>,
    ) -> Result<(), String> {
        let u16_at = |i: usize| node.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let u32_at = |i: usize| {
            node.get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        if u16_at(0) != Some(0xF30A) {
            return Err("bad extent header magic".into());
        }
        let entries = usize::from(u16_at(2).unwrap_or(0));
        let depth = u16_at(6).unwrap_or(0);
        if depth > max_depth {
            return Err(format!("extent tree deeper than {max_depth} (loop?)"));
        }
        for i in 0..entries {
            let e = 12 + i * 12;
            let (Some(logical), Some(lo), Some(hi16)) = (u32_at(e), u32_at(e + 8), u16_at(e + 6))
            else {
                return Err("extent entries run past the node".into());
            };
            if depth == 0 {
                let raw_len = u16_at(e + 4).unwrap_or(0);
                // Lengths above 32768 mark unwritten (preallocated, reads as zeros) extents.
                let (len, unwritten) = if raw_len > 0x8000 {
                    (raw_len - 0x8000, true)
                } else {
                    (raw_len, false)
                };
                let phys = (u64::from(hi16) << 32) | u64::from(lo);
                out.push((
                    u64::from(logical),
                    (!unwritten).then_some(phys),
                    u64::from(len),
                ));
            } else {
                // Index entry: leaf block lo at +4, hi at +8.
                let child_lo = u32_at(e + 4).unwrap_or(0);
                let child_hi = u16_at(e + 8).unwrap_or(0);
                let child = (u64::from(child_hi) << 32) | u64::from(child_lo);
                let block = self.block(child)?;
                self.extent_node(&block, depth - 1, out)?;
            }
        }
        Ok(())
    }

    /// ext2/3 block map: 12 direct pointers, then single, double and triple indirect.
    fn block_map(
        &self,
        i_block: &[u8; 60],
        out: &mut Vec<(u64, Option<u64>, u64)>,
    ) -> Result<(), String> {
        let ptr = |buf: &[u8], i: usize| {
            buf.get(i * 4..i * 4 + 4).map_or(0, |b| {
                u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            })
        };
        let per = self.block_size / 4;
        for i in 0..12 {
            let p = ptr(i_block, i);
            if p != 0 {
                out.push((i as u64, Some(p), 1));
            }
        }
        let mut first = 12u64;
        for (level, slot) in [(1u32, 12usize), (2, 13), (3, 14)] {
            let p = ptr(i_block, slot);
            if p != 0 {
                self.indirect(p, level, first, out)?;
            }
            first = first.saturating_add(per.saturating_pow(level));
        }
        Ok(())
    }

    fn indirect(
        &self,
        block: u64,
        level: u32,
        first: u64,
        out: &mut Vec<(u64, Option<u64>, u64)>,
    ) -> Result<(), String> {
        let buf = self.block(block)?;
        let per = self.block_size / 4;
        let span = per.saturating_pow(level - 1);
        for (i, b) in buf.chunks_exact(4).enumerate() {
            let p = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            if p == 0 {
                continue;
            }
            let logical = first.saturating_add((i as u64).saturating_mul(span));
            if level == 1 {
                out.push((logical, Some(p), 1));
            } else {
                self.indirect(p, level - 1, logical, out)?;
            }
        }
        Ok(())
    }

    /// Byte runs of the inode's content, holes as sparse runs.
    fn runs(&self, inode: &Inode) -> Result<Vec<Run>, String> {
        let bs = self.block_size;
        let mut extents = Vec::new();
        let mut next = 0u64;
        for (logical, phys, count) in self.extents(inode)? {
            if logical > next {
                extents.push((None, (logical - next).saturating_mul(bs)));
            }
            let off = match phys {
                Some(p) => Some(self.block_offset(p)?),
                None => None,
            };
            extents.push((off, count.saturating_mul(bs)));
            next = logical.saturating_add(count);
        }
        // A file may end in a hole.
        extents.push((None, u64::MAX));
        runs_for_size(extents, inode.size, self.src.len())
    }

    fn file_data(&self, ino: u64, inode: &Inode) -> FileData {
        match inode.file_type() {
            FileType::RegularFile => {}
            FileType::Symlink => return FileData::Skipped(SkipReason::Symlink),
            _ => return FileData::Skipped(SkipReason::SpecialFile),
        }
        if inode.flags.bits() & INLINE_DATA_FL != 0 {
            return match self.inodes.read_inode_data(ino) {
                Ok(bytes) => FileData::Inline(bytes),
                Err(e) => FileData::Error(format!("inline data: {e}")),
            };
        }
        self.runs(inode)
            .map_or_else(FileData::Error, FileData::Runs)
    }

    /// Live and slack names of directory `ino`.
    fn dir_names(&self, inode: &Inode) -> Result<Vec<DirName>, String> {
        if inode.size > MAX_DIR_BYTES {
            return Err(format!("directory of {} bytes: too large", inode.size));
        }
        let mut names = Vec::new();
        for run in self.runs(inode)? {
            let Some(off) = run.offset else { continue };
            let mut buf = vec![0u8; usize::try_from(run.len).unwrap_or(0)];
            read_exact_at(self.src, off, &mut buf).map_err(|e| e.to_string())?;
            for block in buf.chunks(usize::try_from(self.block_size).unwrap_or(4096)) {
                parse_dir_block(block, &mut names);
            }
        }
        Ok(names)
    }
}

/// Directory entries of one block: live ones, then any older entry still whole in the
/// slack after a live entry's name (how a removed name survives).
fn parse_dir_block(block: &[u8], out: &mut Vec<DirName>) {
    let mut off = 0usize;
    while let Some(h) = block.get(off..off + 8) {
        let inode = u64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]]));
        let rec_len = usize::from(u16::from_le_bytes([h[4], h[5]]));
        let name_len = usize::from(h[6]);
        if rec_len < 8 || off + rec_len > block.len() {
            break;
        }
        if let Some(name) = block
            .get(off + 8..off + 8 + name_len)
            .filter(|_| inode != 0)
        {
            out.push(DirName {
                inode,
                name: name.to_vec(),
                live: true,
            });
        }
        let used = (8 + name_len + 3) & !3;
        if rec_len >= used + 8 {
            slack_name(&block[off + used..off + rec_len], out);
        }
        off += rec_len;
    }
}

fn slack_name(gap: &[u8], out: &mut Vec<DirName>) {
    let Some(h) = gap.get(..8) else { return };
    let inode = u64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]]));
    let name_len = usize::from(h[6]);
    let Some(name) = gap.get(8..8 + name_len) else {
        return;
    };
    if inode != 0 && name_len > 0 && !name.iter().any(|b| *b == 0 || *b == b'/') {
        out.push(DirName {
            inode,
            name: name.to_vec(),
            live: false,
        });
    }
}

impl ExtVolume<'_> {
    fn entry(&self, path: Vec<u8>, ino: u64, inode: &Inode, deleted: bool) -> FsEntry {
        let mut data = self.file_data(ino, inode);
        if deleted && !has_content(&data) && inode.size > 0 {
            // A kernel delete zeroes the extents: the name survives, the content does not.
            data = FileData::Error("extents cleared on deletion: content not recoverable".into());
        }
        FsEntry {
            path,
            size: inode.size,
            deleted,
            recovered: false,
            inode: Some(ino),
            data,
            meta: Some(super::facts::ext_meta(inode)),
            detail: Default::default(),
        }
    }

    fn walk_dir(
        &self,
        w: &mut Walk<'_>,
        ino: u64,
        path: &[u8],
        depth: usize,
    ) -> Result<(), FsError> {
        if w.stop.load(Ordering::Relaxed) {
            return Err(FsError::Interrupted);
        }
        let names = self
            .inodes
            .read_inode(ino)
            .map_err(|e| e.to_string())
            .and_then(|dir| self.dir_names(&dir));
        let names = match names {
            Ok(n) => n,
            Err(e) => {
                (w.found)(error_entry(
                    path,
                    ino,
                    format!("cannot read directory: {e}"),
                ));
                return Ok(());
            }
        };
        for n in names {
            if n.name == b"." || n.name == b".." {
                continue;
            }
            let child = join(path, &n.name);
            let inode = match self.inodes.read_inode(n.inode) {
                Ok(i) => i,
                Err(e) if n.live => {
                    (w.found)(error_entry(&child, n.inode, format!("inode: {e}")));
                    continue;
                }
                Err(_) => continue,
            };
            if !n.live {
                // Only a name whose inode is itself deleted (not reused) is a deleted file.
                if inode.is_deleted() && inode.file_type() == FileType::RegularFile {
                    w.named_deleted.insert(n.inode);
                    (w.found)(self.entry(child, n.inode, &inode, true));
                }
                continue;
            }
            if inode.file_type() == FileType::Directory {
                if depth >= MAX_DIR_DEPTH || !w.seen_dirs.insert(n.inode) {
                    let msg = format!("directory loop: inode {} already walked", n.inode);
                    (w.found)(error_entry(&child, n.inode, msg));
                    continue;
                }
                self.walk_dir(w, n.inode, &child, depth + 1)?;
            } else {
                (w.found)(self.entry(child, n.inode, &inode, false));
            }
        }
        Ok(())
    }

    /// Deleted inodes that no directory name points to, as `$OrphanFiles/OrphanFile-<inode>`
    /// (The Sleuth Kit's names), with or without content left. The inode table is read one
    /// block group at a time, so only one group's inodes are held. A corrupt inode table can
    /// make `ext4fs-core` panic while it is read (found by fuzzing: an index out of bounds in
    /// `iter_inodes_in_group`): that stops the scan for deleted inodes at that group,
    /// recorded as a failed `$OrphanFiles` item; the named files and the orphans of earlier
    /// groups stand. A group that cannot be read ends the scan for deleted inodes quietly.
    fn orphans(&self, w: &mut Walk<'_>) {
        let groups = self.inodes.block_reader().group_count();
        for group in 0..groups {
            let found = catch_unwind(AssertUnwindSafe(|| self.inodes.iter_inodes_in_group(group)));
            let inodes = match found {
                Ok(Ok(inodes)) => inodes,
                Ok(Err(_)) => return,
                Err(_) => {
                    let msg = "deleted-inode scan stopped: the inode table is corrupt \
                               (ext4fs-core panicked reading it)";
                    (w.found)(error_entry(b"$OrphanFiles", 0, msg.to_string()));
                    return;
                }
            };
            for (ino, inode) in inodes {
                self.orphan(w, ino, &inode);
            }
        }
    }

    /// Lists inode `ino` if it is an orphan: as The Sleuth Kit lists them, every deleted
    /// inode no name points to, but a directory (its entries, if any survive, are found by
    /// their own inodes).
    fn orphan(&self, w: &mut Walk<'_>, ino: u64, inode: &Inode) {
        let wanted = inode.is_deleted()
            && inode.file_type() != FileType::Directory
            && !w.named_deleted.contains(&ino);
        if !wanted {
            return;
        }
        let path = format!("$OrphanFiles/OrphanFile-{ino}").into_bytes();
        let mut entry = self.entry(path, ino, inode, true);
        if !has_content(&entry.data) {
            // ext4 clears a deleted inode's size and extents: the file is listed (its
            // times and owner survive), with nothing to read.
            entry.data = FileData::Skipped(SkipReason::ContentErased);
        }
        (w.found)(entry);
    }
}

/// Refuses inode geometry that cannot fit the volume, before ext4fs-core trusts it (found
/// by fuzzing): it divides by inodes per group (a zero panicked in `read_inode`), and it
/// allocates one group's whole inode table at once (a crafted count asked for 1 TB and
/// aborted the process, which no `catch_unwind` can contain).
fn check_inode_geometry(sb: &ext4fs::ondisk::Superblock, volume_len: u64) -> Result<(), FsError> {
    let corrupt = |why: String| Err(FsError::corrupt(FsKind::Ext, why));
    if sb.inodes_per_group == 0 || sb.inode_size == 0 || sb.block_size == 0 {
        return corrupt("superblock gives 0 inodes per group or a 0-byte inode".into());
    }
    let table = u64::from(sb.inodes_per_group) * u64::from(sb.inode_size);
    if table > volume_len {
        return corrupt(format!(
            "superblock's inode table of {table} bytes per group exceeds the {volume_len}-byte volume"
        ));
    }
    let groups = u64::from(sb.inodes_count).div_ceil(u64::from(sb.inodes_per_group));
    if groups > volume_len / u64::from(sb.block_size) + 1 {
        return corrupt(format!(
            "superblock's {groups} block groups cannot fit the {volume_len}-byte volume"
        ));
    }
    Ok(())
}

/// Whether any byte of the content is still on disk (not only holes).
fn has_content(data: &FileData) -> bool {
    match data {
        FileData::Runs(runs) => runs.iter().any(|r| r.offset.is_some()),
        FileData::Inline(_) | FileData::Compressed(_) => true,
        FileData::Skipped(_) | FileData::Error(_) => false,
    }
}

struct Walk<'s> {
    stop: &'s AtomicBool,
    found: &'s mut dyn FnMut(FsEntry),
    seen_dirs: HashSet<u64>,
    named_deleted: HashSet<u64>,
}

fn error_entry(path: &[u8], ino: u64, message: String) -> FsEntry {
    FsEntry {
        path: path.to_vec(),
        size: 0,
        deleted: false,
        recovered: false,
        inode: Some(ino),
        data: FileData::Error(message),
        meta: None,
        detail: Default::default(),
    }
}

impl Volume for ExtVolume<'_> {
    fn fs_name(&self) -> &'static str {
        self.name
    }

    fn walk(&mut self, stop: &AtomicBool, found: &mut dyn FnMut(FsEntry)) -> Result<(), FsError> {
        let mut w = Walk {
            stop,
            found,
            seen_dirs: HashSet::from([ROOT_INO]),
            named_deleted: HashSet::new(),
        };
        self.walk_dir(&mut w, ROOT_INO, b"", 0)?;
        self.orphans(&mut w);
        Ok(())
    }
}
