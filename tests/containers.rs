//! Archives and compressed files as evidence within evidence: entries found at depth, every
//! compression method, encrypted and truncated archives, bomb guards, entry caps, a zip
//! inside an NTFS volume inside an E01, accounting and determinism.
//!
//! Fixtures are generated per test: Python's zipfile/tarfile/gzip/bz2/lzma, Debian's 7-Zip
//! (`7zz`) and `zstd`, mkntfs/ntfscp and ewfacquirestream (all installed by `.ci/setup`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

use hashsweep::digest::FileDigests;
use hashsweep::evidence::container::ContainerLimits;
use hashsweep::evidence::open_evidence;
use hashsweep::failure::FailureKind;
use hashsweep::list::{load_list, LoadOptions};
use hashsweep::listing::Listing;
use hashsweep::matcher::{Matcher, Thresholds};
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
use hashsweep::progress::Progress;
use hashsweep::scan::{Outcome, ScanOptions, Scanner};

use crate::support::{outcomes, records, run};

const PICTURE: &str = "fixtures/evidence/camera/IMG_0003.png";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("{program} is missing: .ci/setup installs it");
    }
    if !found {
        eprintln!("NOTICE: skipping: {program} not installed (.ci/setup installs it)");
    }
    found
}

/// `7zz a ARGS…` in `dir`, quietly (7-Zip writes the 7z and encrypted fixtures).
fn seven_zip(dir: &Path, args: &[&str]) {
    run(Command::new("7zz")
        .args(["a", "-bso0", "-bsp0"])
        .args(args)
        .current_dir(dir));
}

fn python(dir: &Path, script: &str) {
    run(Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(dir));
}

/// A test's directory: an empty evidence folder `ev/`, the test picture as `pic.png` beside
/// it (for fixtures to pack), and a list naming the picture by MD5.
fn workspace() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    fs::copy(fixture(PICTURE), dir.path().join("pic.png")).unwrap();
    let list = md5_list(dir.path());
    (dir, ev, list)
}

/// A list naming the test picture by MD5 (id `PIC`).
fn md5_list(dir: &Path) -> PathBuf {
    let md5 = FileDigests::of(&fs::read(fixture(PICTURE)).unwrap()).md5;
    let path = dir.join("list.jsonl");
    let line = json!({"algorithm": "md5", "hash": hex::encode(md5), "id": "PIC", "category": "1"});
    fs::write(&path, format!("{line}\n")).unwrap();
    path
}

fn scan(evidence: &Path, list: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = scan_args(
        &mut Command::cargo_bin("hashsweep").unwrap(),
        evidence,
        list,
        extra,
    )
    .output()
    .unwrap();
    (out.status.code().unwrap(), records(&out.stdout))
}

/// Adds `scan EVIDENCE -l LIST -q ARGS…` to `cmd`.
fn scan_args<'a>(
    cmd: &'a mut Command,
    evidence: &Path,
    list: &Path,
    extra: &[&str],
) -> &'a mut Command {
    cmd.arg("scan")
        .arg(evidence)
        .arg("-l")
        .arg(list)
        .arg("-q")
        .args(extra)
}

fn summary(records: &[Value]) -> &Value {
    let last = records.last().unwrap();
    assert_eq!(last["record"], "summary");
    let seen = last["files_seen"].as_u64().unwrap();
    let skipped: u64 = last["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        seen,
        last["hashed"].as_u64().unwrap() + skipped + last["failed"].as_u64().unwrap(),
        "accounting identity: {last}"
    );
    last
}

fn matches(records: &[Value], root: &Path) -> Vec<String> {
    outcomes(records, root)
        .into_iter()
        .filter(|(_, kind)| kind == "match")
        .map(|(path, _)| path)
        .collect()
}

/// Archive kinds cycled from the innermost level out: zip, tar, 7z.
fn level_name(level: u32) -> String {
    match level % 3 {
        1 => format!("l{level}.zip"),
        2 => format!("l{level}.tar"),
        _ => format!("l{level}.7z"),
    }
}

