//! Replays every saved fuzz input through the very code of the fuzz targets
//! (fuzz/src/harness.rs): the crashes found by fuzzing (fuzz/regressions/TARGET/), so they
//! stay fixed, and the checked-in seeds. A target fails by panicking; a panic here is the
//! regression.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// `log_contained_panics` is for the fuzz targets only.
#[allow(dead_code)]
#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn inputs(dirs: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

fn replay(target: fn(&[u8]), dirs: &[&str]) -> usize {
    let files = inputs(dirs);
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| target(&data));
        assert!(outcome.is_ok(), "{} panics", file.display());
    }
    files.len()
}

#[test]
fn picture_inputs_never_panic() {
    replay(harness::picture, &["fuzz/regressions/picture"]);
}

#[test]
fn list_inputs_never_panic() {
    // The list fixtures are the lists target's seeds.
    let n = replay(
        harness::lists,
        &["fuzz/regressions/lists", "fixtures/lists"],
    );
    assert!(n >= 20, "only {n} list inputs");
}

#[test]
fn archive_inputs_never_panic() {
    replay(harness::archive, &["fuzz/regressions/archive"]);
}

#[test]
fn carve_inputs_never_panic() {
    replay(harness::carve, &["fuzz/regressions/carve"]);
}

#[test]
fn thumbcache_inputs_never_panic() {
    let n = replay(harness::thumbcache, &["fuzz/regressions/thumbcache"]);
    assert_eq!(n, 4, "the four seeds");
}

#[test]
fn disk_image_inputs_never_panic() {
    replay(harness::disk_image, &["fuzz/regressions/disk_image"]);
}

/// The error of every item of a raw image (each must be unreadable).
fn errors_of_raw_image(path: &Path) -> Vec<String> {
    use hashsweep::evidence::{open_evidence_as, EvidenceType, ItemKind};
    let source = open_evidence_as(path, EvidenceType::Raw).unwrap();
    let items = source
        .enumerate(&std::sync::atomic::AtomicBool::new(false))
        .unwrap();
    items
        .iter()
        .map(|i| match &i.kind {
            ItemKind::Unreadable { failure } => failure.message.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn regression(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/disk_image")
        .join(name)
}

/// Found by fuzzing `disk_image` (first minutes): an ext2 volume whose superblock gives 0
/// inodes per group made ext4fs-core 0.2.8 index out of bounds in `iter_inodes_in_group`
/// while hashsweep looked for deleted inodes, and the whole volume was lost to the panic.
/// Now the superblock is refused up front with its reason (and a panic in the deleted-inode
/// scan would stop only that scan).
#[test]
fn corrupt_ext_inode_table_is_a_failure_not_a_crash() {
    assert_eq!(
        errors_of_raw_image(&regression("ext4-inode-table-out-of-bounds.img")),
        ["ext: superblock gives 0 inodes per group or a 0-byte inode"]
    );
}

/// Found by fuzzing `disk_image`: an ext superblock giving 0 inodes per group made
/// ext4fs-core divide by zero when the root inode was read. Now the volume is refused
/// up front with the reason.
#[test]
fn ext_superblock_with_zero_inodes_per_group_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("ext2.img");
    let made = std::process::Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-b", "1024"])
        .arg(&image)
        .arg("256k")
        .status();
    if !matches!(made, Ok(s) if s.success()) {
        assert!(std::env::var_os("CI").is_none(), "CI installs e2fsprogs");
        return;
    }
    // s_inodes_per_group: superblock at 1024, field at 0x28.
    let mut bytes = std::fs::read(&image).unwrap();
    bytes[1024 + 0x28..1024 + 0x2C].fill(0);
    std::fs::write(&image, &bytes).unwrap();
    let errors = errors_of_raw_image(&image);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("0 inodes per group"), "{errors:?}");
}

/// Found by fuzzing `disk_image` (second run): an ext superblock whose inode count and size
/// made ext4fs-core allocate one group's inode table of 1 TB; the allocation aborted the
/// process, past any `catch_unwind`. The geometry is now checked against the volume first.
#[test]
fn ext_inode_table_larger_than_the_volume_is_refused() {
    assert_eq!(
        errors_of_raw_image(&regression("ext-inode-table-1tb-allocation.img")),
        [
            "ext: superblock's inode table of 1099511563008 bytes per group exceeds the \
          35384-byte volume"
        ]
    );
}

#[test]
fn vpdq_list_inputs_never_panic() {
    let n = replay(harness::vpdq_list, &["fuzz/regressions/vpdq_list"]);
    assert!(n >= 3, "only {n} vPDQ inputs");
}
