//! EnCase v4–v6 binary `.hash` sets (MD5 only).
//!
//! Owns the layout agreed by TSK `encase.cpp`, Autopsy `EncaseHashSetParser` and hashdeep
//! (docs/list-formats.md §encase): 8-byte magic, 8 bytes observed as
//! `02 00 00 00 01 00 00 00`, a little-endian `u32` record count at 0x10, the set name
//! (UTF-16LE, 80 bytes) at 0x408, its category/type (UTF-16LE, 40 bytes) at 0x458, then
//! 18-byte records (16 MD5 bytes + 2 padding) from 0x480 to the end. The type becomes each
//! entry's category; the entry id is the record's 1-based index. A count that disagrees
//! with the records present is a warning (hashdeep warns too); a partial last record is a
//! malformed entry at its offset. EnCase 7/8 hash libraries are a different, undocumented
//! format and are not read.

use std::io::Read;

use super::collect::Collector;
use super::record::{FormatInfo, Location, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

pub(crate) const MAGIC: &[u8; 8] = b"HASH\r\n\xff\x00";
const OBSERVED_VERSION: [u8; 8] = [2, 0, 0, 0, 1, 0, 0, 0];
pub(crate) const HEADER_LEN: usize = 0x480;
pub(crate) const RECORD_LEN: usize = 18;
const NAME_AT: usize = 0x408;
const TYPE_AT: usize = 0x458;

/// Decodes a NUL-padded UTF-16LE field.
fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

pub(crate) fn parse<R: Read>(reader: &mut R, c: &mut Collector) -> Result<FormatInfo, ListError> {
    let io = |source, c: &Collector| ListError::Io {
        path: c.path().to_path_buf(),
        error: source,
    };
    let mut header = vec![0u8; HEADER_LEN];
    let got = read_full(reader, &mut header).map_err(|e| io(e, c))?;
    if got < HEADER_LEN || !header.starts_with(MAGIC) {
        return Err(c.malformed(
            Location::Byte(got as u64),
            "EnCase header is incomplete or lacks the HASH magic".into(),
        ));
    }
    if header[8..16] != OBSERVED_VERSION {
        c.warn(
            Some(Location::Byte(8)),
            format!("unexpected EnCase header bytes {:02x?}", &header[8..16]),
        );
    }
    let declared = u32::from_le_bytes([header[16], header[17], header[18], header[19]]);
    let name = utf16(&header[NAME_AT..NAME_AT + 80]);
    let kind = utf16(&header[TYPE_AT..TYPE_AT + 40]);
    let found = read_records(reader, c, &kind)?;
    if found != u64::from(declared) {
        c.warn(
            Some(Location::Byte(16)),
            format!("header declares {declared} records, file holds {found}"),
        );
    }
    Ok(FormatInfo {
        version: None,
        variant: Some(format!("set {name:?}, type {kind:?}")),
        ..FormatInfo::default()
    })
}

fn read_records<R: Read>(reader: &mut R, c: &mut Collector, kind: &str) -> Result<u64, ListError> {
    let mut rec = [0u8; RECORD_LEN];
    let mut found = 0u64;
    loop {
        let offset = HEADER_LEN as u64 + found * RECORD_LEN as u64;
        let n = read_full(reader, &mut rec).map_err(|source| ListError::Io {
            path: c.path().to_path_buf(),
            error: source,
        })?;
        if n == 0 {
            return Ok(found);
        }
        if n < RECORD_LEN {
            c.reject(
                Location::Byte(offset),
                format!("truncated record: {n} of {RECORD_LEN} bytes"),
            )?;
            return Ok(found);
        }
        found += 1;
        let value = HashValue::from_bytes(Algorithm::Md5, &rec[..16])
            .map_err(|e| c.malformed(Location::Byte(offset), e.to_string()))?;
        let record = Record {
            hashes: vec![value],
            id: Some(found.to_string()),
            category: Some(kind.to_string()).filter(|k| !k.is_empty()),
            ..Record::default()
        };
        c.accept(&record, Location::Byte(offset))?;
    }
}

/// Builds an EnCase `.hash` file (docs/list-formats.md §encase) for tests and fixtures,
/// byte for byte what the Python generator of `fixtures/lists/encase-*.hash` wrote:
/// `declared` is written as the count, whatever `md5s` holds.
#[cfg(test)]
pub(crate) fn build_encase(name: &str, kind: &str, declared: u32, md5s: &[[u8; 16]]) -> Vec<u8> {
    let mut out = vec![0u8; HEADER_LEN];
    out[..8].copy_from_slice(MAGIC);
    out[8..16].copy_from_slice(&OBSERVED_VERSION);
    out[16..20].copy_from_slice(&declared.to_le_bytes());
    for (at, len, text) in [(NAME_AT, 80, name), (TYPE_AT, 40, kind)] {
        let bytes: Vec<u8> = text
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .take(len - 2)
            .collect();
        out[at..at + bytes.len()].copy_from_slice(&bytes);
    }
    for m in md5s {
        out.extend_from_slice(m);
        out.extend_from_slice(&[0, 0]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_fields_stop_at_nul() {
        let bytes = build_encase("FIXTURE SET", "Notable", 0, &[]);
        assert_eq!(utf16(&bytes[NAME_AT..NAME_AT + 80]), "FIXTURE SET");
        assert_eq!(utf16(&bytes[TYPE_AT..TYPE_AT + 40]), "Notable");
        assert_eq!(bytes.len(), HEADER_LEN);
    }

    /// The committed fixture is exactly what this builder (and the Python generator that
    /// made it, fixtures/lists/README.md) writes.
    #[test]
    fn committed_fixture_matches_the_builder() {
        let md5s = [
            *b"\xd1\xb2\x3d\x60\xbe\x33\x08\x14\x37\xb6\x07\xac\x50\xa4\x0e\x82",
            *b"\x8e\xd5\xb9\xc8\x21\x96\x54\xb9\x08\xb0\x11\x21\xeb\x46\xd8\xdf",
        ];
        let built = build_encase("FIXTURE SET", "Notable", 2, &md5s);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/lists/encase-v6.hash");
        assert_eq!(std::fs::read(path).unwrap(), built);
    }
}