/// The path of the entry that level `level` holds (the picture at level 1).
fn level_entry(level: u32) -> String {
    let child = if level == 1 {
        "pic.png".to_string()
    } else {
        level_name(level - 1)
    };
    match level % 3 {
        1 => format!("d{level}/{child}"),
        _ => child,
    }
}

#[test]
fn a_listed_picture_is_found_at_depth_1_3_and_8() {
    if !have("7zz") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let list = md5_list(dir.path());
    fs::copy(fixture(PICTURE), work.join("pic.png")).unwrap();
    for level in 1..=8u32 {
        let name = level_name(level);
        let inner = if level == 1 {
            "pic.png".to_string()
        } else {
            level_name(level - 1)
        };
        match level % 3 {
            1 => python(
                &work,
                &format!(
                    "import zipfile; z=zipfile.ZipFile('{name}','w',zipfile.ZIP_DEFLATED); \
                     z.write('{inner}','{}'); z.close()",
                    level_entry(level)
                ),
            ),
            2 => python(
                &work,
                &format!(
                    "import tarfile; t=tarfile.open('{name}','w'); t.add('{inner}'); t.close()"
                ),
            ),
            _ => seven_zip(&work, &[&name, &inner]),
        }
        if [1, 3, 8].contains(&level) {
            fs::copy(work.join(&name), ev.join(&name)).unwrap();
        }
    }
    let chain = |top: u32| -> String {
        let entries: Vec<String> = (1..=top).rev().map(level_entry).collect();
        format!("{}!/{}", level_name(top), entries.join("!/"))
    };
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1);
    let mut expected = vec![chain(1), chain(3), chain(8)];
    expected.sort();
    assert_eq!(matches(&records, &ev), expected);
    let s = summary(&records);
    // Containers opened: 1 + 3 + 8, each holding one entry.
    assert_eq!(s["containers_opened"], 12);
    assert_eq!(s["entries_seen"], 12);
    assert_eq!(s["files_seen"], 3 + 12);
    // One level less: the deepest copy's innermost container is hashed, not opened.
    let (code, records) = scan(&ev, &list, &["--max-depth", "7"]);
    assert_eq!(code, 1);
    assert_eq!(matches(&records, &ev).len(), 2);
    let too_deep: Vec<String> = outcomes(&records, &ev)
        .into_iter()
        .filter(|(_, kind)| kind == "skipped:too_deep")
        .map(|(p, _)| p)
        .collect();
    assert_eq!(too_deep.len(), 1);
    assert!(too_deep[0].ends_with("l1.zip!/$Unread"), "{too_deep:?}");
}

#[test]
fn every_compression_method_and_single_stream_format() {
    if !have("7zz") || !have("zstd") {
        return;
    }
    let (dir, ev, list) = workspace();
    python(
        dir.path(),
        r#"
import zipfile, tarfile, gzip, bz2, lzma, shutil
for name, method in [('stored', zipfile.ZIP_STORED), ('deflate', zipfile.ZIP_DEFLATED),
                     ('bzip2', zipfile.ZIP_BZIP2), ('lzma', zipfile.ZIP_LZMA)]:
    z = zipfile.ZipFile(f'ev/{name}.zip', 'w', method); z.write('pic.png'); z.close()
z = zipfile.ZipFile('ev/zip64.zip', 'w', zipfile.ZIP_DEFLATED, allowZip64=True)
with z.open('pic.png', 'w', force_zip64=True) as f: f.write(open('pic.png','rb').read())
z.close()
for mode, ext in [('w', 'tar'), ('w:bz2', 'tar.bz2'), ('w:xz', 'tar.xz')]:
    t = tarfile.open(f'ev/t.{ext}', mode, format=tarfile.PAX_FORMAT); t.add('pic.png'); t.close()
t = tarfile.open('ev/gnu.tar', 'w', format=tarfile.GNU_FORMAT); t.add('pic.png', 'x'*150 + '.png'); t.close()
open('ev/p.png.gz','wb').write(gzip.compress(open('pic.png','rb').read()))
open('ev/p.png.bz2','wb').write(bz2.compress(open('pic.png','rb').read()))
open('ev/p.png.xz','wb').write(lzma.compress(open('pic.png','rb').read()))
"#,
    );
    run(Command::new("zstd")
        .args(["-q", "pic.png", "-o", "ev/p.png.zst"])
        .current_dir(dir.path()));
    // Zstandard in a zip (method 93): Python's zipfile and 7-Zip write none, so the entry
    // is laid out by hand around the zstd stream.
    python(
        dir.path(),
        r#"
import struct, zlib
data, packed, name = open('pic.png','rb').read(), open('ev/p.png.zst','rb').read(), b'pic.png'
crc = zlib.crc32(data)
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 63, 0, 93, 0, 0x21, crc, len(packed), len(data),
                    len(name), 0) + name + packed
central = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 63, 63, 0, 93, 0, 0x21, crc, len(packed),
                      len(data), len(name), 0, 0, 0, 0, 0, 0) + name
