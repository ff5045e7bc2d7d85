//! NTFS file facts: `$STANDARD_INFORMATION` and `$FILE_NAME` times, attributes, owner.
//!
//! Owns `SecureIndex` (owner SIDs of the volume's shared security descriptors, read once
//! from `$Secure:$SDS` and keyed by security id) and `file_meta`, which gathers one MFT
//! record's facts into a `FileMeta::Ntfs`. A record's own `$SECURITY_DESCRIPTOR` attribute
//! (NTFS 1.x, and what some tools still write) wins over `$Secure`.

use std::collections::HashMap;
use std::io::Read;

use ntfs::attribute_value::NtfsAttributeValue;
use ntfs::structured_values::{NtfsFileName, NtfsFileNamespace, NtfsStandardInformation};
use ntfs::{Ntfs, NtfsAttributeType, NtfsFile, NtfsTime};

use crate::evidence::disk::bytes::Cursor;
use crate::evidence::meta::{
    descriptor_owner, flag_names, FileMeta, NtfsMeta, NtfsTimes, Timestamp, WINDOWS_ATTRIBUTES,
};

/// MFT record of `$Secure`.
const SECURE: u64 = 9;
/// `$SDS` larger than this is not read (a real one is a few MiB at most).
const MAX_SDS_BYTES: u64 = 64 << 20;
/// `$SDS` entry header: hash, security id, offset, length.
const SDS_HEADER: usize = 20;

/// Owner SIDs by security id.
#[derive(Debug, Default)]
pub(super) struct SecureIndex(HashMap<u32, String>);

impl SecureIndex {
    /// Reads `$Secure:$SDS`; an unreadable one gives an empty index (owners left out).
    pub(super) fn load(ntfs: &Ntfs, fs: &mut Cursor<'_>) -> Self {
        let mut index = SecureIndex::default();
        let Some(bytes) = read_sds(ntfs, fs) else {
            return index;
        };
        index.add_entries(&bytes);
        index
    }

    /// Walks `$SDS` entries (16-byte aligned; a 256 KiB block of entries is followed by
    /// its mirror, whose entries give the same ids again).
    fn add_entries(&mut self, sds: &[u8]) {
        let mut off = 0usize;
        while let Some(h) = sds.get(off..off + SDS_HEADER) {
            let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
            let id = u32_at(4);
            let len = usize::try_from(u32_at(16)).unwrap_or(0);
            if len < SDS_HEADER || id == 0 {
                // Padding or the gap before the next block: try the next 16-byte slot.
                off += 16;
                continue;
            }
            if let Some(owner) = sds
                .get(off + SDS_HEADER..off + len)
                .and_then(descriptor_owner)
            {
                self.0.entry(id).or_insert(owner);
            }
            off += (len + 15) & !15;
        }
    }

    pub(super) fn owner(&self, security_id: u32) -> Option<&str> {
        self.0.get(&security_id).map(String::as_str)
    }
}

fn read_sds(ntfs: &Ntfs, fs: &mut Cursor<'_>) -> Option<Vec<u8>> {
    let secure = ntfs.file(fs, SECURE).ok()?;
    // Found by name here: `NtfsFile::data` compares names through the upcase table, which
    // the walk never loads (it would panic).
    let mut attrs = secure.attributes();
    while let Some(Ok(item)) = attrs.next(fs) {
        let Ok(attr) = item.to_attribute() else {
            continue;
        };
        let is_sds = attr.ty().ok() == Some(NtfsAttributeType::Data)
            && attr.name().is_ok_and(|n| n.to_string_lossy() == "$SDS");
        if !is_sds || attr.value_length() > MAX_SDS_BYTES {
            continue;
        }
        let value = attr.value(fs).ok()?;
        let mut out = Vec::new();
        value
            .attach(fs)
            .take(MAX_SDS_BYTES)
            .read_to_end(&mut out)
            .ok()?;
        return Some(out);
    }
    None
}

/// The record's facts; `None` when it has no `$STANDARD_INFORMATION` and no `$FILE_NAME`.
pub(super) fn file_meta(
    fs: &mut Cursor<'_>,
    file: &NtfsFile<'_>,
    secure: &SecureIndex,
) -> Option<FileMeta> {
    let mut si: Option<NtfsStandardInformation> = None;
    let mut name: Option<(NtfsFileName, bool)> = None;
    let mut own_descriptor = None;
    let mut attrs = file.attributes();
    while let Some(Ok(item)) = attrs.next(fs) {
        let Ok(attr) = item.to_attribute() else {
            continue;
        };
        match attr.ty() {
            Ok(NtfsAttributeType::StandardInformation) if si.is_none() => {
                si = attr.structured_value(fs).ok();
            }
            Ok(NtfsAttributeType::FileName) => {
                // The same name `best_name` picks: the first long (non-DOS) one.
                if name.as_ref().is_some_and(|(_, dos)| !dos) {
                    continue;
                }
                if let Ok(n) = attr.structured_value::<_, NtfsFileName>(fs) {
                    let dos = n.namespace() == NtfsFileNamespace::Dos;
                    name = Some((n, dos));
                }
            }
            Ok(NtfsAttributeType::SecurityDescriptor) => {
                if let Ok(NtfsAttributeValue::Resident(r)) = attr.value(fs) {
                    own_descriptor = descriptor_owner(r.data());
                }
            }
            _ => {}
        }
    }
    if si.is_none() && name.is_none() {
        return None;
    }
    let bits = si.as_ref().map_or(0, |s| s.file_attributes().bits());
    let security_id = si.as_ref().and_then(NtfsStandardInformation::security_id);
    let owner_sid = own_descriptor.or_else(|| {
        security_id
            .and_then(|id| secure.owner(id))
            .map(str::to_string)
    });
    Some(FileMeta::Ntfs(NtfsMeta {
        standard_information: si.as_ref().map(|s| NtfsTimes {
            created: time(s.creation_time()),
            modified: time(s.modification_time()),
            mft_modified: time(s.mft_record_modification_time()),
            accessed: time(s.access_time()),
        }),
        file_name: name.as_ref().map(|(n, _)| NtfsTimes {
            created: time(n.creation_time()),
            modified: time(n.modification_time()),
            mft_modified: time(n.mft_record_modification_time()),
            accessed: time(n.access_time()),
        }),
        attributes: flag_names(bits, &WINDOWS_ATTRIBUTES),
        attribute_bits: bits,
        owner_id: si.as_ref().and_then(NtfsStandardInformation::owner_id),
        security_id,
        owner_sid,
    }))
}

fn time(t: NtfsTime) -> Option<Timestamp> {
    Timestamp::from_filetime(t.nt_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sds_entries_give_owners_by_id() {
        let mut sd = vec![1u8, 0, 0x04, 0x80, 20, 0, 0, 0];
        sd.resize(20, 0);
        sd.extend([1u8, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]); // S-1-5-18
        let mut sds = Vec::new();
        for id in [256u32, 257] {
            let len = (SDS_HEADER + sd.len()) as u32;
            sds.extend(0u32.to_le_bytes()); // hash
            sds.extend(id.to_le_bytes());
            sds.extend((sds.len() as u64 - 8).to_le_bytes());
            sds.extend(len.to_le_bytes());
            sds.extend(&sd);
            sds.resize(sds.len().next_multiple_of(16), 0);
        }
        let mut index = SecureIndex::default();
        index.add_entries(&sds);
        assert_eq!(index.owner(256), Some("S-1-5-18"));
        assert_eq!(index.owner(257), Some("S-1-5-18"));
        assert_eq!(index.owner(258), None);
    }
}
