//! Tar archives (the `tar` crate): ustar, pax and GNU headers, long names, in stored order.
//!
//! Regular files are read; links, devices and FIFOs are items with nothing to read. A header
//! that cannot be parsed ends the walk with its offset; the entries before it stay valid.

use std::io::Cursor;

use tar::{Archive, EntryType};

use super::{ContainerError, ContainerFormat, EntryBody, EntryInfo, Flow, Visitor};
use crate::evidence::SkipReason;

pub(super) fn read_entries(bytes: &[u8], visit: &mut Visitor<'_>) -> Result<(), ContainerError> {
    let mut archive = Archive::new(Cursor::new(bytes));
    let entries = archive.entries().map_err(|e| corrupt(0, e))?;
    // Where the next header is expected: the offset a parse failure names.
    let mut next_header = 0u64;
    for (index, entry) in entries.enumerate() {
        let mut entry = entry.map_err(|e| corrupt(next_header, e))?;
        let header_at = entry.raw_header_position();
        let size = entry.header().entry_size().ok();
        next_header = entry
            .raw_file_position()
            .saturating_add(size.unwrap_or(0).div_ceil(512) * 512);
        let info = EntryInfo {
            index: index as u64,
            name: entry.path_bytes().into_owned(),
            method: None,
            compressed_size: None,
            size,
            crc32: None,
            mtime: entry.header().mtime().ok().map(unix_rfc3339),
            offset: Some(header_at),
            checksums_ok: None,
        };
        let body_kind = entry.header().entry_type();
        let flow = match body_kind {
            EntryType::Directory => continue,
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                visit(info, EntryBody::Data(&mut entry))?
            }
            EntryType::Symlink => visit(info, EntryBody::Skipped(SkipReason::Symlink))?,
            EntryType::Link => visit(info, EntryBody::Skipped(SkipReason::HardLink))?,
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                visit(info, EntryBody::Skipped(SkipReason::SpecialFile))?
            }
            // Metadata-only headers the crate has not already folded into the next entry.
            EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => continue,
            other => visit(
                info,
                EntryBody::Skipped(SkipReason::ArchiveUnsupported {
                    what: format!("tar entry type {}", other.as_byte() as char),
                }),
            )?,
        };
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(())
}

/// Seconds since 1970 (UTC) as RFC 3339.
fn unix_rfc3339(seconds: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    humantime::format_rfc3339_seconds(time).to_string()
}

fn corrupt(offset: u64, e: impl std::fmt::Display) -> ContainerError {
    ContainerError::Corrupt {
        format: ContainerFormat::Tar.name(),
        offset,
        message: e.to_string(),
    }
}
