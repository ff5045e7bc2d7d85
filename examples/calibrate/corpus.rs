//! Reads the calibration corpus and hashes every picture in it with the library, the way a
//! scan does (content sniffing, decode limits, the four perceptual hashes).
//!
//! Layout (made by `benches/calibration_corpus.sh`): `unrelated/` holds the benign pictures
//! at any depth, `variants/<group>/orig.*` each listed original and
//! `variants/<group>/<transform>.*` its transformed copies. Files that are not pictures
//! (manifests) are passed over; pictures that do not decode are counted.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use hashsweep::algorithm::Algorithm;
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig, PerceptualHashes};
use hashsweep::scan::PDQ_MIN_QUALITY;
use hashsweep::sniff::sniff_image;
use rayon::prelude::*;

pub const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::Pdq,
    Algorithm::Phash,
    Algorithm::Dhash,
    Algorithm::Ahash,
];

/// The transformed copies `gen_corpus.py variants` makes, in its order.
pub const TRANSFORMS: [&str; 8] = [
    "down50",
    "jpeg_q50",
    "crop5",
    "bright10",
    "hflip",
    "watermark",
    "rot90",
    "gray",
];

/// A PDQ value with its quality and all eight dihedral variants (`[0]` as stored).
#[derive(Debug, Clone)]
pub struct Pdq {
    pub quality: u32,
    pub variants: [[u64; 4]; 8],
}

impl Pdq {
    /// Whether a scan would match this picture at all (the reference's quality floor).
    pub fn matchable(&self) -> bool {
        self.quality >= PDQ_MIN_QUALITY
    }

    /// The distance a scan reports when this picture is looked up against `listed`: the
    /// closest of its eight rotations and mirrors to the listed value as stored.
    pub fn distance_to(&self, listed: &Pdq) -> u32 {
        let target = &listed.variants[0];
        self.variants
            .iter()
            .map(|v| {
                v.iter()
                    .zip(target)
                    .map(|(a, b)| (a ^ b).count_ones())
                    .sum()
            })
            .min()
            .unwrap_or(u32::MAX)
    }
}

/// One picture's hashes; an algorithm whose hash could not be made stays `None`.
#[derive(Debug, Clone, Default)]
pub struct Hashes {
    pub pdq: Option<Pdq>,
    /// pHash, dHash, aHash, in that order (the 64-bit ones, `ALGORITHMS[1..]`).
    pub short: [Option<u64>; 3],
}

impl Hashes {
    fn from_library(h: &PerceptualHashes) -> Self {
        let pdq = h.pdq.as_ref().map(|p| Pdq {
            quality: p.quality,
            variants: p.hashes.map(|v| words(&v.0)),
        });
        let short = [h.phash, h.dhash, h.ahash].map(|v| v.map(u64::from_be_bytes));
        Hashes { pdq, short }
    }

    /// The 64-bit distances to `listed` (pHash, dHash, aHash); `None` where either lacks
    /// one or either value is low-information (such a hit never alerts nor corroborates).
    pub fn short_distances(&self, listed: &Hashes) -> [Option<u32>; 3] {
        std::array::from_fn(|i| match (self.short[i], listed.short[i]) {
            (Some(a), Some(b)) if !low_information(a) && !low_information(b) => {
                Some((a ^ b).count_ones())
            }
            _ => None,
        })
    }

    /// Which of the 64-bit values are low-information (pHash, dHash, aHash).
    pub fn low_information(&self) -> [bool; 3] {
        self.short.map(|v| v.is_some_and(low_information))
    }

    /// The PDQ distance a scan would act on: `None` when either has no PDQ value or this
    /// picture's quality is under the floor (never matched).
    pub fn pdq_distance(&self, listed: &Hashes) -> Option<u32> {
        match (&self.pdq, &listed.pdq) {
            (Some(a), Some(b)) if a.matchable() => Some(a.distance_to(b)),
            _ => None,
        }
    }
}

/// Whether a 64-bit value says too little about its picture to count: the alert rule's
/// own test (`low_information::low_information`: nearly uniform, one or two distinct rows of its
/// 8×8 grid, or one run of 40 or more equal bits). A flat or vignetted picture hashes to
/// such values, and on the calibration corpus they collide across unrelated pictures at
/// distance 0.
pub fn low_information(v: u64) -> bool {
    // Any 64-bit algorithm: the test reads the value, not how it was made.
    hashsweep::low_information::low_information(Algorithm::Dhash, &v.to_be_bytes()).is_some()
}

fn words(bytes: &[u8; 32]) -> [u64; 4] {
    std::array::from_fn(|i| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
        u64::from_be_bytes(w)
    })
}

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum Outcome {
    NotPicture,
    Undecoded,
    Hashed(Box<Hashes>),
}

