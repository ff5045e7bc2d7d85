//! Every picture format against the reference pipeline (Pillow with pillow-heif, its AVIF
//! plugin and pillow-jxl-plugin, then `pdqhash`), on pictures generated at test time by
//! `tests/support/formats_oracle.py` (Pillow, pillow-heif's x265, libjxl's `cjxl`).
//!
//! Lossless formats (PNM incl. 16-bit colour and grey, maxval 100 and 1000, TGA incl. RLE and colour-mapped, ICO
//! with PNG and BMP images, QOI, first frames of animated GIF/APNG/WebP, first TIFF page,
//! 16-bit and CMYK TIFF, lossless JPEG XL, CMYK JPEG through libjpeg-turbo) must decode to
//! exactly Pillow's RGB bytes, and then the PDQ core fed pdqhash's own luma gives
//! pdqhash's hash bit for bit. Lossy formats decoded by a different build or library than
//! the reference's (JPEG XL lossy: jxl-oxide vs libjxl; HEIC: libheif 1.23 + Debian
//! libde265 vs pillow-heif's own; AVIF: libheif + dav1d vs Pillow's libavif) are held to
//! the measured bound below, and the median and maximum PDQ distance are printed.
//!
//! HEIC and AVIF go through the real decode child (the hashsweep binary). Needs the tools
//! of `.ci/setup`; without them the test prints a notice and passes, except under `CI`.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use hashsweep::pdq::{pdq_from_image, pdq_from_luma, PdqHash, PdqPipeline};
use hashsweep::perceptual::decode::decode_with;
use hashsweep::perceptual::isolate::CHILD_ARG;
use hashsweep::perceptual::{ChildDecoder, DecodeLimits};
use hashsweep::sniff::{sniff_image, SNIFF_LEN};
use image::DynamicImage;
use sha2::{Digest, Sha256};

/// Largest PDQ distance from the reference allowed per lossy format (measured on this
/// test's pictures: see the printed table; the bound leaves room for other content).
const LOSSY_BOUNDS: [(&str, u32); 3] = [("jxl", 8), ("heic", 4), ("avif", 8)];

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/formats_oracle.py")
}

fn python(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .unwrap()
}

fn oracle_available() -> bool {
    python(&["--check".as_ref()]).status.success()
}

struct Reference {
    width: u32,
    height: u32,
    rgb_sha256: String,
    quality: u32,
    pdq: PdqHash,
}

fn references(dir: &Path) -> BTreeMap<String, Reference> {
    let out = crate::support::run(Command::new("python3").arg(script()).arg("oracle").arg(dir));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let reference = Reference {
                width: f[1].parse().unwrap(),
                height: f[2].parse().unwrap(),
                rgb_sha256: f[3].to_string(),
                quality: f[4].parse().unwrap(),
                pdq: PdqHash::from_hex(f[5]).unwrap(),
            };
            (f[0].to_string(), reference)
        })
        .collect()
}

/// The RGB python-threatexchange hands pdqhash, from our decode (grey stacked, alpha
/// dropped, 16-bit grey clipped, 16-bit colour's high byte: `pdq::luma`'s rules).
fn reference_rgb(img: &DynamicImage) -> Vec<u8> {
    match img {
        DynamicImage::ImageLuma8(p) => p.as_raw().iter().flat_map(|&v| [v; 3]).collect(),
        DynamicImage::ImageLuma16(p) => p
            .as_raw()
            .iter()
            .flat_map(|&v| [v.min(255) as u8; 3])
            .collect(),
        DynamicImage::ImageLumaA8(p) => p.pixels().flat_map(|p| [p[0]; 3]).collect(),
        DynamicImage::ImageRgb8(p) => p.as_raw().clone(),
        DynamicImage::ImageRgba8(p) => p.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect(),
        DynamicImage::ImageRgb16(p) => p.as_raw().iter().map(|&v| (v >> 8) as u8).collect(),
        other => panic!("unexpected decoded type {:?}", other.color()),
    }
}