end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 1, 1, len(central), len(local), 0)
open('ev/zstd.zip','wb').write(local + central + end)
"#,
    );
    seven_zip(dir.path(), &["ev/lzma2.7z", "pic.png"]);
    seven_zip(
        dir.path(),
        &["-tzip", "-mm=Deflate64", "ev/deflate64.zip", "pic.png"],
    );
    seven_zip(dir.path(), &["-tzip", "-mm=xz", "ev/xz.zip", "pic.png"]);
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1);
    let long = format!("gnu.tar!/{}.png", "x".repeat(150));
    let mut expected: Vec<String> = [
        "bzip2.zip!/pic.png",
        "deflate.zip!/pic.png",
        "deflate64.zip!/pic.png",
        "lzma.zip!/pic.png",
        "lzma2.7z!/pic.png",
        "p.png.bz2!/p.png",
        "p.png.gz!/p.png",
        "p.png.xz!/p.png",
        "p.png.zst!/p.png",
        "stored.zip!/pic.png",
        "t.tar!/pic.png",
        "t.tar.bz2!/t.tar!/pic.png",
        "t.tar.xz!/t.tar!/pic.png",
        "xz.zip!/pic.png",
        "zip64.zip!/pic.png",
        "zstd.zip!/pic.png",
        &long,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    expected.sort();
    assert_eq!(matches(&records, &ev), expected);
    let s = summary(&records);
    assert_eq!(s["failed"], 0, "{s}");
    // The entry records name their container and what it stores.
    let stored = records
        .iter()
        .find(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("stored.zip!/pic.png"))
        })
        .unwrap();
    let c = &stored["container"];
    assert_eq!(c["format"], "zip");
    assert_eq!(c["method"], "stored");
    assert_eq!(c["index"], 0);
    assert_eq!(c["depth"], 1);
    assert_eq!(c["crc_ok"], true);
    assert_eq!(c["size"], fs::metadata(fixture(PICTURE)).unwrap().len());
}

