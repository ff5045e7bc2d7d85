//! Disk images as evidence, end to end through the library: raw, split raw, E01 (single
//! and multi-segment), FAT32 + MBR, bare NTFS, ext4 + GPT, the exFAT sample; deleted
//! files; agreement with The Sleuth Kit; damaged images; the image left untouched.
//!
//! Images are built by `shared/tools/make_test_images.sh` (see `support/images.rs`). They
//! differ run to run in timestamps and serials, so file lists and content hashes are
//! compared, never image hashes.

// Helpers outside #[test] functions are test code too (clippy.toml allows these in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::Duration;

use hashsweep::digest::FileDigests;
use hashsweep::evidence::{
    open_evidence, open_evidence_as, verify_image, EvidenceItem, EvidenceSource, EvidenceType,
    ItemKind,
};

use crate::support::images;

/// Everything one scan found, keyed by path inside the evidence.
struct Found {
    items: BTreeMap<String, EvidenceItem>,
    /// md5, sha256 of every file read, and read errors.
    hashes: BTreeMap<String, Result<(String, String), String>>,
}

impl Found {
    fn hash(&self, path: &str) -> (String, String) {
        match self.hashes.get(path) {
            Some(Ok(h)) => h.clone(),
            other => panic!("{path}: {other:?}; found {:?}", self.items.keys()),
        }
    }
    fn deleted(&self, path: &str) -> bool {
        self.items[path].location.as_ref().unwrap().deleted
    }
    fn unreadable(&self, path: &str) -> String {
        match &self.items.get(path).map(|i| &i.kind) {
            Some(ItemKind::Unreadable { failure }) => failure.message.clone(),
            other => panic!("{path} should be unreadable, is {other:?}"),
        }
    }
}

fn scan(path: &Path) -> Found {
    let source = open_evidence(path).unwrap();
    scan_source(source.as_ref(), path)
}

