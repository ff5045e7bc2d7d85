//! Zip archives (the `zip` crate): stored, deflate, deflate64, bzip2, lzma, xz, and zstd
//! (decoded by `ruzstd` from the raw entry data), zip64.
//!
//! A zip with a readable central directory is walked in central-directory order; one
//! without (a truncated download, a carved fragment) or with duplicate names (which the
//! central-directory reader would fold into one) is walked local header by local header,
//! so every entry that is there is seen. An entry whose data overlaps an earlier entry's
//! (the overlapping-entry bomb construction) is a failure, not decompressed again.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::ops::Range;

use zip::extra_fields::ExtraField;
use zip::read::{read_zipfile_from_stream, ZipFile, ZipReadOptions};
use zip::{CompressionMethod, ZipArchive};

use super::{ContainerError, ContainerFormat, EntryBody, EntryInfo, Flow, Visitor};
use crate::evidence::meta::Timestamp;
use crate::evidence::SkipReason;
use crate::failure::{Failure, FailureKind};

pub(super) fn read_entries(bytes: &[u8], visit: &mut Visitor<'_>) -> Result<(), ContainerError> {
    match ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) if !archive.has_duplicate_names() => by_directory(archive, visit),
        _ => by_local_headers(bytes, visit),
    }
}

fn by_directory(
    mut archive: ZipArchive<Cursor<&[u8]>>,
    visit: &mut Visitor<'_>,
) -> Result<(), ContainerError> {
    let mut seen = DataRanges::default();
    for index in 0..archive.len() {
        let (mut info, raw_kind, data) = {
            let raw = archive
                .by_index_raw(index)
                .map_err(|e| corrupt(0, format!("entry {index}: {e}")))?;
            let data = raw
                .data_start()
                .map(|start| start..start.saturating_add(raw.compressed_size()));
            (info_of(index, &raw), kind_of(&raw), data)
        };
        if raw_kind == Kind::Directory {
            continue;
        }
        if let Some(body) = not_read(raw_kind) {
            if visit(info, body)? == Flow::Stop {
                return Ok(());
            }
            continue;
        }
        if let Some(range) = data.filter(|r| !r.is_empty()) {
            if let Some(earlier) = seen.overlapping(&range) {
                let body = EntryBody::Failed(Failure::new(
                    FailureKind::Container,
                    format!(
                        "entry data overlaps entry {earlier}'s (overlapping-entry zip bomb \
                         construction): not decompressed"
                    ),
                ));
                if visit(info, body)? == Flow::Stop {
                    return Ok(());
                }
                continue;
            }
            seen.insert(range, index);
        }
        let flow = if info.method.as_deref() == Some("zstd") {
            let raw = archive
                .by_index_raw(index)
                .map_err(|e| corrupt(0, format!("entry {index}: {e}")))?;
            zstd_entry(info, raw, visit)?
        } else {
            match archive.by_index_with_options(index, ZipReadOptions::new().ignore_crc32(true)) {
                Ok(mut file) => visit(info, EntryBody::Data(&mut file))?,
                Err(e) => {
                    info.offset = info.offset.or(Some(0));
                    let failure =
                        Failure::new(FailureKind::Container, format!("cannot read entry: {e}"));
                    visit(info, EntryBody::Failed(failure))?
                }
            }
        };
        if flow == Flow::Stop {
            return Ok(());
        }
    }
    Ok(())
}

/// Walks local headers from the start: for zips whose central directory is missing or
/// ambiguous. Stops at the first header that cannot be read, with its offset.
fn by_local_headers(bytes: &[u8], visit: &mut Visitor<'_>) -> Result<(), ContainerError> {
    let mut cursor = Cursor::new(bytes);
    let mut index = 0u64;
    loop {
        let at = cursor.position();
        let file = match read_zipfile_from_stream(&mut cursor) {
            Ok(Some(file)) => file,
            Ok(None) => return Ok(()),
            Err(e) => return Err(corrupt(at, e)),
        };
        let mut file = file;
        let mut info = info_of(index as usize, &file);
        info.offset = Some(at);
        let kind = kind_of(&file);
        let flow = match not_read(kind) {
            _ if kind == Kind::Directory => Flow::Continue,
            Some(body) => visit(info, body)?,
            None if info.method.as_deref() == Some("zstd") => visit(
                info,
                EntryBody::Failed(Failure::new(
                    FailureKind::Unsupported,
                    "zstd entry without a central directory: not decompressed",
                )),
            )?,
            None => visit(info, EntryBody::Data(&mut file))?,
        };
        // What the visitor left unread must still be consumed to reach the next header.
        if let Err(e) = std::io::copy(&mut file, &mut std::io::sink()) {
            drop(file);
            return Err(corrupt(cursor.position(), e));
        }
        drop(file);
        if flow == Flow::Stop {
            return Ok(());
        }
        index += 1;
    }
}

fn zstd_entry<R: Read>(
    info: EntryInfo,
    raw: ZipFile<'_, R>,
    visit: &mut Visitor<'_>,
) -> Result<Flow, ContainerError> {
    match ruzstd::decoding::StreamingDecoder::new(raw) {
        Ok(mut decoder) => visit(info, EntryBody::Data(&mut decoder)),
        Err(e) => visit(
            info,
            EntryBody::Failed(Failure::new(
                FailureKind::Container,
                format!("zstd entry: {e}"),
            )),
        ),
    }
}

