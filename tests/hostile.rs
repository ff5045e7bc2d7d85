//! Forensic soundness under hostile input: a generated corpus of corrupt, truncated,
//! crafted and odd files, scanned by the binary as an unprivileged user. Every case must
//! land in its bucket with its reason, the accounting must balance in total and per
//! evidence source, peak memory must stay bounded, and the evidence must be left exactly
//! as it was (content, sizes, modes, mtimes, ctimes and atimes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{Cursor, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use hashsweep::algorithm::Algorithm;
use hashsweep::digest::FileDigests;
use hashsweep::evidence::{
    DirectorySource, EvidenceError, EvidenceItem, EvidenceSource, SourceInfo,
};
use hashsweep::listing::Listing;
use hashsweep::matcher::{Matcher, Thresholds};
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
use hashsweep::progress::Progress;
use hashsweep::scan::{Outcome, ScanOptions, Scanner};
use hashsweep::synth::{jpeg_bytes, picture, png_bytes, Pattern};
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::{json, Value};

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn encoded(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

fn md5_entry(content: &[u8], id: &str) -> String {
    let md5 = hex::encode(FileDigests::of(content).md5);
    format!("{}\n", json!({"algorithm": "md5", "hash": md5, "id": id}))
}

/// A PNG whose header declares `w`×`h` pixels, with no pixel data behind it.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = png::Encoder::new(&mut out, w, h);
    drop(encoder.write_header().unwrap());
    out
}