#[test]
fn a_picture_inside_a_zip_is_matched_perceptually() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    fs::copy(
        fixture("fixtures/evidence/shared/resized.jpg"),
        dir.path().join("resized.jpg"),
    )
    .unwrap();
    python(
        dir.path(),
        "import zipfile; z=zipfile.ZipFile('ev/chat.zip','w'); z.write('resized.jpg','media/r.jpg'); z.close()",
    );
    let (code, records) = scan(&ev, &fixture("fixtures/demo-list.jsonl"), &[]);
    assert_eq!(code, 1);
    let hit = records
        .iter()
        .find(|r| r["record"] == "match")
        .expect("a match");
    assert!(hit["path"]
        .as_str()
        .unwrap()
        .ends_with("chat.zip!/media/r.jpg"));
    assert!(hit["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["algorithm"] == "pdq" && h["entry_id"] == "DEMO-0100"));
    // Off: the zip is one opaque file, nothing inside is seen.
    let (code, records) = scan(
        &ev,
        &fixture("fixtures/demo-list.jsonl"),
        &["--no-archives"],
    );
    assert_eq!(code, 0);
    assert_eq!(summary(&records)["files_seen"], 1);
}

#[test]
fn encrypted_unsupported_truncated_and_capped_archives_are_accounted() {
    if !have("7zz") {
        return;
    }
    let (dir, ev, list) = workspace();
    seven_zip(
        dir.path(),
        &["-tzip", "-psecret", "ev/locked.zip", "pic.png"],
    );
    seven_zip(
        dir.path(),
        &["-psecret", "-mhe=on", "ev/hidden.7z", "pic.png"],
    );
    seven_zip(
        dir.path(),
        &["-psecret", "-mhe=off", "ev/data.7z", "pic.png"],
    );
    python(
        dir.path(),
        r#"
import zipfile, os
z = zipfile.ZipFile('many.zip', 'w', zipfile.ZIP_STORED)
z.write('pic.png', 'a/first.png')
for i in range(20): z.writestr(f'b/{i:02}.bin', os.urandom(4096))
z.write('pic.png', 'c/last.png')
z.close()
data = open('many.zip','rb').read()
open('ev/cut.zip','wb').write(data[:len(data)//2])
os.mkdir('ev2'); open('ev2/capped.zip','wb').write(data)
open('ev/fake.rar','wb').write(b'Rar!\x1a\x07\x01\x00' + os.urandom(64))
"#,
    );
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1);
    let o = outcomes(&records, &ev);
    assert_eq!(o["locked.zip!/pic.png"], "skipped:encrypted");
    assert_eq!(o["hidden.7z!/$Unread"], "skipped:encrypted");
    assert_eq!(
        o.get("data.7z!/pic.png").map(String::as_str),
        Some("skipped:encrypted"),
        "{o:?}"
    );
    assert_eq!(o["fake.rar!/$Unread"], "skipped:archive_unsupported");
    // Truncated: the entries before the cut are hashed (the first one matched), the rest
    // is one failure naming where reading stopped.
    assert_eq!(o["cut.zip!/a/first.png"], "match");
    assert_eq!(o["cut.zip!/$Unread"], "failure");
    let cut = records
        .iter()
        .find(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("cut.zip!/$Unread"))
        })
        .unwrap();
    let error = cut["error"].as_str().unwrap();
    assert_eq!(cut["failure_kind"], "container", "{cut}");
    let offset = cut["offset"].as_u64().unwrap();
    assert!(error.contains(&format!("byte offset {offset}")), "{error}");
    assert_eq!(summary(&records)["containers_opened"], 4);
    // Capped at 10 entries: the picture at the end is not reached, and the cap says so.
    let ev2 = dir.path().join("ev2");
    let (code, records) = scan(&ev2, &list, &["--max-entries", "10"]);
    assert_eq!(code, 1);
    let o = outcomes(&records, &ev2);
    let expected: BTreeMap<String, String> = [
        ("capped.zip!/a/first.png", "match"),
        ("capped.zip!/$EntriesOverCap", "failure"),
    ]
    .iter()
    .map(|(p, k)| (p.to_string(), k.to_string()))
    .collect();
    assert_eq!(o, expected);
    let over_cap = records
        .iter()
        .find(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("$EntriesOverCap"))
        })
        .unwrap();
    assert_eq!(over_cap["failure_kind"], "limit", "{over_cap}");
    assert_eq!(summary(&records)["entries_seen"], 11);
}

