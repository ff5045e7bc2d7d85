//! FAT12/16/32 orphan files: directory entries in free clusters that no walk reaches.
//!
//! Owns the test "does this cluster hold directory entries?" and the decoding of the 8.3
//! entries found there. When a directory is deleted, FAT12/16/32 zeroes its cluster chain,
//! so only its first cluster is reachable from the parent's (deleted) entry; the entries in
//! its other clusters survive in free space, reachable from nowhere. The Sleuth Kit lists
//! them under `$OrphanFiles`; so does hashsweep. Following the cluster chain, recovering
//! content and naming the path are `fat.rs`'s business; this module only reads bytes.
//!
//! The test is a heuristic of our own (in the spirit of TSK's `fatfs_isdentry`): every
//! 32-byte slot up to the end marker must be a plausible long-name slot or 8.3 entry, and
//! at least one 8.3 entry must be there. Picture data almost never passes it: the name
//! bytes must be upper-case 8.3 characters and the attribute, cluster, size and date
//! fields must all be in range.

/// One 8.3 entry found in an orphan directory cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanEntry {
    /// The 8.3 name as The Sleuth Kit prints it: a deleted entry's lost first letter is
    /// `_`, base and extension joined by `.`.
    pub name: String,
    pub is_dir: bool,
    pub first_cluster: u32,
    pub size: u32,
    /// Byte offset of the entry inside the cluster.
    pub slot_offset: usize,
}

/// What a plausible entry may hold on this volume.
#[derive(Debug, Clone, Copy)]
pub struct EntryLimits {
    /// One past the highest valid cluster number.
    pub cluster_end: u32,
    /// Volume size in bytes: no file is larger.
    pub volume_len: u64,
}

const SLOT: usize = 32;
const ATTR_LFN: u8 = 0x0F;
const ATTR_VOLUME_ID: u8 = 0x08;
const ATTR_DIRECTORY: u8 = 0x10;
const DELETED: u8 = 0xE5;
/// Characters an 8.3 name may not hold (FAT specification, "short names").
const FORBIDDEN: &[u8] = b"\"*+,./:;<=>?[\\]|";

/// The 8.3 entries of `cluster` when it looks like a directory cluster, else nothing.
/// Volume labels and the `.`/`..` entries are left out.
pub fn orphan_entries(cluster: &[u8], limits: EntryLimits) -> Vec<OrphanEntry> {
    let mut out = Vec::new();
    let mut short_entries = 0;
    for (i, slot) in cluster.chunks_exact(SLOT).enumerate() {
        if slot[0] == 0 {
            // End of directory: the rest of the cluster must be unused too (zeros),
            // otherwise this is data that happens to hold a zero byte here.
            if i == 0 || cluster[i * SLOT..].iter().any(|b| *b != 0) {
                return Vec::new();
            }
            break;
        }
        if slot[11] == ATTR_LFN {
            if !plausible_lfn(slot) {
                return Vec::new();
            }
            continue;
        }
        if !plausible_short(slot, limits) {
            return Vec::new();
        }
        short_entries += 1;
        if slot[11] & ATTR_VOLUME_ID != 0 || slot[0] == b'.' {
            continue;
        }
        out.push(OrphanEntry {
            name: short_name(&slot[..11]),
            is_dir: slot[11] & ATTR_DIRECTORY != 0,
            first_cluster: first_cluster(slot),
            size: u32::from_le_bytes([slot[28], slot[29], slot[30], slot[31]]),
            slot_offset: i * SLOT,
        });
    }
    if short_entries == 0 {
        return Vec::new();
    }
    out
}

fn first_cluster(slot: &[u8]) -> u32 {
    u32::from(u16::from_le_bytes([slot[20], slot[21]])) << 16
        | u32::from(u16::from_le_bytes([slot[26], slot[27]]))
}

/// A long-name slot: a sequence number 1..=20 (0x40 marks the last) or a deleted mark,
/// type 0, first-cluster field 0.
fn plausible_lfn(slot: &[u8]) -> bool {
    let seq = slot[0];
    let seq_ok = seq == DELETED || (seq & !0x40) >= 1 && (seq & !0x40) <= 20;
    seq_ok && slot[12] == 0 && slot[26] == 0 && slot[27] == 0
}

