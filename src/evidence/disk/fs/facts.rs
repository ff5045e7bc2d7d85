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
pub const EXT_FLAGS: [(u32, &str); 25] = [
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
pub fn ext_meta(inode: &Inode) -> FileMeta {
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

/// A FAT or exFAT entry's times (local wall-clock time: the filesystem records no zone)
/// and attributes. Creation and (exFAT) modification times carry a 10 ms field; the
/// FAT access time is a date.
pub fn fat_meta(node: &Node, exfat: bool) -> FileMeta {
    let time = |t: Option<FatTimestamp>, digits: u8| {
        t.and_then(|t| Timestamp::local(t.unix_seconds, t.subsec_nanos, digits))
    };
    FileMeta::Fat(FatMeta {
        created: time(node.created, 2),
        modified: time(node.modified, if exfat { 2 } else { 0 }),
        accessed: time(node.accessed, 0),
        attributes: flag_names(node.attributes, &WINDOWS_ATTRIBUTES),
        attribute_bits: node.attributes,
    })
}