/// A bomb: 40 MiB of zeros deflated to a few dozen KiB, inside a zip inside a zip. With
/// the budget scaled down, the scan stops it and goes on to the next file.
#[test]
fn a_bomb_is_stopped_by_what_it_yields_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    fs::copy(fixture(PICTURE), dir.path().join("pic.png")).unwrap();
    python(
        dir.path(),
        r#"
import zipfile
z = zipfile.ZipFile('inner.zip', 'w', zipfile.ZIP_DEFLATED)
for i in range(4): z.writestr(f'zeros{i}', bytes(10 << 20))
z.close()
z = zipfile.ZipFile('ev/bomb.zip', 'w', zipfile.ZIP_STORED)
z.write('inner.zip'); z.close()
z = zipfile.ZipFile('ev/z-after.zip', 'w'); z.write('pic.png'); z.close()
"#,
    );
    let list = load_list(&md5_list(dir.path()), &LoadOptions::alert()).unwrap();
    let matcher = Matcher::new(vec![list], Thresholds::default()).unwrap();
    let options = ScanOptions {
        perceptual: PerceptualConfig::new(&[], DecodeLimits::default()),
        max_picture_bytes: 0,
        listing: Listing::EVERYTHING,
        dihedral: false,
        containers: Some(ContainerLimits {
            max_expanded_bytes: 15 << 20,
            ..ContainerLimits::default()
        }),
        video: None,
        alert_rule: Default::default(),
    };
    let stop = AtomicBool::new(false);
    let progress = Progress::default();
    let source = open_evidence(&ev).unwrap();
    let out = Scanner::new(&matcher, options, &stop, &progress)
        .scan(&[source])
        .unwrap();
    let by_path: BTreeMap<String, &Outcome> = out
        .results
        .iter()
        .map(|r| {
            let p = r.path.lossy();
            (
                p[ev.display().to_string().len() + 1..].to_string(),
                &r.outcome,
            )
        })
        .collect();
    assert!(matches!(
        by_path["bomb.zip!/inner.zip!/zeros0"],
        Outcome::Hashed(_)
    ));
    let Outcome::Failed { failure, .. } = by_path["bomb.zip!/inner.zip!/zeros1"] else {
        panic!("{by_path:?}");
    };
    assert!(failure.message.contains("bomb guard"), "{failure:?}");
    assert_eq!(failure.kind, FailureKind::Limit);
    assert!(!by_path.contains_key("bomb.zip!/inner.zip!/zeros2"));
    assert!(matches!(
        by_path["bomb.zip!/inner.zip!/$Unread"],
        Outcome::Failed { .. }
    ));
    let Outcome::Hashed(after) = by_path["z-after.zip!/pic.png"] else {
        panic!("{by_path:?}");
    };
    assert!(after.has_alert_hit());
    assert!(out.summary.is_balanced());
}

#[test]
fn one_thread_and_all_cores_give_the_same_report() {
    let (dir, ev, list) = workspace();
    // Over one batch of entries, pictures and nested archives mixed.
    python(
        dir.path(),
        r#"
import zipfile, io, os
inner = io.BytesIO(); z = zipfile.ZipFile(inner, 'w'); z.write('pic.png'); z.close()
z = zipfile.ZipFile('ev/big.zip', 'w', zipfile.ZIP_DEFLATED)
for i in range(300):
    if i % 50 == 7: z.writestr(f'n/{i:03}.zip', inner.getvalue())
    elif i % 50 == 9: z.write('pic.png', f'p/{i:03}.png')
    else: z.writestr(f'x/{i:03}.bin', os.urandom(512))
z.writestr('x/dup.bin', b'1'); z.writestr('x/dup.bin', b'2')
z.close()
"#,
    );
    let strip = |records: Vec<Value>| -> Vec<Value> {
        records
            .into_iter()
            .filter(|r| r.get("path").is_some())
            .collect()
    };
    let (_, all) = scan(&ev, &list, &["--all-files"]);
    let (_, one) = scan(&ev, &list, &["--all-files", "--threads", "1"]);
    let s = summary(&all).clone();
    assert_eq!(strip(all), strip(one));
    // 1 zip + 302 entries (the duplicate name twice) + 6 inner zips' pictures.
    assert_eq!(s["files_seen"], 1 + 302 + 6);
    assert_eq!(s["matched"], 6 + 6);
}

