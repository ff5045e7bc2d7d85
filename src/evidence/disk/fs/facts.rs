//! ext and FAT/exFAT file facts, from the entries their crates decode.
//!
//! Owns the conversion of an ext inode (`ext4fs-core`) and of a FAT or exFAT directory
//! entry (`fat-core`) into `FileMeta`. NTFS has its own module (`ntfs_meta`): its owner
//! needs the volume's `$Secure`.

use ext4fs::ondisk::{Inode, Timestamp as ExtTime};
use fat::{FatTimestamp, Node};

use crate::evidence::meta::{
    flag_names, ExtMeta, FatMeta, FileMeta, Timestamp, WINDOWS_ATTRIBUTES,
};

/// `ext4fs-core` decodes the nanosecond ("extra") fields only when the inode keeps at
/// least this many extra bytes.
const EXTRA_TIMES_ISIZE: u16 = 28;

/// ext inode flags (`EXT4_*_FL`), by name.
pub(super) const EXT_FLAGS: [(u32, &str); 25] = [
    (0x1, "secure_deletion"),
    (0x2, "undelete"),
    (0x4, "compressed"),
    (0x8, "sync"),
    (0x10, "immutable"),
    (0x20, "append_only"),
    (0x40, "no_dump"),
    (0x80, "no_atime"),
    (0x100, "dirty"),
    (0x200, "compressed_blocks"),
    (0x400, "no_compression"),
    (0x800, "encrypted"),
    (0x1000, "hash_indexed"),
    (0x2000, "imagic"),
    (0x4000, "journal_data"),
    (0x8000, "no_tail"),
    (0x1_0000, "dir_sync"),
    (0x2_0000, "top_dir"),
    (0x4_0000, "huge_file"),
    (0x8_0000, "extents"),
    (0x10_0000, "verity"),
    (0x20_0000, "ea_inode"),
    (0x1000_0000, "inline_data"),
    (0x2000_0000, "project_inherit"),
    (0x4000_0000, "casefold"),
];

/// An ext inode's times, owner, mode and flags. A zero time is an unset one.
pub(super) fn ext_meta(inode: &Inode) -> FileMeta {
    let digits = if inode.extra_isize >= EXTRA_TIMES_ISIZE {
        9
    } else {
        0
    };
    let time = |t: ExtTime| {
        (t != ExtTime::default())
            .then(|| Timestamp::utc(t.seconds, t.nanoseconds, digits))
            .flatten()
    };
    let flag_bits = inode.flags.bits();
    FileMeta::Ext(ExtMeta {
        atime: time(inode.atime),
        mtime: time(inode.mtime),
        ctime: time(inode.ctime),
        crtime: time(inode.crtime),
        dtime: (inode.dtime != 0)
            .then(|| Timestamp::utc(i64::from(inode.dtime), 0, 0))
            .flatten(),
        uid: inode.uid,
        gid: inode.gid,
        mode: u32::from(inode.mode),
        flags: flag_names(flag_bits, &EXT_FLAGS),
        flag_bits,
    })
}

/// The UTC offsets, in minutes, of an exFAT File entry's created, modified and accessed
/// times ([MS-exFAT] 7.4.10: bytes 22, 23 and 24 of the entry; bit 7 says the offset is
/// valid, bits 0–6 are a signed count of 15-minute steps). `dir` is the directory's bytes,
/// `slot` the File entry's 32-byte slot; `None` where the entry is not a File entry or an
/// offset is not recorded (the time is then local wall-clock time, as on FAT).
pub(super) fn exfat_utc_offsets(dir: &[u8], slot: usize) -> [Option<i32>; 3] {
    const TYPE_FILE: u8 = 0x05;
    let entry = slot
        .checked_mul(32)
        .and_then(|start| dir.get(start..start + 32))
        .filter(|e| e[0] & 0x7F == TYPE_FILE);
    let Some(entry) = entry else {
        return [None; 3];
    };
    [22, 23, 24].map(|at| {
        let field = entry[at];
        // Bits 0–6 as a signed 7-bit number: shift them to the top of an i8 and back.
        let quarters = i32::from(((field << 1) as i8) >> 1);
        (field & 0x80 != 0).then_some(quarters * 15)
    })
}

/// A FAT or exFAT entry's times and attributes. Creation and (exFAT) modification times
/// carry a 10 ms field; the FAT access time is a date. FAT records no zone: its times are
/// local wall-clock times (written without `Z`). exFAT times with a recorded UTC offset
/// (`utc_offsets`, from `exfat_utc_offsets`) are converted to UTC.
pub(super) fn fat_meta(node: &Node, exfat: bool, utc_offsets: [Option<i32>; 3]) -> FileMeta {
    let time = |t: Option<FatTimestamp>, digits: u8, offset: Option<i32>| {
        t.and_then(|t| match offset {
            Some(minutes) => Timestamp::utc(
                t.unix_seconds - i64::from(minutes) * 60,
                t.subsec_nanos,
                digits,
            ),
            None => Timestamp::local(t.unix_seconds, t.subsec_nanos, digits),
        })
    };
    let [created, modified, accessed] = utc_offsets;
    FileMeta::Fat(FatMeta {
        created: time(node.created, 2, created),
        modified: time(node.modified, if exfat { 2 } else { 0 }, modified),
        accessed: time(node.accessed, 0, accessed),
        attributes: flag_names(node.attributes, &WINDOWS_ATTRIBUTES),
        attribute_bits: node.attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of two slots: a File entry (type 0x85) with the given UTC offset bytes,
    /// then a Stream Extension entry.
    fn dir(offsets: [u8; 3]) -> Vec<u8> {
        let mut d = vec![0u8; 64];
        d[0] = 0x85;
        d[22..25].copy_from_slice(&offsets);
        d[32] = 0xC0;
        d
    }

    #[test]
    fn utc_offsets_are_signed_quarter_hours_when_marked_valid() {
        // +5:30 (22 quarters), -5:00 (-20 = 0x6C in 7 bits), 0 valid.
        let d = dir([0x80 | 22, 0x80 | 0x6C, 0x80]);
        assert_eq!(exfat_utc_offsets(&d, 0), [Some(330), Some(-300), Some(0)]);
        // Bit 7 clear: no offset recorded, whatever the low bits say.
        assert_eq!(exfat_utc_offsets(&dir([0x16, 0, 0x7F]), 0), [None; 3]);
        // -15:00, the most negative step (-64 = 0x40).
        assert_eq!(
            exfat_utc_offsets(&dir([0xC0, 0x80, 0x80]), 0)[0],
            Some(-960)
        );
    }

    #[test]
    fn a_slot_that_is_no_file_entry_or_past_the_end_has_no_offsets() {
        let d = dir([0x81, 0x81, 0x81]);
        assert_eq!(exfat_utc_offsets(&d, 1), [None; 3]);
        assert_eq!(exfat_utc_offsets(&d, 2), [None; 3]);
        assert_eq!(exfat_utc_offsets(&d, usize::MAX), [None; 3]);
        // A deleted File entry (0x05) keeps its offsets.
        let mut deleted = d.clone();
        deleted[0] = 0x05;
        assert_eq!(exfat_utc_offsets(&deleted, 0), [Some(15); 3]);
    }
}
