//! Windows thumbnail caches as containers: every thumbnail of a `Thumbs.db` is an item named
//! after its stream and the catalog's source name, and every thumbnail of a Vista–11
//! `thumbcache_*.db` an item named after its identifier, hashed and matched like a file; an
//! OLE file that is no thumbnail cache is reported as not examined.
//!
//! The cache files are built here by test writers from the published layouts (module docs
//! of `evidence::container::thumbs_db` and `::thumbcache`; Thumbs.db with the `cfb` crate):
//! no Windows runs on this machine to make real ones. The thumbcache files are also read
//! by Fox-IT's `dissect.thumbcache` (PyPI), whose entries must equal ours.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use hashsweep::digest::FileDigests;
use hashsweep::synth::{jpeg_bytes, picture, Pattern};

use crate::support::{outcomes, scan};

/// A catalog (version 7) naming `(id, source name, FILETIME)`.
fn catalog(entries: &[(u32, &str, u64)]) -> Vec<u8> {
    let mut out = vec![16, 0, 7, 0];
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&96u32.to_le_bytes());
    out.extend_from_slice(&96u32.to_le_bytes());
    for (id, name, filetime) in entries {
        let name: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        out.extend_from_slice(&(16 + name.len() as u32).to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&filetime.to_le_bytes());
        out.extend_from_slice(&name);
    }
    out
}