/// Methods this build decompresses. zstd is among them: the `zip` crate's own zstd support
/// links the C library, so those entries are read raw and decoded by `ruzstd`.
fn is_supported(method: CompressionMethod) -> bool {
    matches!(
        method,
        CompressionMethod::Stored
            | CompressionMethod::Deflated
            | CompressionMethod::Deflate64
            | CompressionMethod::Bzip2
            | CompressionMethod::Lzma
            | CompressionMethod::Xz
            | CompressionMethod::ZSTD
            | CompressionMethod::SHRINK
            | CompressionMethod::REDUCE_1
            | CompressionMethod::REDUCE_2
            | CompressionMethod::REDUCE_3
            | CompressionMethod::REDUCE_4
            | CompressionMethod::IMPLODE
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
    Symlink,
    Encrypted,
    UnsupportedMethod,
}

fn kind_of<R: Read>(file: &ZipFile<'_, R>) -> Kind {
    if file.is_dir() {
        Kind::Directory
    } else if file.encrypted() {
        Kind::Encrypted
    } else if file.is_symlink() {
        Kind::Symlink
    } else if !is_supported(file.compression()) {
        Kind::UnsupportedMethod
    } else {
        Kind::File
    }
}

/// The body of an entry that is not decompressed, or `None` for one that is.
fn not_read(kind: Kind) -> Option<EntryBody<'static>> {
    match kind {
        Kind::File | Kind::Directory => None,
        Kind::Encrypted => Some(EntryBody::Skipped(SkipReason::Encrypted)),
        Kind::Symlink => Some(EntryBody::Skipped(SkipReason::Symlink)),
        Kind::UnsupportedMethod => Some(EntryBody::Skipped(SkipReason::ArchiveUnsupported {
            what: "zip compression method".to_string(),
        })),
    }
}

fn info_of<R: Read>(index: usize, file: &ZipFile<'_, R>) -> EntryInfo {
    EntryInfo {
        index: index as u64,
        name: file.name_raw().to_vec(),
        method: Some(method_name(file.compression())),
        compressed_size: Some(file.compressed_size()),
        size: Some(file.size()),
        crc32: Some(format!("{:08x}", file.crc32())),
        mtime: utc_mtime(file).or_else(|| {
            file.last_modified().map(|t| {
                format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                )
            })
        }),
        offset: Some(file.header_start()),
        checksums_ok: None,
    }
}

/// The entry's modification time in UTC, from the extra fields that store one: the
/// extended timestamp (0x5455, Unix seconds; Info-ZIP and most Unix tools) or the NTFS
/// field (0x000a, FILETIME; Windows tools). The DOS time every entry has is local time
/// of an unrecorded zone, used only when neither is present.
fn utc_mtime<R: Read>(file: &ZipFile<'_, R>) -> Option<String> {
    file.extra_data_fields().find_map(|field| {
        let time = match field {
            ExtraField::ExtendedTimestamp(ts) => Timestamp::utc(i64::from(ts.mod_time()?), 0, 0),
            ExtraField::Ntfs(ntfs) => Timestamp::from_filetime(ntfs.mtime()),
            _ => None,
        };
        time.map(|t| t.to_string())
    })
}

fn method_name(method: CompressionMethod) -> String {
    match method {
        CompressionMethod::Stored => "stored".into(),
        CompressionMethod::Deflated => "deflate".into(),
        CompressionMethod::Deflate64 => "deflate64".into(),
        CompressionMethod::Bzip2 => "bzip2".into(),
        CompressionMethod::Lzma => "lzma".into(),
        CompressionMethod::Xz => "xz".into(),
        CompressionMethod::ZSTD => "zstd".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The data ranges of the entries read so far, which never overlap one another (an entry
/// that would overlap is refused, not inserted); keyed by start, so the one or two ranges an
/// entry could overlap are its neighbours, found in O(log n) even for a million entries.
#[derive(Default)]
struct DataRanges(BTreeMap<u64, (u64, usize)>);

impl DataRanges {
    /// The index of an earlier entry whose data overlaps `range`, if one does.
    fn overlapping(&self, range: &Range<u64>) -> Option<usize> {
        let before = self.0.range(..=range.start).next_back();
        let after = self.0.range(range.start..).next();
        [before, after]
            .into_iter()
            .flatten()
            .find(|(&start, &(end, _))| start < range.end && range.start < end)
            .map(|(_, &(_, index))| index)
    }

    fn insert(&mut self, range: Range<u64>, index: usize) {
        self.0.insert(range.start, (range.end, index));
    }
}

fn corrupt(offset: u64, e: impl std::fmt::Display) -> ContainerError {
    ContainerError::Corrupt {
        format: ContainerFormat::Zip.name(),
        offset,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The neighbour lookup answers exactly as a scan of every earlier range does.
        #[test]
        fn overlap_lookup_equals_brute_force(
            ranges in prop::collection::vec((0u64..400, 1u64..40), 0..120)
        ) {
            let mut seen = DataRanges::default();
            let mut kept: Vec<(Range<u64>, usize)> = Vec::new();
            for (index, (start, len)) in ranges.into_iter().enumerate() {
                let range = start..start + len;
                let brute = kept
                    .iter()
                    .find(|(r, _)| r.start < range.end && range.start < r.end)
                    .map(|(_, i)| *i);
                prop_assert_eq!(seen.overlapping(&range).is_some(), brute.is_some());
                if brute.is_none() {
                    seen.insert(range.clone(), index);
                    kept.push((range, index));
                }
            }
        }
    }
}