/// Enumerates, then reads every file from several threads at once, like the scan does.
fn scan_source(source: &dyn EvidenceSource, path: &Path) -> Found {
    let list = source.enumerate(&AtomicBool::new(false)).unwrap();
    let prefix = format!("{}/", path.display());
    let rel = |i: &EvidenceItem| i.path.lossy().strip_prefix(&prefix).unwrap().to_string();
    let files: Vec<&EvidenceItem> = list
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::File { .. }))
        .collect();
    let hashes = std::thread::scope(|s| {
        let chunks: Vec<_> = files
            .chunks(files.len().div_ceil(4).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|i| (rel(i), read(source, i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        chunks.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let items = list.iter().map(|i| (rel(i), i.clone())).collect();
    Found { items, hashes }
}

fn read(source: &dyn EvidenceSource, item: &EvidenceItem) -> Result<(String, String), String> {
    let mut bytes = Vec::new();
    let mut reader = source.open(item).map_err(|e| e.to_string())?;
    reader.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    let ItemKind::File { size } = item.kind else {
        unreachable!()
    };
    assert_eq!(bytes.len() as u64, size, "{}", item.path);
    let d = FileDigests::of(&bytes);
    Ok((hex::encode(d.md5), hex::encode(d.sha256)))
}

/// Runs `f` on another thread and fails the test if it takes longer than a minute.
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("scan hung (or panicked) on a damaged image")
}

/// (image, where the manifest's `sub/x` lives, prefix of paths inside the image).
const IMAGES: &[(&str, &str, &str)] = &[
    ("fat32_mbr.raw", "sub/", "p1/"),
    ("fat32_mbr.E01", "sub/", "p1/"),
    ("ntfs.raw", "sub_", ""),
    ("ntfs_split.001", "sub_", ""),
    ("ext4_gpt.raw", "sub/", "p1/"),
    ("ext4_gpt.E01", "sub/", "p1/"),
];

#[test]
fn every_manifest_file_is_found_with_its_hashes() {
    let Some(dir) = images::dir() else { return };
    let manifest = images::manifest(dir);
    for (image, sub, prefix) in IMAGES {
        let found = scan(&dir.join(image));
        let mut checked = 0;
        for m in manifest.iter().filter(|m| m.path != "deleted_me.jpg") {
            let path = format!("{prefix}{}", m.path.replacen("sub/", sub, 1));
            assert_eq!(
                found.hash(&path),
                (m.md5.clone(), m.sha256.clone()),
                "{image} {path}"
            );
            assert!(!found.deleted(&path), "{image} {path}");
            assert_eq!(found.items[&path].kind, ItemKind::File { size: m.size });
            checked += 1;
        }
        assert_eq!(checked, 8, "{image}");
    }
}

#[test]
fn deleted_jpeg_is_recovered_from_fat_and_ext4() {
    let Some(dir) = images::dir() else { return };
    let m = images::manifest(dir);
    let jpeg = m.iter().find(|m| m.path == "deleted_me.jpg").unwrap();
    for (image, recovered) in [
        ("fat32_mbr.raw", true),
        ("fat32_mbr.E01", true),
        ("ext4_gpt.raw", false),
        ("ext4_gpt.E01", false),
    ] {
        let found = scan(&dir.join(image));
        let path = "p1/deleted_me.jpg";
        assert_eq!(
            found.hash(path),
            (jpeg.md5.clone(), jpeg.sha256.clone()),
            "{image}"
        );
        let loc = found.items[path].location.clone().unwrap();
        assert!(loc.deleted, "{image}");
        assert_eq!(loc.recovered, recovered, "{image}");
        assert_eq!(loc.partition, Some(1));
        assert_eq!(loc.partition_offset, 2048 * 512);
    }
}

#[test]
fn locations_name_partition_filesystem_and_inode() {
    let Some(dir) = images::dir() else { return };
    let ntfs = scan(&dir.join("ntfs.raw"));
    let loc = ntfs.items["noise.jpg"].location.clone().unwrap();
    assert_eq!(
        (loc.partition, &*loc.filesystem, loc.inode),
        (None, "ntfs", Some(67))
    );
    let ext = scan(&dir.join("ext4_gpt.raw"));
    let loc = ext.items["p1/sub/stripes.png"].location.clone().unwrap();
    assert_eq!((loc.partition, &*loc.filesystem), (Some(1), "ext4"));
    assert!(loc.inode.is_some());
    let fat = scan(&dir.join("fat32_mbr.raw"));
    assert_eq!(
        fat.items["p1/noise.jpg"]
            .location
            .as_ref()
            .unwrap()
            .filesystem,
        "fat32"
    );
    // The JSON field the report renders.
    let json = serde_json::to_value(&loc).unwrap();
    assert_eq!(json["filesystem"], "ext4");
}

/// Regular files `fls -r -p` lists, with their deleted flag (`r/r`, and `-/r` for a deleted
/// NTFS record whose directory entry no longer gives the type); metadata (`$…`), volume
/// labels and `$OrphanFiles` (entries found only in unallocated space) left out.
fn fls(image: &Path, offset: u64) -> BTreeSet<(String, bool)> {
    let out = Command::new("fls")
        .args(["-r", "-p", "-o", &offset.to_string()])
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success(), "fls {}", image.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (meta, name) = l.split_once('\t')?;
            let regular = meta.starts_with("r/r") || meta.starts_with("-/r");
            let skip = name.starts_with('$') || name.contains("(Volume Label Entry)");
            (regular && !skip).then(|| (name.to_string(), meta.contains('*')))
        })
        .collect()
}

fn ours(found: &Found, prefix: &str) -> BTreeSet<(String, bool)> {
    found
        .items
        .iter()
        .filter(|(_, i)| matches!(i.kind, ItemKind::File { .. }))
        .map(|(p, _)| {
            (
                p.strip_prefix(prefix).unwrap().to_string(),
                found.deleted(p),
            )
        })
        .collect()
}

fn tsk_available() -> bool {
    if images::have("fls") && images::have("icat") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install sleuthkit"
    );
    eprintln!("NOTICE: fls not installed: skipping the Sleuth Kit comparison");
    false
}

#[test]
fn file_lists_equal_the_sleuth_kit() {
    let Some(dir) = images::dir() else { return };
    if !tsk_available() {
        return;
    }
    for (image, _, prefix) in IMAGES {
        let offset = if prefix.is_empty() { 0 } else { 2048 };
        let found = scan(&dir.join(image));
        assert_eq!(
            ours(&found, prefix),
            fls(&dir.join(image), offset),
            "{image}"
        );
    }
}

