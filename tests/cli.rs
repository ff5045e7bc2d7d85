//! End-to-end tests of the `hashsweep` binary on generated evidence: exact match sets,
//! exact counts, exit codes, determinism. Every picture is synthetic (src/synth.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use hashsweep::algorithm::Algorithm;
use hashsweep::digest::FileDigests;
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig, PerceptualHashes};
use hashsweep::synth::{jpeg_bytes, picture, png_bytes, transform, Pattern, Transform};
use image::RgbImage;
use serde_json::{json, Value};
use tempfile::TempDir;

fn hashsweep() -> Command {
    Command::cargo_bin("hashsweep").unwrap()
}

/// `hashsweep scan EV -l LIST EXTRA…`, run to completion.
fn scan_of(ev: &Path, list: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    hashsweep()
        .arg("scan")
        .arg(ev)
        .arg("-l")
        .arg(list)
        .args(extra)
        .output()
        .unwrap()
}

/// A temp dir that other users can read too (the unreadable-file test runs as `nobody`).
fn world_readable_tempdir() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn write_list(path: &Path, entries: &[Value]) {
    let text: String = entries.iter().map(|e| format!("{e}\n")).collect();
    write(path, text.as_bytes());
}

fn entry(algorithm: Algorithm, hash: &[u8], id: &str) -> Value {
    json!({"algorithm": algorithm.name(), "hash": hex::encode(hash), "id": id, "category": "1"})
}

fn perceptual_of(img: &RgbImage) -> PerceptualHashes {
    PerceptualConfig::new(&Algorithm::PERCEPTUAL, DecodeLimits::default())
        .hash_picture(&png_bytes(img), hashsweep::sniff::PictureFormat::Png)
        .unwrap()
        .hashes
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_kind<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["record"] == kind).collect()
}

/// `path (relative to root) -> sorted "algorithm:id" of every hit` for match records.
fn match_set(records: &[Value], root: &Path) -> BTreeMap<String, Vec<String>> {
    let prefix = format!("{}/", root.display());
    of_kind(records, "match")
        .into_iter()
        .map(|r| {
            let path = r["path"]
                .as_str()
                .unwrap()
                .trim_start_matches(&prefix)
                .to_string();
            let mut hits: Vec<String> = r["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    format!(
                        "{}:{}",
                        h["algorithm"].as_str().unwrap(),
                        h["entry_id"].as_str().unwrap()
                    )
                })
                .collect();
            hits.sort();
            (path, hits)
        })
        .collect()
}

/// A 256-bit hex hash as two halves, for Hamming distances.
fn u128_pair(hex: &str) -> [u128; 2] {
    [
        u128::from_str_radix(&hex[..32], 16).unwrap(),
        u128::from_str_radix(&hex[32..], 16).unwrap(),
    ]
}

fn summary(records: &[Value]) -> &Value {
    records
        .last()
        .filter(|r| r["record"] == "summary")
        .expect("last record is the summary")
}

fn set(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(p, hits)| (p.to_string(), hits.iter().map(|h| h.to_string()).collect()))
        .collect()
}

#[test]
fn each_cryptographic_algorithm_matches_exactly_its_file() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let blobs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 1000 + i as usize]).collect();
    for (i, b) in blobs.iter().enumerate() {
        write(&ev.join(format!("f{i}.bin")), b);
    }
    let d: Vec<FileDigests> = blobs.iter().map(|b| FileDigests::of(b)).collect();
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[
            entry(Algorithm::Md5, &d[0].md5, "m"),
            entry(Algorithm::Sha1, &d[1].sha1, "s1"),
            entry(Algorithm::Sha256, &d[2].sha256, "s256"),
            entry(Algorithm::Blake3, &d[3].blake3, "b3"),
        ],
    );
    let out = scan_of(&ev, &list, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    assert_eq!(
        match_set(&recs, &ev),
        set(&[
            ("f0.bin", &["md5:m"]),
            ("f1.bin", &["sha1:s1"]),
            ("f2.bin", &["sha256:s256"]),
            ("f3.bin", &["blake3:b3"]),
        ])
    );
    let s = summary(&recs);
    assert_eq!(
        (
            s["files_seen"].as_u64(),
            s["hashed"].as_u64(),
            s["matched"].as_u64()
        ),
        (Some(5), Some(5), Some(4))
    );
    assert_eq!(s["bytes"].as_u64(), Some(5000 + 10));
}

