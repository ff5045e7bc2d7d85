//! The Windows Recycle Bin: where a recycled file used to live and when it was deleted.
//!
//! Owns parsing of the bin's records and pairing them with the recycled files of a walked
//! volume: Vista and later keep `$Recycle.Bin/<SID>/$I<id><ext>` (version 1: fixed 520-byte
//! path, Vista–8.1; version 2: counted path, Windows 10 on) beside the recycled file or
//! folder `$R<id><ext>`; XP and 2000 keep one `RECYCLER/<SID>/INFO2` (98/ME: `RECYCLED/`)
//! whose records name `D<drive letter><index><ext>`. Layouts as documented by Microsoft's
//! forensic partners and implemented in `rifiuti2` and TSK's autopsy module. Works on any
//! filesystem's entries (a FAT stick has a bin too); reading the records' bytes is the
//! caller's (`read`), so this module does no I/O.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::FsEntry;

/// What the bin recorded of one recycled file.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Recycled {
    /// The file's path before it was recycled (`C:\Users\…\holiday.jpg`).
    pub original_path: String,
    /// Its size then, in bytes.
    pub original_size: u64,
    /// When it was recycled, RFC 3339 UTC; `None` when the record holds no valid time.
    pub deleted_at: Option<String>,
}

/// A bin record that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RecycleError {
    #[error("record of {len} bytes is too short for its layout (needs {need})")]
    Short { len: usize, need: usize },
    #[error("unknown $I version {0}")]
    Version(u64),
    #[error("INFO2 record size {0} is neither 280 nor 800")]
    RecordSize(u32),
}

/// `$I` files and INFO2 larger than this are not bin records (INFO2: 800 bytes a file).
pub(crate) const MAX_RECORD_FILE: u64 = 16 << 20;

/// Parses a `$I` file (version 1 or 2).
pub(crate) fn parse_i_file(b: &[u8]) -> Result<Recycled, RecycleError> {
    let short = |need| RecycleError::Short { len: b.len(), need };
    let header = b.get(..24).ok_or(short(24))?;
    let version = le_u64(header, 0);
    let original_size = le_u64(header, 8);
    let deleted_at = filetime(le_u64(header, 16));
    let name = match version {
        1 => b.get(24..544).ok_or(short(544))?,
        2 => {
            let chars = b.get(24..28).ok_or(short(28))?;
            let chars = u32::from_le_bytes([chars[0], chars[1], chars[2], chars[3]]) as usize;
            let need = 28usize.saturating_add(chars.saturating_mul(2));
            b.get(28..need).ok_or(short(need))?
        }
        v => return Err(RecycleError::Version(v)),
    };
    Ok(Recycled {
        original_path: utf16z(name),
        original_size,
        deleted_at,
    })
}

/// One INFO2 record: the recycled file's name in the bin and what it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Info2Entry {
    /// `D<drive letter><index><ext>`, the name the file has in the bin.
    pub bin_name: String,
    pub recycled: Recycled,
}

/// Parses an XP/2000 (800-byte records, Unicode path) or 98/ME (280-byte) INFO2 file.
pub(crate) fn parse_info2(b: &[u8]) -> Result<Vec<Info2Entry>, RecycleError> {
    let header = b.get(..20).ok_or(RecycleError::Short {
        len: b.len(),
        need: 20,
    })?;
    let size = u32::from_le_bytes([header[12], header[13], header[14], header[15]]);
    if size != 280 && size != 800 {
        return Err(RecycleError::RecordSize(size));
    }
    let records = b[20..].chunks_exact(size as usize);
    Ok(records.map(info2_record).collect())
}

fn info2_record(r: &[u8]) -> Info2Entry {
    let index = u32::from_le_bytes([r[260], r[261], r[262], r[263]]);
    let drive = u32::from_le_bytes([r[264], r[265], r[266], r[267]]);
    let letter = char::from(b'a' + (drive % 26) as u8);
    let unicode = r.get(280..800).map(utf16z).filter(|p| !p.is_empty());
    // Windows zeroes the first byte of the ANSI path when the file leaves the bin; the
    // drive number still says which letter it was.
    let ansi = &r[..260];
    let ansi_end = ansi
        .iter()
        .skip(1)
        .position(|&c| c == 0)
        .map_or(260, |p| p + 1);
    let mut path: String = ansi[..ansi_end].iter().map(|&c| char::from(c)).collect();
    if ansi[0] == 0 {
        path.replace_range(..1, &letter.to_ascii_uppercase().to_string());
    }
    let original_path = unicode.unwrap_or(path);
    let ext = extension(&original_path);
    Info2Entry {
        bin_name: format!("D{letter}{index}{ext}"),
        recycled: Recycled {
            original_path,
            original_size: u64::from(u32::from_le_bytes([r[276], r[277], r[278], r[279]])),
            deleted_at: filetime(le_u64(r, 268)),
        },
    }
}