#[test]
fn exfat_sample_matches_the_sleuth_kit_including_deleted_files() {
    let Some(dir) = images::dir() else { return };
    let image = dir.join("fs.exfat");
    let found = scan(&image);
    let listed = ours(&found, "p1/");
    assert_eq!(listed.len(), 36);
    assert_eq!(listed.iter().filter(|(_, d)| *d).count(), 18);
    if !tsk_available() {
        return;
    }
    assert_eq!(listed, fls(&image, 2048));
    // Content of every deleted file equals what icat recovers (by TSK's inode number).
    let out = Command::new("fls")
        .args(["-r", "-p", "-d", "-o", "2048"])
        .arg(&image)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut compared = 0;
    for line in text.lines().filter(|l| l.starts_with("r/r * ")) {
        let (meta, name) = line.split_once('\t').unwrap();
        let inode = meta.trim_start_matches("r/r * ").trim_end_matches(':');
        let bytes = Command::new("icat")
            .args(["-o", "2048"])
            .arg(&image)
            .arg(inode)
            .output()
            .unwrap()
            .stdout;
        let expected = hex::encode(FileDigests::of(&bytes).sha256);
        assert_eq!(found.hash(&format!("p1/{name}")).1, expected, "{name}");
        compared += 1;
    }
    assert_eq!(compared, 18);
}

#[test]
fn verify_image_computes_and_compares_media_hashes() {
    let Some(dir) = images::dir() else { return };
    let stop = AtomicBool::new(false);
    let raw_md5 = |p: &str| hex::encode(FileDigests::of(&std::fs::read(dir.join(p)).unwrap()).md5);
    let e01 = verify_image(&dir.join("fat32_mbr.E01"), EvidenceType::Auto, &stop).unwrap();
    assert_eq!(e01.format, "ewf");
    assert_eq!(e01.md5_matches, Some(true));
    assert_eq!(e01.sha1_matches, Some(true));
    assert_eq!(e01.md5.as_deref(), Some(raw_md5("fat32_mbr.raw").as_str()));
    let multi = verify_image(&dir.join("ext4_gpt.E01"), EvidenceType::Auto, &stop).unwrap();
    assert_eq!(multi.md5_matches, Some(true));
    assert_eq!(multi.md5.as_deref(), Some(raw_md5("ext4_gpt.raw").as_str()));
    let split = verify_image(&dir.join("ntfs_split.001"), EvidenceType::Auto, &stop).unwrap();
    assert_eq!((split.format, split.md5_matches), ("split_raw", None));
    assert_eq!(split.md5.as_deref(), Some(raw_md5("ntfs.raw").as_str()));
    assert_eq!(split.bytes_hashed, 8 << 20);
}

/// What `scan --verify-image` runs beside the file scan: the source's own reader, while the
/// files are read from it on other threads, gives what `verify_image` gives; a directory
/// has no media; a stop mid-way leaves no digests and says where it stopped.
#[test]
fn verify_media_runs_beside_the_file_scan() {
    let Some(dir) = images::dir() else { return };
    let stop = AtomicBool::new(false);
    for image in ["ext4_gpt.E01", "ntfs_split.001", "fat32_mbr.raw"] {
        let path = dir.join(image);
        let source = open_evidence(&path).unwrap();
        let (verified, found) = std::thread::scope(|scope| {
            let verifying = scope.spawn(|| source.verify_media(&stop));
            let found = scan_source(source.as_ref(), &path);
            (verifying.join().unwrap(), found)
        });
        let alone = verify_image(&path, EvidenceType::Auto, &stop).unwrap();
        assert_eq!(verified, Some(alone), "{image}");
        assert!(!found.hashes.is_empty(), "{image}");
    }
    assert_eq!(
        open_evidence(&dir.join("pics"))
            .unwrap()
            .verify_media(&stop),
        None
    );
    let stopped = open_evidence(&dir.join("fat32_mbr.raw"))
        .unwrap()
        .verify_media(&AtomicBool::new(true))
        .unwrap();
    assert_eq!(stopped.read_error.as_deref(), Some("interrupted at byte 0"));
    assert_eq!((stopped.md5, stopped.bytes_hashed), (None, 0));
}

