//! Disk images as evidence, end to end through the library: raw, split raw, E01 (single
//! and multi-segment), FAT32 + MBR, bare NTFS, ext4 + GPT, the exFAT sample; deleted
//! files; agreement with The Sleuth Kit; damaged images; the image left untouched.

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use hashsweep::digest::FileDigests;
use hashsweep::evidence::{open_evidence, EvidenceItem, EvidenceSource, ItemKind};

use support::images;

/// What a scan of an image found: path inside the evidence → (item, md5, sha256) for files.
struct Found {
    items: Vec<EvidenceItem>,
    hashes: BTreeMap<String, (String, String)>,
}

fn scan(path: &Path) -> Found {
    let source = open_evidence(path).unwrap();
    scan_source(source.as_ref(), path)
}

fn scan_source(source: &dyn EvidenceSource, path: &Path) -> Found {
    let items = source.enumerate(&AtomicBool::new(false)).unwrap();
    let prefix = format!("{}/", path.display());
    let mut hashes = BTreeMap::new();
    for item in &items {
        if let ItemKind::File { size } = item.kind {
            let mut bytes = Vec::new();
            source.open(item).unwrap().read_to_end(&mut bytes).unwrap();
            assert_eq!(bytes.len() as u64, size, "{}", item.path);
            let d = FileDigests::of(&bytes);
            let rel = item.path.lossy().strip_prefix(&prefix).unwrap().to_string();
            hashes.insert(rel, (hex::encode(d.md5), hex::encode(d.sha256)));
        }
    }
    Found { items, hashes }
}

#[test]
fn listing_debug() {
    let Some(dir) = images::dir() else { return };
    for name in [
        "fat32_mbr.raw",
        "ntfs.raw",
        "ext4_gpt.raw",
        "fat32_mbr.E01",
        "ext4_gpt.E01",
        "ntfs_split.001",
        "fs.exfat",
    ] {
        let found = scan(&dir.join(name));
        println!("== {name}");
        for i in &found.items {
            println!("{} {:?} {:?}", i.path, i.kind, i.location);
        }
    }
}
