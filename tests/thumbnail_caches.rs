//! Windows thumbnail caches as containers: every thumbnail of a `Thumbs.db` is an item named
//! after its stream and the catalog's source name, hashed and matched like a file; an OLE
//! file that is no thumbnail cache is reported as not examined.
//!
//! The Thumbs.db files are built here by a test writer, with the `cfb` crate, from the
//! published layout (module docs of `evidence::container::thumbs_db`): no Windows tool
//! runs on this machine to make a real one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::json;

use hashsweep::digest::FileDigests;
use hashsweep::synth::{jpeg_bytes, picture, Pattern};

use crate::support::{outcomes, records};

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

#[test]
fn thumbs_db_thumbnails_are_items_matched_like_files() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    let listed = jpeg_bytes(&picture(Pattern::Shapes, 96, 72, 1), 80);
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
    let list = dir.path().join("list.jsonl");
    let md5 = hex::encode(FileDigests::of(&listed).md5);
    fs::write(
        &list,
        format!(
            "{}\n",
            json!({"algorithm": "md5", "hash": md5, "id": "THUMB"})
        ),
    )
    .unwrap();

    let out = Command::cargo_bin("hashsweep")
        .unwrap()
        .arg("scan")
        .arg(&ev)
        .arg("-l")
        .arg(&list)
        .args(["-q", "--all-files"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
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
}

/// A Thumbs.db cut short: what the OLE reader cannot read is one failure naming it; the
/// scan goes on.
#[test]
fn a_truncated_thumbs_db_is_one_failure() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    let jpeg = jpeg_bytes(&picture(Pattern::Noise, 64, 64, 3), 80);
    let mut stream = vec![12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    stream.extend_from_slice(&jpeg);
    let thumbs = ole(&[("Catalog", catalog(&[(1, "a.jpg", 0)])), ("1", stream)]);
    fs::write(ev.join("Thumbs.db"), &thumbs[..thumbs.len() / 2]).unwrap();
    let list = dir.path().join("list.jsonl");
    fs::write(
        &list,
        "{\"algorithm\":\"md5\",\"hash\":\"00000000000000000000000000000001\",\"id\":\"x\"}\n",
    )
    .unwrap();
    let out = Command::cargo_bin("hashsweep")
        .unwrap()
        .arg("scan")
        .arg(&ev)
        .arg("-l")
        .arg(&list)
        .args(["-q", "--all-files"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let recs = records(&out.stdout);
    let found = outcomes(&recs, Path::new(&ev));
    assert_eq!(found["Thumbs.db"], "file");
    assert_eq!(found["Thumbs.db!/$Unread"], "failure");
}