#[test]
fn evidence_type_is_detected_or_forced() {
    let Some(dir) = images::dir() else { return };
    let kind = |p: &str, t| open_evidence_as(&dir.join(p), t).unwrap().info().kind;
    assert_eq!(kind("fat32_mbr.raw", EvidenceType::Auto), "raw");
    assert_eq!(kind("ntfs_split.001", EvidenceType::Auto), "split_raw");
    assert_eq!(kind("ext4_gpt.E01", EvidenceType::Auto), "ewf");
    assert_eq!(kind("fat32_mbr.raw", EvidenceType::File), "file");
    assert_eq!(kind("pics/checker.jpg", EvidenceType::Auto), "file");
    // Not a disk image hashsweep reads (ISO9660): scanned as one file, as before.
    assert_eq!(kind("test.iso", EvidenceType::Auto), "file");
    assert_eq!(kind("pics", EvidenceType::Auto), "directory");
    assert!(open_evidence_as(&dir.join("pics"), EvidenceType::Raw).is_err());
    let forced = open_evidence_as(&dir.join("test.iso"), EvidenceType::Raw).unwrap();
    let items = forced.enumerate(&AtomicBool::new(false)).unwrap();
    // The whole image is one unsupported item; the pictures carved from it come beside it.
    let (carved, rest): (Vec<_>, Vec<_>) = items
        .iter()
        .partition(|i| i.location.as_ref().is_some_and(|l| l.carved.is_some()));
    assert!(
        matches!(&rest[..], [i] if matches!(&i.kind, ItemKind::Skipped { reason } if reason.code() == "unsupported_partition"))
    );
    assert!(carved.iter().all(|i| i.path.lossy().contains("/$Carved/")));
}

/// A private copy of some images for corruption.
fn copy(dir: &Path, names: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let paths = names
        .iter()
        .map(|n| {
            let to = tmp.path().join(n);
            std::fs::copy(dir.join(n), &to).unwrap();
            to
        })
        .collect();
    (tmp, paths)
}

fn patch(path: &Path, offset: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(bytes, offset).unwrap();
}

fn le(path: &Path, offset: u64, n: usize) -> u64 {
    use std::os::unix::fs::FileExt;
    let mut b = [0u8; 8];
    std::fs::File::open(path)
        .unwrap()
        .read_exact_at(&mut b[..n], offset)
        .unwrap();
    u64::from_le_bytes(b)
}

#[test]
fn zeroed_mft_record_is_a_per_file_error() {
    let Some(dir) = images::dir() else { return };
    let (_tmp, paths) = copy(dir, &["ntfs.raw"]);
    let img = paths[0].clone();
    let cluster = le(&img, 0x0B, 2) * le(&img, 0x0D, 1);
    let mft = le(&img, 0x30, 8) * cluster;
    patch(&img, mft + 67 * 1024, &[0u8; 1024]); // noise.jpg
    let found = within_a_minute(move || scan(&img));
    assert!(found.unreadable("noise.jpg").contains("MFT record 67"));
    // Its clusters are no longer owned by a listed file, so carving may find them again.
    let listed = |p: &&String| !p.starts_with("$Carved/");
    let readable = found.hashes.iter().filter(|(p, h)| listed(p) && h.is_ok());
    assert_eq!(readable.count(), 7);
}

#[test]
fn cyclic_fat_chain_is_a_per_file_error() {
    let Some(dir) = images::dir() else { return };
    let (_tmp, paths) = copy(dir, &["fat32_mbr.raw"]);
    let img = paths[0].clone();
    let part = 2048 * 512;
    let reserved = le(&img, part + 0x0E, 2);
    let fats = le(&img, part + 0x10, 1);
    let fat_sectors = le(&img, part + 0x24, 4);
    let data_start = part + (reserved + fats * fat_sectors) * 512;
    let clean = scan(&img);
    let first = clean.items["p1/noise.jpg"]
        .location
        .as_ref()
        .unwrap()
        .data_offset
        .unwrap();
    let c = (first - data_start) / 512 + 2;
    // noise.jpg's second cluster points back to its first.
    patch(
        &img,
        part + reserved * 512 + (c + 1) * 4,
        &(c as u32).to_le_bytes(),
    );
    let found = within_a_minute(move || scan(&img));
    assert!(found.unreadable("p1/noise.jpg").contains("cyclic"));
    assert!(found.hashes["p1/checker.jpg"].is_ok());
}

#[test]
fn ext4_directory_loop_is_reported_not_followed() {
    let Some(dir) = images::dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let vol = tmp.path().join("ext4.part");
    let status = Command::new("dd")
        .arg(format!("if={}", dir.join("ext4_gpt.raw").display()))
        .arg(format!("of={}", vol.display()))
        .args(["bs=512", "skip=2048", "count=28672", "status=none"])
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("debugfs")
        .args(["-w", "-R", "link /sub /sub/loop"])
        .arg(&vol)
        .output()
        .unwrap();
    assert!(status.status.success());
    let v = vol.clone();
    let found = within_a_minute(move || scan(&v));
    assert!(found.unreadable("sub/loop").contains("directory loop"));
    assert!(found.hashes["sub/stripes.png"].is_ok());
}