#[test]
fn resized_and_reencoded_copies_match_perceptually() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let a = picture(Pattern::Shapes, 480, 360, 11);
    let b = picture(Pattern::Noise, 400, 300, 12);
    write(
        &ev.join("resized.jpg"),
        &jpeg_bytes(&transform(&a, Transform::HalfSize), 85),
    );
    write(&ev.join("reencoded.jpg"), &jpeg_bytes(&b, 50));
    let (pa, pb) = (perceptual_of(&a), perceptual_of(&b));
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[
            entry(Algorithm::Dhash, pa.dhash.as_ref().unwrap(), "A"),
            entry(Algorithm::Phash, pa.phash.as_ref().unwrap(), "A"),
            entry(Algorithm::Dhash, pb.dhash.as_ref().unwrap(), "B"),
            entry(Algorithm::Phash, pb.phash.as_ref().unwrap(), "B"),
        ],
    );
    let out = scan_of(&ev, &list, &[]);
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
    assert_eq!(
        match_set(&recs, &ev),
        set(&[
            ("reencoded.jpg", &["dhash:B", "phash:B"]),
            ("resized.jpg", &["dhash:A", "phash:A"])
        ])
    );
    for m in of_kind(&recs, "match") {
        for hit in m["hits"].as_array().unwrap() {
            assert!(hit["distance"].as_u64().unwrap() <= 10, "{hit}");
        }
        assert!(m["image"]["width"].as_u64().unwrap() > 0);
    }
}

/// 24 distinct textured pictures; the list holds the perceptual hashes of the first 12.
/// Exactly those 12 match, each only its own entry.
#[test]
fn distinct_pictures_never_match_each_other_at_default_thresholds() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let textured = [
        Pattern::Shapes,
        Pattern::Noise,
        Pattern::Text,
        Pattern::Gradient,
    ];
    let mut entries = Vec::new();
    let mut expected = BTreeMap::new();
    for i in 0..24u64 {
        let img = picture(
            textured[(i % 4) as usize],
            256 + (i as u32 % 3) * 32,
            192,
            1000 + i,
        );
        let name = format!("p{i:02}.png");
        write(&ev.join(&name), &png_bytes(&img));
        if i < 12 {
            let p = perceptual_of(&img);
            let id = format!("E{i}");
            entries.push(entry(Algorithm::Dhash, p.dhash.as_ref().unwrap(), &id));
            entries.push(entry(Algorithm::Phash, p.phash.as_ref().unwrap(), &id));
            entries.push(entry(Algorithm::Ahash, p.ahash.as_ref().unwrap(), &id));
            expected.insert(
                name,
                vec![
                    format!("ahash:{id}"),
                    format!("dhash:{id}"),
                    format!("phash:{id}"),
                ],
            );
        }
    }
    let list = dir.path().join("list.jsonl");
    write_list(&list, &entries);
    let out = scan_of(&ev, &list, &[]);
    assert_eq!(match_set(&records(&out.stdout), &ev), expected);
}

#[test]
fn non_picture_is_hashed_but_not_perceptually() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    write(&ev.join("notes.txt"), b"plain text, not a picture\n");
    write(
        &ev.join("pic.png"),
        &png_bytes(&picture(Pattern::Shapes, 64, 64, 3)),
    );
    let out = hashsweep().arg("hash").arg(&ev).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 2);
    let (text, pic) = (&recs[0], &recs[1]);
    assert!(text["path"].as_str().unwrap().ends_with("notes.txt"));
    assert_eq!(
        text["hashes"]["md5"],
        hex::encode(FileDigests::of(b"plain text, not a picture\n").md5)
    );
    assert!(text["hashes"].get("dhash").is_none() && text.get("image").is_none());
    assert_eq!(
        pic["image"],
        json!({"format": "png", "width": 64, "height": 64})
    );
    assert_eq!(pic["hashes"]["dhash"].as_str().unwrap().len(), 16);
}