#[test]
fn a_zip_inside_an_ntfs_volume_inside_an_e01() {
    if !have("mkntfs") || !have("ntfscp") || !have("ewfacquirestream") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let list = md5_list(dir.path());
    fs::copy(fixture(PICTURE), dir.path().join("pic.png")).unwrap();
    python(
        dir.path(),
        "import zipfile; z=zipfile.ZipFile('photos.zip','w',zipfile.ZIP_DEFLATED); \
         z.write('pic.png','2019/a.png'); z.close()",
    );
    let raw = dir.path().join("vol.raw");
    run(Command::new("truncate").arg("-s").arg("8M").arg(&raw));
    run(Command::new("mkntfs").args(["-q", "-F", "-Q"]).arg(&raw));
    run(Command::new("ntfscp")
        .arg("-q")
        .arg(&raw)
        .arg(dir.path().join("photos.zip"))
        .arg("/photos.zip"));
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    let e01 = ev.join("suspect");
    run(Command::new("sh").arg("-c").arg(format!(
        "ewfacquirestream -q -t {} -f encase6 -c deflate:fast -C C1 -D d -e x -E E1 -N n \
         -m fixed -M physical < {} > /dev/null 2>&1",
        e01.display(),
        raw.display()
    )));
    let (code, records) = scan(&ev.join("suspect.E01"), &list, &[]);
    assert_eq!(code, 1);
    let found: Vec<&str> = records
        .iter()
        .filter(|r| r["record"] == "match")
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let expected = format!(
        "{}/photos.zip!/2019/a.png",
        ev.join("suspect.E01").display()
    );
    assert_eq!(found, vec![expected.as_str()]);
    summary(&records);
}

/// `hashsweep scan EVIDENCE -l LIST -q ARGS…` under GNU time: the exit code, the records,
/// and the scan's peak RSS in MiB.
fn scan_measured(evidence: &Path, list: &Path, extra: &[&str]) -> (i32, Vec<Value>, u64) {
    let rss = evidence.with_extension("rss");
    let mut time = Command::new("/usr/bin/time");
    time.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss)
        .arg(assert_cmd::cargo::cargo_bin("hashsweep"));
    let out = scan_args(&mut time, evidence, list, extra)
        .output()
        .unwrap();
    // GNU time writes "Command exited with non-zero status N" first when it is not 0.
    let kib: u64 = fs::read_to_string(&rss)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    (out.status.code().unwrap(), records(&out.stdout), kib / 1024)
}

/// A zip of 1,000,001 empty files, at the default entry cap of 1,000,000: every entry up to
/// the cap is seen and accounted (skipped: empty), the rest is one failure saying the cap
/// stopped it, and memory stays bounded. The zip is written by hand (zip64 end records)
/// because Python's zipfile takes a minute over a million entries.
#[test]
fn a_million_entry_zip_meets_the_entry_cap() {
    if !have("/usr/bin/time") {
        return;
    }
    let (dir, ev, list) = workspace();
    python(
        dir.path(),
        r#"
import struct
n = 1_000_001
local, central = bytearray(), bytearray()
for i in range(n):
    name = b'%07d' % i
    offset = len(local)
    local += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0) + name
    central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 20, 0, 0, 0, 0x21, 0, 0, 0,
                           len(name), 0, 0, 0, 0, 0, offset) + name
cd_offset, cd_size = len(local), len(central)
eocd64 = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, n, n, cd_size, cd_offset)
locator = struct.pack('<IIQI', 0x07064b50, 0, cd_offset + cd_size, 1)
eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
open('ev/million.zip', 'wb').write(bytes(local + central) + eocd64 + locator + eocd)
"#,
    );
    let (code, records, rss_mib) = scan_measured(&ev, &list, &[]);
    eprintln!("a million-entry zip: peak RSS {rss_mib} MiB");
    assert_eq!(code, 0, "{:?}", records.last());
    assert_eq!(
        outcomes(&records, &ev),
        BTreeMap::from([(
            "million.zip!/$EntriesOverCap".to_string(),
            "failure".to_string()
        )])
    );
    let s = summary(&records);
    assert_eq!(s["containers_opened"], 1);
    assert_eq!(s["entries_seen"], 1_000_001);
    assert_eq!(s["files_seen"], 1_000_002);
    assert_eq!(s["hashed"], 1);
    assert_eq!(s["skipped"]["empty"], 1_000_000);
    assert_eq!(s["failed"], 1);
    // Every entry's result is held until the report is written (1.47 GiB measured, debug
    // build): bounded by the cap, not yet by streaming (issue 23).
    assert!(rss_mib < 2048, "peak RSS {rss_mib} MiB");
}

