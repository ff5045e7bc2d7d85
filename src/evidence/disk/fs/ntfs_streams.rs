//! The `$DATA` streams of one NTFS file or directory record, and where each one's bytes are.
//!
//! Owns listing every `$DATA` attribute of a record — the unnamed one (a file's content) and
//! every named one (alternate data streams: `notes.txt:hidden.jpg`, `Zone.Identifier`,
//! streams on directories) — and turning each into `FileData`: resident bytes, runs of
//! volume bytes (sparse runs as holes), LZNT1-compressed clusters with their compression
//! unit (`compressed.rs` reads them), or `Skipped(Encrypted)` for EFS. Leaves the record
//! walk and paths to `ntfs.rs`.

use std::collections::HashSet;
use std::sync::Arc;

use ntfs::attribute_value::NtfsAttributeValue;
use ntfs::{Ntfs, NtfsAttribute, NtfsAttributeFlags, NtfsAttributeType, NtfsFile};

use super::compressed::CompressedData;
use super::{runs_for_size, FileData};
use crate::evidence::disk::bytes::{read_exact_at, ByteSource, Cursor};
use crate::evidence::SkipReason;

/// Offset of the compression-unit exponent (u16; clusters per unit = 2^value) in a
/// non-resident attribute header.
const COMPRESSION_UNIT_AT: u64 = 0x22;
/// The exponent Windows always writes (16 clusters); used when the byte cannot be read
/// straight from disk because a record fixup covers it.
const DEFAULT_UNIT_EXPONENT: u8 = 4;
/// Record fixups protect the last two bytes of every 512 bytes, whatever the sector size.
const FIXUP_STRIDE: u64 = 512;

/// One `$DATA` stream of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stream {
    /// `None` for the unnamed stream (the file's content).
    pub name: Option<Vec<u8>>,
    pub size: u64,
    pub data: FileData,
    /// Stored LZNT1-compressed. Resident data of a compressed file carries the flag but is
    /// never packed, so it is not counted as compressed (TSK's `istat` agrees).
    pub compressed: bool,
}

/// Every `$DATA` stream of `file`, the unnamed one only when `unnamed` (directories have
/// none worth listing). Each name once, in attribute order.
pub(super) fn streams(
    ntfs: &Ntfs,
    src: &dyn ByteSource,
    fs: &mut Cursor<'_>,
    file: &NtfsFile<'_>,
    unnamed: bool,
) -> Vec<Stream> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut attrs = file.attributes();
    while let Some(item) = attrs.next(fs) {
        let Ok(item) = item else { break };
        let Ok(attr) = item.to_attribute() else {
            continue;
        };
        if attr.ty().ok() != Some(NtfsAttributeType::Data) {
            continue;
        }
        let name = match attr.name() {
            Ok(n) => n.to_string_lossy().into_bytes(),
            Err(_) => continue,
        };
        if (name.is_empty() && !unnamed) || !seen.insert(name.clone()) {
            continue;
        }
        let (size, data) = stream_data(ntfs, src, fs, &attr);
        out.push(Stream {
            name: (!name.is_empty()).then_some(name),
            size,
            compressed: matches!(data, FileData::Compressed(_)),
            data,
        });
    }
    out
}

/// Size and location of one `$DATA` attribute's value.
fn stream_data(
    ntfs: &Ntfs,
    src: &dyn ByteSource,
    fs: &mut Cursor<'_>,
    attr: &NtfsAttribute<'_, '_>,
) -> (u64, FileData) {
    let size = attr.value_length();
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
            let exponent = if attr.flags().contains(NtfsAttributeFlags::COMPRESSED) {
                compression_unit_exponent(src, attr)
            } else {
                0
            };
            // An exponent of 0 means "not compressed" whatever the flag says (ntfs-3g too).
            if exponent != 0 {
                let unit = u64::from(ntfs.cluster_size()) << exponent.min(16);
                CompressedData::new(extents, unit, size, src.len())
                    .map_or_else(FileData::Error, |c| FileData::Compressed(Arc::new(c)))
            } else {
                runs_for_size(extents, size, src.len()).map_or_else(FileData::Error, FileData::Runs)
            }
        }
        Ok(NtfsAttributeValue::AttributeListNonResident(_)) => {
            FileData::Error("$DATA spread over an attribute list: not supported yet".into())
        }
    };
    (size, data)
}

/// The attribute header's compression-unit exponent, read from disk (the `ntfs` crate does
/// not expose it). The last two bytes of every 512-byte stride of a record hold the update
/// sequence on disk (the fixup); a header field there is not read, and Windows' 4 assumed.
fn compression_unit_exponent(src: &dyn ByteSource, attr: &NtfsAttribute<'_, '_>) -> u8 {
    let Some(at) = attr
        .position()
        .value()
        .and_then(|p| p.get().checked_add(COMPRESSION_UNIT_AT))
    else {
        return DEFAULT_UNIT_EXPONENT;
    };
    if at % FIXUP_STRIDE >= FIXUP_STRIDE - 2 {
        return DEFAULT_UNIT_EXPONENT;
    }
    let mut b = [0u8; 1];
    match read_exact_at(src, at, &mut b) {
        Ok(()) => b[0],
        Err(_) => DEFAULT_UNIT_EXPONENT,
    }
}
