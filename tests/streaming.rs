//! The scan streams: memory does not grow with the number of files in the evidence, and
//! records still come out in path-byte order, container entries included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

use crate::support::{images, records};

/// Runs hashsweep with `args` under GNU time (`.ci/setup` installs it), stdout discarded;
/// returns its peak resident set in KiB (the process's, or any child's it waited for).
fn peak_rss_kib(args: &[&OsStr]) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let measured = dir.path().join("rss");
    let bin = Command::cargo_bin("hashsweep").unwrap();
    let out = Command::new("/usr/bin/time")
        .args([OsStr::new("-f"), OsStr::new("%M"), OsStr::new("-o")])
        .arg(&measured)
        .arg(bin.get_program())
        .args(args)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hashsweep {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&measured)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A tree where files are cheap to make: tmpfs when the machine has it.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

/// Before streaming, every item and every result was held to the end: about 1.7 KB per
/// file for `hash`, over 100 MB here. Streamed, the peak is the process's fixed part
/// (about 14 MB in release builds) plus a bounded window, whatever the count.
#[test]
fn memory_does_not_grow_with_the_number_of_files() {
    const FILES: usize = 60_000;
    const LIMIT_KIB: u64 = 48 * 1024;
    let dir = scratch_dir();
    let ev = dir.path().join("ev");
    for d in 0..FILES / 1000 {
        let sub = ev.join(format!("d{d:03}"));
        std::fs::create_dir_all(&sub).unwrap();
        for f in 0..1000 {
            std::fs::write(sub.join(format!("f{f:04}")), format!("{d} {f}")).unwrap();
        }
    }
    let list = dir.path().join("list.md5");
    std::fs::write(&list, "d41d8cd98f00b204e9800998ecf8427e\n").unwrap();
    // --no-video: no `ffmpeg -version` child, whose own peak time would report.
    let hash = ["hash", "--no-video", "--perceptual", "none", "--quiet"];
    let scan = ["scan", "--no-video", "--quiet", "-o", "/dev/null", "-l"];
    let hash = peak_rss_kib(&[hash.map(OsStr::new).as_slice(), &[ev.as_os_str()]].concat());
    let scan = peak_rss_kib(
        &[
            scan.map(OsStr::new).as_slice(),
            &[list.as_os_str(), ev.as_os_str()],
        ]
        .concat(),
    );
    assert!(
        hash < LIMIT_KIB,
        "hash of {FILES} files peaked at {hash} KiB"
    );
    assert!(
        scan < LIMIT_KIB,
        "scan of {FILES} files peaked at {scan} KiB"
    );
}

/// A disk image's files were listed whole before the scan: about 1.1 KB per file, some
/// 110 MB for this image. Its listing is now sorted through runs spilled to a temporary
/// file, so the peak is the fixed part plus one run (about 25 MB), whatever the count.
#[test]
fn memory_does_not_grow_with_the_files_of_a_disk_image() {
    const FILES: usize = 100_000;
    const LIMIT_KIB: u64 = 56 * 1024;
    let dir = scratch_dir();
    let Some(image) = images::ext4_of_small_files(dir.path(), FILES) else {
        return;
    };
    let hash = ["hash", "--no-video", "--perceptual", "none", "--quiet"];
    let args: Vec<&OsStr> = hash.iter().map(OsStr::new).collect();
    let peak = peak_rss_kib(&[args.as_slice(), &[image.as_os_str()]].concat());
    assert!(
        peak < LIMIT_KIB,
        "hash of an image of {FILES} files peaked at {peak} KiB"
    );
}

/// Forced to spill every listed file to its own run (`HASHSWEEP_LISTING_RUN_ITEMS=1`), the
/// merge of a disk image's listing gives byte for byte the records of a listing sorted
/// whole in memory, for every test image: FAT with deleted files, ext4 with orphans, NTFS
/// with streams and compression, exFAT, split images, and the pictures carved from them.
#[test]
fn a_spilled_image_listing_gives_the_same_records() {
    let Some(dir) = images::dir() else { return };
    let names = [
        "fat32_mbr.raw",
        "ext4_gpt.raw",
        "ntfs.raw",
        "ntfs_fuse.raw",
        "ntfs_split.001",
        "fs.exfat",
    ];
    let mut compared = 0;
    for image in names.iter().map(|n| dir.join(n)).filter(|p| p.is_file()) {
        let hash = |run_items: &str| {
            Command::cargo_bin("hashsweep")
                .unwrap()
                .args(["hash", "--no-video", "--perceptual", "none", "--quiet"])
                .arg(&image)
                .env("HASHSWEEP_LISTING_RUN_ITEMS", run_items)
                .output()
                .unwrap()
        };
        let whole = hash("1000000000");
        let spilled = hash("1");
        assert!(records(&whole.stdout).len() > 3, "{}", image.display());
        assert_eq!(whole.status.code(), spilled.status.code());
        assert!(
            whole.stdout == spilled.stdout,
            "{}: the spilled listing differs",
            image.display()
        );
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} test images found");
}

/// `a.zip 2.txt` sorts between `a.zip` and its entry `a.zip!/x.txt` (a space is below
/// `!`), and `a.zip.d/` between that and the next: entries wait for their place.
#[test]
fn container_entries_take_their_place_among_later_files() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir_all(ev.join("a.zip.d")).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in ["x.txt", "b/y.txt"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, name.as_bytes()).unwrap();
    }
    std::fs::write(ev.join("a.zip"), zip.finish().unwrap().into_inner()).unwrap();
    for name in ["a.zip 2.txt", "a.zip!", "a.zip.d/z", "a.zi", "b"] {
        std::fs::write(ev.join(name), name).unwrap();
    }
    let out = Command::cargo_bin("hashsweep")
        .unwrap()
        .args(["hash", "--no-video", "--perceptual", "none", "--quiet"])
        .arg(&ev)
        .output()
        .unwrap();
    assert!(out.status.success());
    let prefix = ev.to_str().unwrap().len() + 1;
    let paths: Vec<String> = records(&out.stdout)
        .iter()
        .map(|r| r["path"].as_str().unwrap()[prefix..].to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "a.zi",
            "a.zip",
            "a.zip 2.txt",
            "a.zip!",
            "a.zip!/b/y.txt",
            "a.zip!/x.txt",
            "a.zip.d/z",
            "b"
        ]
    );
    let one: Vec<Value> = records(
        &Command::cargo_bin("hashsweep")
            .unwrap()
            .args([
                "hash",
                "--threads",
                "1",
                "--no-video",
                "--perceptual",
                "none",
            ])
            .arg(&ev)
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(one, records(&out.stdout));
}
