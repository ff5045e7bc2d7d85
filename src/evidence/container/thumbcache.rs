//! Windows Explorer thumbnail caches of Vista to 11 (`thumbcache_32.db`, `_256.db`,
//! `_1024.db`, … under `AppData\Local\Microsoft\Windows\Explorer`): one file per size, a
//! run of cache entries, each a thumbnail (JPEG, PNG or BMP) keyed by a hash of the source
//! file. Explorer keeps a thumbnail after its source is deleted.
//!
//! Layout, from the published descriptions (Joachim Metz's libwtcdb format notes, and
//! the entry layout `dissect.thumbcache` reads, which tests/thumbnail_caches.rs uses as
//! an oracle): a 24-byte file header, `CMMM` then the format version (0x14 Vista, 0x15
//! Windows 7, 0x1E–0x20 Windows 8 to 11) and cache type; entries follow it back to back,
//! each `CMMM`, its total size, an 8-byte hash, (Vista: a 4-character extension), the
//! identifier's, padding's and data's sizes, a field of unknown use, (8 to 11: 8 more
//! bytes), a data and a header checksum (8 bytes each), the identifier (UTF-16LE, the
//! hash in hex), padding, then the data.
//!
//! Each entry with data is one item named by its identifier (else its hash in hex), with
//! its size and offset: the cache keeps no time and no source name. Entries without data
//! (placeholders Explorer keeps in every size) are not items. The walk stops at the first
//! entry whose signature or sizes do not hold (a failure naming its offset). Both CRC-64
//! checksums of each entry are verified (`thumbcache_checksum`) and reported as the item's
//! `container.checksums_ok`: a mismatch does not stop the walk (the thumbnail may still
//! decode), it tells the examiner the entry was damaged or altered.

use super::thumbcache_checksum::{data_checksum, header_checksum};
use super::{ContainerError, ContainerFormat, EntryBody, EntryInfo, Flow, Visitor};

/// The signature of a cache file and of each of its entries.
pub const SIGNATURE: &[u8] = b"CMMM";
const FILE_HEADER_LEN: usize = 24;
const VISTA: u32 = 0x14;
const WINDOWS_7: u32 = 0x15;

/// One cache entry's fields, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry<'a> {
    /// Byte offset of the entry in the file.
    pub offset: usize,
    pub hash: [u8; 8],
    pub identifier: String,
    pub data: &'a [u8],
    /// The stored header and data checksums both match the entry's bytes.
    pub checksums_ok: bool,
}