/// An OLE compound file holding `streams` (name, bytes) at its root.
fn ole(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for (name, data) in streams {
        file.create_stream(format!("/{name}"))
            .unwrap()
            .write_all(data)
            .unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

/// A test's directory: an empty evidence folder `ev/` and `list.jsonl` naming `listed` by
/// MD5 (id `THUMB`).
fn workspace(listed: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    let list = dir.path().join("list.jsonl");
    let md5 = hex::encode(FileDigests::of(listed).md5);
    let line = json!({"algorithm": "md5", "hash": md5, "id": "THUMB"});
    fs::write(&list, format!("{line}\n")).unwrap();
    (dir, ev, list)
}

#[test]
fn thumbs_db_thumbnails_are_items_matched_like_files() {
    let listed = jpeg_bytes(&picture(Pattern::Shapes, 96, 72, 1), 80);
    let (_dir, ev, list) = workspace(&listed);
    let other = jpeg_bytes(&picture(Pattern::Gradient, 96, 72, 2), 80);
    // Stream 1: Windows XP's 12-byte header (length, id, picture length), then the JPEG.
    let mut xp = vec![12, 0, 0, 0, 1, 0, 0, 0];
    xp.extend_from_slice(&(listed.len() as u32).to_le_bytes());
    xp.extend_from_slice(&listed);
    // Stream 2 ("2" reversed is "2"): a longer header whose first field does not point at
    // the picture; the picture is found at its signature.
    let mut longer = vec![0u8; 24];
    longer.extend_from_slice(&other);
    let thumbs = ole(&[
        (
            "Catalog",
            catalog(&[
                (1, "holiday.jpg", 132_000_000_000_000_000),
                (2, "other.jpg", 0),
            ]),
        ),
        ("1", xp),
        ("2", longer),
        ("99", b"no picture in this stream".to_vec()),
    ]);
    fs::write(ev.join("Thumbs.db"), thumbs).unwrap();
    fs::write(
        ev.join("report.doc"),
        ole(&[("WordDocument", vec![7; 600])]),
    )
    .unwrap();

    let (code, recs) = scan(&ev, &list, &["--all-files"]);
    assert_eq!(code, Some(1));
    let found = outcomes(&recs, &ev);
    let want: Vec<(&str, &str)> = vec![
        ("Thumbs.db", "file"),
        ("Thumbs.db!/1-holiday.jpg", "match"),
        ("Thumbs.db!/2-other.jpg", "file"),
        ("Thumbs.db!/99", "file"),
        ("report.doc", "file"),
        ("report.doc!/$Unread", "skipped:archive_unsupported"),
    ];
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(p, k)| (p.as_str(), k.as_str()))
        .collect();
    assert_eq!(found, want);

    let record = |path: &str| {
        let full = ev.join(path);
        recs.iter()
            .find(|r| r["path"] == full.to_str().unwrap())
            .unwrap()
    };
    let holiday = record("Thumbs.db!/1-holiday.jpg");
    assert_eq!(holiday["container"]["format"], "thumbs_db");
    assert_eq!(
        holiday["container"]["mtime"],
        "2019-04-17T18:40:00.0000000Z"
    );
    assert_eq!(holiday["size"], listed.len());
    assert_eq!(holiday["image"]["format"], "jpeg");
    let other_record = record("Thumbs.db!/2-other.jpg");
    assert_eq!(
        other_record["hashes"]["md5"],
        hex::encode(FileDigests::of(&other).md5)
    );
    assert!(record("report.doc!/$Unread")["reason_detail"]
        .to_string()
        .contains("not a Thumbs.db"));
    let summary = recs.last().unwrap();
    assert_eq!(summary["files_seen"], 6);
    assert_eq!(summary["matched"], 1);
    // The three thumbnails, not the unread report.doc item.
    assert_eq!(summary["thumbnails"], 3);
}

/// A Thumbs.db cut short: what the OLE reader cannot read is one failure naming it; the
/// scan goes on.
#[test]
fn a_truncated_thumbs_db_is_one_failure() {
    let (_dir, ev, list) = workspace(b"not in the evidence");
    let jpeg = jpeg_bytes(&picture(Pattern::Noise, 64, 64, 3), 80);
    let mut stream = vec![12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    stream.extend_from_slice(&jpeg);
    let thumbs = ole(&[("Catalog", catalog(&[(1, "a.jpg", 0)])), ("1", stream)]);
    fs::write(ev.join("Thumbs.db"), &thumbs[..thumbs.len() / 2]).unwrap();
    let (code, recs) = scan(&ev, &list, &["--all-files"]);
    assert_eq!(code, Some(0));
    let found = outcomes(&recs, Path::new(&ev));
    assert_eq!(found["Thumbs.db"], "file");
    assert_eq!(found["Thumbs.db!/$Unread"], "failure");
}

/// A thumbcache file of format `version` (0x14 Vista, 0x15 Windows 7, 0x20 Windows 10) of
/// `(identifier, padding, data)` entries, laid out as the module docs of
/// `evidence::container::thumbcache` give it, with the CRC-64 checksums Explorer writes
/// (CRC-64/MS; the data checksum sampled past 1 KiB as thumbcacheviewer reads it).
fn thumbcache(version: u32, entries: &[(&str, usize, &[u8])]) -> Vec<u8> {
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_MS);
    let data_checksum = |data: &[u8]| {
        let zero = |bytes: &[u8]| {
            let mut digest = crc.digest_with_initial(0);
            digest.update(bytes);
            digest.finalize()
        };
        let head = &data[..data.len().min(1024)];
        let samples: Vec<u8> = data[head.len()..]
            .chunks(400)
            .flat_map(|block| block.iter().take(4).copied())
            .collect();
        zero(head)
            ^ if samples.is_empty() {
                0
            } else {
                zero(&samples)
            }
    };
    let mut out = b"CMMM".to_vec();
    out.extend(version.to_le_bytes());
    out.extend(1u32.to_le_bytes()); // cache type
    out.extend([0u8; 12]);
    for (n, (id, padding, data)) in entries.iter().enumerate() {
        let id: Vec<u8> = id.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut entry = b"CMMM".to_vec();
        entry.extend([0u8; 4]); // size, set below
        entry.extend((n as u64 + 1).to_le_bytes()); // hash
        if version == 0x14 {
            entry.extend("jpg\0".encode_utf16().flat_map(u16::to_le_bytes));
        }
        for len in [id.len(), *padding, data.len(), 0] {
            entry.extend((len as u32).to_le_bytes());
        }
        if version > 0x15 {
            entry.extend([0u8; 8]);
        }
        entry.extend(data_checksum(data).to_le_bytes());
        let fixed = entry.len() + 8;
        entry.extend([0u8; 8]); // header checksum, set below
        entry.extend(&id);
        entry.extend(vec![0u8; *padding]);
        entry.extend_from_slice(data);
        let size = entry.len() as u32;
        entry[4..8].copy_from_slice(&size.to_le_bytes());
        let header = crc.checksum(&entry[..fixed - 8]);
        entry[fixed - 8..fixed].copy_from_slice(&header.to_le_bytes());
        out.extend(entry);
    }
    out
}

/// `identifier → MD5 of the data` of every entry with data, as `dissect.thumbcache` reads
/// `file`; `None` where the package is not installed (outside CI).
fn dissect_entries(file: &Path) -> Option<BTreeMap<String, String>> {
    let script = r"
import hashlib, sys
from dissect.thumbcache.thumbcache_file import ThumbcacheFile
with open(sys.argv[1], 'rb') as fh:
    for e in ThumbcacheFile(fh).entries():
        if e.data:
            print(e.identifier.rstrip('\0'), hashlib.md5(e.data).hexdigest())
";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(file)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            std::env::var_os("CI").is_none() || !err.contains("ModuleNotFoundError"),
            "CI must run the dissect.thumbcache oracle (.ci/setup installs it)"
        );
        assert!(err.contains("ModuleNotFoundError"), "dissect failed: {err}");
        return None;
    }
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (id, md5) = l.split_once(' ').unwrap();
                (id.to_string(), md5.to_string())
            })
            .collect(),
    )
}