#[test]
fn truncated_and_unreadable_files_fail_while_the_scan_completes() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let jpeg = jpeg_bytes(&picture(Pattern::Noise, 200, 150, 4), 90);
    write(&ev.join("a-truncated.jpg"), &jpeg[..jpeg.len() / 2]);
    write(&ev.join("b-locked.bin"), b"secret");
    write(&ev.join("c-fine.bin"), b"fine");
    fs::set_permissions(&ev, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(ev.join("b-locked.bin"), fs::Permissions::from_mode(0o000)).unwrap();
    for f in ["a-truncated.jpg", "c-fine.bin"] {
        fs::set_permissions(ev.join(f), fs::Permissions::from_mode(0o644)).unwrap();
    }
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[entry(Algorithm::Md5, &FileDigests::of(b"fine").md5, "F")],
    );
    fs::set_permissions(&list, fs::Permissions::from_mode(0o644)).unwrap();
    let args = [
        "scan",
        ev.to_str().unwrap(),
        "--list",
        list.to_str().unwrap(),
        "--perceptual",
        "dhash",
    ];
    let out = as_unprivileged_user(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    let failures: Vec<(String, String)> = of_kind(&recs, "failure")
        .iter()
        .map(|r| {
            let name = Path::new(r["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r["error"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    let kinds: Vec<&Value> = of_kind(&recs, "failure")
        .iter()
        .map(|r| &r["failure_kind"])
        .collect();
    assert_eq!(kinds, [&Value::from("decode"), &Value::from("open")]);
    assert_eq!(failures[0].0, "a-truncated.jpg");
    assert!(
        failures[0].1.contains("truncated JPEG"),
        "{}",
        failures[0].1
    );
    assert_eq!(failures[1].0, "b-locked.bin");
    assert!(
        failures[1].1.contains("Permission denied"),
        "{}",
        failures[1].1
    );
    let s = summary(&recs);
    assert_eq!(
        (
            s["files_seen"].as_u64(),
            s["hashed"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(match_set(&recs, &ev), set(&[("c-fine.bin", &["md5:F"])]));
}

/// Runs the binary as `nobody` when we are root (root reads any file), else as ourselves.
fn as_unprivileged_user(args: &[&str]) -> std::process::Output {
    let bin: PathBuf = assert_cmd::cargo::cargo_bin("hashsweep");
    // SAFETY-free check: uid 0 is root; `id -u` avoids a libc dependency in tests.
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(args)
            .output()
            .unwrap()
    } else {
        std::process::Command::new(&bin)
            .args(args)
            .output()
            .unwrap()
    }
}

#[test]
fn exit_codes_zero_one_two() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    write(&ev.join("x.bin"), b"x");
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[entry(Algorithm::Md5, &FileDigests::of(b"y").md5, "Y")],
    );
    let run = |args: &[&Path]| hashsweep().arg("scan").args(args).output().unwrap();
    let l = Path::new("--list");
    assert_eq!(run(&[&ev, l, &list]).status.code(), Some(0));
    write_list(
        &list,
        &[entry(Algorithm::Md5, &FileDigests::of(b"x").md5, "X")],
    );
    assert_eq!(run(&[&ev, l, &list]).status.code(), Some(1));
    // A malformed list is fatal and names file and line.
    write(&list, b"{\"algorithm\":\"md5\",\"hash\":\"00\"}\n");
    let bad = run(&[&ev, l, &list]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:1: md5 hash must be 32 hex digits",
            list.display()
        )),
        "{stderr}"
    );
    // A missing evidence root is fatal.
    write_list(
        &list,
        &[entry(Algorithm::Md5, &FileDigests::of(b"x").md5, "X")],
    );
    assert_eq!(
        run(&[&dir.path().join("missing"), l, &list]).status.code(),
        Some(2)
    );
    // A report inside the evidence is refused before anything is written.
    let inside = ev.join("report.jsonl");
    let refused = scan_of(&ev, &list, &["-o".as_ref(), inside.as_os_str()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!inside.exists());
    // A report path that cannot be written is fatal.
    let unwritable = dir.path().join("no-such-dir/report.jsonl");
    let out = scan_of(&ev, &list, &["-o".as_ref(), unwritable.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    // A directory that exists but is not writable: refused before the scan starts (the
    // journal, opened at the same point, shows no file was ever processed).
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let journal = dir.path().join("journals");
    fs::create_dir(&journal).unwrap();
    fs::set_permissions(&journal, fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(&list, fs::Permissions::from_mode(0o644)).unwrap();
    let report = locked.join("report.jsonl");
    let journal = journal.join("scan.journal");
    let out = as_unprivileged_user(&[
        "scan",
        ev.to_str().unwrap(),
        "-l",
        list.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write report"), "{stderr}");
    assert!(!journal.exists(), "the scan must not have started");
}

/// Per-file records are sorted by path and byte-identical across runs and thread counts.
#[test]
fn records_are_sorted_and_identical_across_runs_and_thread_counts() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let mut entries = Vec::new();
    for i in 0..40u64 {
        let bytes = if i % 2 == 0 {
            png_bytes(&picture(Pattern::ALL[(i % 4) as usize], 64, 48, i))
        } else {
            format!("file {i}").into_bytes()
        };
        write(&ev.join(format!("d{}/f{:02}", i % 3, 39 - i)), &bytes);
        entries.push(entry(
            Algorithm::Sha1,
            &FileDigests::of(&bytes).sha1,
            &format!("E{i}"),
        ));
    }
    let list = dir.path().join("list.jsonl");
    write_list(&list, &entries);
    let body = |threads: &str| {
        let out = hashsweep()
            .args(["scan", "--threads", threads, "-l"])
            .arg(&list)
            .arg(&ev)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[1..lines.len() - 1].to_vec()
    };
    let one = body("1");
    assert_eq!(one.len(), 40);
    let paths: Vec<String> = one
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["path"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(one, body("2"));
    assert_eq!(one, body("2"));
}

/// The README's first command: the bundled demo finds exactly the planted files.
#[test]
fn bundled_demo_finds_exactly_the_planted_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = hashsweep()
        .current_dir(root)
        .args([
            "scan",
            "fixtures/evidence",
            "--list",
            "fixtures/demo-list.jsonl",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
    let got: Vec<(String, Vec<String>)> = match_set(&recs, Path::new("fixtures/evidence"))
        .into_iter()
        .collect();
    let ids: Vec<(&str, Vec<String>)> = got.iter().map(|(p, h)| (p.as_str(), h.clone())).collect();
    let perceptual = |id: &str| -> Vec<String> {
        ["ahash", "dhash", "pdq", "phash"]
            .iter()
            .map(|a| format!("{a}:{id}"))
            .collect()
    };
    assert_eq!(
        ids,
        vec![
            ("camera/IMG_0001.jpg", vec!["md5:DEMO-0001".to_string()]),
            ("camera/IMG_0002.jpg", vec!["sha1:DEMO-0002".to_string()]),
            (
                "downloads/archive.bin",
                vec!["blake3:DEMO-0004".to_string()]
            ),
            (
                "downloads/scan-page.png",
                vec!["sha256:DEMO-0003".to_string()]
            ),
            ("shared/holiday.dat", perceptual("DEMO-0103")),
            ("shared/mirrored.jpg", vec!["pdq:DEMO-0102".to_string()]),
            ("shared/recompressed.jpg", perceptual("DEMO-0101")),
            ("shared/resized.jpg", perceptual("DEMO-0100")),
        ]
    );
    let s = summary(&recs);
    assert_eq!(s["files_seen"], 14);
    // The link and the empty file have nothing to examine: counted, not listed.
    assert_eq!(s["skipped"], json!({"empty": 1, "symlink": 1}));
    assert_eq!(s["nothing_to_examine"], json!({"empty": 1, "symlink": 1}));
    assert_eq!(s["not_examined"], json!({}));
    assert!(of_kind(&recs, "skipped").is_empty());
    assert_eq!(s["failed"], 1);
    // The flat picture: hashed, PDQ quality 0, never matchable perceptually: counted only.
    assert!(of_kind(&recs, "file").is_empty());
    assert_eq!(s["pdq_low_quality"], 1);
    assert_eq!(
        recs.len(),
        8 + 1 + 2,
        "matches, the failure, header and summary"
    );
    let header = &recs[0];
    assert_eq!(header["lists"][0]["entries"]["md5"], 2);
    assert_eq!(header["lists"][0]["entries"]["pdq"], 4);
    assert!(header["decoders"]["jpeg"]
        .as_str()
        .unwrap()
        .starts_with("libjpeg-turbo"));
    assert_eq!(header["lists"][0]["empty_file_hashes"], 1);
}

/// A mirrored copy is found through PDQ's dihedral variants, named as such, and only
/// with dihedral matching on; a featureless picture's PDQ is never matched.
#[test]
fn pdq_matches_mirrored_copies_and_gates_low_quality() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let original = picture(Pattern::Shapes, 400, 300, 77);
    write(
        &ev.join("mirrored.jpg"),
        &jpeg_bytes(&transform(&original, Transform::FlipHorizontal), 90),
    );
    let flat = RgbImage::from_pixel(200, 200, image::Rgb([90, 90, 90]));
    write(&ev.join("flat.png"), &png_bytes(&flat));
    let pdq = |img: &RgbImage| perceptual_of(img).pdq.unwrap();
    let (p_orig, p_flat) = (pdq(&original), pdq(&flat));
    assert!(
        p_orig.quality >= 50 && p_flat.quality < 50,
        "{} {}",
        p_orig.quality,
        p_flat.quality
    );
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[
            entry(Algorithm::Pdq, &p_orig.hash().0, "ORIG"),
            entry(Algorithm::Pdq, &p_flat.hash().0, "FLAT"),
        ],
    );
    let scan = |extra: &[&str]| {
        let out = hashsweep()
            .arg("scan")
            .arg(&ev)
            .arg("-l")
            .arg(&list)
            .args(extra)
            .arg("--all-files")
            .output()
            .unwrap();
        records(&out.stdout)
    };
    let recs = scan(&[]);
    assert_eq!(
        match_set(&recs, &ev),
        set(&[("mirrored.jpg", &["pdq:ORIG"])])
    );
    let hit = &of_kind(&recs, "match")[0]["hits"][0];
    assert_eq!(hit["transform"], "flipy");
    assert_eq!(hit["threshold"], 31);
    assert!(hit["distance"].as_u64().unwrap() <= 31);
    // "Why it matched": the hash that is `distance` from the list's is the flipped
    // variant's, not the picture's own.
    let bits = |h: &Value| u128_pair(h.as_str().unwrap());
    let (file, listed) = (bits(&hit["file_hash"]), bits(&hit["list_hash"]));
    let apart: u32 = file
        .iter()
        .zip(&listed)
        .map(|(a, b)| (a ^ b).count_ones())
        .sum();
    assert_eq!(u64::from(apart), hit["distance"].as_u64().unwrap());
    assert_ne!(
        hit["file_hash"],
        of_kind(&recs, "match")[0]["hashes"]["pdq"],
        "a flipped match names the flipped variant's hash"
    );
    assert_eq!(hit["also_exact"], false);
    let flat_record = recs
        .iter()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with("flat.png")))
        .unwrap();
    assert_eq!(flat_record["record"], "file");
    assert!(
        flat_record["notes"][0]
            .as_str()
            .unwrap()
            .contains("below 50"),
        "{flat_record}"
    );
    assert!(match_set(&scan(&["--no-dihedral"]), &ev).is_empty());

    // Without --all-files the gated picture is counted, and listed only when asked.
    let out = scan_of(&ev, &list, &[]);
    let recs = records(&out.stdout);
    assert!(of_kind(&recs, "file").is_empty());
    assert_eq!(summary(&recs)["pdq_low_quality"], 1);
    let out = scan_of(&ev, &list, &["--list-low-quality".as_ref()]);
    let recs = records(&out.stdout);
    let files: Vec<&str> = of_kind(&recs, "file")
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("flat.png"));
    assert_eq!(summary(&recs)["pdq_low_quality"], 1);
}

#[test]
fn list_inspect_and_convert_without_scanning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let inspect = |name: &str| {
        hashsweep()
            .current_dir(root)
            .args(["list", "inspect", &format!("fixtures/lists/{name}")])
            .output()
            .unwrap()
    };
    let good = inspect("vics-2.0-cases-us.json");
    assert_eq!(good.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(doc["provenance"]["format"], "vics");
    assert_eq!(doc["loads_strictly"], true);
    assert_eq!(
        inspect("vics-bad-category-type.json").status.code(),
        Some(2)
    );

    let dir = world_readable_tempdir();
    let converted = dir.path().join("vics.jsonl");
    let out = hashsweep()
        .current_dir(root)
        .args([
            "list",
            "convert",
            "fixtures/lists/vics-2.0-cases-us.json",
            "-o",
        ])
        .arg(&converted)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = hashsweep()
        .args(["list", "inspect"])
        .arg(&converted)
        .output()
        .unwrap();
    let back: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(back["provenance"]["format"], "hashsweep-jsonl");
    assert_eq!(back["provenance"]["entries"], doc["provenance"]["entries"]);
}

/// A known-good hit never hides an alert hit; a file only on the known-good list is
/// counted as known, not reported, and not decoded.
#[test]
fn known_good_lists_mark_files_but_never_suppress_alerts() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    let both = png_bytes(&picture(Pattern::Noise, 64, 64, 5));
    let known_only = png_bytes(&picture(Pattern::Noise, 64, 64, 6));
    write(&ev.join("both.png"), &both);
    write(&ev.join("known.png"), &known_only);
    let (alert, known) = (
        dir.path().join("alert.jsonl"),
        dir.path().join("known.jsonl"),
    );
    write_list(
        &alert,
        &[entry(Algorithm::Sha1, &FileDigests::of(&both).sha1, "BAD")],
    );
    write_list(
        &known,
        &[
            entry(Algorithm::Md5, &FileDigests::of(&both).md5, "NSRL-1"),
            entry(Algorithm::Md5, &FileDigests::of(&known_only).md5, "NSRL-2"),
        ],
    );
    let out = hashsweep()
        .arg("scan")
        .arg(&ev)
        .arg("--list")
        .arg(&alert)
        .arg("--known")
        .arg(&known)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out.stdout);
    assert_eq!(
        match_set(&recs, &ev),
        set(&[("both.png", &["md5:NSRL-1", "sha1:BAD"])])
    );
    let s = summary(&recs);
    assert_eq!(
        (
            s["matched"].as_u64(),
            s["known_good"].as_u64(),
            s["images"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
}

/// Ctrl-C: the scan stops between files, still writes the records gathered and a summary
/// marked interrupted, keeps the accounting balanced, and exits 130.
#[test]
fn interrupt_writes_a_partial_report_marked_interrupted() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    // One picture written many times: generating is slow in a debug build, decoding is what
    // the scan must spend time on. The journal is synced every 256 entries or every second,
    // so an optimised build gets enough copies to outlast its first sync.
    let copies: u64 = if cfg!(debug_assertions) { 150 } else { 1500 };
    let png = png_bytes(&picture(Pattern::Noise, 640, 480, 1));
    for i in 0..copies {
        write(&ev.join(format!("p{i:03}.png")), &png);
    }
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[entry(Algorithm::Md5, &FileDigests::of(b"nothing").md5, "X")],
    );
    let report = dir.path().join("report.jsonl");
    let journal = dir.path().join("scan.journal");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("hashsweep"))
        .args([
            "scan",
            "--threads",
            "1",
            "--perceptual",
            "pdq,phash,dhash,ahash",
            "-q",
            "-l",
        ])
        .arg(&list)
        .arg(&ev)
        .arg("-o")
        .arg(&report)
        .arg("--journal")
        .arg(&journal)
        .spawn()
        .unwrap();
    // Interrupt once the scan is under way (three files journaled), not after a guess.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while fs::read_to_string(&journal)
        .map(|t| t.matches("{\"file\"").count())
        .unwrap_or(0)
        < 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the scan never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let recs = records(&fs::read(&report).unwrap());
    let s = summary(&recs);
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["files_seen"], copies);
    let not_reached = s["skipped"]["interrupted"].as_u64().unwrap();
    assert!(not_reached > 0 && not_reached <= copies - 3, "{s}");
    assert_eq!(s["hashed"].as_u64().unwrap() + not_reached, copies);
    assert_eq!(of_kind(&recs, "skipped").len() as u64, not_reached);

    // The files it did not reach were not journaled: a resume does exactly those.
    let resumed = hashsweep()
        .args(["scan", "-q", "-j", "2", "--resume"])
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0));
    let recs = records(&fs::read(&report).unwrap());
    let s = summary(&recs);
    assert_eq!(s["interrupted"], false);
    assert_eq!(
        (s["files_seen"].as_u64(), s["hashed"].as_u64()),
        (Some(copies), Some(copies))
    );
    assert_eq!(of_kind(&recs, "skipped").len(), 0);
}