/// A 42.zip-style bomb at the default limits: sixteen zips, each of sixteen 64 MiB runs of
/// zeros (16 GiB expanded), inside one zip. The 1 GiB expansion budget stops it, the reason
/// is recorded, the scan goes on to the next file, and peak RSS stays small because entries
/// over the in-memory cap are streamed, never held.
#[test]
fn a_nested_bomb_at_the_default_limits_is_stopped_in_bounded_memory() {
    if !have("/usr/bin/time") {
        return;
    }
    let (dir, ev, list) = workspace();
    python(
        dir.path(),
        r#"
import io, zipfile
zeros = bytes(64 << 20)
layer = io.BytesIO()
with zipfile.ZipFile(layer, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for i in range(16): z.writestr(f'zeros{i:02}.bin', zeros)
with zipfile.ZipFile('ev/bomb.zip', 'w', zipfile.ZIP_STORED) as z:
    for i in range(16): z.writestr(f'layer{i:02}.zip', layer.getvalue())
with zipfile.ZipFile('ev/z-after.zip', 'w') as z: z.write('pic.png')
"#,
    );
    let (code, records, rss_mib) = scan_measured(&ev, &list, &[]);
    eprintln!("a 16 GiB nested bomb: peak RSS {rss_mib} MiB");
    assert_eq!(code, 1, "{:?}", records.last());
    let o = outcomes(&records, &ev);
    assert_eq!(o["z-after.zip!/pic.png"], "match");
    // bomb.zip (16 MiB) may yield 100 times its size: layer00 expands whole (1 GiB, its own
    // limit exactly), layer01 until bomb.zip's budget runs out; every later layer is one
    // failure for what it could not yield.
    let mut expected: BTreeMap<String, String> = (1..16)
        .map(|i| {
            (
                format!("bomb.zip!/layer{i:02}.zip!/$Unread"),
                "failure".to_string(),
            )
        })
        .collect();
    expected.insert("z-after.zip!/pic.png".into(), "match".into());
    let cut = o
        .iter()
        .find(|(path, kind)| path.starts_with("bomb.zip!/layer01.zip!/zeros") && *kind == "failure")
        .map(|(path, _)| path.clone())
        .unwrap();
    expected.insert(cut.clone(), "failure".into());
    assert_eq!(o, expected);
    let error = records
        .iter()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(&cut)))
        .unwrap()["error"]
        .as_str()
        .unwrap();
    assert!(error.contains("decompression bomb guard"), "{error}");
    let s = summary(&records).clone();
    assert!(s["entries_seen"].as_u64().unwrap() < 60, "{s}");
    assert!(rss_mib < 512, "peak RSS {rss_mib} MiB");
    // Where the guard stops does not depend on thread timing.
    let strip = |records: Vec<Value>| -> Vec<Value> {
        records
            .into_iter()
            .filter(|r| r.get("path").is_some())
            .collect()
    };
    let (_, one) = scan(&ev, &list, &["--threads", "1"]);
    assert_eq!(strip(records), strip(one));
}

/// Real quines (tests/support/quine.py, after Russ Cox's construction): a zip whose one
/// entry is the zip itself, and a gzip whose payload is the gzip itself. Each is opened
/// once; its entry is hashed, and found equal to the container around it, is not opened
/// again. The scan goes on and memory stays small.
#[test]
fn zip_and_gzip_quines_are_opened_once() {
    let (dir, ev, list) = workspace();
    let quine = fixture("tests/support/quine.py");
    for (kind, name) in [("zip", "ev/quine.zip"), ("gzip", "ev/quine.gz")] {
        run(Command::new("python3")
            .arg(&quine)
            .args([kind, name])
            .current_dir(dir.path()));
    }
    fs::copy(fixture(PICTURE), ev.join("z-after.png")).unwrap();
    let (code, records, rss_mib) = scan_measured(&ev, &list, &["--list-skipped"]);
    eprintln!("zip and gzip quines: peak RSS {rss_mib} MiB");
    assert_eq!(code, 1);
    let unread = "skipped:recursive_container".to_string();
    let expected = BTreeMap::from([
        ("quine.zip!/r.zip!/$Unread".to_string(), unread.clone()),
        ("quine.gz!/quine!/$Unread".to_string(), unread),
        ("z-after.png".to_string(), "match".to_string()),
    ]);
    assert_eq!(outcomes(&records, &ev), expected);
    let s = summary(&records);
    assert_eq!(s["containers_opened"], 2);
    assert_eq!(s["files_seen"], 3 + 2 + 2);
    assert!(rss_mib < 256, "peak RSS {rss_mib} MiB");
}

