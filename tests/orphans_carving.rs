//! What the filesystem no longer lists: orphan files and carved pictures, against The
//! Sleuth Kit (`fls -r`, `tsk_recover -e`) and PhotoRec as oracles.
//!
//! Images: Debian's `forensics-samples-vfat`/`-ntfs`/`-ext4` (real volumes with deleted
//! directories), a FAT32 volume built here with mkfs.vfat + mtools (a deleted directory
//! spanning several clusters, pictures planted in free clusters), and a raw image of
//! pictures between random padding with no filesystem at all. All are generated into a
//! temp dir at test time; the pictures are encoded here by the `image` crate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use hashsweep::digest::FileDigests;
use hashsweep::evidence::{open_evidence_as, CarveOptions, EvidenceItem, EvidenceType, ItemKind};

use crate::support::images;

/// Path inside the image → (item, md5 of its content when readable).
fn scan(image: &Path, carving: CarveOptions) -> BTreeMap<String, (EvidenceItem, Option<String>)> {
    // Forced raw: a file with neither partition table nor filesystem is otherwise one file.
    let source = open_evidence_as(image, EvidenceType::Raw).unwrap();
    source.set_carving(carving);
    let items = source.enumerate(&AtomicBool::new(false)).unwrap();
    let prefix = format!("{}/", image.display());
    items
        .into_iter()
        .map(|item| {
            let md5 = matches!(item.kind, ItemKind::File { .. }).then(|| {
                let mut bytes = Vec::new();
                source
                    .open(&item)
                    .and_then(|mut r| r.read_to_end(&mut bytes))
                    .map(|_| hex::encode(FileDigests::of(&bytes).md5))
                    .unwrap_or_default()
            });
            let rel = item.path.lossy();
            let rel = rel.strip_prefix(&prefix).unwrap_or(&rel).to_string();
            (rel, (item, md5))
        })
        .collect()
}

fn md5s(found: &BTreeMap<String, (EvidenceItem, Option<String>)>) -> BTreeSet<String> {
    found.values().filter_map(|(_, m)| m.clone()).collect()
}

fn tools(names: &[&str]) -> bool {
    let missing: Vec<_> = names.iter().filter(|t| !images::have(t)).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install {missing:?}"
    );
    eprintln!("NOTICE: {missing:?} not installed: skipping");
    false
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("orphans-carving")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// A Debian forensics sample, decompressed into `dir`, or `None` when not installed.
fn sample(name: &str, dir: &Path) -> Option<PathBuf> {
    let xz = format!("/usr/share/forensics-samples/{name}.xz");
    if !Path::new(&xz).is_file() || !tools(&["xz", "fls", "tsk_recover"]) {
        assert!(std::env::var_os("CI").is_none(), "CI must install {xz}");
        eprintln!("NOTICE: {xz} not installed: skipping");
        return None;
    }
    let out = dir.join(name);
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("xz -dc {xz} > {}", out.display()))
        .status()
        .unwrap();
    assert!(status.success());
    Some(out)
}

/// Names `fls -r` lists under `$OrphanFiles` (regular files only).
fn fls_orphans(image: &Path, offset: u64) -> BTreeSet<String> {
    let out = Command::new("fls")
        .args(["-r", "-p", "-o", &offset.to_string()])
        .arg(image)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (meta, name) = l.split_once('\t')?;
            let regular = meta.ends_with("r/r") || meta.contains("/r ");
            let name = name.strip_prefix("$OrphanFiles/")?;
            regular.then(|| name.to_string())
        })
        .collect()
}

/// MD5 of every non-empty file `tsk_recover -e` writes (allocated, deleted and orphan).
fn tsk_recovered(image: &Path, offset: u64, dir: &Path) -> BTreeMap<String, String> {
    let out = dir.join("tsk_recover");
    let status = Command::new("tsk_recover")
        .args(["-e", "-o", &offset.to_string()])
        .arg(image)
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success());
    let mut found = BTreeMap::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                if !bytes.is_empty() {
                    let rel = path.strip_prefix(&out).unwrap().display().to_string();
                    found.insert(rel, hex::encode(FileDigests::of(&bytes).md5));
                }
            }
        }
    }
    found
}

fn no_carving() -> CarveOptions {
    CarveOptions {
        enabled: false,
        ..CarveOptions::default()
    }
}