/// Why a cache file's entries could not be walked further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThumbcacheError {
    #[error("not a thumbnail cache file header")]
    NotThumbcache,
    #[error("cache entry at byte offset {offset}: {what}")]
    BadEntry { offset: usize, what: &'static str },
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn len_at(bytes: &[u8], at: usize) -> Option<usize> {
    u32_at(bytes, at).and_then(|v| usize::try_from(v).ok())
}

/// The entries of a cache file, in stored order, up to the end or the first entry that
/// does not hold (returned beside the entries before it).
pub fn parse_entries(file: &[u8]) -> (Vec<CacheEntry<'_>>, Option<ThumbcacheError>) {
    let mut entries = Vec::new();
    if !file.starts_with(SIGNATURE) || file.len() < FILE_HEADER_LEN {
        return (entries, Some(ThumbcacheError::NotThumbcache));
    }
    let Some(version) = u32_at(file, 4) else {
        return (entries, Some(ThumbcacheError::NotThumbcache));
    };
    // Where the identifier's size field sits, and how long the fixed part is.
    let (sizes_at, fixed_len): (usize, usize) = match version {
        VISTA => (0x18, 0x28 + 16),
        WINDOWS_7 => (0x10, 0x20 + 16),
        _ => (0x10, 0x20 + 8 + 16),
    };
    let mut at = FILE_HEADER_LEN;
    while at + SIGNATURE.len() <= file.len() {
        let bad = |what| Some(ThumbcacheError::BadEntry { offset: at, what });
        if !file[at..].starts_with(SIGNATURE) {
            // Unused space at the end of the file is zeros; anything else is damage.
            if file[at..].iter().all(|b| *b == 0) {
                break;
            }
            return (entries, bad("no CMMM signature"));
        }
        let (Some(size), Some(id_len), Some(padding), Some(data_len)) = (
            len_at(file, at + 4),
            len_at(file, at + sizes_at),
            len_at(file, at + sizes_at + 4),
            len_at(file, at + sizes_at + 8),
        ) else {
            return (entries, bad("header cut off by the end of the file"));
        };
        let Some(entry) = at.checked_add(size).and_then(|end| file.get(at..end)) else {
            return (entries, bad("size runs past the end of the file"));
        };
        let data_at = fixed_len
            .checked_add(id_len)
            .and_then(|n| n.checked_add(padding));
        let Some(data) = data_at
            .and_then(|start| Some(start..start.checked_add(data_len)?))
            .and_then(|range| entry.get(range))
        else {
            return (
                entries,
                bad("identifier, padding and data overrun the entry"),
            );
        };
        let units: Vec<u16> = entry[fixed_len..fixed_len + id_len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let mut hash = [0u8; 8];
        hash.copy_from_slice(&entry[8..16]);
        // The data checksum, then the header checksum, end the fixed part.
        let stored = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&entry[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let checksums_ok = stored(fixed_len - 16) == data_checksum(data)
            && stored(fixed_len - 8) == header_checksum(&entry[..fixed_len - 8]);
        entries.push(CacheEntry {
            offset: at,
            hash,
            identifier: String::from_utf16_lossy(&units)
                .trim_end_matches('\0')
                .to_string(),
            data,
            checksums_ok,
        });
        at += size;
    }
    (entries, None)
}

pub(super) fn read_entries(bytes: &[u8], visit: &mut Visitor<'_>) -> Result<(), ContainerError> {
    let (entries, error) = parse_entries(bytes);
    let with_data = entries.into_iter().filter(|e| !e.data.is_empty());
    for (index, entry) in with_data.enumerate() {
        let name = if entry.identifier.is_empty() {
            hex::encode(entry.hash)
        } else {
            entry.identifier.clone()
        };
        let info = EntryInfo {
            index: index as u64,
            name: name.into_bytes(),
            size: Some(entry.data.len() as u64),
            offset: Some(entry.offset as u64),
            checksums_ok: Some(entry.checksums_ok),
            ..EntryInfo::default()
        };
        if visit(info, EntryBody::Data(&mut &entry.data[..]))? == Flow::Stop {
            return Ok(());
        }
    }
    match error {
        None => Ok(()),
        Some(ThumbcacheError::BadEntry { offset, what }) => Err(ContainerError::Corrupt {
            format: ContainerFormat::Thumbcache.name(),
            offset: offset as u64,
            message: what.to_string(),
        }),
        Some(e) => Err(ContainerError::unreadable(ContainerFormat::Thumbcache, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Windows 10 cache file (version 0x20) of `(identifier, padding, data)` entries.
    fn cache(entries: &[(&str, usize, &[u8])]) -> Vec<u8> {
        let mut out = b"CMMM".to_vec();
        out.extend(0x20u32.to_le_bytes());
        out.extend([0u8; 16]);
        for (id, padding, data) in entries {
            let id: Vec<u8> = id.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let size = 0x20 + 8 + 16 + id.len() + padding + data.len();
            out.extend(b"CMMM");
            out.extend((size as u32).to_le_bytes());
            out.extend([7u8; 8]);
            for n in [id.len(), *padding, data.len(), 0] {
                out.extend((n as u32).to_le_bytes());
            }
            out.extend([0u8; 8 + 16]);
            out.extend(&id);
            out.extend(vec![0u8; *padding]);
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn entries_are_walked_back_to_back() {
        let file = cache(&[("abc", 4, b"\xFF\xD8\xFFdata"), ("", 0, b"")]);
        let (entries, error) = parse_entries(&file);
        assert_eq!(error, None);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].identifier, "abc");
        assert_eq!(entries[0].data, b"\xFF\xD8\xFFdata");
        assert_eq!(entries[0].offset, 24);
        assert!(entries[1].data.is_empty());
    }

    #[test]
    fn damage_stops_the_walk_with_its_offset() {
        let mut file = cache(&[("a", 0, b"one"), ("b", 0, b"two")]);
        let second = 24 + 0x20 + 8 + 16 + 2 + 3;
        file[second] = b'X';
        let (entries, error) = parse_entries(&file);
        assert_eq!(entries.len(), 1);
        assert_eq!(
            error,
            Some(ThumbcacheError::BadEntry {
                offset: second,
                what: "no CMMM signature"
            })
        );
        let mut cut = cache(&[("a", 0, b"one")]);
        cut.truncate(cut.len() - 1);
        assert!(matches!(
            parse_entries(&cut),
            (e, Some(ThumbcacheError::BadEntry { offset: 24, .. })) if e.is_empty()
        ));
        let mut zeros = cache(&[("a", 0, b"one")]);
        zeros.extend([0u8; 100]);
        assert_eq!(parse_entries(&zeros).1, None);
        assert_eq!(
            parse_entries(b"IMMM").1,
            Some(ThumbcacheError::NotThumbcache)
        );
    }
}