/// A real JPEG whose frame header (SOF0) is patched to declare 60000×60000 pixels (within
/// what libjpeg-turbo accepts, 10.8 GB of pixels).
fn jpeg_declaring_huge_size() -> Vec<u8> {
    let mut jpeg = jpeg_bytes(&picture(Pattern::Gradient, 64, 48, 3), 80);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    jpeg
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = hashsweep::synth::SplitMix64::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

const NON_UTF8_NAME: &[u8] = b"caf\xe9-\xff.bin";
/// A name that would retitle the terminal, clear it and forge a line of the summary.
const ESCAPE_NAME: &str = "esc-\u{1b}]0;pwned\u{7}\u{1b}[2J\nhashsweep: no match.bin";
const DEEP_LEVELS: usize = 60;

/// Builds the corpus under `ev` and returns the alert list's text.
fn build_corpus(ev: &Path, outside: &Path) -> String {
    let pic = picture(Pattern::Shapes, 160, 120, 7);
    for (name, format) in [
        ("trunc.jpg", ImageFormat::Jpeg),
        ("trunc.png", ImageFormat::Png),
        ("trunc.gif", ImageFormat::Gif),
        ("trunc.webp", ImageFormat::WebP),
    ] {
        let bytes = encoded(&pic, format);
        write(&ev.join("truncated").join(name), &bytes[..bytes.len() / 2]);
    }
    write(&ev.join("empty.bin"), b"");
    write(&ev.join("tiny/1x1.png"), &png_bytes(&RgbImage::new(1, 1)));
    write(
        &ev.join("tiny/1x100000.png"),
        &png_bytes(&picture(Pattern::Gradient, 1, 100_000, 2)),
    );
    write(
        &ev.join("bombs/100000x100000.png"),
        &png_header_only(100_000, 100_000),
    );
    write(
        &ev.join("bombs/60000x60000.jpg"),
        &jpeg_declaring_huge_size(),
    );
    for (name, magic) in [
        ("png", &b"\x89PNG\r\n\x1a\n"[..]),
        ("jpg", &b"\xff\xd8\xff\xe0"[..]),
        ("gif", &b"GIF89a"[..]),
        ("webp", &b"RIFF\x10\x00\x00\x00WEBPVP8 "[..]),
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend(noise(4096, name.len() as u64));
        write(&ev.join("magic").join(format!("random.{name}")), &bytes);
    }
    write(&ev.join("locked/no-read.bin"), b"cannot read me");
    fs::set_permissions(
        ev.join("locked/no-read.bin"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // Listable but not searchable (no x): names are seen, the file cannot be stat'ed.
    write(&ev.join("noexec/inside.bin"), b"behind a closed door");
    // Neither listable nor searchable.
    write(&ev.join("closed/hidden.bin"), b"never listed");
    fs::create_dir_all(ev.join("links")).unwrap();
    std::os::unix::fs::symlink("loop-b", ev.join("links/loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", ev.join("links/loop-b")).unwrap();
    std::os::unix::fs::symlink("..", ev.join("links/parent")).unwrap();
    write(&outside.join("secret.txt"), b"outside the evidence");
    std::os::unix::fs::symlink(outside.join("secret.txt"), ev.join("links/outside")).unwrap();
    let fifo = ev.join("special/fifo");
    fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Binding makes the socket file; it stays when the listener is dropped.
    drop(std::os::unix::net::UnixListener::bind(ev.join("special/socket")).unwrap());
    let weird = ev.join(OsStr::from_bytes(NON_UTF8_NAME));
    write(&weird, b"a name that is not UTF-8");
    write(&ev.join(ESCAPE_NAME), b"a name full of escape sequences");
    let mut deep = ev.join("deep");
    for level in 0..DEEP_LEVELS {
        deep = deep.join(format!("d{level:02}"));
    }
    write(&deep.join("bottom.bin"), b"at the bottom of a deep tree");
    write(&ev.join("fine.bin"), b"fine");

    // World-readable everything, then the locks.
    for entry in walk(ev) {
        let meta = fs::symlink_metadata(&entry).unwrap();
        if meta.file_type().is_dir() {
            fs::set_permissions(&entry, fs::Permissions::from_mode(0o755)).unwrap();
        } else if meta.file_type().is_file() && !entry.ends_with("locked/no-read.bin") {
            fs::set_permissions(&entry, fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    fs::set_permissions(ev.join("noexec"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(ev.join("closed"), fs::Permissions::from_mode(0o000)).unwrap();

    [
        md5_entry(b"fine", "FINE"),
        md5_entry(b"a name that is not UTF-8", "WEIRD"),
        md5_entry(b"a name full of escape sequences", "ESC"),
        md5_entry(b"at the bottom of a deep tree", "DEEP"),
        md5_entry(b"", "EMPTY"),
    ]
    .concat()
}

/// Every path below `root` (root included), not following links; as root, so locked
/// directories are walked too. Directories are listed with O_NOATIME: listing one moves
/// its atime otherwise, which would hide a scan that does.
fn walk(root: &Path) -> Vec<PathBuf> {
    use rustix::fs::{Dir, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::NOATIME;
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            let fd = rustix::fs::open(&p, flags, Mode::empty()).unwrap();
            let mut children: Vec<PathBuf> = Dir::new(fd)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_bytes().to_vec())
                .filter(|name| name != b"." && name != b"..")
                .map(|name| p.join(OsStr::from_bytes(&name)))
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// Runs the binary as `nobody` (root reads everything, which would hide the permission
/// cases), measuring peak RSS with /usr/bin/time.
fn scan_as_nobody(args: &[&OsStr], rss_file: &Path) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("hashsweep");
    let mut cmd = std::process::Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%M").arg("-o").arg(rss_file);
    if is_root() {
        cmd.args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]);
    }
    cmd.arg(bin).args(args).output().unwrap()
}

fn is_root() -> bool {
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&uid.stdout).trim() == "0"
}

fn tempdir_for_nobody() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `relative path -> (record kind, reason code or error)` of every per-file record.
fn buckets(recs: &[Value], ev: &Path) -> BTreeMap<String, (String, String)> {
    let prefix = format!("{}/", ev.display());
    recs.iter()
        .filter(|r| r["record"] != "header" && r["record"] != "summary")
        .map(|r| {
            let path = r["path"].as_str().unwrap();
            let rel = path.strip_prefix(&prefix).unwrap_or(path).to_string();
            let why = r["reason"]
                .as_str()
                .or(r["error"].as_str())
                .unwrap_or("")
                .to_string();
            (rel, (r["record"].as_str().unwrap().to_string(), why))
        })
        .collect()
}

#[test]
fn hostile_corpus_lands_every_file_in_its_bucket() {
    let dir = tempdir_for_nobody();
    let ev = dir.path().join("ev");
    let outside = dir.path().join("outside");
    let list_text = build_corpus(&ev, &outside);
    let list = dir.path().join("list.jsonl");
    write(&list, list_text.as_bytes());
    fs::set_permissions(&list, fs::Permissions::from_mode(0o644)).unwrap();
    let rss_file = dir.path().join("rss");
    let args: Vec<&OsStr> = vec![
        "scan".as_ref(),
        ev.as_os_str(),
        "--list".as_ref(),
        list.as_os_str(),
        "--threads".as_ref(),
        "2".as_ref(),
        // Links, device nodes and empty files are only counted unless asked for.
        "--list-skipped".as_ref(),
    ];
    let out = scan_as_nobody(&args, &rss_file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let recs = records(&out.stdout);
    let b = buckets(&recs, &ev);
    let failure = |why: &str| ("failure".to_string(), why.to_string());
    let skipped = |why: &str| ("skipped".to_string(), why.to_string());
    let matched = ("match".to_string(), String::new());
    let weird = String::from_utf8_lossy(NON_UTF8_NAME).into_owned();
    let deep: String = (0..DEEP_LEVELS).map(|l| format!("d{l:02}/")).collect();
    let expected: BTreeMap<String, (String, String)> = [
        (
            "bombs/100000x100000.png",
            failure("picture not decoded: picture exceeds decode limits"),
        ),
        (
            "bombs/60000x60000.jpg",
            failure("picture not decoded: picture exceeds decode limits"),
        ),
        ("closed", failure("cannot list directory")),
        (&format!("deep/{deep}bottom.bin")[..], matched.clone()),
        ("empty.bin", skipped("empty")),
        ("fine.bin", matched.clone()),
        ("links/loop-a", skipped("symlink")),
        ("links/loop-b", skipped("symlink")),
        ("links/outside", skipped("symlink")),
        ("links/parent", skipped("symlink")),
        (
            "locked/no-read.bin",
            failure("cannot open: Permission denied"),
        ),
        ("magic/random.gif", failure("picture not decoded")),
        ("magic/random.jpg", failure("picture not decoded")),
        ("magic/random.png", failure("picture not decoded")),
        ("magic/random.webp", failure("picture not decoded")),
        ("noexec/inside.bin", failure("cannot stat")),
        ("special/fifo", skipped("special_file")),
        ("special/socket", skipped("special_file")),
        (
            "tiny/1x100000.png",
            failure("picture not decoded: picture exceeds decode limits"),
        ),
        ("truncated/trunc.gif", failure("picture not decoded")),
        (
            "truncated/trunc.jpg",
            failure("picture not decoded: corrupt or truncated picture: truncated JPEG"),
        ),
        ("truncated/trunc.png", failure("picture not decoded")),
        ("truncated/trunc.webp", failure("picture not decoded")),
        (&weird[..], matched.clone()),
        (ESCAPE_NAME, matched.clone()),
    ]
    .into_iter()
    .map(|(p, (kind, why))| (p.to_string(), (kind, why)))
    .collect();
    let got: BTreeMap<String, (String, String)> = b
        .iter()
        .map(|(p, (kind, why))| {
            // Keep only the stable start of an error; the rest is the decoder's wording.
            let expected_why = expected.get(p).map(|(_, w)| w.as_str()).unwrap_or("");
            let why = if why.starts_with(expected_why) {
                expected_why.to_string()
            } else {
                why.clone()
            };
            (p.clone(), (kind.clone(), why))
        })
        .collect();
    assert_eq!(got, expected, "{stderr}");

    // The terminal summary shows the hostile name escaped: no raw control character at all.
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(stderr.contains("esc-\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nhashsweep: no match.bin"));

    // The non-UTF-8 name is reported losslessly.
    let weird_rec = recs
        .iter()
        .find(|r| r["hits"][0]["entry_id"] == "WEIRD")
        .unwrap();
    let raw = hex::decode(weird_rec["path_raw_hex"].as_str().unwrap()).unwrap();
    assert!(raw.ends_with(NON_UTF8_NAME));

    // Accounting: the hashed file without a hit (the 1x1 picture) has no record but is
    // counted; empty.bin (whose MD5 is on the list) has nothing to examine and no match.
    let s = recs.last().unwrap();
    assert_eq!(s["record"], "summary");
    let seen = s["files_seen"].as_u64().unwrap();
    let hashed = s["hashed"].as_u64().unwrap();
    let failed = s["failed"].as_u64().unwrap();
    let skipped_total: u64 = s["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!((seen, hashed, failed, skipped_total), (26, 5, 14, 7), "{s}");
    assert_eq!(seen, hashed + failed + skipped_total);
    assert_eq!(
        s["skipped"],
        json!({"symlink": 4, "special_file": 2, "empty": 1})
    );
    assert_eq!(s["nothing_to_examine"], s["skipped"]);
    assert_eq!(s["not_examined"], json!({}));
    assert_eq!(s["matched"], 4);
    // The 1x1 picture decodes (too small for PDQ, noted); 1x100000 is over the height
    // limit, like the bombs.
    assert_eq!(s["images"], 1);
    let by = s["by_evidence"].as_array().unwrap();
    assert_eq!(by.len(), 1);
    for key in [
        "files_seen",
        "hashed",
        "failed",
        "skipped",
        "matched",
        "bytes",
    ] {
        assert_eq!(by[0][key], s[key], "{key}");
    }

    // Bounded memory: the bombs are refused from their headers, nothing is held whole.
    let rss_kib: u64 = fs::read_to_string(&rss_file)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(rss_kib < 256 * 1024, "peak RSS {rss_kib} KiB");
    eprintln!("hostile corpus: peak RSS {rss_kib} KiB");
}

/// A file that grows and one that shrinks between listing and reading: both are hashed
/// as read, with a note saying the size changed, and the accounting still balances.
#[test]
fn files_that_change_size_while_scanned_are_noted() {
    struct Mutating {
        inner: DirectorySource,
        grow: PathBuf,
        shrink: PathBuf,
    }
    impl EvidenceSource for Mutating {
        fn info(&self) -> SourceInfo {
            self.inner.info()
        }
        fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
            let items = self.inner.enumerate(stop)?;
            // After the listing, before any read: what a live system does to a file.
            fs::write(&self.grow, vec![7u8; 5000]).unwrap();
            fs::write(&self.shrink, b"x").unwrap();
            Ok(items)
        }
        fn open(&self, item: &EvidenceItem) -> std::io::Result<Box<dyn Read + Send + '_>> {
            self.inner.open(item)
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let grow = dir.path().join("grow.bin");
    let shrink = dir.path().join("shrink.bin");
    fs::write(&grow, b"small").unwrap();
    fs::write(&shrink, vec![1u8; 4000]).unwrap();
    let source: Box<dyn EvidenceSource> = Box::new(Mutating {
        inner: DirectorySource::new(dir.path()),
        grow: grow.clone(),
        shrink: shrink.clone(),
    });
    let matcher = Matcher::new(Vec::new(), Thresholds::default()).unwrap();
    let options = ScanOptions {
        perceptual: PerceptualConfig::new(&[Algorithm::Pdq], DecodeLimits::default()),
        max_picture_bytes: 1 << 20,
        listing: Listing::EVERYTHING,
        dihedral: true,
        containers: None,
        video: None,
        alert_rule: Default::default(),
    };
    let stop = AtomicBool::new(false);
    let progress = Progress::default();
    let out = Scanner::new(&matcher, options, &stop, &progress)
        .scan(&[source])
        .unwrap();
    let notes: Vec<(u64, Vec<String>)> = out
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Hashed(h) => (h.bytes_read, h.notes.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                5000,
                vec!["size changed while reading: listed 5 bytes, read 5000".to_string()]
            ),
            (
                1,
                vec!["size changed while reading: listed 4000 bytes, read 1".to_string()]
            ),
        ]
    );
    assert_eq!(
        out.results[0].hashed().unwrap().digests,
        FileDigests::of(&[7u8; 5000])
    );
    assert!(out.summary.is_balanced());
    assert_eq!(out.summary.total.bytes, 5001);
}

/// Everything a scan could disturb, per path: type, mode, size, content hash, link
/// target, mtime, ctime and atime (nanoseconds).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    walk(root)
        .into_iter()
        .map(|p| {
            // A link's target first: reading it moves the link's atime, which the
            // metadata taken after it then holds (relatime moves it once, not again).
            let target = fs::read_link(&p).map(|t| t.display().to_string());
            let m = fs::symlink_metadata(&p).unwrap();
            let content = if m.file_type().is_file() {
                // O_NOATIME (we are the owner or root): taking the snapshot must not
                // move the atimes it records.
                let mut f = fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOATIME)
                    .open(&p)
                    .unwrap();
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).unwrap();
                hex::encode(FileDigests::of(&bytes).sha256)
            } else {
                target.unwrap_or_default()
            };
            let line = format!(
                "mode {:o} size {} content {content} mtime {}.{} ctime {}.{} atime {}.{}",
                m.mode(),
                m.size(),
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
                m.atime(),
                m.atime_nsec()
            );
            (p, line)
        })
        .collect()
}

/// The evidence is bit-for-bit and metadata-for-metadata what it was before the scan, and
/// nothing was created in it. Every atime (files, directories, links) is set far in the
/// past first, so that any read or listing without O_NOATIME would move it (relatime).
#[test]
fn a_scan_leaves_the_evidence_exactly_as_it_was() {
    if !is_root() {
        eprintln!("skipped: O_NOATIME on files we do not own needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let outside = dir.path().join("outside");
    let list_text = build_corpus(&ev, &outside);
    let list = dir.path().join("list.jsonl");
    write(&list, list_text.as_bytes());
    for p in walk(&ev) {
        let old = std::process::Command::new("touch")
            .args(["-a", "-h", "-d", "2001-01-01 00:00:00"])
            .arg(&p)
            .status()
            .unwrap();
        assert!(old.success());
    }
    let before = snapshot(&ev);
    let report = dir.path().join("report.jsonl");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("hashsweep"))
        .arg("scan")
        .arg(&ev)
        .arg("--list")
        .arg(&list)
        .arg("--journal")
        .arg(dir.path().join("scan.journal"))
        .arg("-o")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = snapshot(&ev);
    assert_eq!(before.len(), after.len(), "files were created or removed");
    for (path, was) in &before {
        assert_eq!(Some(was), after.get(path), "{} changed", path.display());
    }
}

/// A panic while a file is read or hashed (here: its reader panics, as a buggy decoder or
/// filesystem reader would) is that file's failure; the other files are still hashed.
#[test]
fn a_panic_while_hashing_is_contained_to_its_file() {
    struct PanickyReader;
    impl Read for PanickyReader {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("decoder bug on purpose");
        }
    }
    struct Panicky(DirectorySource);
    impl EvidenceSource for Panicky {
        fn info(&self) -> SourceInfo {
            self.0.info()
        }
        fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
            self.0.enumerate(stop)
        }
        fn open(&self, item: &EvidenceItem) -> std::io::Result<Box<dyn Read + Send + '_>> {
            if item.path.lossy().ends_with("bad.bin") {
                Ok(Box::new(PanickyReader))
            } else {
                self.0.open(item)
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.bin", "bad.bin", "c.bin"] {
        fs::write(dir.path().join(name), name).unwrap();
    }
    let source: Box<dyn EvidenceSource> = Box::new(Panicky(DirectorySource::new(dir.path())));
    let matcher = Matcher::new(Vec::new(), Thresholds::default()).unwrap();
    let options = ScanOptions {
        perceptual: PerceptualConfig::new(&[], DecodeLimits::default()),
        max_picture_bytes: 0,
        listing: Listing::EVERYTHING,
        dihedral: false,
        containers: None,
        video: None,
        alert_rule: Default::default(),
    };
    let stop = AtomicBool::new(false);
    let progress = Progress::default();
    let out = Scanner::new(&matcher, options, &stop, &progress)
        .scan(&[source])
        .unwrap();
    let outcomes: Vec<String> = out
        .results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Hashed(h) => format!("hashed {}", h.bytes_read),
            Outcome::Failed { failure, .. } => failure.message.clone(),
            Outcome::Skipped(reason) => reason.code().to_string(),
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "hashed 5",
            "internal error while hashing: decoder bug on purpose",
            "hashed 5"
        ]
    );
    assert!(out.summary.is_balanced());
    assert_eq!(out.summary.total.failed, 1);
}

/// A tree with far more directories than the process may hold descriptors (here 300
/// under a limit of 64) is walked whole: directories waiting to be listed are not kept open.
#[test]
fn a_wide_tree_is_walked_within_a_small_descriptor_limit() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    for i in 0..300 {
        write(
            &ev.join(format!("d{i:03}/f.bin")),
            format!("file {i}").as_bytes(),
        );
    }
    let out = std::process::Command::new("prlimit")
        .arg("--nofile=64:64")
        .arg(assert_cmd::cargo::cargo_bin("hashsweep"))
        .args(["hash", "--perceptual", "none", "-q", "-j", "2"])
        .arg(&ev)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 300);
    assert!(recs.iter().all(|r| r["record"] == "file"), "{recs:?}");
}
