//! Windows thumbnail caches of the `Thumbs.db` kind: an OLE compound file (read by the `cfb`
//! crate) holding one stream per cached picture and a `Catalog` stream naming them. Windows
//! XP writes one into every folder it showed as thumbnails; later Windows still write them
//! into folders on network shares. The thumbnail survives the picture it was made from.
//!
//! Layout, from the published descriptions of the format (the Vinetto project's notes, the
//! forensic literature on Thumbs.db; there is no Microsoft specification):
//! - `Catalog`: a header of u16 header length, u16 version, u32 entry count, u32 and u32
//!   thumbnail width and height; then per thumbnail: u32 entry length, u32 id, u64 FILETIME
//!   (the source file's modification time), its name in UTF-16LE ending in a NUL.
//! - The thumbnail of id N is the stream named by N's decimal digits in reverse order (id
//!   12 is stream `21`). It starts with a small header whose first u32 is its length; the
//!   picture (a JPEG) follows. Streams of later versions (`256_…`) have longer headers: the
//!   picture is taken from the first JPEG or PNG signature within the first 64 bytes.
//!
//! Each thumbnail is one entry named `<stream>-<catalog name>` (`1-holiday.jpg`), or the
//! stream name where the catalog has none, with the catalog's time as its `mtime`. An OLE
//! file without a catalog (an Office 97–2003 document, an installer) is not a thumbnail
//! cache: it is reported as not examined, its streams unread.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use super::{ContainerError, ContainerFormat, EntryBody, EntryInfo, Flow, Visitor};
use crate::evidence::meta::Timestamp;

/// The signature every OLE compound file starts with.
pub const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

const CATALOG: &str = "Catalog";
/// How far into a thumbnail stream its picture's signature is looked for.
const HEADER_SEARCH: usize = 64;

/// One catalog entry: the thumbnail's id, source name and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub id: u32,
    pub name: String,
    pub filetime: u64,
}

/// The catalog's entries, from its bytes; entries cut off by the end of the stream are
/// dropped (the ones before them stay).
pub fn parse_catalog(catalog: &[u8]) -> Vec<CatalogEntry> {
    let u16_at = |at: usize| {
        catalog
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |at: usize| {
        catalog
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut entries = Vec::new();
    let Some(header_len) = u16_at(0) else {
        return entries;
    };
    let mut at = usize::from(header_len);
    while let Some(len) = u32_at(at) {
        let Ok(len) = usize::try_from(len) else {
            break;
        };
        // Length, id and time come first; a shorter entry (or a zero) ends the catalog.
        if len < 16 {
            break;
        }
        let Some(entry) = at.checked_add(len).and_then(|end| catalog.get(at..end)) else {
            break;
        };
        let id = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
        let mut filetime = [0u8; 8];
        filetime.copy_from_slice(&entry[8..16]);
        let units: Vec<u16> = entry[16..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|u| *u != 0)
            .collect();
        entries.push(CatalogEntry {
            id,
            name: String::from_utf16_lossy(&units),
            filetime: u64::from_le_bytes(filetime),
        });
        at += len;
    }
    entries
}

/// The stream that holds the thumbnail of `id`: its decimal digits reversed.
pub fn stream_name(id: u32) -> String {
    id.to_string().chars().rev().collect()
}

/// The picture inside a thumbnail stream, after its header: from the header length the
/// stream's first u32 gives when a JPEG or PNG starts there, else from the first such
/// signature within the first bytes; `None` if there is none.
pub fn picture_in_stream(stream: &[u8]) -> Option<&[u8]> {
    let is_picture =
        |bytes: &[u8]| bytes.starts_with(b"\xFF\xD8\xFF") || bytes.starts_with(b"\x89PNG");
    let declared = stream
        .get(..4)
        .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok())
        .and_then(|len| stream.get(len..))
        .filter(|rest| is_picture(rest));
    declared.or_else(|| {
        (0..HEADER_SEARCH.min(stream.len()))
            .map(|at| &stream[at..])
            .find(|rest| is_picture(rest))
    })
}

pub(super) fn read_entries(bytes: &[u8], visit: &mut Visitor<'_>) -> Result<(), ContainerError> {
    let format = ContainerFormat::ThumbsDb;
    let mut ole = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| ContainerError::unreadable(format, e))?;
    let streams: Vec<String> = ole
        .read_root_storage()
        .filter(|e| e.is_stream())
        .map(|e| e.name().to_string())
        .collect();
    if !streams.iter().any(|s| s == CATALOG) {
        return Err(ContainerError::Unsupported {
            format: format.name(),
            what: "OLE compound file without a thumbnail catalog (not a Thumbs.db)".to_string(),
        });
    }
    let catalog = parse_catalog(&read_stream(&mut ole, CATALOG)?);
    let by_stream: BTreeMap<String, &CatalogEntry> =
        catalog.iter().map(|e| (stream_name(e.id), e)).collect();
    let mut thumbnails: Vec<&String> = streams.iter().filter(|s| *s != CATALOG).collect();
    // Stored order is the directory's red-black tree order; report in catalog id order,
    // then the streams the catalog does not name, by name.
    thumbnails.sort_by_key(|s| (by_stream.get(*s).map_or(u64::MAX, |e| u64::from(e.id)), *s));
    for (index, stream) in thumbnails.into_iter().enumerate() {
        let data = read_stream(&mut ole, stream)?;
        let entry = by_stream.get(stream);
        let name = match entry {
            Some(e) if !e.name.is_empty() => format!("{stream}-{}", e.name),
            _ => stream.clone(),
        };
        // No picture signature: the stream is scanned whole (digests, and a picture if the
        // sniffer recognises one).
        let mut picture = picture_in_stream(&data).unwrap_or(&data);
        let info = EntryInfo {
            index: index as u64,
            name: name.into_bytes(),
            size: Some(picture.len() as u64),
            mtime: entry
                .and_then(|e| Timestamp::from_filetime(e.filetime))
                .map(|t| t.to_string()),
            ..EntryInfo::default()
        };
        if visit(info, EntryBody::Data(&mut picture))? == Flow::Stop {
            break;
        }
    }
    Ok(())
}