/// A listed original and its transformed copies (by transform name).
#[derive(Debug)]
pub struct Group {
    pub original: Hashes,
    pub copies: BTreeMap<String, Hashes>,
}

/// The hashed corpus, in sorted path order.
#[derive(Debug)]
pub struct Corpus {
    /// Unrelated pictures by top directory under `unrelated/` (a seed, or `debian/PKG`).
    pub sources: BTreeMap<String, SourceCount>,
    pub unrelated: Vec<Hashes>,
    pub groups: Vec<Group>,
    /// Files under `variants/` that were pictures but did not decode, or groups without
    /// a usable original.
    pub variants_skipped: usize,
}

/// How many files of one source were pictures, hashed, or undecodable.
#[derive(Debug, Default, Clone)]
pub struct SourceCount {
    pub hashed: usize,
    pub undecoded: usize,
    /// A Debian package's name and version, as the corpus script recorded them in `.done`.
    pub package: Option<String>,
}

/// Every file under `dir`, sorted, so the work and the output never depend on the
/// directory order of the filesystem.
pub fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Hashes the files in parallel; the result keeps the input order.
pub fn hash_all(paths: &[PathBuf]) -> io::Result<Vec<Outcome>> {
    let config = PerceptualConfig::new(&ALGORITHMS, DecodeLimits::default());
    paths.par_iter().map(|p| hash_file(&config, p)).collect()
}

fn hash_file(config: &PerceptualConfig, path: &Path) -> io::Result<Outcome> {
    let bytes = fs::read(path)?;
    let Some(format) = sniff_image(&bytes) else {
        return Ok(Outcome::NotPicture);
    };
    // A decoder panic is one undecodable picture, as in a scan, not the end of the run.
    let hashed = catch_unwind(AssertUnwindSafe(|| config.hash_picture(&bytes, format)));
    Ok(match hashed {
        Ok(Ok(picture)) => Outcome::Hashed(Box::new(Hashes::from_library(&picture.hashes))),
        _ => Outcome::Undecoded,
    })
}

/// Reads and hashes the whole corpus under `root`.
pub fn load(root: &Path) -> io::Result<Corpus> {
    let unrelated_dir = root.join("unrelated");
    let unrelated_paths = files_under(&unrelated_dir)?;
    let outcomes = hash_all(&unrelated_paths)?;
    let mut sources = BTreeMap::new();
    let mut unrelated = Vec::new();
    for (path, outcome) in unrelated_paths.iter().zip(outcomes) {
        let count: &mut SourceCount = sources.entry(source_of(&unrelated_dir, path)).or_default();
        match outcome {
            Outcome::NotPicture => {}
            Outcome::Undecoded => count.undecoded += 1,
            Outcome::Hashed(h) => {
                count.hashed += 1;
                unrelated.push(*h);
            }
        }
    }
    for (source, count) in sources.iter_mut() {
        let done = unrelated_dir.join(source).join(".done");
        count.package = fs::read_to_string(done).ok().map(|t| t.trim().to_string());
    }
    let (groups, variants_skipped) = load_groups(&root.join("variants"))?;
    Ok(Corpus {
        sources,
        unrelated,
        groups,
        variants_skipped,
    })
}

/// `seed101` for `unrelated/seed101/d00/img_00000.jpg`, `debian/desktop-base` for a
/// Debian package's picture.
fn source_of(base: &Path, path: &Path) -> String {
    let parts: Vec<String> = path
        .strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let depth = if parts.first().is_some_and(|p| p == "debian") {
        2
    } else {
        1
    };
    parts[..depth.min(parts.len().saturating_sub(1)).max(1)].join("/")
}

fn load_groups(dir: &Path) -> io::Result<(Vec<Group>, usize)> {
    let paths = files_under(dir)?;
    let outcomes = hash_all(&paths)?;
    let mut by_group: BTreeMap<String, BTreeMap<String, Hashes>> = BTreeMap::new();
    let mut skipped = 0;
    for (path, outcome) in paths.iter().zip(outcomes) {
        let (Some(group), Some(stem)) = (path.parent().and_then(Path::file_name), path.file_stem())
        else {
            continue;
        };
        match outcome {
            Outcome::NotPicture => {}
            Outcome::Undecoded => skipped += 1,
            Outcome::Hashed(h) => {
                let group = group.to_string_lossy().into_owned();
                let stem = stem.to_string_lossy().into_owned();
                by_group.entry(group).or_default().insert(stem, *h);
            }
        }
    }
    let mut groups = Vec::new();
    for mut files in by_group.into_values() {
        match files.remove("orig") {
            Some(original) => groups.push(Group {
                original,
                copies: files,
            }),
            None => skipped += files.len() + 1,
        }
    }
    Ok((groups, skipped))
}