/// Every file TSK recovers with content is found by MD5; the orphans are those of `fls`.
fn sample_agrees_with_the_sleuth_kit(name: &str, orphans_found: usize) {
    let dir = tmp();
    let Some(image) = sample(name, dir.path()) else {
        return;
    };
    let found = scan(&image, no_carving());
    let ours = md5s(&found);
    let tsk = tsk_recovered(&image, 2048, dir.path());
    let missing: Vec<_> = tsk.iter().filter(|(_, m)| !ours.contains(*m)).collect();
    assert!(
        missing.is_empty(),
        "{name}: TSK recovers, we miss {missing:?}"
    );
    let our_orphans: BTreeSet<String> = found
        .iter()
        .filter(|(_, (item, _))| item.location.as_ref().is_some_and(|l| l.orphan))
        .map(|(p, _)| p.strip_prefix("p1/$OrphanFiles/").unwrap().to_string())
        .collect();
    assert_eq!(our_orphans.len(), orphans_found, "{name}: {our_orphans:?}");
    if orphans_found > 0 {
        assert_eq!(our_orphans, fls_orphans(&image, 2048), "{name}");
    }
}

#[test]
fn vfat_sample_orphans_equal_the_sleuth_kit() {
    sample_agrees_with_the_sleuth_kit("fs.vfat", 2);
}

#[test]
fn ntfs_sample_files_are_all_found() {
    sample_agrees_with_the_sleuth_kit("fs.ntfs", 0);
}

/// The ext4 sample's 18 orphan inodes (files of deleted directories) are listed as TSK
/// lists them, though ext4 cleared their content (`content_erased`).
#[test]
fn ext4_sample_files_are_all_found_and_orphans_equal_the_sleuth_kit() {
    sample_agrees_with_the_sleuth_kit("fs.ext4", 18);
}