fn read_stream(
    ole: &mut cfb::CompoundFile<Cursor<&[u8]>>,
    name: &str,
) -> Result<Vec<u8>, ContainerError> {
    let mut data = Vec::new();
    ole.open_stream(format!("/{name}"))
        .and_then(|mut s| s.read_to_end(&mut data))
        .map_err(|e| {
            ContainerError::unreadable(ContainerFormat::ThumbsDb, format!("stream {name}: {e}"))
        })?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog_entry(id: u32, name: &str, filetime: u64) -> Vec<u8> {
        let name: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        let len = 16 + name.len() as u32;
        let mut out = len.to_le_bytes().to_vec();
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&filetime.to_le_bytes());
        out.extend_from_slice(&name);
        out
    }

    #[test]
    fn catalog_entries_are_read_until_one_is_cut_off() {
        let mut catalog = vec![16, 0, 7, 0, 2, 0, 0, 0, 96, 0, 0, 0, 96, 0, 0, 0];
        catalog.extend(catalog_entry(1, "holiday.jpg", 132_000_000_000_000_000));
        catalog.extend(catalog_entry(12, "b.png", 0));
        let whole = parse_catalog(&catalog);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0].name, "holiday.jpg");
        assert_eq!(whole[1].id, 12);
        catalog.truncate(catalog.len() - 3);
        assert_eq!(parse_catalog(&catalog).len(), 1);
        assert!(parse_catalog(&[]).is_empty());
        assert!(parse_catalog(&[0xFF, 0xFF]).is_empty());
    }

    #[test]
    fn stream_names_are_reversed_digits() {
        assert_eq!(stream_name(1), "1");
        assert_eq!(stream_name(12), "21");
        assert_eq!(stream_name(120), "021");
    }

    #[test]
    fn the_picture_follows_the_declared_header_or_its_signature() {
        let mut xp = vec![12, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0];
        xp.extend_from_slice(b"\xFF\xD8\xFF\xE0jfif");
        assert_eq!(picture_in_stream(&xp), Some(&xp[12..]));
        let mut later = vec![24, 0, 0, 0];
        later.extend_from_slice(&[0; 20]);
        later.extend_from_slice(&[0; 4]);
        later.extend_from_slice(b"\x89PNG\r\n");
        assert_eq!(picture_in_stream(&later), Some(&later[28..]));
        assert_eq!(picture_in_stream(b"no picture here"), None);
        assert_eq!(picture_in_stream(&[]), None);
    }
}