/// `.jpg` of `C:\x\holiday.jpg`; empty without a dot in the last component.
fn extension(path: &str) -> &str {
    let name = path.rsplit('\\').next().unwrap_or(path);
    name.rfind('.').map_or("", |i| &name[i..])
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// UTF-16LE up to the first NUL, unpaired surrogates replaced.
fn utf16z(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A Windows FILETIME (100 ns ticks since 1601) as RFC 3339 UTC to the second; `None` for
/// times before 1970 or after 9999 (RFC 3339 has four-digit years).
pub(crate) fn filetime(ticks: u64) -> Option<String> {
    const UNIX_EPOCH_TICKS: u64 = 116_444_736_000_000_000;
    const LAST_RFC3339_SECOND: u64 = 253_402_300_799;
    let secs = ticks.checked_sub(UNIX_EPOCH_TICKS)? / 10_000_000;
    if secs > LAST_RFC3339_SECOND {
        return None;
    }
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))?;
    Some(humantime::format_rfc3339_seconds(at).to_string())
}

/// A volume's Recycle Bin records, gathered as its entries are listed and attached to the
/// recycled entries (and to everything inside a recycled folder) as they are handed out:
/// an XP bin's `INFO2` sorts after the files it names, so records come first, whole.
/// Records that do not parse are left alone: the record files are listed and hashed anyway.
#[derive(Debug, Default)]
pub(crate) struct BinRecords {
    by_dir: HashMap<(Vec<u8>, String), Recycled>,
}

impl BinRecords {
    /// Reads `e` if it is a bin record (`$I…` or `INFO2`); `read` gives an entry's content
    /// (bounded by `MAX_RECORD_FILE`). Entries are observed in walk order: a later record
    /// for the same bin name wins.
    pub(crate) fn observe(&mut self, e: &FsEntry, read: &dyn Fn(&FsEntry) -> Option<Vec<u8>>) {
        if e.detail.stream.is_some() {
            return;
        }
        let Some((dir, name)) = bin_file(&e.path) else {
            return;
        };
        if let Some(id) = name.strip_prefix("$I") {
            if let Some(rec) = read(e).and_then(|b| parse_i_file(&b).ok()) {
                let key = (dir.to_vec(), format!("$r{}", id.to_lowercase()));
                self.by_dir.insert(key, rec);
            }
        } else if name.eq_ignore_ascii_case("INFO2") {
            let records = read(e)
                .and_then(|b| parse_info2(&b).ok())
                .unwrap_or_default();
            for r in records {
                let key = (dir.to_vec(), r.bin_name.to_lowercase());
                self.by_dir.insert(key, r.recycled);
            }
        }
    }

    /// Attaches the record describing `e`, if it is a recycled file or lies inside a
    /// recycled folder.
    pub(crate) fn annotate(&self, e: &mut FsEntry) {
        if self.by_dir.is_empty() {
            return;
        }
        if let Some(rec) = recycled_of(&e.path, &self.by_dir) {
            e.detail.recycled = Some(rec);
        }
    }
}

/// `(bin folder, file name)` when `path` is directly inside `$Recycle.Bin/<SID>/`,
/// `RECYCLER/<SID>/` or `RECYCLED/` at the volume root.
fn bin_file(path: &[u8]) -> Option<(&[u8], String)> {
    let cut = path.iter().rposition(|&c| c == b'/')?;
    let (dir, name) = (&path[..cut], &path[cut + 1..]);
    let parts: Vec<&[u8]> = dir.split(|&c| c == b'/').collect();
    let top = String::from_utf8_lossy(parts[0]).to_ascii_lowercase();
    let in_bin = match parts.len() {
        2 => top == "$recycle.bin" || top == "recycler",
        1 => top == "recycled",
        _ => false,
    };
    in_bin.then(|| (dir, String::from_utf8_lossy(name).into_owned()))
}

