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
fn disk_image_inputs_never_panic() {
    replay(harness::disk_image, &["fuzz/regressions/disk_image"]);
}

/// Found by fuzzing `disk_image` (first minutes): an ext2 volume whose inode table lies
/// outside the image made ext4fs-core 0.2.8 index out of bounds in `iter_inodes_in_group`
/// while hashsweep looked for deleted inodes. The panic is contained to that step: the
/// volume is still walked and both problems are failures with their reasons.
#[test]
fn corrupt_ext_inode_table_is_a_failure_not_a_crash() {
    use hashsweep::evidence::{open_evidence_as, EvidenceType, ItemKind};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions/disk_image/ext4-inode-table-out-of-bounds.img");
    let source = open_evidence_as(&path, EvidenceType::Raw).unwrap();
    let items = source
        .enumerate(&std::sync::atomic::AtomicBool::new(false))
        .unwrap();
    let errors: Vec<(String, String)> = items
        .iter()
        .map(|i| match &i.kind {
            ItemKind::Unreadable { error } => {
                let p = i.path.lossy();
                let name = p.rsplit('/').next().unwrap_or("").to_string();
                (name, error.clone())
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].1.starts_with("cannot read directory"),
        "{errors:?}"
    );
    assert_eq!(errors[1].0, "$OrphanFiles");
    assert!(
        errors[1].1.starts_with("deleted-inode scan stopped"),
        "{errors:?}"
    );
}
