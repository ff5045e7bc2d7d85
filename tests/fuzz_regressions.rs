//! Replays every saved fuzz input through the very code of the fuzz targets
//! (fuzz/src/harness.rs): the crashes found by fuzzing (fuzz/regressions/TARGET/), so they
//! stay fixed, and the checked-in seeds. A target fails by panicking; a panic here is the
//! regression.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