/// The overlapping-entry construction (two central-directory entries naming the same
/// data): the first is read and matched, the second is a failure naming the first, not a
/// second decompression of the same bytes.
#[test]
fn a_zip_entry_overlapping_an_earlier_one_is_not_read_again() {
    let (dir, ev, list) = workspace();
    python(
        dir.path(),
        r#"
import struct, zipfile
with zipfile.ZipFile('one.zip', 'w', zipfile.ZIP_DEFLATED) as z: z.write('pic.png', 'a.png')
data = open('one.zip', 'rb').read()
end = data.rfind(b'PK\x05\x06')
cd_size, cd_offset = struct.unpack('<II', data[end + 12:end + 20])
central = data[cd_offset:cd_offset + cd_size]
twice = central + central.replace(b'a.png', b'b.png')
record = bytearray(data[end:])
struct.pack_into('<HHII', record, 8, 2, 2, len(twice), cd_offset)
open('ev/overlap.zip', 'wb').write(data[:cd_offset] + twice + bytes(record))
"#,
    );
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1);
    let expected = BTreeMap::from([
        ("overlap.zip!/a.png".to_string(), "match".to_string()),
        ("overlap.zip!/b.png".to_string(), "failure".to_string()),
    ]);
    assert_eq!(outcomes(&records, &ev), expected);
    let error = records
        .iter()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with("b.png")))
        .unwrap()["error"]
        .as_str()
        .unwrap();
    assert!(error.contains("overlaps entry 0"), "{error}");
    assert_eq!(summary(&records)["entries_seen"], 2);
}

/// An entry's stored modification time: in UTC where an extra field records one (Info-ZIP's
/// extended timestamp, 7-Zip's NTFS field with `-mtc=on`), else the DOS time as stored,
/// which is local time of an unrecorded zone (written without `Z`). Each archive is made
/// with `TZ=America/New_York`, five hours off UTC in May, of a file modified at
/// 2019-05-04 03:02:01 UTC.
#[test]
fn zip_entry_times_are_utc_where_an_extra_field_records_them() {
    if !have("zip") || !have("7zz") {
        return;
    }
    let (dir, ev, list) = workspace();
    let pic = dir.path().join("pic.png");
    let script = "touch -d @1556938921 pic.png && zip -q ev/infozip.zip pic.png && \
                  7zz a -bso0 -bsp0 -tzip -mtc=on ev/sevenzip.zip pic.png && \
                  python3 -c 'import zipfile; zipfile.ZipFile(\"ev/python.zip\", \"w\").write(\"pic.png\")'";
    run(Command::new("bash")
        .args(["-c", script])
        .env("TZ", "America/New_York")
        .current_dir(dir.path()));
    assert!(pic.is_file());
    let (code, records) = scan(&ev, &list, &[]);
    assert_eq!(code, 1);
    let mtime = |archive: &str| {
        let path = ev.join(format!("{archive}!/pic.png"));
        let record = records
            .iter()
            .find(|r| r["path"] == path.to_str().unwrap())
            .unwrap();
        record["container"]["mtime"].as_str().unwrap().to_string()
    };
    assert_eq!(mtime("infozip.zip"), "2019-05-04T03:02:01Z");
    assert_eq!(mtime("sevenzip.zip"), "2019-05-04T03:02:01.0000000Z");
    assert_eq!(mtime("python.zip"), "2019-05-03T23:02:00");
}
