//! The partition layer: how a disk image is divided, or that it is one bare volume.
//!
//! Owns `Layout` detection. A filesystem boot sector at byte 0 wins over a partition
//! table: a bare FAT or NTFS volume also ends its first sector in 55 AA, and reading its
//! boot code as four MBR entries yields nonsense partitions. Then GPT (`gptman`, without
//! its `nix` feature: no ioctl, no write path), then MBR with extended partitions
//! (`mbrman`, which follows the EBR chain and refuses one that loops back). Partition
//! numbers follow Linux: GPT entry number; MBR slots 1–4, logical partitions from 5.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::bytes::{ByteSource, Cursor};
use super::fs::{sniff, FsKind};

/// How the image is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    /// A filesystem starting at byte 0.
    Bare(FsKind),
    /// A partition table with these partitions (possibly none).
    Partitioned(Vec<Partition>),
    /// Neither: not a disk image hashsweep can read.
    Unknown,
}

/// One partition table entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partition {
    /// 1-based, as Linux numbers it (`sda5` = first logical partition).
    pub index: u32,
    /// Byte offset and length inside the image.
    pub offset: u64,
    pub len: u64,
    /// Table and type, for reports: `mbr 0x0c (FAT32 LBA)`, `gpt 0fc63daf-… (Linux data)`.
    pub type_desc: String,
}

const SECTOR: u64 = 512;

/// Sniffs the layout of a disk image. Parser panics (crate bugs on hostile tables) are
/// caught and reported as `Unknown`, never allowed to end the scan.
pub(crate) fn detect(src: &dyn ByteSource) -> Layout {
    let mut head = [0u8; 2048];
    let n = super::bytes::read_exact_at(src, 0, &mut head[..src.len().min(2048) as usize]);
    if n.is_err() {
        return Layout::Unknown;
    }
    if let Some(kind) = sniff(&head) {
        return Layout::Bare(kind);
    }
    catch_unwind(AssertUnwindSafe(|| {
        if &head[512..520] == b"EFI PART" {
            if let Some(parts) = gpt(src) {
                return Layout::Partitioned(parts);
            }
        }
        if plausible_mbr(&head) {
            if let Some(parts) = mbr(src) {
                return Layout::Partitioned(parts);
            }
        }
        Layout::Unknown
    }))
    .unwrap_or(Layout::Unknown)
}

/// 55 AA, four entries with a valid boot flag, at least one used entry.
fn plausible_mbr(head: &[u8]) -> bool {
    if head[510..512] != [0x55, 0xAA] {
        return false;
    }
    let entries = || head[446..510].chunks_exact(16);
    entries().all(|e| e[0] == 0 || e[0] == 0x80) && entries().any(|e| e[4] != 0)
}

fn mbr(src: &dyn ByteSource) -> Option<Vec<Partition>> {
    let table = mbrman::MBR::read_from(&mut Cursor::new(src), SECTOR as u32).ok()?;
    let parts = table
        .iter()
        .filter(|(_, p)| p.is_used() && !p.is_extended() && p.sys != 0xEE)
        .map(|(i, p)| Partition {
            index: u32::try_from(i).unwrap_or(u32::MAX),
            offset: u64::from(p.starting_lba) * SECTOR,
            len: u64::from(p.sectors) * SECTOR,
            type_desc: format!("mbr 0x{:02x} ({})", p.sys, mbr_type_name(p.sys)),
        })
        .collect();
    Some(parts)
}

fn gpt(src: &dyn ByteSource) -> Option<Vec<Partition>> {
    let table = gptman::GPT::find_from(&mut Cursor::new(src)).ok()?;
    let sector = table.sector_size;
    let parts = table
        .iter()
        .filter(|(_, p)| p.is_used())
        .filter_map(|(i, p)| {
            let sectors = p.ending_lba.checked_sub(p.starting_lba)?.checked_add(1)?;
            let guid = guid_string(&p.partition_type_guid);
            Some(Partition {
                index: i,
                offset: p.starting_lba.checked_mul(sector)?,
                len: sectors.checked_mul(sector)?,
                type_desc: format!("gpt {guid} ({})", gpt_type_name(&guid)),
            })
        })
        .collect();
    Some(parts)
}

/// GUIDs are stored mixed-endian: the first three fields little-endian.
fn guid_string(g: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{}-{}",
        g[3],
        g[2],
        g[1],
        g[0],
        g[5],
        g[4],
        g[7],
        g[6],
        hex::encode(&g[8..10]),
        hex::encode(&g[10..16])
    )
}

fn gpt_type_name(guid: &str) -> &'static str {
    match guid {
        "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7" => "Microsoft basic data",
        "e3c9e316-0b5c-4db8-817d-f92df00215ae" => "Microsoft reserved",
        "de94bba4-06d1-4d40-a16a-bfd50179d6ac" => "Windows recovery",
        "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" => "EFI system",
        "0fc63daf-8483-4772-8e79-3d69d8477de4" => "Linux data",
        "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f" => "Linux swap",
        "e6d6d379-f507-44c2-a23c-238f2a3df928" => "Linux LVM",
        "ca7d7ccb-63ed-4c53-861c-1742536059cc" => "Linux LUKS",
        "7c3457ef-0000-11aa-aa11-00306543ecac" => "Apple APFS",
        "48465300-0000-11aa-aa11-00306543ecac" => "Apple HFS+",
        "21686148-6449-6e6f-744e-656564454649" => "BIOS boot",
        _ => "unknown type",
    }
}

fn mbr_type_name(sys: u8) -> &'static str {
    match sys {
        0x01 => "FAT12",
        0x04 | 0x06 | 0x0e => "FAT16",
        0x07 => "NTFS/exFAT",
        0x0b | 0x0c => "FAT32",
        0x27 => "Windows recovery",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0x8e => "Linux LVM",
        0xa5 => "FreeBSD",
        0xa8 => "Apple UFS",
        0xaf => "Apple HFS",
        0xef => "EFI system",
        0xfd => "Linux RAID",
        _ => "unknown type",
    }
}

/// Encrypted volumes recognised from their header, to report them as such.
pub(crate) fn encrypted_kind(head: &[u8]) -> Option<&'static str> {
    if head.get(3..11) == Some(b"-FVE-FS-") {
        Some("BitLocker")
    } else if head.get(..6) == Some(b"LUKS\xba\xbe") {
        Some("LUKS")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_is_mixed_endian() {
        let g = [
            0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47,
            0x7d, 0xe4,
        ];
        assert_eq!(guid_string(&g), "0fc63daf-8483-4772-8e79-3d69d8477de4");
    }

    #[test]
    fn boot_code_is_not_an_mbr() {
        let mut head = vec![0u8; 2048];
        head[510] = 0x55;
        head[511] = 0xAA;
        assert!(!plausible_mbr(&head));
        head[446] = 0x80;
        head[450] = 0x0c;
        assert!(plausible_mbr(&head));
        head[462] = 0x33;
        assert!(!plausible_mbr(&head));
    }
}
