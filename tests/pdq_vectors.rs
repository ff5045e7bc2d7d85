//! PDQ against the reference vectors in `../shared/pdq/vectors` (see `PDQ.md` there):
//! `reference_outputs.tsv` holds, per vector and per pipeline (`no-preresize`,
//! `cli-512-preresize`), the reference C++ core's hash, quality and eight dihedral hashes on
//! PIL/libjpeg-turbo pixels. Lossless vectors must match bit for bit in both pipelines;
//! JPEGs must too when libjpeg-turbo decodes them (feature `turbojpeg`), else they are held
//! to Meta's cross-decoder rule (≤ 10 bits at quality ≥ 80). Lossy WebP is decoder-dependent
//! (image-rs vs libwebp) and held to the same rule.
//!
//! The images are read in place, never copied into this repository.

// clippy.toml's test allowances cover #[test] fns only, not this crate's helpers.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hashsweep::pdq::{pdq_from_image, Dihedral, PdqError, PdqHash, PdqOutput, PdqPipeline};
use hashsweep::perceptual::decode::decode;
use hashsweep::perceptual::DecodeLimits;

/// Number of vectors per pipeline in `reference_outputs.tsv`, by kind.
const LOSSLESS: usize = 46;
const JPEG: usize = 41;
const LOSSY_WEBP: usize = 5;

fn vectors_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/pdq/vectors");
    assert!(
        dir.join("reference_outputs.tsv").is_file(),
        "PDQ reference vectors missing at {} (they live outside the repo, in /work/shared)",
        dir.display()
    );
    dir
}

#[derive(Debug)]
struct Row {
    vector: String,
    pipeline: PdqPipeline,
    quality: u32,
    hash: PdqHash,
    dihedral: [PdqHash; 8],
}