#[test]
fn truncated_e01_segment_gives_errors_not_a_hang() {
    let Some(dir) = images::dir() else { return };
    let names: Vec<String> = (1..=17).map(|i| format!("ext4_gpt.E{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_tmp, paths) = copy(dir, &names);
    // Cut segment 7 (which holds the files' data, 6 MiB in) in half.
    let seg = &paths[6];
    let len = std::fs::metadata(seg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(seg)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let first = paths[0].clone();
    let outcome = within_a_minute(move || match open_evidence(&first) {
        Err(e) => Err(e.to_string()),
        Ok(source) => Ok(scan_source(source.as_ref(), &first)),
    });
    match outcome {
        // Refused as a whole, naming the image: a per-evidence error.
        Err(message) => assert!(message.contains("ext4_gpt.E01"), "{message}"),
        // Or read as far as it goes: some file or the partition is reported unreadable.
        Ok(found) => {
            let errors = found.hashes.values().filter(|h| h.is_err()).count()
                + found
                    .items
                    .values()
                    .filter(|i| matches!(i.kind, ItemKind::Unreadable { .. }))
                    .count();
            assert!(errors > 0);
        }
    }
}

#[test]
fn images_are_bit_identical_after_the_scan() {
    let Some(dir) = images::dir() else { return };
    let fingerprint = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(p).unwrap();
        (
            FileDigests::of(&std::fs::read(p).unwrap()).sha256,
            meta.len(),
            (meta.mtime(), meta.mtime_nsec()),
            (meta.ctime(), meta.ctime_nsec()),
        )
    };
    let mut images: Vec<&str> = IMAGES.iter().map(|(image, _, _)| *image).collect();
    images.push("fs.exfat");
    for image in images {
        let path = dir.join(image);
        // Every file the image is made of: all E01 segments, all split pieces.
        let files: Vec<PathBuf> = open_evidence(&path)
            .unwrap()
            .info()
            .files
            .into_iter()
            .map(|f| f.path)
            .collect();
        assert!(!files.is_empty(), "{image}");
        let before: Vec<_> = files.iter().map(|f| fingerprint(f)).collect();
        scan(&path);
        verify_image(&path, EvidenceType::Auto, &AtomicBool::new(false)).unwrap();
        let after: Vec<_> = files.iter().map(|f| fingerprint(f)).collect();
        assert_eq!(after, before, "{image}");
    }
}

/// Throughput on a large image: `HASHSWEEP_BENCH_IMAGE=/path/disk.raw cargo test --release
/// --test integration disk_images -- --ignored --nocapture throughput`. Files are read by
/// four threads (as the scan's pool does); then `verify_image` reads the whole image once.
#[test]
#[ignore = "needs HASHSWEEP_BENCH_IMAGE and a release build"]
fn throughput() {
    let Some(path) = std::env::var_os("HASHSWEEP_BENCH_IMAGE").map(PathBuf::from) else {
        return;
    };
    let t = std::time::Instant::now();
    let source = open_evidence(&path).unwrap();
    let listed = source.enumerate(&AtomicBool::new(false)).unwrap();
    let walk = t.elapsed();
    let found = scan_source(source.as_ref(), &path);
    let files = t.elapsed() - walk;
    let bytes: u64 = listed
        .iter()
        .map(|i| match i.kind {
            ItemKind::File { size } => size,
            _ => 0,
        })
        .sum();
    let t = std::time::Instant::now();
    let v = verify_image(&path, EvidenceType::Auto, &AtomicBool::new(false)).unwrap();
    let verify = t.elapsed();
    let mb = |n: u64, d: Duration| n as f64 / 1e6 / d.as_secs_f64();
    eprintln!(
        "{} files, {bytes} bytes: walk {walk:?}, read+hash {files:?} = {:.0} MB/s; \
         verify {} bytes {verify:?} = {:.0} MB/s",
        found.hashes.len(),
        mb(bytes, files),
        v.bytes_hashed,
        mb(v.bytes_hashed, verify),
    );
}

/// Through the binary, as an examiner runs it: a good E01 and a multi-segment E01 with a
/// truncated segment in one scan, with `--verify-image`. The good image's files (the
/// deleted JPEG too) are matched with their locations, the damaged image is one failure
/// naming it while the scan goes on, and the header and manifest identify both images by
/// every segment file.
#[test]
fn scan_of_disk_images_through_the_binary() {
    let Some(dir) = images::dir() else { return };
    let manifest = images::manifest(dir);
    let mut names: Vec<String> = vec!["fat32_mbr.E01".into()];
    names.extend((1..=17).map(|i| format!("ext4_gpt.E{i:02}")));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (tmp, paths) = copy(dir, &names);
    let cut = &paths[7]; // ext4_gpt.E07
    let len = std::fs::metadata(cut).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(cut)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let list: String = manifest
        .iter()
        .map(|m| {
            format!(
                "{{\"algorithm\":\"md5\",\"hash\":\"{}\",\"id\":\"{}\",\"category\":\"1\"}}\n",
                m.md5, m.path
            )
        })
        .collect();
    let list_path = tmp.path().join("list.jsonl");
    std::fs::write(&list_path, list).unwrap();
    let report = tmp.path().join("out").join("report.jsonl");
    std::fs::create_dir(report.parent().unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .arg("scan")
        .arg(&paths[0])
        .arg(&paths[1])
        .arg("--list")
        .arg(&list_path)
        .args(["--verify-image", "-q", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let header = &recs[0];
    assert_eq!(header["evidence"][0]["kind"], "ewf");
    assert_eq!(header["evidence"][0]["files"].as_array().unwrap().len(), 1);
    assert!(header["evidence"][0]["stored_hashes"]["md5"].is_string());
    assert_eq!(header["evidence"][1]["kind"], "unreadable_image");
    // The damaged image has no media to hash: it is the one failure in the summary.
    assert_eq!(header["evidence_verification"].as_array().unwrap().len(), 1);
    let verification = &header["evidence_verification"][0];
    assert_eq!(verification["evidence"], 0);
    assert_eq!(verification["md5_matches"], true, "{verification}");

    let prefix = format!("{}/", paths[0].display());
    let matched: BTreeMap<String, &serde_json::Value> = recs
        .iter()
        .filter(|r| r["record"] == "match")
        .map(|r| {
            let p = r["path"].as_str().unwrap();
            (p.strip_prefix(&prefix).unwrap().to_string(), r)
        })
        .collect();
    let expected: BTreeSet<String> = manifest.iter().map(|m| format!("p1/{}", m.path)).collect();
    assert_eq!(matched.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let deleted = &matched["p1/deleted_me.jpg"];
    assert_eq!(deleted["hits"][0]["entry_id"], "deleted_me.jpg");
    let loc = &deleted["location"];
    assert_eq!(
        (
            &loc["partition"],
            &loc["partition_offset"],
            &loc["filesystem"],
            &loc["deleted"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(2048 * 512),
            &serde_json::json!("fat32"),
            &serde_json::json!(true)
        )
    );
    assert!(loc["data_offset"].as_u64().unwrap() > 2048 * 512);

    let failures: Vec<&serde_json::Value> =
        recs.iter().filter(|r| r["record"] == "failure").collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["evidence"], 1);
    let error = failures[0]["error"].as_str().unwrap();
    assert_eq!(failures[0]["failure_kind"], "open");
    assert!(
        error.contains("cannot read image") && error.contains("truncated"),
        "{error}"
    );
    let summary = recs.last().unwrap();
    assert_eq!(summary["by_evidence"][1]["failed"], 1);
    assert_eq!(summary["by_evidence"][1]["files_seen"], 1);
    assert_eq!(summary["matched"], manifest.len());

    // The manifest sizes every image by all its segment files.
    let manifest_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("out/report.jsonl.manifest.json")).unwrap(),
    )
    .unwrap();
    let e01_size = std::fs::metadata(&paths[0]).unwrap().len();
    assert_eq!(manifest_json["evidence"][0]["size"], e01_size);
    assert!(manifest_json["evidence"][0]["stored_hashes"]["md5"].is_string());
}

/// A split or multi-segment image is identified by every file it is made of.
#[test]
fn image_identity_lists_every_segment() {
    let Some(dir) = images::dir() else { return };
    for (image, segments) in [("ext4_gpt.E01", 17), ("ntfs_split.001", 2), ("ntfs.raw", 1)] {
        let info = open_evidence(&dir.join(image)).unwrap().info();
        let names: Vec<String> = info
            .files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), segments, "{image}: {names:?}");
        assert_eq!(names[0], image);
        for f in &info.files {
            assert_eq!(f.size, std::fs::metadata(&f.path).unwrap().len());
        }
        let media = info.media_size.unwrap();
        if image == "ntfs_split.001" || image == "ntfs.raw" {
            assert_eq!(media, info.files.iter().map(|f| f.size).sum::<u64>());
        }
        assert_eq!(
            info.stored_hashes.is_some(),
            image.ends_with(".E01"),
            "{image}"
        );
    }
}

/// The NTFS image built through FUSE (make_test_images.sh, TRY_FUSE): a sub-directory and a
/// deleted file. The deleted JPEG's MFT record is no longer in use but its data is intact:
/// it is found, flagged deleted, with its MFT record number and the manifest's hashes, and
/// the whole file list equals The Sleuth Kit's, deleted entry included.
#[test]
fn ntfs_deleted_file_is_recovered_and_agrees_with_the_sleuth_kit() {
    let Some(dir) = images::dir() else { return };
    let image = dir.join("ntfs_fuse.raw");
    if !image.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI builds ntfs_fuse.raw (root and /dev/fuse)"
        );
        eprintln!("NOTICE: ntfs_fuse.raw not built (no FUSE here): skipped");
        return;
    }
    let manifest = images::manifest(dir);
    let found = scan(&image);
    for m in &manifest {
        assert_eq!(
            found.hash(&m.path),
            (m.md5.clone(), m.sha256.clone()),
            "{}",
            m.path
        );
        assert_eq!(
            found.deleted(&m.path),
            m.path == "deleted_me.jpg",
            "{}",
            m.path
        );
    }
    let deleted = found.items["deleted_me.jpg"].location.clone().unwrap();
    assert_eq!(deleted.filesystem, "ntfs");
    assert_eq!(
        deleted.inode,
        Some(68),
        "MFT record, as fls numbers it (68-128-2)"
    );
    if tsk_available() {
        assert_eq!(ours(&found, ""), fls(&image, 0));
    }
}

