//! Writes the bundled demo evidence and demo list under `fixtures/` (deterministic).
//!
//! Run: `cargo run --release --example gen_fixtures -- fixtures`
//! Every picture is synthetic (shapes, smooth noise, text-like blocks, waves); the list's
//! perceptual entries are hashes of "originals" that are NOT in the evidence, so the demo
//! shows a resized, a re-encoded, a mirrored and a renamed copy being found by content.
#![allow(clippy::print_stdout)]

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hashsweep::algorithm::Algorithm;
use hashsweep::digest::FileDigests;
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
use hashsweep::synth::{jpeg_bytes, picture, png_bytes, transform, Pattern, SplitMix64, Transform};
use image::RgbImage;
use serde_json::json;

struct Writer {
    root: PathBuf,
    list: Vec<serde_json::Value>,
    perceptual: PerceptualConfig,
}

impl Writer {
    fn file(&self, rel: &str, bytes: &[u8]) -> Result<FileDigests> {
        let path = self.root.join("evidence").join(rel);
        fs::create_dir_all(path.parent().context("no parent")?)?;
        fs::write(&path, bytes).with_context(|| path.display().to_string())?;
        Ok(FileDigests::of(bytes))
    }

    fn entry(&mut self, algorithm: Algorithm, hash: &[u8], id: &str, category: &str, label: &str) {
        self.list.push(json!({
            "algorithm": algorithm.name(), "hash": hex::encode(hash),
            "id": id, "category": category, "label": label,
        }));
    }

    /// Lists the perceptual hashes of an original that is not itself in the evidence.
    fn perceptual_entries(&mut self, original: &RgbImage, id: &str, label: &str) -> Result<()> {
        let hashes = self
            .perceptual
            .hash_picture(&png_bytes(original), hashsweep::sniff::PictureFormat::Png)?
            .hashes;
        for algorithm in self.perceptual.algorithms().to_vec() {
            if let Some(value) = hashes.get(algorithm) {
                self.entry(algorithm, value, id, "2", label);
            }
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fixtures".into()));
    let evidence = root.join("evidence");
    if evidence.exists() {
        fs::remove_dir_all(&evidence)?;
    }
    let mut w = Writer {
        root: root.clone(),
        list: Vec::new(),
        perceptual: PerceptualConfig::new(&Algorithm::PERCEPTUAL, DecodeLimits::default()),
    };
    exact_matches(&mut w)?;
    perceptual_matches(&mut w)?;
    clean_and_broken(&w)?;
    let mut text = String::from("# hashsweep demo list: made-up entries for synthetic pictures\n");
    for entry in &w.list {
        text.push_str(&entry.to_string());
        text.push('\n');
    }
    fs::write(root.join("demo-list.jsonl"), text)?;
    println!("wrote {} and {} entries", evidence.display(), w.list.len());
    Ok(())
}

/// Files on the list by one cryptographic hash each.
fn exact_matches(w: &mut Writer) -> Result<()> {
    let d = w.file(
        "camera/IMG_0001.jpg",
        &jpeg_bytes(&picture(Pattern::Shapes, 320, 240, 1), 90),
    )?;
    w.entry(
        Algorithm::Md5,
        &d.md5,
        "DEMO-0001",
        "1",
        "demo: shapes, listed by MD5",
    );
    let d = w.file(
        "camera/IMG_0002.jpg",
        &jpeg_bytes(&picture(Pattern::Noise, 320, 240, 2), 90),
    )?;
    w.entry(
        Algorithm::Sha1,
        &d.sha1,
        "DEMO-0002",
        "1",
        "demo: noise, listed by SHA-1",
    );
    let d = w.file(
        "downloads/scan-page.png",
        &png_bytes(&picture(Pattern::Text, 240, 320, 3)),
    )?;
    w.entry(
        Algorithm::Sha256,
        &d.sha256,
        "DEMO-0003",
        "3",
        "demo: page, listed by SHA-256",
    );
    let mut rng = SplitMix64::new(4);
    let blob: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
    let d = w.file("downloads/archive.bin", &blob)?;
    w.entry(
        Algorithm::Blake3,
        &d.blake3,
        "DEMO-0004",
        "4",
        "demo: non-picture, listed by BLAKE3",
    );
    // Lists often carry the empty file's digest; hashsweep loads it but never reports it.
    w.file("downloads/empty.txt", b"")?;
    let empty = FileDigests::of(b"");
    w.entry(
        Algorithm::Md5,
        &empty.md5,
        "DEMO-0005",
        "0",
        "demo: zero-length file",
    );
    Ok(())
}

/// Copies of listed originals (the originals themselves are not in the evidence).
fn perceptual_matches(w: &mut Writer) -> Result<()> {
    let a = picture(Pattern::Shapes, 480, 360, 100);
    w.file(
        "shared/resized.jpg",
        &jpeg_bytes(&transform(&a, Transform::HalfSize), 85),
    )?;
    w.perceptual_entries(
        &a,
        "DEMO-0100",
        "demo: shapes original (resized copy in evidence)",
    )?;
    let b = picture(Pattern::Noise, 400, 300, 101);
    w.file("shared/recompressed.jpg", &jpeg_bytes(&b, 50))?;
    w.perceptual_entries(
        &b,
        "DEMO-0101",
        "demo: noise original (re-encoded copy in evidence)",
    )?;
    let c = picture(Pattern::Shapes, 400, 300, 102);
    w.file(
        "shared/mirrored.jpg",
        &jpeg_bytes(&transform(&c, Transform::FlipHorizontal), 90),
    )?;
    w.perceptual_entries(
        &c,
        "DEMO-0102",
        "demo: shapes original (mirrored copy in evidence)",
    )?;
    let d = picture(Pattern::Text, 300, 400, 103);
    w.file("shared/holiday.dat", &jpeg_bytes(&d, 80))?;
    w.perceptual_entries(
        &d,
        "DEMO-0103",
        "demo: page original (renamed JPEG in evidence)",
    )?;
    Ok(())
}

/// Files that must not match, and one that cannot be decoded.
fn clean_and_broken(w: &Writer) -> Result<()> {
    w.file(
        "camera/IMG_0003.png",
        &png_bytes(&picture(Pattern::Text, 240, 180, 5)),
    )?;
    w.file(
        "camera/IMG_0004.jpg",
        &jpeg_bytes(&picture(Pattern::Gradient, 320, 240, 6), 85),
    )?;
    w.file(
        "downloads/notes.txt",
        b"shopping list: milk, bread, batteries\n",
    )?;
    let whole = jpeg_bytes(&picture(Pattern::Shapes, 320, 240, 7), 90);
    w.file("broken/truncated.jpg", &whole[..whole.len() / 3])?;
    let link = w.root.join("evidence/shared/outside-link");
    std::os::unix::fs::symlink(Path::new("../../../README.md"), link)?;
    Ok(())
}