/// The record for `path` if it is a recycled file, or lies inside a recycled folder
/// (its original path then extended by the rest of `path`).
fn recycled_of(path: &[u8], by_dir: &HashMap<(Vec<u8>, String), Recycled>) -> Option<Recycled> {
    let mut cut = 0;
    let parts: Vec<&[u8]> = path.split(|&c| c == b'/').collect();
    for depth in 1..=parts.len().min(3) {
        cut += parts[depth - 1].len() + usize::from(depth > 1);
        let Some((dir, name)) = bin_file(&path[..cut]) else {
            continue;
        };
        let key = (dir.to_vec(), name.to_lowercase());
        let rec = by_dir.get(&key)?;
        let mut rec = rec.clone();
        for inner in &parts[depth..] {
            rec.original_path.push('\\');
            rec.original_path.push_str(&String::from_utf8_lossy(inner));
        }
        return Some(rec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::disk::fs::{EntryDetail, FileData};

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// 2026-12-02T10:00:00Z as a FILETIME.
    const WHEN: u64 = (1_796_205_600 + 11_644_473_600) * 10_000_000;

    pub(super) fn i_v1(path: &str, size: u64) -> Vec<u8> {
        let mut b = [1u64, size, WHEN].map(u64::to_le_bytes).concat();
        let mut name = utf16(path);
        name.resize(520, 0);
        b.extend(name);
        b
    }

    pub(super) fn i_v2(path: &str, size: u64) -> Vec<u8> {
        let mut b = [2u64, size, WHEN].map(u64::to_le_bytes).concat();
        b.extend((path.encode_utf16().count() as u32 + 1).to_le_bytes());
        b.extend(utf16(path));
        b.extend([0, 0]);
        b
    }

    #[test]
    fn i_files_of_both_versions() {
        let want = Recycled {
            original_path: r"C:\Users\ana\Pictures\holiday.jpg".into(),
            original_size: 12345,
            deleted_at: Some("2026-12-02T10:00:00Z".into()),
        };
        assert_eq!(
            parse_i_file(&i_v1(&want.original_path, 12345)),
            Ok(want.clone())
        );
        assert_eq!(parse_i_file(&i_v2(&want.original_path, 12345)), Ok(want));
        assert_eq!(
            parse_i_file(&[3, 0, 0, 0, 0, 0, 0, 0].repeat(4)),
            Err(RecycleError::Version(3))
        );
        let cut = &i_v2("abc", 1)[..30];
        assert!(matches!(
            parse_i_file(cut),
            Err(RecycleError::Short { need: 36, .. })
        ));
    }

    #[test]
    fn info2_names_d_files_and_restores_the_zeroed_drive_letter() {
        let mut b = vec![
            5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 3, 0, 0, 0, 0, 0, 0,
        ];
        let mut r = vec![0u8; 800];
        r[..15].copy_from_slice(br"C:\docs\cat.png");
        r[0] = 0;
        r[260..264].copy_from_slice(&7u32.to_le_bytes());
        r[264..268].copy_from_slice(&2u32.to_le_bytes());
        r[268..276].copy_from_slice(&WHEN.to_le_bytes());
        r[276..280].copy_from_slice(&999u32.to_le_bytes());
        b.extend(&r);
        let got = parse_info2(&b).unwrap();
        assert_eq!(got[0].bin_name, "Dc7.png");
        assert_eq!(got[0].recycled.original_path, r"C:\docs\cat.png");
        assert_eq!(got[0].recycled.original_size, 999);
    }

    fn entry(path: &str, data: &[u8]) -> FsEntry {
        FsEntry {
            path: path.as_bytes().to_vec(),
            size: data.len() as u64,
            deleted: false,
            recovered: false,
            inode: None,
            data: FileData::Inline(data.to_vec()),
            meta: None,
            detail: EntryDetail::default(),
        }
    }

    #[test]
    fn pairs_i_with_r_including_files_of_a_recycled_folder() {
        let sid = "$Recycle.Bin/S-1-5-21-1-2-3-1001";
        let mut entries = vec![
            entry(&format!("{sid}/$IAB12CD.jpg"), &i_v2(r"C:\p\a.jpg", 5)),
            entry(&format!("{sid}/$RAB12CD.jpg"), b"abcde"),
            entry(&format!("{sid}/$IXY.dir"), &i_v1(r"C:\p\album", 0)),
            entry(&format!("{sid}/$RXY.dir/sub/b.png"), b"b"),
            entry(&format!("{sid}/$RZZ.png"), b"no $I"),
            entry("elsewhere/$RAB12CD.jpg", b"abcde"),
        ];
        let mut bins = BinRecords::default();
        for e in &entries {
            bins.observe(e, &|e| match &e.data {
                FileData::Inline(b) => Some(b.clone()),
                _ => None,
            });
        }
        entries.iter_mut().for_each(|e| bins.annotate(e));
        let from = |i: usize| {
            entries[i]
                .detail
                .recycled
                .as_ref()
                .map(|r| r.original_path.clone())
        };
        assert_eq!(from(1).as_deref(), Some(r"C:\p\a.jpg"));
        assert_eq!(from(3).as_deref(), Some(r"C:\p\album\sub\b.png"));
        assert_eq!(from(0), None);
        assert_eq!(from(4), None);
        assert_eq!(from(5), None);
    }

    #[test]
    fn filetime_edges() {
        assert_eq!(filetime(0), None);
        assert_eq!(filetime(1), None);
        assert_eq!(filetime(WHEN).as_deref(), Some("2026-12-02T10:00:00Z"));
        assert_eq!(filetime(u64::MAX), None);
    }
}