fn read_rows() -> Vec<Row> {
    let text = std::fs::read_to_string(vectors_dir().join("reference_outputs.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (c_vec, c_pipe, c_hash, c_q) = (
        col("vector"),
        col("pipeline"),
        col("pdq_hash"),
        col("quality"),
    );
    let c_dih = col("dih_orig");
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let pipeline = match f[c_pipe] {
                "no-preresize" => PdqPipeline::Default,
                "cli-512-preresize" => PdqPipeline::CliCompat,
                other => panic!("unknown pipeline {other}"),
            };
            Row {
                vector: f[c_vec].to_string(),
                pipeline,
                quality: f[c_q].parse().unwrap(),
                hash: PdqHash::from_hex(f[c_hash]).unwrap(),
                dihedral: std::array::from_fn(|k| PdqHash::from_hex(f[c_dih + k]).unwrap()),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Lossless,
    Jpeg,
    LossyWebp,
}

fn kind(vector: &str) -> Kind {
    let lower = vector.to_ascii_lowercase();
    if lower.ends_with(".png") {
        Kind::Lossless
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        Kind::Jpeg
    } else if lower.ends_with(".webp") {
        Kind::LossyWebp
    } else {
        panic!("unclassified vector {vector}")
    }
}

fn hash_vector(row: &Row) -> Result<PdqOutput, PdqError> {
    let path = vectors_dir().join(&row.vector);
    let bytes = std::fs::read(&path).unwrap();
    let format =
        hashsweep::sniff::sniff_image(&bytes[..bytes.len().min(hashsweep::sniff::SNIFF_LEN)])
            .unwrap();
    let img = decode(&bytes, format, &DecodeLimits::default()).unwrap();
    pdq_from_image(&img, row.pipeline)
}

/// Sum over the eight variants of the bit distance to the reference (0 = bit-exact).
fn check(row: &Row) -> (u32, String) {
    match hash_vector(row) {
        Err(PdqError::TooSmall { .. }) => {
            // The reference's answer for an unhashable picture: zero hash, quality 0.
            let exact = row.hash == PdqHash::default() && row.quality == 0;
            (if exact { 0 } else { 256 }, "too small".into())
        }
        Err(e) => panic!("{}: {e}", row.vector),
        Ok(out) => {
            let mut bits = out.hash().distance(&row.hash);
            for d in Dihedral::ALL.into_iter().skip(1) {
                bits += out.variant(d).distance(&row.dihedral[d.index()]);
            }
            let q_ok = out.quality == row.quality;
            let note = format!(
                "hash {} bits, quality {} vs {}",
                out.hash().distance(&row.hash),
                out.quality,
                row.quality
            );
            (if q_ok { bits } else { bits.max(1) }, note)
        }
    }
}

#[test]
fn reference_rows_are_self_consistent() {
    let rows = read_rows();
    assert_eq!(rows.len(), 2 * (LOSSLESS + JPEG + LOSSY_WEBP));
    for row in &rows {
        // The plain and the dihedral entry point agree on the original in every vector.
        assert_eq!(row.hash, row.dihedral[0], "{}", row.vector);
    }
}

#[test]
fn lossless_vectors_are_bit_exact_in_both_pipelines() {
    let rows = read_rows();
    let mut checked: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for row in rows.iter().filter(|r| kind(&r.vector) == Kind::Lossless) {
        let (bits, note) = check(row);
        let name = match row.pipeline {
            PdqPipeline::Default => "default",
            PdqPipeline::CliCompat => "cli-compat",
        };
        *checked.entry(name).or_default() += 1;
        if bits != 0 {
            failures.push(format!("{} [{name}]: {bits} bits; {note}", row.vector));
        }
    }
    assert!(
        failures.is_empty(),
        "not bit-exact:\n{}",
        failures.join("\n")
    );
    assert_eq!(checked.get("default"), Some(&LOSSLESS));
    assert_eq!(checked.get("cli-compat"), Some(&LOSSLESS));
}

/// JPEG (and lossy WebP) distances: the hash bits off, per vector and pipeline, with the
/// reference's quality and ours.
fn lossy_distances(want: Kind) -> Vec<(String, PdqPipeline, u32, u32, u32)> {
    read_rows()
        .iter()
        .filter(|r| kind(&r.vector) == want)
        .map(|row| {
            let out = hash_vector(row).unwrap();
            let bits = Dihedral::ALL
                .iter()
                .map(|&d| out.variant(d).distance(&row.dihedral[d.index()]))
                .max()
                .unwrap();
            let bits = bits.max(out.hash().distance(&row.hash));
            (
                row.vector.clone(),
                row.pipeline,
                bits,
                row.quality,
                out.quality,
            )
        })
        .collect()
}

fn histogram(distances: &[(String, PdqPipeline, u32, u32, u32)]) -> BTreeMap<u32, usize> {
    let mut hist = BTreeMap::new();
    for (_, _, bits, _, _) in distances {
        *hist.entry(*bits).or_default() += 1;
    }
    hist
}

#[test]
fn jpeg_vectors() {
    let distances = lossy_distances(Kind::Jpeg);
    assert_eq!(distances.len(), 2 * JPEG);
    println!(
        "JPEG decoder: {}; max-over-variants distance histogram {{bits: vectors}}: {:?}",
        hashsweep::perceptual::JPEG_DECODER,
        histogram(&distances)
    );
    for (vector, pipeline, bits, quality, _) in distances.iter().filter(|d| d.2 > 0) {
        println!("  {vector} [{pipeline:?}]: {bits} bits (reference quality {quality})");
    }
    for (vector, pipeline, bits, quality, ours) in &distances {
        if cfg!(feature = "turbojpeg") {
            // Same pixels as the reference's decoder: hash and quality both exact.
            assert_eq!(*bits, 0, "{vector} [{pipeline:?}] with libjpeg-turbo");
            assert_eq!(ours, quality, "{vector} [{pipeline:?}] quality");
        } else if *quality >= 80 {
            assert!(*bits <= 10, "{vector} [{pipeline:?}]: {bits} bits");
        }
    }
}

#[test]
fn lossy_webp_vectors_within_cross_decoder_rule() {
    let distances = lossy_distances(Kind::LossyWebp);
    assert_eq!(distances.len(), 2 * LOSSY_WEBP);
    println!(
        "lossy WebP (image-rs vs libwebp) histogram: {:?}",
        histogram(&distances)
    );
    for (vector, pipeline, bits, quality, _) in &distances {
        if *quality >= 80 {
            assert!(*bits <= 10, "{vector} [{pipeline:?}]: {bits} bits");
        }
    }
}