/// pdqhash's luma: `(R·0.299 + G·0.587) + B·0.114` in f64 (NumPy), rounded to f32.
fn numpy_luma(rgb: &[u8]) -> Vec<f32> {
    rgb.chunks_exact(3)
        .map(|p| {
            (f64::from(p[0]) * 0.299 + f64::from(p[1]) * 0.587 + f64::from(p[2]) * 0.114) as f32
        })
        .collect()
}

fn format_of_extension(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap() {
        "ppm" | "pgm" | "pbm" => "pnm",
        "tif" => "tiff",
        "jpg" => "jpeg",
        "jxl" => "jpegxl",
        "heic" => "heif",
        "tga" => "tga",
        "ico" => "ico",
        "qoi" => "qoi",
        "gif" => "gif",
        "png" => "png",
        "webp" => "webp",
        "avif" => "avif",
        other => panic!("unexpected fixture extension {other}"),
    }
}

fn lossy_kind(name: &str) -> Option<&'static str> {
    if name == "lossy.jxl" {
        Some("jxl")
    } else if name.ends_with(".heic") {
        Some("heic")
    } else if name.ends_with(".avif") {
        Some("avif")
    } else {
        None
    }
}

fn median(values: &mut [u32]) -> u32 {
    values.sort_unstable();
    values[values.len() / 2]
}