fn plausible_short(slot: &[u8], limits: EntryLimits) -> bool {
    let attr = slot[11];
    if attr & 0xC0 != 0 {
        return false;
    }
    let dot_entry = slot[..11] == *b".          " || slot[..11] == *b"..         ";
    let name_ok = dot_entry
        || (valid_name_byte(slot[0]) || slot[0] == DELETED || slot[0] == 0x05)
            && slot[1..11].iter().all(|b| valid_name_byte(*b));
    let cluster = first_cluster(slot);
    let size = u32::from_le_bytes([slot[28], slot[29], slot[30], slot[31]]);
    let cluster_ok = cluster == 0 || (cluster >= 2 && cluster < limits.cluster_end);
    let size_ok = if attr & (ATTR_DIRECTORY | ATTR_VOLUME_ID) != 0 {
        size == 0
    } else {
        u64::from(size) <= limits.volume_len
    };
    name_ok && cluster_ok && size_ok && valid_date(u16::from_le_bytes([slot[24], slot[25]]))
}

/// 8.3 names are stored upper-case; control characters and the forbidden set never occur.
fn valid_name_byte(b: u8) -> bool {
    b >= 0x20 && !b.is_ascii_lowercase() && !FORBIDDEN.contains(&b)
}

/// A FAT date (day 1..=31, month 1..=12), or 0 for "not set".
fn valid_date(date: u16) -> bool {
    let day = date & 0x1F;
    let month = (date >> 5) & 0x0F;
    date == 0 || (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// `_-DEBIAN.PPM` for the deleted entry `\xE5-DEBIANPPM`, as TSK names orphans.
fn short_name(raw: &[u8]) -> String {
    let mut bytes = raw.to_vec();
    match bytes[0] {
        DELETED => bytes[0] = b'_',
        0x05 => bytes[0] = DELETED,
        _ => {}
    }
    let trim = |b: &[u8]| String::from_utf8_lossy(b).trim_end_matches(' ').to_string();
    let (base, ext) = (trim(&bytes[..8]), trim(&bytes[8..11]));
    if ext.is_empty() {
        base
    } else {
        format!("{base}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: EntryLimits = EntryLimits {
        cluster_end: 1000,
        volume_len: 1 << 24,
    };

    fn entry(name: &[u8; 11], attr: u8, cluster: u16, size: u32) -> [u8; 32] {
        let mut e = [0u8; 32];
        e[..11].copy_from_slice(name);
        e[11] = attr;
        e[24..26].copy_from_slice(&((40 << 9) | (10 << 5) | 27u16).to_le_bytes());
        e[26..28].copy_from_slice(&cluster.to_le_bytes());
        e[28..32].copy_from_slice(&size.to_le_bytes());
        e
    }

    #[test]
    fn deleted_entries_of_a_directory_cluster_are_found_with_tsk_names() {
        let mut cluster = vec![0u8; 512];
        cluster[..32].copy_from_slice(&entry(b"\xE5-DEBIANPPM", 0x20, 40, 1440061));
        cluster[32..64].copy_from_slice(&entry(b"\xE5UB        ", 0x10, 50, 0));
        cluster[64..96].copy_from_slice(&entry(b"KEEP    TXT", 0x20, 0, 0));
        let found = orphan_entries(&cluster, LIMITS);
        let names: Vec<_> = found.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["_-DEBIAN.PPM", "_UB", "KEEP.TXT"]);
        assert_eq!((found[0].first_cluster, found[0].size), (40, 1440061));
        assert!(found[1].is_dir && !found[0].is_dir);
        assert_eq!(found[2].slot_offset, 64);
    }

    #[test]
    fn data_that_is_not_a_directory_is_rejected() {
        let mut cluster = vec![0u8; 512];
        cluster[..32].copy_from_slice(&entry(b"\xE5-DEBIANPPM", 0x20, 40, 10));
        // A cluster number past the volume, a lower-case name, a size past the volume,
        // bytes after the end marker, an empty cluster, a JPEG header.
        let mut bad = cluster.clone();
        bad[26..28].copy_from_slice(&5000u16.to_le_bytes());
        assert!(orphan_entries(&bad, LIMITS).is_empty());
        let mut bad = cluster.clone();
        bad[3] = b'x';
        assert!(orphan_entries(&bad, LIMITS).is_empty());
        let mut bad = cluster.clone();
        bad[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(orphan_entries(&bad, LIMITS).is_empty());
        let mut bad = cluster.clone();
        bad[300] = 1;
        assert!(orphan_entries(&bad, LIMITS).is_empty());
        assert!(orphan_entries(&[0u8; 512], LIMITS).is_empty());
        let mut jpeg = vec![0u8; 512];
        jpeg[..11].copy_from_slice(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00");
        assert!(orphan_entries(&jpeg, LIMITS).is_empty());
        assert_eq!(orphan_entries(&cluster, LIMITS).len(), 1);
    }
}