/// An evidence path that is not UTF-8 (a Latin-1 directory name) scans like any other;
/// only `--journal`, which must record the command line as text, refuses it, clearly.
#[test]
fn non_utf8_evidence_path_scans_and_journal_says_why_not() {
    use std::os::unix::ffi::OsStrExt;
    let dir = world_readable_tempdir();
    let ev = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    write(&ev.join("a.bin"), b"latin-1 evidence");
    let list = dir.path().join("list.jsonl");
    write_list(
        &list,
        &[entry(
            Algorithm::Md5,
            &FileDigests::of(b"latin-1 evidence").md5,
            "L",
        )],
    );
    let out = scan_of(&ev, &list, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    let m = of_kind(&recs, "match");
    assert_eq!(m.len(), 1);
    assert!(m[0]["path_raw_hex"].as_str().unwrap().contains("636166e9"));
    let evidence = &recs[0]["evidence"][0];
    assert!(evidence["path_raw_hex"]
        .as_str()
        .unwrap()
        .ends_with("636166e9"));
    assert!(evidence["path"].as_str().unwrap().ends_with("caf\u{fffd}"));
    let out = scan_of(
        &ev,
        &list,
        &["--journal".as_ref(), dir.path().join("j").as_os_str()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not UTF-8: no journal possible"));
}

/// A raw disk image whose one MBR partition starts with a LUKS header: hashsweep does not
/// decrypt, so the partition is seen and not examined (`encrypted`).
fn luks_disk_image() -> Vec<u8> {
    let mut disk = vec![0u8; 64 * 1024];
    let entry = &mut disk[446..462];
    entry[4] = 0x83; // Linux
    entry[8..12].copy_from_slice(&1u32.to_le_bytes()); // first LBA
    entry[12..16].copy_from_slice(&127u32.to_le_bytes()); // sectors
    disk[510] = 0x55;
    disk[511] = 0xAA;
    disk[512..518].copy_from_slice(b"LUKS\xba\xbe");
    disk
}

/// Issue 25: by default a report holds only what an examiner must act on (the match, the
/// failure, the item not examined), while links and low-quality pictures are counted;
/// `--list-skipped` adds the links, `--all-files` lists everything, and the summary's
/// counts are the same in all three runs.
#[test]
fn report_lists_what_must_be_acted_on_and_counts_the_rest() {
    let dir = world_readable_tempdir();
    let ev = dir.path().join("ev");
    write(&ev.join("hit/listed.bin"), b"the one listed file");
    write(&ev.join("locked.bin"), b"no one may read this");
    fs::set_permissions(ev.join("locked.bin"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::create_dir_all(ev.join("links")).unwrap();
    for i in 0..1000 {
        std::os::unix::fs::symlink("../hit/listed.bin", ev.join(format!("links/l{i:04}"))).unwrap();
    }
    for i in 0..500u32 {
        let grey = (i % 200) as u8 + 20;
        let flat = RgbImage::from_pixel(32, 32, image::Rgb([grey, grey, grey]));
        write(&ev.join(format!("icons/i{i:03}.png")), &png_bytes(&flat));
    }
    let disk = dir.path().join("disk.raw");
    write(&disk, &luks_disk_image());
    let list = dir.path().join("list.jsonl");
    let md5 = FileDigests::of(b"the one listed file").md5;
    write_list(&list, &[entry(Algorithm::Md5, &md5, "HIT")]);

    let run = |extra: &[&str]| {
        let mut args = vec!["scan", ev.to_str().unwrap(), disk.to_str().unwrap()];
        args.extend(["-l", list.to_str().unwrap(), "--quiet"]);
        args.extend(extra);
        let out = as_unprivileged_user(&args);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        records(&out.stdout)
    };
    let kinds = |recs: &[Value]| -> BTreeMap<String, usize> {
        let mut kinds = BTreeMap::new();
        for r in recs {
            let kind = match r["skip_kind"].as_str() {
                Some(k) => format!("skipped:{k}"),
                None => r["record"].as_str().unwrap().to_string(),
            };
            *kinds.entry(kind).or_insert(0) += 1;
        }
        kinds
    };
    let counts = |recs: &[Value]| {
        let mut s = summary(recs).clone();
        for timing in ["started_at", "finished_at", "elapsed_ms"] {
            s.as_object_mut().unwrap().remove(timing);
        }
        s
    };

    let default = run(&[]);
    let count = |pairs: &[(&str, usize)]| -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    assert_eq!(
        kinds(&default),
        count(&[
            ("header", 1),
            ("match", 1),
            ("failure", 1),
            ("skipped:not_examined", 1),
            ("summary", 1),
        ])
    );
    assert_eq!(
        match_set(&default, &ev),
        set(&[("hit/listed.bin", &["md5:HIT"])])
    );
    let failure = of_kind(&default, "failure")[0];
    assert!(failure["path"].as_str().unwrap().ends_with("locked.bin"));
    let not_examined = of_kind(&default, "skipped")[0];
    assert_eq!(
        (&not_examined["evidence"], &not_examined["reason"]),
        (&json!(1), &json!("encrypted"))
    );
    let s = counts(&default);
    assert_eq!(s["files_seen"], 1503);
    assert_eq!(s["hashed"], 501);
    assert_eq!(s["pdq_low_quality"], 500);
    assert_eq!(s["failed"], 1);
    assert_eq!(s["skipped"], json!({"encrypted": 1, "symlink": 1000}));
    assert_eq!(s["not_examined"], json!({"encrypted": 1}));
    assert_eq!(s["nothing_to_examine"], json!({"symlink": 1000}));
    assert_eq!(
        s["by_evidence"][0]["nothing_to_examine"],
        json!({"symlink": 1000})
    );
    assert_eq!(s["by_evidence"][1]["not_examined"], json!({"encrypted": 1}));

    let listed = run(&["--list-skipped"]);
    assert_eq!(
        kinds(&listed),
        count(&[
            ("header", 1),
            ("match", 1),
            ("failure", 1),
            ("skipped:not_examined", 1),
            ("skipped:nothing_to_examine", 1000),
            ("summary", 1),
        ])
    );
    let everything = run(&["--all-files"]);
    assert_eq!(
        kinds(&everything),
        count(&[
            ("header", 1),
            ("match", 1),
            ("failure", 1),
            ("file", 500),
            ("skipped:not_examined", 1),
            ("skipped:nothing_to_examine", 1000),
            ("summary", 1),
        ])
    );
    assert_eq!(counts(&listed), s);
    assert_eq!(counts(&everything), s);
}

/// `--fast`: a camera-size JPEG is decoded at reduced size; the record keeps the JPEG's own
/// size, its digests are those of the full scan, its PDQ is within a few bits of the exact
/// one (the measured median is 4: benches/fast_mode.sh), and the report says fast mode
/// was on. A PNG is untouched.
#[test]
fn fast_mode_decodes_jpegs_reduced_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir(&ev).unwrap();
    fs::write(
        ev.join("big.jpg"),
        jpeg_bytes(&picture(Pattern::Shapes, 2400, 1800, 3), 90),
    )
    .unwrap();
    fs::write(
        ev.join("small.png"),
        png_bytes(&picture(Pattern::Gradient, 800, 600, 4)),
    )
    .unwrap();
    let hash = |extra: &[&str]| -> BTreeMap<String, Value> {
        let out = Command::cargo_bin("hashsweep")
            .unwrap()
            .args(["hash", "--perceptual", "pdq", "-q"])
            .args(extra)
            .arg(&ev)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|r| {
                (
                    r["path"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .to_string(),
                    r,
                )
            })
            .collect()
    };
    let (exact, fast) = (hash(&[]), hash(&["--fast"]));
    let big = (&exact["big.jpg"], &fast["big.jpg"]);
    assert_eq!(
        big.1["image"],
        json!({"format": "jpeg", "width": 2400, "height": 1800})
    );
    assert_eq!(big.0["hashes"]["sha256"], big.1["hashes"]["sha256"]);
    let pdq =
        |r: &Value| u128::from_str_radix(&r["hashes"]["pdq"].as_str().unwrap()[..32], 16).unwrap();
    let pdq_low =
        |r: &Value| u128::from_str_radix(&r["hashes"]["pdq"].as_str().unwrap()[32..], 16).unwrap();
    let bits =
        (pdq(big.0) ^ pdq(big.1)).count_ones() + (pdq_low(big.0) ^ pdq_low(big.1)).count_ones();
    assert!(bits <= 16, "fast PDQ {bits} bits from exact");
    assert_eq!(exact["small.png"]["hashes"], fast["small.png"]["hashes"]);

    let report = dir.path().join("r.jsonl");
    let list = dir.path().join("list.txt");
    fs::write(&list, "d41d8cd98f00b204e9800998ecf8427e\n").unwrap();
    Command::cargo_bin("hashsweep")
        .unwrap()
        .args(["scan", "--fast", "-q", "-l"])
        .arg(&list)
        .arg(&ev)
        .arg("-o")
        .arg(&report)
        .assert()
        .code(0);
    let header: Value =
        serde_json::from_str(fs::read_to_string(&report).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(header["fast"], true);
    let text = Command::cargo_bin("hashsweep")
        .unwrap()
        .arg("report")
        .arg(&report)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("FAST MODE (--fast)"));
}

/// Every check that can fail fast comes before the lists load (they may take minutes): a
/// missing evidence path or a bad `--perceptual` is the error even when the list is bad
/// too, and each cause is printed once.
#[test]
fn bad_arguments_fail_before_the_lists_load() {
    let dir = tempfile::tempdir().unwrap();
    let missing_list = dir.path().join("no-such-list.txt");
    let run = |extra: &[&str], evidence: &Path| {
        let out = Command::cargo_bin("hashsweep")
            .unwrap()
            .arg("scan")
            .arg(evidence)
            .arg("-l")
            .arg(&missing_list)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    let err = run(&[], &dir.path().join("no-such-evidence"));
    assert!(err.contains("cannot open evidence"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let err = run(&["--perceptual", "pqd"], dir.path());
    assert!(err.contains("unknown hash algorithm \"pqd\""), "{err}");
    let err = run(&[], dir.path());
    assert!(err.contains("cannot read hash list"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}