/// Partition layouts and containers beyond the shared images, built here with the same
/// tools: an MBR with an extended partition (logical partitions p5, p6), a GPT with three
/// partitions, an unsupported (empty Linux) partition in each, and a compressed E01 of the
/// MBR disk cut into two 1 MiB segments. Every file is found in its partition with its
/// hashes; each unsupported partition is listed as skipped with its type and size.
#[test]
fn extended_mbr_multi_partition_gpt_and_compressed_segments() {
    if images::dir().is_none() {
        return; // the notice says which tool is missing
    }
    let tmp = tempfile::tempdir().unwrap();
    let at = |n: &str| tmp.path().join(n);
    let sh = |script: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(tmp.path())
            .env("MTOOLS_SKIP_CHECK", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut rng = hashsweep::synth::SplitMix64::new(2026);
    let big: Vec<u8> = (0..1_500_000).map(|_| rng.next_u64() as u8).collect();
    std::fs::write(at("big.bin"), &big).unwrap();
    std::fs::write(at("small.txt"), b"hello from a logical partition\n").unwrap();
    sh("truncate -s 8M mbr.img && \
        printf 'label: dos\\nstart=2048, size=4096, type=c\\nstart=6144, size=10240, type=5\\n\
start=8192, size=4096, type=c\\nstart=14336, size=2048, type=83\\n' | sfdisk -q mbr.img && \
        mkfs.fat --offset 2048 mbr.img 2048 && mkfs.fat --offset 8192 mbr.img 2048 && \
        mcopy -i mbr.img@@1M big.bin ::/ && mcopy -i mbr.img@@4M small.txt ::/");
    sh("truncate -s 8M gpt.img && sgdisk -o gpt.img && \
        sgdisk -n 1:2048:6143 -t 1:0700 -n 2:6144:10239 -t 2:0700 -n 3:10240:12287 -t 3:8300 \
          gpt.img && \
        mkfs.fat --offset 2048 gpt.img 2048 && mkfs.fat --offset 6144 gpt.img 2048 && \
        mcopy -i gpt.img@@1M small.txt ::/a.txt && mcopy -i gpt.img@@3M big.bin ::/b.bin");
    sh(
        "ewfacquirestream -q -t seg -c deflate:fast -S 1048576 -C case -D desc -e examiner \
        -E evidence -N notes < mbr.img",
    );
    assert!(at("seg.E02").is_file(), "the E01 should span two segments");

    let md5 = |b: &[u8]| hex::encode(FileDigests::of(b).md5);
    let small = std::fs::read(at("small.txt")).unwrap();
    let mbr_files = [("p1/big.bin", md5(&big)), ("p5/small.txt", md5(&small))];
    let gpt_files = [("p1/a.txt", md5(&small)), ("p2/b.bin", md5(&big))];
    for (image, files, skipped, detail) in [
        (
            "mbr.img",
            &mbr_files,
            "p6",
            "partition type mbr 0x83 (Linux), 1048576 bytes",
        ),
        (
            "seg.E01",
            &mbr_files,
            "p6",
            "partition type mbr 0x83 (Linux), 1048576 bytes",
        ),
        (
            "gpt.img",
            &gpt_files,
            "p3",
            "partition type gpt 0fc63daf-8483-4772-8e79-3d69d8477de4 (Linux data), 1048576 bytes",
        ),
    ] {
        let found = scan(&at(image));
        let listed: BTreeSet<&str> = found
            .items
            .iter()
            .filter(|(_, i)| matches!(i.kind, ItemKind::File { .. }))
            .map(|(p, _)| p.as_str())
            .collect();
        let want: BTreeSet<&str> = files.iter().map(|(p, _)| *p).collect();
        assert_eq!(listed, want, "{image}");
        for (path, hash) in files.iter() {
            assert_eq!(&found.hash(path).0, hash, "{image} {path}");
        }
        match &found.items[skipped].kind {
            ItemKind::Skipped { reason } => {
                assert_eq!(reason.code(), "unsupported_partition");
                assert_eq!(reason.detail().as_deref(), Some(detail), "{image}");
            }
            other => panic!("{image} {skipped}: {other:?}"),
        }
    }
    // Spilled item by item, or two at a time (finished partitions then share one run held
    // in memory, the rest spilled), the records are those of a listing held whole.
    for image in ["mbr.img", "seg.E01", "gpt.img"] {
        let hash = |run_items: &str| {
            Command::new(env!("CARGO_BIN_EXE_hashsweep"))
                .args(["hash", "--no-video", "--perceptual", "none", "-q"])
                .arg(at(image))
                .env("HASHSWEEP_LISTING_RUN_ITEMS", run_items)
                .output()
                .unwrap()
                .stdout
        };
        let whole = hash("1000000000");
        // Two files and the skipped partition.
        let lines = String::from_utf8_lossy(&whole).lines().count();
        assert_eq!(lines, 3, "{image}");
        assert!(hash("1") == whole, "{image}: spilled item by item");
        assert!(hash("2") == whole, "{image}: two items a run");
    }
}

/// An LZNT1-compressed NTFS file (written through an ntfs-3g FUSE mount into a folder marked
/// compressed) is hashed decompressed, never as the raw compressed clusters, and flagged
/// `compressed`; an ordinary file beside it is hashed. (tests/ntfs_windows.rs has the rest.)
#[test]
fn ntfs_compressed_file_is_hashed_decompressed() {
    if images::dir().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("compressed.ntfs");
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let script = format!(
        "truncate -s 8M {img} && mkntfs -q -F -Q -s 512 -c 4096 {img} && \
         ntfs-3g -o compression {img} {mnt} && mkdir {mnt}/comp && \
         setfattr -n system.ntfs_attrib_be -v 0x00000810 {mnt}/comp && \
         python3 -c \"print('compress me ' * 20000)\" > {mnt}/comp/text.txt && \
         printf 'plain file\\n' > {mnt}/plain.txt && sync; umount {mnt}",
        img = image.display(),
        mnt = mnt.display()
    );
    let built = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    if !built.status.success() || !image.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI builds the compressed NTFS image: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        eprintln!("NOTICE: no FUSE/setfattr here: compressed NTFS test skipped");
        return;
    }
    let found = scan(&image);
    let text = format!("{}\n", "compress me ".repeat(20000));
    assert_eq!(
        found.hash("comp/text.txt").0,
        hex::encode(FileDigests::of(text.as_bytes()).md5)
    );
    assert!(
        found.items["comp/text.txt"]
            .location
            .as_ref()
            .unwrap()
            .compressed
    );
    assert_eq!(
        found.hash("plain.txt").0,
        hex::encode(FileDigests::of(b"plain file\n").md5)
    );
}
