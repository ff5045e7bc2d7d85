//! 7z archives (`sevenz-rust2`, pure Rust): LZMA, LZMA2, PPMd, BZip2, Deflate, solid or not.
//!
//! Entries are decoded block by block in stored order. An archive whose headers are
//! encrypted cannot be listed (the container is not examined, reason `encrypted`); an
//! archive whose data is encrypted lists every entry, each skipped as encrypted.

use std::io::Cursor;

use sevenz_rust2::{ArchiveReader, Error, Password};

use super::{ContainerError, ContainerFormat, EntryBody, EntryInfo, Flow, Visitor};
use crate::evidence::SkipReason;

pub(super) fn read_entries(bytes: &[u8], visit: &mut Visitor<'_>) -> Result<(), ContainerError> {
    let mut reader = match ArchiveReader::new(Cursor::new(bytes), Password::empty()) {
        Ok(reader) => reader,
        Err(e) if is_encryption(&e) => {
            return Err(ContainerError::Encrypted {
                format: ContainerFormat::SevenZip.name(),
            })
        }
        Err(e) => return Err(unreadable(e)),
    };
    reader.set_thread_count(1);
    let indices: Vec<(String, usize)> = reader
        .archive()
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    let mut visited = vec![false; indices.len()];
    let mut failure: Option<ContainerError> = None;
    let mut stopped = false;
    let mut next = 0usize;
    let walked = reader.for_each_entries(|entry, data| {
        // Entries come in stored order; find this one's index from there on.
        let index = (next..indices.len())
            .find(|&i| indices[i].0 == entry.name)
            .unwrap_or(next);
        next = index + 1;
        if let Some(seen) = visited.get_mut(index) {
            *seen = true;
        }
        if entry.is_directory || entry.is_anti_item {
            return Ok(true);
        }
        match visit(info_of(index, entry), EntryBody::Data(data)) {
            Ok(Flow::Continue) => Ok(true),
            Ok(Flow::Stop) => {
                stopped = true;
                Err(Error::Other("stopped".into()))
            }
            Err(e) => {
                failure = Some(e);
                Err(Error::Other("stopped".into()))
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if stopped {
        return Ok(());
    }
    match walked {
        Ok(()) => Ok(()),
        Err(e) if is_encryption(&e) => {
            // Encrypted data under readable headers: every entry not read is skipped.
            for (index, entry) in reader.archive().files.iter().enumerate() {
                if visited[index] || entry.is_directory || entry.is_anti_item {
                    continue;
                }
                let body = EntryBody::Skipped(SkipReason::Encrypted);
                if visit(info_of(index, entry), body)? == Flow::Stop {
                    break;
                }
            }
            Ok(())
        }
        Err(e) => Err(unreadable(e)),
    }
}

fn info_of(index: usize, entry: &sevenz_rust2::ArchiveEntry) -> EntryInfo {
    EntryInfo {
        index: index as u64,
        name: entry.name.as_bytes().to_vec(),
        method: None,
        compressed_size: None,
        size: Some(entry.size),
        crc32: entry.has_crc.then(|| format!("{:08x}", entry.crc)),
        mtime: entry
            .has_last_modified_date
            .then(|| nt_rfc3339(u64::from(entry.last_modified_date))),
        offset: None,
        checksums_ok: None,
    }
}

/// A Windows FILETIME (100 ns since 1601, UTC) as RFC 3339 with its full precision.
fn nt_rfc3339(filetime: u64) -> String {
    const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;
    let Some(since_unix) = filetime.checked_sub(UNIX_EPOCH_AS_FILETIME) else {
        return format!("filetime {filetime}");
    };
    let time = std::time::UNIX_EPOCH
        + std::time::Duration::new(
            since_unix / 10_000_000,
            (since_unix % 10_000_000) as u32 * 100,
        );
    humantime::format_rfc3339_nanos(time).to_string()
}

/// The errors an encrypted 7z gives without a password (this build has no AES: an AES
/// coder is an unsupported method to it).
fn is_encryption(e: &Error) -> bool {
    match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => true,
        Error::UnsupportedCompressionMethod(method) => method.contains("AES"),
        _ => false,
    }
}

fn unreadable(e: Error) -> ContainerError {
    ContainerError::Unreadable {
        format: ContainerFormat::SevenZip.name(),
        message: e.to_string(),
    }
}