#[test]
fn thumbcache_entries_are_items_as_dissect_reads_them() {
    let listed = jpeg_bytes(&picture(Pattern::Shapes, 96, 72, 1), 80);
    let (_dir, ev, list) = workspace(&listed);
    let other = jpeg_bytes(&picture(Pattern::Gradient, 64, 48, 4), 80);
    let entries: [(&str, usize, &[u8]); 3] = [
        ("a1b2c3d4e5f60718", 8, &listed),
        ("0000000000000000", 0, b""), // a placeholder: no data, no item
        ("ffeeddccbbaa9988", 0, &other),
    ];
    for (name, version) in [
        ("thumbcache_256.db", 0x20),
        ("thumbcache_96.db", 0x15),
        ("thumbcache_32.db", 0x14),
    ] {
        let mut file = thumbcache(version, &entries);
        if version == 0x15 {
            // The last entry's data altered after Explorer wrote it (its first 1 KiB is
            // always checksummed).
            let at = file.len() - other.len() + 100;
            file[at] ^= 0xFF;
        }
        fs::write(ev.join(name), file).unwrap();
    }
    let md5 = |data: &[u8]| hex::encode(FileDigests::of(data).md5);
    let (code, recs) = scan(&ev, &list, &["--all-files"]);
    assert_eq!(code, Some(1));
    let mut want = BTreeMap::new();
    for file in ["thumbcache_256.db", "thumbcache_32.db", "thumbcache_96.db"] {
        want.insert(file.to_string(), "file".to_string());
        want.insert(format!("{file}!/a1b2c3d4e5f60718"), "match".to_string());
        want.insert(format!("{file}!/ffeeddccbbaa9988"), "file".to_string());
    }
    assert_eq!(outcomes(&recs, &ev), want);
    assert_eq!(recs.last().unwrap()["thumbnails"], 6);
    for file in ["thumbcache_256.db", "thumbcache_32.db", "thumbcache_96.db"] {
        let ours: BTreeMap<String, String> = recs
            .iter()
            .filter_map(|r| {
                let path = r["path"].as_str()?;
                let prefix = format!("{}!/", ev.join(file).display());
                let id = path.strip_prefix(&prefix)?;
                Some((id.to_string(), r["hashes"]["md5"].as_str()?.to_string()))
            })
            .collect();
        let altered = file == "thumbcache_96.db";
        if !altered {
            assert_eq!(ours["ffeeddccbbaa9988"], md5(&other));
        }
        for (id, ok) in [("a1b2c3d4e5f60718", true), ("ffeeddccbbaa9988", !altered)] {
            let record = recs
                .iter()
                .find(|r| r["path"] == format!("{}!/{id}", ev.join(file).display()))
                .unwrap();
            assert_eq!(record["container"]["checksums_ok"], ok, "{file} {id}");
        }
        let record = recs
            .iter()
            .find(|r| r["path"] == format!("{}!/a1b2c3d4e5f60718", ev.join(file).display()))
            .unwrap();
        assert_eq!(record["container"]["format"], "thumbcache");
        assert_eq!(record["container"]["offset"], 24);
        if let Some(theirs) = dissect_entries(&ev.join(file)) {
            assert_eq!(ours, theirs, "{file}: hashsweep and dissect.thumbcache");
        }
    }
}