/// A small picture of `format`, different for every `seed`.
fn picture(format: image::ImageFormat, seed: u32, width: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, 48, |x, y| {
        let v = x.wrapping_mul(seed + 3) ^ y.wrapping_mul(7 + seed);
        image::Rgb([v as u8, (v >> 2) as u8, (seed * 40) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// Deterministic filler bytes that hold no picture header.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Pictures of every carved format, each at a sector boundary between random padding.
fn raw_with_pictures(path: &Path) -> BTreeMap<u64, (String, String)> {
    use image::ImageFormat as F;
    let mut raw = noise(1536, 1);
    let mut planted = BTreeMap::new();
    let formats = [F::Jpeg, F::Png, F::Gif, F::Bmp, F::WebP, F::Jpeg, F::Png];
    for (i, format) in formats.into_iter().enumerate() {
        let bytes = picture(format, i as u32, 40 + 8 * i as u32);
        let ext = format.extensions_str()[0].replace("jpeg", "jpg");
        planted.insert(
            raw.len() as u64,
            (ext, hex::encode(FileDigests::of(&bytes).md5)),
        );
        raw.extend_from_slice(&bytes);
        let pad = (512 - raw.len() % 512) % 512 + 512 * (i % 3);
        raw.extend(noise(pad, i as u64 + 2));
    }
    std::fs::write(path, raw).unwrap();
    planted
}

/// Runs PhotoRec on the whole of `image` for JPEG, PNG, GIF, BMP (and RIFF: WebP); the
/// MD5s of what it recovers, by extension.
fn photorec(image: &Path, dir: &Path) -> BTreeSet<(String, String)> {
    let out = dir.join("photorec");
    let status = Command::new("photorec")
        .current_dir(dir)
        .args(["/d"])
        .arg(&out)
        .arg("/cmd")
        .arg(image)
        .arg(
            "partition_none,options,paranoid,fileopt,everything,disable,jpg,enable,png,enable,\
             gif,enable,bmp,enable,riff,enable,search",
        )
        .output()
        .unwrap();
    assert!(status.status.success());
    let mut found = BTreeSet::new();
    for e in std::fs::read_dir(dir.join("photorec.1")).unwrap() {
        let path = e.unwrap().path();
        let ext = path.extension().unwrap().to_string_lossy().to_string();
        if ext != "xml" {
            let md5 = hex::encode(FileDigests::of(&std::fs::read(&path).unwrap()).md5);
            found.insert((ext, md5));
        }
    }
    found
}

#[test]
fn raw_image_without_filesystem_is_carved_like_photorec() {
    let dir = tmp();
    let image = dir.path().join("pictures.raw");
    let planted = raw_with_pictures(&image);
    let found = scan(&image, CarveOptions::default());
    let carved: BTreeMap<u64, (String, String)> = found
        .iter()
        .filter_map(|(path, (item, md5))| {
            let region = item.location.as_ref()?.carved?;
            let ext = path.rsplit('.').next().unwrap().to_string();
            assert_eq!(path, &format!("$Carved/{:012x}.{ext}", region.offset));
            Some((region.offset, (ext, md5.clone().unwrap())))
        })
        .collect();
    assert_eq!(carved, planted);
    // Off: only the "no filesystem" item is left.
    let off = scan(&image, no_carving());
    assert_eq!(off.len(), 1, "{:?}", off.keys());
    if tools(&["photorec"]) {
        let ours: BTreeSet<(String, String)> = planted.into_values().collect();
        assert_eq!(photorec(&image, dir.path()), ours);
    }
}

/// A FAT32 volume (512-byte clusters) with: an allocated picture, a deleted directory of
/// twelve pictures (its entries span four clusters: orphans), and pictures planted in free
/// clusters near the end.
fn fat_with_orphans_and_free_pictures(dir: &Path) -> (PathBuf, Vec<String>, Vec<String>) {
    let image = dir.join("fat.raw");
    let run = |args: &[&str]| {
        let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let img = image.to_str().unwrap();
    run(&["truncate", "-s", "40M", img]);
    run(&[
        "mkfs.vfat",
        "-F",
        "32",
        "-s",
        "1",
        "-S",
        "512",
        "--invariant",
        img,
    ]);
    let kept = picture(image::ImageFormat::Png, 99, 64);
    std::fs::write(dir.join("kept.png"), &kept).unwrap();
    run(&[
        "mcopy",
        "-i",
        img,
        dir.join("kept.png").to_str().unwrap(),
        "::/",
    ]);
    run(&["mmd", "-i", img, "::/pictures_folder"]);
    let mut in_folder = Vec::new();
    for i in 0..12 {
        let bytes = picture(image::ImageFormat::Jpeg, i, 32 + i);
        let name = dir.join(format!("holiday_picture_number_{i:02}.jpg"));
        std::fs::write(&name, &bytes).unwrap();
        run(&[
            "mcopy",
            "-i",
            img,
            name.to_str().unwrap(),
            "::/pictures_folder/",
        ]);
        in_folder.push(hex::encode(FileDigests::of(&bytes).md5));
    }
    run(&["mdeltree", "-i", img, "::/pictures_folder"]);
    // Planted pictures in the last MiB (free: the volume is nearly empty).
    let mut raw = std::fs::read(&image).unwrap();
    let mut planted = Vec::new();
    for i in 0..3u32 {
        let bytes = picture(image::ImageFormat::Png, 50 + i, 48);
        let at = raw.len() - (1 << 20) + (i as usize) * 64 * 512;
        raw[at..at + bytes.len()].copy_from_slice(&bytes);
        planted.push(hex::encode(FileDigests::of(&bytes).md5));
    }
    std::fs::write(&image, raw).unwrap();
    (image, in_folder, planted)
}

#[test]
fn fat_orphans_and_free_space_pictures_are_found_once() {
    if !tools(&["mkfs.vfat", "mcopy", "mdeltree", "fls", "tsk_recover"]) {
        return;
    }
    let dir = tmp();
    let (image, in_folder, planted) = fat_with_orphans_and_free_pictures(dir.path());
    let found = scan(&image, CarveOptions::default());
    let location = |p: &str| found[p].0.location.clone().unwrap();
    let orphans: BTreeSet<String> = found
        .keys()
        .filter_map(|p| p.strip_prefix("$OrphanFiles/").map(str::to_string))
        .collect();
    assert!(!orphans.is_empty());
    assert_eq!(orphans, fls_orphans(&image, 0));
    for p in found.keys().filter(|p| p.starts_with("$OrphanFiles/")) {
        let l = location(p);
        assert!(l.orphan && l.deleted && l.recovered, "{p}");
    }
    // Every deleted picture is found once by metadata (deleted or orphan), none carved.
    let ours = md5s(&found);
    assert!(in_folder.iter().all(|m| ours.contains(m)));
    let tsk = tsk_recovered(&image, 0, dir.path());
    assert!(tsk.values().all(|m| ours.contains(m)), "{tsk:?}");
    let carved: Vec<(String, String)> = found
        .iter()
        .filter(|(_, (i, _))| i.location.as_ref().is_some_and(|l| l.carved.is_some()))
        .map(|(p, (_, m))| (p.clone(), m.clone().unwrap()))
        .collect();
    let carved_md5: Vec<&String> = carved.iter().map(|(_, m)| m).collect();
    assert_eq!(carved_md5, planted.iter().collect::<Vec<_>>(), "{carved:?}");
    // The same scan twice lists the same items.
    let again = scan(&image, CarveOptions::default());
    assert_eq!(
        again.keys().collect::<Vec<_>>(),
        found.keys().collect::<Vec<_>>()
    );
}

/// Through the binary: the summary counts carved items (and orphans), `--no-carve` turns
/// carving off, and one thread lists the same records as the default.
#[test]
fn summary_counts_and_no_carve_through_the_binary() {
    let dir = tmp();
    let image = dir.path().join("pictures.raw");
    let planted = raw_with_pictures(&image);
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-list.jsonl");
    let run = |extra: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("hashsweep")
            .unwrap()
            .args([
                "scan",
                "--evidence-type",
                "raw",
                "--perceptual",
                "none",
                "--format",
            ])
            .arg("jsonl")
            .arg("--list")
            .arg(&list)
            .args(extra)
            .arg(&image)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let summary: serde_json::Value = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|v| v["record"] == "summary")
            .unwrap();
        let files: Vec<String> = text
            .lines()
            .filter(|l| l.contains("\"record\":\"file\""))
            .map(str::to_string)
            .collect();
        (summary, files)
    };
    let (summary, files) = run(&[]);
    assert_eq!(summary["carved"], planted.len());
    assert_eq!(summary["files_seen"], planted.len() + 1);
    assert!(summary.get("orphans").is_none());
    let (one_thread, files_one) = run(&["--threads", "1"]);
    assert_eq!(one_thread["carved"], planted.len());
    assert_eq!(files_one, files);
    let (off, _) = run(&["--carve", "--no-carve"]);
    assert!(off.get("carved").is_none());
    assert_eq!(off["files_seen"], 1);
}

/// The EXIF thumbnail finder against exiftool: the thumbnail exiftool writes into IFD1 is
/// the one it extracts (`-b -ThumbnailImage`), and the one we find, byte for byte.
#[test]
fn exif_thumbnail_equals_exiftool() {
    use hashsweep::embedded::exif_thumbnail::find_exif_thumbnail;
    if !tools(&["exiftool"]) {
        return;
    }
    let dir = tmp();
    let big = dir.path().join("big.jpg");
    let thumb = dir.path().join("thumb.jpg");
    std::fs::write(&big, picture(image::ImageFormat::Jpeg, 1, 320)).unwrap();
    std::fs::write(&thumb, picture(image::ImageFormat::Jpeg, 2, 80)).unwrap();
    let status = Command::new("exiftool")
        .args(["-q", "-overwrite_original"])
        .arg(format!("-ThumbnailImage<={}", thumb.display()))
        .arg(&big)
        .status()
        .unwrap();
    assert!(status.success());
    let extracted = Command::new("exiftool")
        .args(["-b", "-ThumbnailImage"])
        .arg(&big)
        .output()
        .unwrap()
        .stdout;
    assert_eq!(extracted, std::fs::read(&thumb).unwrap());
    let parent = std::fs::read(&big).unwrap();
    let found = find_exif_thumbnail(&parent).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "exif-thumbnail");
    assert_eq!(found[0].data, extracted);
    // A picture without EXIF has none.
    let plain = picture(image::ImageFormat::Jpeg, 3, 64);
    assert!(find_exif_thumbnail(&plain).unwrap().is_empty());
}

/// A JPEG split in two by a sector of other data is not carved (only contiguous pictures
/// are, see docs/disk-images.md); the whole picture after it still is.
#[test]
fn fragmented_picture_is_left_out_and_the_next_one_found() {
    let dir = tmp();
    let image = dir.path().join("fragmented.raw");
    let jpeg = picture(image::ImageFormat::Jpeg, 5, 200);
    assert!(jpeg.len() > 2048);
    let whole = picture(image::ImageFormat::Png, 6, 40);
    let mut raw = noise(512, 9);
    raw.extend_from_slice(&jpeg[..1024]);
    raw.extend(noise(512, 10)); // the gap: another file's sector
    raw.extend_from_slice(&jpeg[1024..]);
    raw.extend(noise((512 - raw.len() % 512) % 512 + 512, 11));
    let at = raw.len() as u64;
    raw.extend_from_slice(&whole);
    raw.extend(noise(1024, 12));
    std::fs::write(&image, raw).unwrap();
    let found = scan(&image, CarveOptions::default());
    let carved: Vec<(u64, String)> = found
        .values()
        .filter_map(|(i, m)| Some((i.location.as_ref()?.carved?.offset, m.clone()?)))
        .collect();
    assert_eq!(carved, vec![(at, hex::encode(FileDigests::of(&whole).md5))]);
}

/// A JPEG whose tail was overwritten (its first scan intact for a while) is carved as a
/// partial picture: from its header to where its structure breaks, flagged `partial`,
/// decoded with its missing rows grey (PDQ-hashed, with a note), and scanning goes on with
/// the PNG after it.
#[test]
fn jpeg_with_an_overwritten_tail_is_carved_partial() {
    let dir = tmp();
    let image = dir.path().join("partial.raw");
    let jpeg = picture(image::ImageFormat::Jpeg, 7, 400);
    let kept = jpeg.len() * 3 / 5;
    assert!(kept > 4096, "{}", jpeg.len());
    let png = picture(image::ImageFormat::Png, 8, 40);
    let mut raw = noise(1024, 21);
    let at = raw.len();
    raw.extend_from_slice(&jpeg[..kept]);
    raw.extend(noise(jpeg.len() - kept, 22)); // another file's bytes over its tail
    raw.extend(noise((512 - raw.len() % 512) % 512 + 512, 23));
    let png_at = raw.len();
    raw.extend_from_slice(&png);
    raw.extend(noise(1024, 24));
    std::fs::write(&image, &raw).unwrap();

    let found = scan(&image, CarveOptions::default());
    let carved: Vec<_> = found
        .values()
        .filter_map(|(i, m)| Some((i.location.as_ref()?.carved?, m.clone()?)))
        .collect();
    assert_eq!(carved.len(), 2, "{carved:?}");
    let (region, md5) = &carved[0];
    assert_eq!(region.offset, at as u64);
    assert!(region.partial);
    let len = usize::try_from(region.length).unwrap();
    // Everything up to the overwrite is kept; the break is found in the other file's bytes.
    assert!(
        len >= kept && len < jpeg.len() + 1024,
        "{len} of {}",
        jpeg.len()
    );
    assert_eq!(*md5, hex::encode(FileDigests::of(&raw[at..at + len]).md5));
    assert_eq!(carved[1].0.offset, png_at as u64);
    assert!(!carved[1].0.partial);

    let out = assert_cmd::Command::cargo_bin("hashsweep")
        .unwrap()
        .args([
            "hash",
            "--evidence-type",
            "raw",
            "--perceptual",
            "pdq",
            "-q",
        ])
        .arg(&image)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let record = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["location"]["carved"]["offset"] == at)
        .unwrap();
    assert_eq!(record["record"], "file", "{record}");
    assert_eq!(record["location"]["carved"]["partial"], true);
    assert_eq!(record["image"]["width"], 400);
    assert!(record["hashes"]["pdq"].is_string(), "{record}");
    assert!(record["notes"][0]
        .as_str()
        .unwrap()
        .starts_with("partial picture: decoded with its missing part grey"));
}

/// An NTFS volume built through an ntfs-3g FUSE mount (root and /dev/fuse, as in CI): a
/// directory of pictures deleted, then its MFT record wiped (as when the record is reused),
/// so its files are orphans; a picture planted in clusters no record owns. The orphans are
/// `fls -r`'s `$OrphanFiles` entries with content, with TSK's bytes; the planted picture
/// is the only item carved: the deleted pictures' clusters are still owned by their records.
#[test]
fn ntfs_orphans_and_free_space_picture_agree_with_the_sleuth_kit() {
    if !tools(&["mkntfs", "ntfs-3g", "fls", "icat", "blkstat"]) {
        return;
    }
    if !Path::new("/dev/fuse").exists() || !is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root with /dev/fuse"
        );
        eprintln!("NOTICE: no FUSE here: skipping");
        return;
    }
    let dir = tmp();
    let d = dir.path();
    let album: Vec<(String, Vec<u8>)> = vec![
        (
            "beach.jpg".into(),
            picture(image::ImageFormat::Jpeg, 31, 160),
        ),
        (
            "garden.png".into(),
            picture(image::ImageFormat::Png, 32, 120),
        ),
    ];
    for (name, bytes) in &album {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    let script = "set -e; truncate -s 16M vol.img; mkntfs -q -F -Q -s 512 -c 4096 vol.img \
                  2>/dev/null; mkdir -p mnt; ntfs-3g vol.img mnt; \
                  trap 'umount mnt 2>/dev/null || true' EXIT; mkdir mnt/album; \
                  cp beach.jpg garden.png mnt/album/; sync; rm -r mnt/album; sync";
    let out = Command::new("bash")
        .args(["-c", script])
        .current_dir(d)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            std::env::var_os("CI").is_none(),
            "ntfs-3g mount failed: {err}"
        );
        eprintln!("NOTICE: ntfs-3g mount failed ({err}): skipping");
        return;
    }
    let image = d.join("vol.img");
    let mut raw = std::fs::read(&image).unwrap();
    // The album's MFT record (the first user record, 64) wiped: its files lose their parent.
    let cluster = usize::from(u16::from_le_bytes([raw[11], raw[12]])) * usize::from(raw[13]);
    let mft = usize::try_from(u64::from_le_bytes(raw[0x30..0x38].try_into().unwrap())).unwrap();
    let record = mft * cluster + 64 * 1024;
    assert_eq!(&raw[record..record + 4], b"FILE");
    raw[record..record + 1024].fill(0);
    // A picture in a cluster near the end that no record owns (TSK says so).
    let free = 3500;
    let blkstat = Command::new("blkstat")
        .args(["-f", "ntfs"])
        .arg(&image)
        .arg(free.to_string())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&blkstat.stdout).contains("Not Allocated"));
    let planted = picture(image::ImageFormat::Jpeg, 33, 140);
    raw[free * cluster..free * cluster + planted.len()].copy_from_slice(&planted);
    std::fs::write(&image, raw).unwrap();

    let found = scan(&image, CarveOptions::default());
    let ours: BTreeMap<String, String> = found
        .iter()
        .filter_map(|(p, (item, md5))| {
            let name = p.strip_prefix("$OrphanFiles/")?;
            assert!(
                item.location
                    .as_ref()
                    .is_some_and(|l| l.orphan && l.deleted),
                "{p}"
            );
            Some((name.to_string(), md5.clone()?))
        })
        .collect();
    // TSK's orphans with content (it also lists the unused reserved records 16-23 empty).
    let tsk: BTreeMap<String, String> = fls_orphans(&image, 0)
        .into_iter()
        .filter_map(|name| {
            let fls = Command::new("fls")
                .args(["-r", "-p"])
                .arg(&image)
                .output()
                .unwrap();
            let line = String::from_utf8(fls.stdout)
                .unwrap()
                .lines()
                .find(|l| l.ends_with(&format!("\t$OrphanFiles/{name}")))?
                .to_string();
            // `-/r * 65-128-2:	$OrphanFiles/beach.jpg`: the address is the token with digits.
            let inode = line
                .split_whitespace()
                .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?
                .trim_end_matches(':');
            let bytes = Command::new("icat")
                .arg(&image)
                .arg(inode)
                .output()
                .unwrap()
                .stdout;
            (!bytes.is_empty()).then(|| (name, hex::encode(FileDigests::of(&bytes).md5)))
        })
        .collect();
    let want: BTreeMap<String, String> = album
        .iter()
        .map(|(name, bytes)| (name.clone(), hex::encode(FileDigests::of(bytes).md5)))
        .collect();
    assert_eq!(tsk, want, "TSK's orphans");
    assert_eq!(ours, want, "our orphans");
    let carved: Vec<(u64, String)> = found
        .values()
        .filter_map(|(i, m)| Some((i.location.as_ref()?.carved?.offset, m.clone()?)))
        .collect();
    assert_eq!(
        carved,
        vec![(
            (free * cluster) as u64,
            hex::encode(FileDigests::of(&planted).md5)
        )]
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
