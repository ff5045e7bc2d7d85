//! Measures how far transformed copies drift and how close distinct pictures come, for each
//! perceptual hash, on the generated corpus. The default thresholds in
//! `Algorithm::default_threshold` come from this output.
//!
//! Run: `cargo run --release --example calibrate`
#![allow(clippy::print_stdout)]

use hashsweep::algorithm::Algorithm;
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig, PerceptualHashes};
use hashsweep::synth::{jpeg_bytes, picture, png_bytes, transform, Pattern, Transform};

const ALGS: [Algorithm; 4] = [
    Algorithm::Pdq,
    Algorithm::Phash,
    Algorithm::Dhash,
    Algorithm::Ahash,
];

fn distance(a: &PerceptualHashes, b: &PerceptualHashes, alg: Algorithm) -> u32 {
    // PDQ hashes under quality 50 are never matched, so they do not count here.
    let usable = |h: &PerceptualHashes| {
        alg != Algorithm::Pdq || h.pdq.as_ref().is_some_and(|p| p.quality >= 50)
    };
    match (a.get(alg), b.get(alg)) {
        (Some(x), Some(y)) if usable(a) && usable(b) => {
            x.iter().zip(y).map(|(p, q)| (p ^ q).count_ones()).sum()
        }
        _ => u32::MAX,
    }
}

fn main() {
    let config = PerceptualConfig::new(&ALGS, DecodeLimits::default());
    let hash = |bytes: &[u8], format| {
        config
            .hash_picture(bytes, format)
            .map(|p| p.hashes)
            .unwrap_or_default()
    };
    let sizes = [(320u32, 240u32), (256, 256), (400, 300), (200, 300)];
    let mut originals = Vec::new();
    let mut worst_copy = [0u32; 4];
    for seed in 0..40u64 {
        let pattern = Pattern::ALL[(seed % 4) as usize];
        let (w, h) = sizes[(seed / 4 % 4) as usize];
        let img = picture(pattern, w, h, seed);
        let original = hash(&png_bytes(&img), hashsweep::sniff::PictureFormat::Png);
        for t in [
            Transform::HalfSize,
            Transform::Reencode,
            Transform::Crop5,
            Transform::Brighter,
        ] {
            let copy = hash(
                &jpeg_bytes(&transform(&img, t), 75),
                hashsweep::sniff::PictureFormat::Jpeg,
            );
            for (i, alg) in ALGS.into_iter().enumerate() {
                let d = distance(&original, &copy, alg);
                if d != u32::MAX {
                    worst_copy[i] = worst_copy[i].max(d);
                }
            }
        }
        originals.push(original);
    }
    let mut closest_distinct = [u32::MAX; 4];
    for (i, a) in originals.iter().enumerate() {
        for b in &originals[i + 1..] {
            for (k, alg) in ALGS.into_iter().enumerate() {
                closest_distinct[k] = closest_distinct[k].min(distance(a, b, alg));
            }
        }
    }
    for (k, alg) in ALGS.into_iter().enumerate() {
        println!(
            "{alg}: farthest transformed copy {} bits, closest distinct pair {} bits",
            worst_copy[k], closest_distinct[k]
        );
    }
}