#[test]
fn every_format_decodes_as_the_reference_pipeline() {
    if !oracle_available() {
        let msg = "formats oracle unavailable (.ci/setup installs Pillow, pillow-heif, \
                   pillow-jxl-plugin, pdqhash, libjxl-tools)";
        assert!(std::env::var_os("CI").is_none(), "CI must run it: {msg}");
        eprintln!("SKIPPED formats: {msg}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = python(&["generate".as_ref(), dir.path().as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = references(dir.path());
    assert_eq!(want.len(), 32, "{:?}", want.keys().collect::<Vec<_>>());

    // HASHSWEEP_BIN: this build's binary when a target dir shared by several checkouts may
    // hold another checkout's `hashsweep` at the usual path.
    let binary = std::env::var_os("HASHSWEEP_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_hashsweep")),
        PathBuf::from,
    );
    let child = ChildDecoder::new(binary, [CHILD_ARG]);
    let limits = DecodeLimits::default();
    let mut failures = Vec::new();
    let mut lossy: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (name, reference) in &want {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        let format = sniff_image(&bytes[..bytes.len().min(SNIFF_LEN)]);
        assert_eq!(
            format.map(|f| f.name()),
            Some(format_of_extension(name)),
            "{name}"
        );
        let img = match decode_with(&bytes, format.unwrap(), &limits, Some(&child)) {
            Ok(img) => img,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        assert_eq!(
            (img.width(), img.height()),
            (reference.width, reference.height),
            "{name}"
        );
        let rgb = reference_rgb(&img);
        if let Some(kind) = lossy_kind(name) {
            let ours = pdq_from_image(&img, PdqPipeline::Default).unwrap();
            lossy
                .entry(kind)
                .or_default()
                .push(ours.hash().distance(&reference.pdq));
            continue;
        }
        if hex::encode(Sha256::digest(&rgb)) != reference.rgb_sha256 {
            failures.push(format!(
                "{name}: RGB differs from Pillow's ({:?})",
                img.color()
            ));
            continue;
        }
        let core = pdq_from_luma(
            img.width() as usize,
            img.height() as usize,
            &numpy_luma(&rgb),
        );
        let core = core.unwrap();
        if core.hash() != reference.pdq || core.quality != reference.quality {
            failures.push(format!("{name}: PDQ differs from pdqhash"));
        }
    }
    for (kind, bound) in LOSSY_BOUNDS {
        let Some(bits) = lossy.get_mut(kind) else {
            failures.push(format!("no {kind} picture decoded"));
            continue;
        };
        let max = *bits.iter().max().unwrap();
        println!(
            "{kind}: PDQ bits from the reference, median {} max {max}",
            median(bits)
        );
        if max > bound {
            failures.push(format!("{kind}: {max} bits over the bound {bound}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The checked-in seed pictures (fuzz/regressions/picture, made by fuzz/run.sh) through the
/// real binary: every new format is sniffed, decoded (HEIC/AVIF in the decode child) and
/// PDQ-hashed, the icon's image and the TIFF's second page are children hashed alike, and
/// a HEIC cut short is that file's failure while the scan goes on.
#[test]
fn new_formats_through_the_cli() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/picture");
    let dir = tempfile::tempdir().unwrap();
    let names = [
        ("seed.heic", "heif"),
        ("seed.avif", "avif"),
        ("seed.jxl", "jpegxl"),
        ("seed.ico", "ico"),
        ("seed.ppm", "pnm"),
        ("seed.tga", "tga"),
        ("seed.qoi", "qoi"),
        ("seed.pages.tif", "tiff"),
    ];
    for (name, _) in names {
        std::fs::copy(seeds.join(name), dir.path().join(name)).unwrap();
    }
    let heic = std::fs::read(seeds.join("seed.heic")).unwrap();
    std::fs::write(dir.path().join("cut.heic"), &heic[..300]).unwrap();
    let binary = std::env::var_os("HASHSWEEP_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_hashsweep")),
        PathBuf::from,
    );
    let out = Command::new(binary)
        .args(["hash", "--perceptual", "pdq", "--quiet"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: BTreeMap<String, serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|r| {
            let name = r["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            (name, r)
        })
        .collect();
    // Every file, the cut HEIC, and two children: the icon's one (PNG) image and the
    // TIFF's second page.
    assert_eq!(records.len(), names.len() + 1 + 2);
    let children = [("icon-1-16x11", "png"), ("page-2", "tiff")];
    for (name, format) in names.into_iter().chain(children) {
        let record = &records[name];
        assert_eq!(record["image"]["format"], format, "{record}");
        assert_eq!(
            record["hashes"]["pdq"].as_str().map(str::len),
            Some(64),
            "{record}"
        );
    }
    let cut = &records["cut.heic"];
    assert_eq!(cut["record"], "failure");
    assert_eq!(cut["failure_kind"], "decode");
    let error = cut["error"].as_str().unwrap();
    assert!(
        error.starts_with("picture not decoded: corrupt or truncated picture: heif"),
        "{error}"
    );
}

/// Runs `hashsweep hash --perceptual pdq` on `evidence` and returns each record by its
/// path relative to `root`.
fn hash_records(evidence: &Path, root: &Path) -> BTreeMap<String, serde_json::Value> {
    let binary = std::env::var_os("HASHSWEEP_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_hashsweep")),
        PathBuf::from,
    );
    let out = crate::support::run(
        Command::new(binary)
            .args(["hash", "--perceptual", "pdq", "--quiet"])
            .arg(evidence),
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|r| {
            let path = r["path"].as_str().unwrap();
            let name = path.strip_prefix(root.to_str().unwrap()).unwrap();
            (name.trim_start_matches('/').to_string(), r)
        })
        .collect()
}

/// A HEIC's thumbnail items (pillow-heif writes them as libheif does for phones) are
/// children `thumbs.heic!/thumbnail-<item>`, decoded and PDQ-hashed bit-exact as
/// pillow-heif and pdqhash see them. A file whose two items name each other thumbnails
/// stops where a copy repeats a picture around it, accounted as one skipped item.
#[test]
fn heif_thumbnails_are_children_hashed_as_the_reference_sees_them() {
    if !oracle_available() {
        assert!(std::env::var_os("CI").is_none(), "CI must run it");
        eprintln!("SKIPPED heif thumbnails: formats oracle unavailable");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = python(&["thumbnails".as_ref(), dir.path().as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Vec<(u64, u64, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (
                fields[0].parse().unwrap(),
                fields[1].parse().unwrap(),
                fields[2].to_string(),
            )
        })
        .collect();
    assert_eq!(want.len(), 2);

    // The loop: the second `thmb` reference (item 3 of item 1) turned into "item 1 is a
    // thumbnail of item 2", so item 2's copy has item 1 as its thumbnail again.
    let mut looped = std::fs::read(dir.path().join("thumbs.heic")).unwrap();
    let iref = looped.windows(4).position(|w| w == b"iref").unwrap();
    let second = iref + 12 + 14;
    assert_eq!(&looped[second..second + 4], b"thmb");
    looped[second + 4..second + 6].copy_from_slice(&1u16.to_be_bytes());
    looped[second + 8..second + 10].copy_from_slice(&2u16.to_be_bytes());
    std::fs::write(dir.path().join("loop.heic"), &looped).unwrap();

    let records = hash_records(dir.path(), dir.path());
    let got: Vec<(u64, u64, String)> = ["thumbs.heic!/thumbnail-2", "thumbs.heic!/thumbnail-3"]
        .iter()
        .map(|name| {
            let r = &records[*name];
            assert_eq!(r["record"], "file", "{r}");
            assert_eq!(r["container"]["format"], "heif", "{r}");
            assert_eq!(
                r["container"]["container"]
                    .as_str()
                    .map(|c| c.ends_with("/thumbs.heic")),
                Some(true)
            );
            assert_eq!(r["image"]["format"], "heif", "{r}");
            (
                r["image"]["width"].as_u64().unwrap(),
                r["image"]["height"].as_u64().unwrap(),
                r["hashes"]["pdq"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);

    let names: Vec<&str> = records.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "loop.heic",
            "loop.heic!/thumbnail-2",
            "loop.heic!/thumbnail-2!/thumbnail-1",
            "loop.heic!/thumbnail-2!/thumbnail-1!/$Unread",
            "thumbs.heic",
            "thumbs.heic!/thumbnail-2",
            "thumbs.heic!/thumbnail-3",
        ]
    );
    let unread = &records["loop.heic!/thumbnail-2!/thumbnail-1!/$Unread"];
    assert_eq!(unread["record"], "skipped", "{unread}");
    assert_eq!(unread["reason"], "recursive_container", "{unread}");
}

/// Every picture format, and the children found inside pictures, inside a zip inside a FAT
/// disk image: each is decoded from memory and gets the PDQ it gets as a loose file.
#[test]
fn every_format_inside_a_zip_inside_a_disk_image() {
    if Command::new("mcopy").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must run it");
        eprintln!("SKIPPED: mtools not installed (.ci/setup installs it)");
        return;
    }
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/picture");
    let loose = tempfile::tempdir().unwrap();
    let names = [
        "seed.heic",
        "seed.thumbs.heic",
        "seed.avif",
        "seed.jxl",
        "seed.ico",
        "seed.ppm",
        "seed.pbm",
        "seed.tga",
        "seed.qoi",
        "seed.pages.tif",
        "seed.cmyk.jpg",
        "seed.anim.gif",
    ];
    for name in names {
        std::fs::copy(seeds.join(name), loose.path().join(name)).unwrap();
    }
    let want = hash_records(loose.path(), loose.path());

    let work = tempfile::tempdir().unwrap();
    let zip_path = work.path().join("pictures.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for name in names {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut zip, &std::fs::read(seeds.join(name)).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let script = "truncate -s 4M vol.img && mkfs.fat vol.img >/dev/null && \
                  mcopy -i vol.img pictures.zip ::/";
    crate::support::run(
        Command::new("bash")
            .args(["-c", script])
            .current_dir(work.path()),
    );
    let got = hash_records(&work.path().join("vol.img"), work.path());

    let inside = |name: &str| {
        got.iter()
            .find(|(path, _)| path.ends_with(&format!("/pictures.zip!/{name}")))
            .unwrap_or_else(|| panic!("{name} not found in {:?}", got.keys()))
            .1
    };
    let mut compared = 0;
    for (name, record) in &want {
        let found = inside(name);
        assert_eq!(found["record"], record["record"], "{name}: {found}");
        for field in ["image", "hashes"] {
            assert_eq!(found[field], record[field], "{name}: {field}");
        }
        assert!(record["hashes"]["pdq"].is_string(), "{name}: {record}");
        compared += 1;
    }
    // The loose files plus their children: an icon image, a TIFF page, a HEIF thumbnail.
    assert_eq!(compared, names.len() + 3, "{:?}", want.keys());
}
