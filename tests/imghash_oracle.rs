//! pHash, dHash and aHash from the shared downscales (`ImgHashers::hash_wanted`) against
//! image_hasher itself on the full picture, for every picture of the fixtures and of the
//! shared PDQ vectors: the values must be identical, bit for bit.
//!
//! Pictures up to 0.3 MP by default (fast in a debug build);
//! set `HASHSWEEP_IMGHASH_ORACLE_DIR` to a directory (corpus A from
//! `../shared/tools/gen_corpus.py`) and run the ignored test to check a whole corpus:
//! `cargo test --release --test integration imghash_oracle -- --ignored`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hashsweep::perceptual::decode::{decode, DecodeLimits};
use hashsweep::perceptual::imghash::{ImgHashers, WantedImgHashes};
use hashsweep::sniff::sniff_image;

fn files_under(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// What `compare_all` saw: pictures compared, and the time each path took in total.
struct Compared {
    pictures: usize,
    shared_downscales: Duration,
    image_hasher: Duration,
}

/// Compares every decodable picture under `roots` of at most `max_pixels`.
fn compare_all(roots: &[PathBuf], max_pixels: u64) -> Compared {
    let hashers = ImgHashers::new();
    let all = WantedImgHashes {
        phash: true,
        dhash: true,
        ahash: true,
    };
    let mut files = Vec::new();
    for root in roots {
        files_under(root, &mut files);
    }
    files.sort();
    let mut compared = Compared {
        pictures: 0,
        shared_downscales: Duration::ZERO,
        image_hasher: Duration::ZERO,
    };
    let mut mismatches = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let Some(format) = sniff_image(&bytes) else {
            continue;
        };
        let Ok(image) = decode(&bytes, format, &DecodeLimits::default()) else {
            continue;
        };
        if u64::from(image.width()) * u64::from(image.height()) > max_pixels {
            continue;
        }
        let grey = image.to_luma8();
        let start = Instant::now();
        let fast = hashers.hash_wanted(&grey, all);
        compared.shared_downscales += start.elapsed();
        let start = Instant::now();
        let oracle = (
            hashers.phash(&grey),
            hashers.dhash(&grey),
            hashers.ahash(&grey),
        );
        compared.image_hasher += start.elapsed();
        if (fast.phash, fast.dhash, fast.ahash) != (Some(oracle.0), Some(oracle.1), Some(oracle.2))
        {
            mismatches.push(format!("{}: {fast:?} vs {oracle:?}", path.display()));
        }
        compared.pictures += 1;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    compared
}

#[test]
fn fixtures_and_pdq_vectors_hash_as_image_hasher_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.join("fixtures/evidence")];
    let vectors = root.join("../shared/pdq/vectors");
    let with_vectors = vectors.is_dir();
    roots.push(vectors);
    // Up to 0.3 MP: this crate is unoptimised in test builds, and image_hasher's own
    // full-size resize (the oracle) is the slow path this module replaces. The ignored test
    // below checks pictures of any size (run it with --release).
    let compared = compare_all(&roots, 300_000).pictures;
    // The decodable fixture pictures, plus 49 of the shared vectors' 92 when present.
    assert!(compared >= 7, "only {compared} pictures compared");
    if with_vectors {
        assert!(compared >= 56, "only {compared} pictures compared");
    }
}

#[test]
#[ignore = "needs a corpus: HASHSWEEP_IMGHASH_ORACLE_DIR=/path/to/corpus"]
fn corpus_hashes_as_image_hasher_does() {
    let dir =
        std::env::var_os("HASHSWEEP_IMGHASH_ORACLE_DIR").expect("set HASHSWEEP_IMGHASH_ORACLE_DIR");
    let compared = compare_all(&[PathBuf::from(dir)], u64::MAX);
    eprintln!(
        "{} pictures identical; grey → three hashes: shared downscales {:.2} s, image_hasher {:.2} s ({:.1}×)",
        compared.pictures,
        compared.shared_downscales.as_secs_f64(),
        compared.image_hasher.as_secs_f64(),
        compared.image_hasher.as_secs_f64() / compared.shared_downscales.as_secs_f64()
    );
    assert!(compared.pictures > 0);
}
