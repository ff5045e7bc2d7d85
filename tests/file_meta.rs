//! File facts (`meta`: times, owners, attributes) against The Sleuth Kit's `istat`, for
//! every file of the generated test images and of Debian's forensics-samples NTFS, ext4,
//! vfat and exFAT images (allocated and deleted); the timeline body file against `mactime`;
//! directory evidence against `stat`, with access times left alone.

// Helpers outside #[test] functions are test code too (clippy.toml allows these in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use crate::support::images;
use hashsweep::evidence::meta::{FileMeta, Timestamp};
use hashsweep::evidence::{open_evidence, EvidenceItem};

/// Debian's samples (MBR, one partition at sector 2048), decompressed once per run.
fn debian_samples() -> Option<&'static [PathBuf]> {
    static SAMPLES: OnceLock<Option<Vec<PathBuf>>> = OnceLock::new();
    SAMPLES
        .get_or_init(|| {
            let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("forensics-samples");
            std::fs::create_dir_all(&out).ok()?;
            let mut paths = Vec::new();
            for fs in ["ntfs", "ext4", "vfat"] {
                let xz = format!("/usr/share/forensics-samples/fs.{fs}.xz");
                if !Path::new(&xz).is_file() {
                    skip_or_fail(&format!("{xz} missing (forensics-samples-{fs})"));
                    return None;
                }
                let dest = out.join(format!("fs.{fs}"));
                if !dest.is_file() {
                    let tmp = out.join(format!("fs.{fs}.tmp"));
                    let status = Command::new("sh")
                        .arg("-c")
                        .arg(format!(
                            "xz -dc {xz} > {} && mv {0} {}",
                            tmp.display(),
                            dest.display()
                        ))
                        .status()
                        .ok()?;
                    assert!(status.success(), "cannot decompress {xz}");
                }
                paths.push(dest);
            }
            Some(paths)
        })
        .as_deref()
}

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("file meta oracle tests cannot run in CI: {why}");
    }
    eprintln!("NOTICE: skipping: {why}");
}

fn items(image: &Path) -> Vec<EvidenceItem> {
    open_evidence(image)
        .unwrap()
        .enumerate(&AtomicBool::new(false))
        .unwrap()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.env("TZ", "UTC").output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `fls -r -p`: path inside the volume → TSK metadata addresses (FAT has no inode of its
/// own; TSK numbers directory entries).
fn fls_paths(image: &Path, sector: u64) -> HashMap<String, Vec<String>> {
    let text = run(Command::new("fls")
        .args(["-r", "-p", "-o", &sector.to_string()])
        .arg(image));
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines() {
        let Some((head, path)) = line.split_once(":\t") else {
            continue;
        };
        let addr = head.rsplit(' ').next().unwrap_or("").to_string();
        map.entry(path.to_string()).or_default().push(addr);
    }
    map
}

/// `istat`'s text of one file, cut into sections by their title lines.
struct Istat {
    text: String,
}

impl Istat {
    fn sections(&self, title: &str) -> Vec<&str> {
        self.text.split(title).skip(1).collect()
    }

    fn field<'a>(section: &'a str, key: &str) -> Option<&'a str> {
        section
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim_start_matches([':', '\t', ' ']).trim_end())
    }
}

/// Our time as `istat` prints it, at `istat`'s precision (`None` = unset).
fn as_istat(ours: Option<Timestamp>, printed: &str) -> Option<String> {
    let ours = ours?.to_string().replace('T', " ");
    let ours = ours.trim_end_matches('Z');
    let (whole, fraction) = ours.split_once('.').unwrap_or((ours, ""));
    let printed_value = printed.split(" (").next().unwrap_or(printed);
    Some(match printed_value.split_once('.') {
        Some((_, theirs)) => format!("{whole}.{fraction:0<width$}", width = theirs.len()),
        None => whole.to_string(),
    })
}

struct Check<'a> {
    what: String,
    mismatches: &'a mut Vec<String>,
    compared: &'a mut usize,
}

impl Check<'_> {
    fn same(&mut self, field: &str, ours: Option<String>, theirs: Option<&str>) {
        *self.compared += 1;
        let theirs = theirs.map(|t| t.split(" (").next().unwrap_or(t).to_string());
        let theirs = theirs.filter(|t| !t.starts_with("0000-00-00"));
        if ours != theirs {
            self.mismatches.push(format!(
                "{}: {field}: hashsweep {ours:?}, istat {theirs:?}",
                self.what
            ));
        }
    }

    fn time(&mut self, field: &str, ours: Option<Timestamp>, section: &str, key: &str) {
        let printed = Istat::field(section, key);
        let ours = printed.map_or_else(|| ours.map(|t| t.to_string()), |p| as_istat(ours, p));
        self.same(field, ours, printed);
    }
}

/// TSK's attribute names (`Read Only`, `Archive`, …) as ours (`read_only`, `archive`).
fn tsk_names(list: &str, drop: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = list
        .split(',')
        .map(|n| n.trim().to_lowercase().replace([' ', '-'], "_"))
        .filter(|n| !n.is_empty() && !drop.contains(&n.as_str()))
        .map(|n| match n.as_str() {
            "no_a_time" => "no_atime".to_string(),
            "do_not_dump" => "no_dump".to_string(),
            "secure_delete" => "secure_deletion".to_string(),
            "indexed_directory" | "hash_indexed_directory" => "hash_indexed".to_string(),
            _ => n,
        })
        .collect();
    names.sort();
    names
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut v = names.to_vec();
    v.sort();
    v
}

/// `rwxr-x---` (with s/S/t/T) of a mode, as `istat` prints after the type letter.
fn permissions(mode: u32) -> String {
    let mut s = String::new();
    for (shift, special, letter) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let exec = bits & 1 != 0;
        s.push(match (mode & special != 0, exec) {
            (true, true) => letter,
            (true, false) => letter.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

fn compare_file(image: &Path, item: &EvidenceItem, addr: &str, meta: &FileMeta, c: &mut Check<'_>) {
    let loc = item.location.as_ref().unwrap();
    let text = run(Command::new("istat")
        .args(["-z", "UTC", "-o", &(loc.partition_offset / 512).to_string()])
        .arg(image)
        .arg(addr));
    let ist = Istat { text };
    match meta {
        FileMeta::Ntfs(m) => {
            let si = ist.sections("$STANDARD_INFORMATION Attribute Values:");
            let Some(si) = si.first() else {
                return c.same("$STANDARD_INFORMATION", Some("present".into()), None);
            };
            let t = m.standard_information.clone().unwrap();
            c.time("si created", t.created, si, "Created");
            c.time("si modified", t.modified, si, "File Modified");
            c.time("si mft_modified", t.mft_modified, si, "MFT Modified");
            c.time("si accessed", t.accessed, si, "Accessed");
            let flags = Istat::field(si, "Flags").unwrap_or("");
            c.same(
                "si flags",
                Some(sorted(&m.attributes).join(",")),
                Some(&tsk_names(flags, &[]).join(",")),
            );
            c.same(
                "owner id",
                // A 48-byte (NTFS 1.2) $STANDARD_INFORMATION has neither id: TSK prints 0.
                Some(m.owner_id.unwrap_or(0).to_string()),
                Istat::field(si, "Owner ID"),
            );
            let sec = Istat::field(si, "Security ID").unwrap_or("");
            let (id, sid) = sec.split_once(" (").unwrap_or((sec, ")"));
            c.same(
                "security id",
                Some(m.security_id.unwrap_or(0).to_string()),
                Some(id.trim()),
            );
            let sid = sid.trim_end_matches(')');
            if !sid.is_empty() {
                c.same("owner sid", m.owner_sid.clone(), Some(sid));
            }
            let name = item.path.lossy();
            let base = name.rsplit('/').next().unwrap_or("");
            let fname = ist
                .sections("$FILE_NAME Attribute Values:")
                .into_iter()
                .find(|s| Istat::field(s, "Name") == Some(base));
            match (fname, &m.file_name) {
                (Some(f), Some(t)) => {
                    c.time("fn created", t.created, f, "Created");
                    c.time("fn modified", t.modified, f, "File Modified");
                    c.time("fn mft_modified", t.mft_modified, f, "MFT Modified");
                    c.time("fn accessed", t.accessed, f, "Accessed");
                }
                (f, t) => c.same(
                    "$FILE_NAME present",
                    Some(t.is_some().to_string()),
                    Some(&f.is_some().to_string()),
                ),
            }
        }
        FileMeta::Ext(m) => {
            let times = ist.sections("Inode Times:");
            let t = times.first().copied().unwrap_or("");
            c.time("atime", m.atime, t, "Accessed");
            c.time("mtime", m.mtime, t, "File Modified");
            c.time("ctime", m.ctime, t, "Inode Modified");
            c.time("crtime", m.crtime, t, "File Created");
            c.time("dtime", m.dtime, t, "Deleted");
            c.same(
                "uid / gid",
                Some(format!("{} / {}", m.uid, m.gid)),
                Istat::field(&ist.text, "uid / gid"),
            );
            let mode = Istat::field(&ist.text, "mode").unwrap_or("");
            c.same(
                "mode",
                Some(permissions(m.mode)),
                Some(&mode[mode.len().saturating_sub(9)..]),
            );
            let flags = Istat::field(&ist.text, "Flags").unwrap_or("");
            c.same(
                "flags",
                Some(sorted(&m.flags).join(",")),
                Some(&tsk_names(flags, &[]).join(",")),
            );
        }
        FileMeta::Fat(m) => {
            let times = ist.sections("Directory Entry Times:");
            let t = times.first().copied().unwrap_or("");
            c.time("modified", m.modified, t, "Written");
            c.time("accessed", m.accessed, t, "Accessed");
            c.time("created", m.created, t, "Created");
            let flags = Istat::field(&ist.text, "File Attributes").unwrap_or("");
            c.same(
                "attributes",
                Some(sorted(&m.attributes).join(",")),
                Some(&tsk_names(flags, &["file"]).join(",")),
            );
        }
        FileMeta::Statx(_) => c.same("kind", Some("statx".into()), Some("a filesystem")),
    }
}

/// Compares every file of `image` with `istat`; returns (files compared, deleted ones).
fn check_image(image: &Path, mismatches: &mut Vec<String>) -> (usize, usize) {
    let prefix = format!("{}/", image.display());
    let mut files = 0;
    let mut deleted = 0;
    let mut compared = 0;
    let mut fls_cache: HashMap<u64, HashMap<String, Vec<String>>> = HashMap::new();
    for item in items(image) {
        let (Some(meta), Some(loc)) = (&item.meta, &item.location) else {
            continue;
        };
        let path = item.path.lossy();
        let inner = path.strip_prefix(&prefix).unwrap_or(&path);
        let inner = match loc.partition {
            Some(n) => inner.strip_prefix(&format!("p{n}/")).unwrap_or(inner),
            None => inner,
        };
        let addr = match loc.inode {
            Some(n) => n.to_string(),
            None => {
                let sector = loc.partition_offset / 512;
                let map = fls_cache
                    .entry(sector)
                    .or_insert_with(|| fls_paths(image, sector));
                match map.get(inner).map(Vec::as_slice) {
                    Some([one]) => one.clone(),
                    // A name TSK lists twice (deleted files of one name): ambiguous.
                    Some(_) if loc.deleted => continue,
                    _ => {
                        mismatches.push(format!("{path}: fls does not list {inner:?}"));
                        continue;
                    }
                }
            }
        };
        let mut check = Check {
            what: format!("{path} (istat {addr})"),
            mismatches,
            compared: &mut compared,
        };
        compare_file(image, &item, &addr, meta, &mut check);
        files += 1;
        deleted += usize::from(loc.deleted);
    }
    eprintln!(
        "{}: {files} files ({deleted} deleted), {compared} facts compared with istat",
        image.display()
    );
    (files, deleted)
}

fn assert_no_mismatch(mismatches: &[String]) {
    if let Some(first) = mismatches.first() {
        panic!(
            "{} mismatches with istat; first: {first}\nall:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

#[test]
fn debian_samples_match_istat() {
    if !images::have("istat") {
        return skip_or_fail("istat (sleuthkit) missing");
    }
    let Some(samples) = debian_samples() else {
        return;
    };
    let mut mismatches = Vec::new();
    for image in samples.iter().chain([&PathBuf::from(images::EXFAT_SAMPLE)]) {
        if image.extension().is_some_and(|e| e == "xz") {
            continue; // the exFAT sample is checked with the generated images
        }
        let (files, deleted) = check_image(image, &mut mismatches);
        assert!(files > 10, "{}: only {files} files", image.display());
        // The ext4 sample's deleted files were removed by the kernel (extents and sizes
        // zeroed, mostly inside deleted directories): hashsweep lists none of them.
        if !image.ends_with("fs.ext4") {
            assert!(deleted > 0, "{}: no deleted file compared", image.display());
        }
    }
    assert_no_mismatch(&mismatches);
}

#[test]
fn generated_images_match_istat() {
    if !images::have("istat") {
        return skip_or_fail("istat (sleuthkit) missing");
    }
    let Some(dir) = images::dir() else {
        return;
    };
    let mut mismatches = Vec::new();
    for name in [
        "fat32_mbr.raw",
        "ntfs.raw",
        "ext4_gpt.raw",
        "ntfs_fuse.raw",
        "fs.exfat",
    ] {
        let image = dir.join(name);
        if !image.is_file() {
            assert_ne!(name, "fat32_mbr.raw", "the generated images are missing");
            continue;
        }
        let (files, _) = check_image(&image, &mut mismatches);
        assert!(files > 0, "{name}: no file compared");
    }
    assert_no_mismatch(&mismatches);
}

/// The binary under test; `HASHSWEEP_BIN` overrides it (a target directory shared by
/// several worktrees may hold another branch's build by the time the tests run).
fn hashsweep() -> Command {
    Command::new(
        std::env::var_os("HASHSWEEP_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_hashsweep").into()),
    )
}

/// `report --timeline` writes a body file of the hits that `mactime -b` reads, listing
/// every hit: on the NTFS image each hit twice ($STANDARD_INFORMATION and $FILE_NAME).
#[test]
fn timeline_body_file_reads_in_mactime() {
    if !images::have("mactime") {
        return skip_or_fail("mactime (sleuthkit) missing");
    }
    let Some(dir) = images::dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let list = tmp.path().join("all.sha256");
    let manifest = images::manifest(dir);
    assert!(manifest
        .iter()
        .all(|f| !f.path.is_empty() && f.size > 0 && f.md5.len() == 32));
    let sums: Vec<&str> = manifest.iter().map(|f| f.sha256.as_str()).collect();
    std::fs::write(&list, sums.join("\n") + "\n").unwrap();
    for (image, lines_per_hit) in [("ext4_gpt.raw", 1), ("ntfs.raw", 2), ("fat32_mbr.raw", 1)] {
        let report = tmp.path().join(format!("{image}.jsonl"));
        let scan = hashsweep()
            .args(["scan", "--perceptual", "none", "-l"])
            .arg(format!("sha256:{}", list.display()))
            .arg("-o")
            .arg(&report)
            .arg(dir.join(image))
            .output()
            .unwrap();
        assert_eq!(scan.status.code(), Some(1), "{image}: no match?");
        let text = std::fs::read_to_string(&report).unwrap();
        let hits: Vec<String> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|r| r["record"] == "match")
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect();
        assert!(hits.len() >= 5, "{image}: {} hits", hits.len());
        let body = tmp.path().join(format!("{image}.body"));
        let out = hashsweep()
            .arg("report")
            .arg(&report)
            .arg("--timeline")
            .arg("-o")
            .arg(&body)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let body_text = std::fs::read_to_string(&body).unwrap();
        assert_eq!(body_text.lines().count(), hits.len() * lines_per_hit);
        // mactime -d: comma-separated Date,Size,Type,Mode,UID,GID,Meta,File Name.
        let listed = run(Command::new("mactime")
            .args(["-b"])
            .arg(&body)
            .args(["-d", "-z", "UTC"]));
        let mut named: Vec<String> = listed
            .lines()
            .skip(1)
            .filter_map(|l| l.splitn(8, ',').nth(7))
            .map(|n| n.trim_matches('"'))
            .map(|n| n.trim_end_matches(" (deleted)").to_string())
            .map(|n| n.trim_end_matches(" ($FILE_NAME)").to_string())
            .map(|n| n.trim_end_matches(" (deleted)").to_string())
            .collect();
        named.sort();
        named.dedup();
        let mut expected: Vec<String> = hits.clone();
        expected.sort();
        expected.dedup();
        assert_eq!(named, expected, "{image}: mactime lists other files");
    }
}

/// Directory evidence: every file's times, owner and mode equal `stat`'s (nanoseconds),
/// and a whole scan leaves the access times of the files as they were.
#[test]
fn directory_evidence_times_equal_stat_and_atimes_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = tmp.path().join("evidence");
    std::fs::create_dir_all(ev.join("sub")).unwrap();
    let files = ["a.bin", "sub/b.txt", "sub/c.dat"];
    for (i, f) in files.iter().enumerate() {
        std::fs::write(ev.join(f), vec![b'x'; 100 + i]).unwrap();
    }
    // Access times well in the past, so any read on a relatime mount would move them.
    let old = "200001020304.05";
    for f in files {
        let status = Command::new("touch")
            .args(["-a", "-t", old])
            .arg(ev.join(f))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let stat = |f: &str| {
        run(Command::new("stat")
            .args(["-c", "%x|%y|%z|%w|%u|%g|%a"])
            .arg(ev.join(f)))
        .trim()
        .to_string()
    };
    let before: Vec<String> = files.iter().map(|f| stat(f)).collect();
    let items = items(&ev);
    assert_eq!(items.len(), files.len());
    for item in &items {
        let rel = item.path.lossy();
        let rel = rel
            .strip_prefix(&format!("{}/", ev.display()))
            .unwrap()
            .to_string();
        let Some(FileMeta::Statx(m)) = &item.meta else {
            panic!("{rel}: no statx meta");
        };
        // GNU stat: "2000-01-02 03:04:05.000000000 +0000" in TZ=UTC, "-" for no birth time.
        let show = |t: Option<Timestamp>| {
            t.map_or("-".to_string(), |t| {
                format!(
                    "{} +0000",
                    t.to_string().replace('T', " ").trim_end_matches('Z')
                )
            })
        };
        let ours = format!(
            "{}|{}|{}|{}|{}|{}|{:o}",
            show(m.atime),
            show(m.mtime),
            show(m.ctime),
            show(m.btime),
            m.uid,
            m.gid,
            m.mode & 0o7777
        );
        assert_eq!(ours, stat(&rel), "{rel}");
    }
    let list = tmp.path().join("none.sha256");
    std::fs::write(&list, format!("{}\n", "0".repeat(64))).unwrap();
    let out = hashsweep()
        .args(["scan", "--all-files", "--perceptual", "none", "-l"])
        .arg(format!("sha256:{}", list.display()))
        .arg("-o")
        .arg(tmp.path().join("r.jsonl"))
        .arg(&ev)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = std::fs::read_to_string(tmp.path().join("r.jsonl")).unwrap();
    assert_eq!(report.matches("\"statx\"").count(), files.len());
    let after: Vec<String> = files.iter().map(|f| stat(f)).collect();
    assert_eq!(before, after, "the scan moved a time");
    assert!(before.iter().all(|s| s.starts_with("2000-01-02 03:04:05")));
}

/// exFAT's UTC offset fields: Debian's exFAT sample records offset 0 (bytes 0x80) for every
/// time, so its times are UTC already. With the File entry of `debian.mp3` patched to
/// record its modified time at UTC−5:00 (and the entry set's checksum recomputed as
/// [MS-exFAT] 6.3.3 gives it), the report moves that time five hours later and leaves the
/// others as they were.
#[test]
fn exfat_times_with_a_utc_offset_are_reported_in_utc() {
    let Some(dir) = images::dir() else {
        return;
    };
    let sample = dir.join("fs.exfat");
    if !sample.is_file() {
        return skip_or_fail("forensics-samples-exfat missing (.ci/setup installs it)");
    }
    let mut image = std::fs::read(&sample).unwrap();
    let name: Vec<u8> = "debian.mp3"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = image
        .windows(name.len())
        .position(|w| w == name.as_slice())
        .unwrap();
    // The FileName entry holds the name from its byte 2; the File entry is two slots before.
    let file = at - 2 - 64;
    assert_eq!(image[file], 0x85, "File entry of debian.mp3");
    assert_eq!(image[file + 22..file + 25], [0x80, 0x80, 0x80]);
    let set_len = 32 * (1 + usize::from(image[file + 1]));
    let checksum = |set: &[u8]| {
        set.iter()
            .enumerate()
            .filter(|(i, _)| *i != 2 && *i != 3)
            .fold(0u16, |sum, (_, b)| {
                sum.rotate_right(1).wrapping_add(u16::from(*b))
            })
    };
    let stored = u16::from_le_bytes([image[file + 2], image[file + 3]]);
    assert_eq!(
        checksum(&image[file..file + set_len]),
        stored,
        "checksum as mkfs made it"
    );
    image[file + 23] = 0x80 | 0x6C; // modified: -20 quarter hours
    let patched_sum = checksum(&image[file..file + set_len]);
    image[file + 2..file + 4].copy_from_slice(&patched_sum.to_le_bytes());
    let work = tempfile::tempdir().unwrap();
    let patched = work.path().join("fs.exfat");
    std::fs::write(&patched, &image).unwrap();

    let meta = |image: &Path| {
        let out = hashsweep()
            .args(["hash", "--perceptual", "none", "-q"])
            .arg(image)
            .output()
            .unwrap();
        let record = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["path"].as_str().unwrap().ends_with("/audio1/debian.mp3"))
            .unwrap();
        record["meta"]["fat"].clone()
    };
    let before = meta(&sample);
    let after = meta(&patched);
    assert_eq!(before["modified"], "2020-10-27T04:01:00.02Z");
    assert_eq!(after["modified"], "2020-10-27T09:01:00.02Z");
    assert_eq!(after["created"], before["created"]);
    assert_eq!(after["accessed"], before["accessed"]);
}

/// A volume whose files have four owners: an ntfs-3g mount with a user mapping file
/// (uid 1000 and 1001 to their own SIDs, any other uid to a SID built from the pattern,
/// root to Administrators), files chowned on it. `None` where FUSE is not available.
fn ntfs_with_owners(dir: &Path) -> Option<PathBuf> {
    let script = "truncate -s 8M owners.img && mkntfs -q -F -f owners.img 2>/dev/null && \
        mkdir m && ntfs-3g owners.img m && mkdir m/.NTFS-3G && \
        printf '1000::S-1-5-21-1111-2222-3333-1000\n1001::S-1-5-21-1111-2222-3333-1001\n::S-1-5-21-1111-2222-3333-10000\n' \
          > m/.NTFS-3G/UserMapping && umount m && ntfs-3g owners.img m && \
        for f in a b c d; do echo $f > m/$f.txt; done && \
        chown 1000 m/a.txt && chown 1001 m/b.txt && chown 1234 m/c.txt && umount m";
    let ok = Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| dir.join("owners.img"))
}

/// Owner SIDs against ntfs-3g's `ntfssecaudit`, which reads a file's security descriptor
/// (from `$Secure`, or from the file's own `$SECURITY_DESCRIPTOR` attribute as ntfs-3g
/// writes it): every allocated file of the generated NTFS images, of a volume with four
/// owners (`ntfs_with_owners`) and of Debian's NTFS sample (its partition copied out, as
/// `ntfssecaudit` takes a volume) has the owner `ntfssecaudit` prints. `istat` prints no
/// SID for these volumes.
#[test]
fn ntfs_owner_sids_equal_ntfssecaudit() {
    if !images::have("ntfssecaudit") {
        return skip_or_fail("ntfssecaudit (ntfs-3g) missing");
    }
    let Some(dir) = images::dir() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut volumes = vec![dir.join("ntfs_fuse.raw"), dir.join("ntfs.raw")];
    match ntfs_with_owners(work.path()) {
        Some(owners) => volumes.push(owners),
        None => skip_or_fail("no ntfs-3g FUSE mount here: the volume with four owners"),
    }
    if let Some(samples) = debian_samples() {
        let sample = samples.iter().find(|p| p.ends_with("fs.ntfs")).unwrap();
        let bytes = std::fs::read(sample).unwrap();
        let partition = work.path().join("fs.ntfs.p1");
        std::fs::write(&partition, &bytes[2048 * 512..]).unwrap();
        volumes.push(partition);
    }
    let mut mismatches = Vec::new();
    for volume in &volumes {
        let prefix = format!("{}/", volume.display());
        let mut compared = 0;
        let mut owners = std::collections::BTreeSet::new();
        for item in items(volume) {
            let (Some(FileMeta::Ntfs(meta)), Some(loc)) = (&item.meta, &item.location) else {
                continue;
            };
            let path = item.path.lossy();
            let inner = path.strip_prefix(&prefix).unwrap();
            if loc.deleted || inner.contains(':') || inner.starts_with('$') {
                continue; // ntfssecaudit opens allocated files by path
            }
            let out = run(Command::new("ntfssecaudit")
                .arg(volume)
                .arg(format!("/{inner}")));
            let theirs = out
                .lines()
                .find_map(|l| l.strip_prefix("Windows owner "))
                .map(str::to_string);
            if meta.owner_sid != theirs || theirs.is_none() {
                mismatches.push(format!(
                    "{path}: hashsweep {:?}, ntfssecaudit {theirs:?}",
                    meta.owner_sid
                ));
            }
            compared += 1;
            owners.extend(theirs);
        }
        eprintln!("{}: {compared} owners compared", volume.display());
        assert!(compared > 0, "{}: no file compared", volume.display());
        if volume.ends_with("owners.img") {
            let want = [
                "S-1-5-21-1111-2222-3333-1000",
                "S-1-5-21-1111-2222-3333-1001",
            ];
            assert!(
                owners.len() == 4 && want.iter().all(|w| owners.contains(*w)),
                "{owners:?}"
            );
        }
    }
    assert_no_mismatch(&mismatches);
}
