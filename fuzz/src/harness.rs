//! The bodies of the fuzz targets, one function per target, each feeding untrusted bytes
//! to one family of hashsweep's parsers the way a scan does. Free of libFuzzer so that
//! `tests/fuzz_regressions.rs` runs the very same code over every saved crash and seed.
//!
//! A target fails only by panicking, hanging or exhausting memory: errors are the expected
//! answer to bad input and are ignored.

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use hashsweep::algorithm::Algorithm;
use hashsweep::evidence::{open_evidence_as, EvidenceType, ItemKind};
use hashsweep::list::{load_list, ListFormat, LoadOptions};
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
use hashsweep::sniff::sniff_image;

/// Replaces libFuzzer's abort-on-every-panic hook (call it from the target's `init`): a
/// panic that hashsweep catches and records as a failure (its design for decoder and
/// filesystem crates) is logged as one `contained panic at FILE:LINE` line, so fuzzing goes
/// on past it; a panic that escapes still aborts the execution and is a finding.
#[allow(clippy::print_stderr)]
pub fn log_contained_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("contained panic at {at}");
    }));
}

/// Bytes read from one file inside a fuzzed disk image at most (keeps executions short).
const MAX_FILE_READ: u64 = 1 << 20;

/// Picture decoding and every perceptual hash, as a scan runs them on a sniffed picture.
pub fn picture(data: &[u8]) {
    let Some(format) = sniff_image(data) else {
        return;
    };
    // The scan's own limits, scaled down so one execution stays fast: a bomb must still
    // be refused by the limit, not decoded.
    let limits = DecodeLimits {
        max_width: 4096,
        max_height: 4096,
        max_alloc: 64 << 20,
    };
    let config = PerceptualConfig::new(&Algorithm::PERCEPTUAL, limits);
    let _ = config.hash_picture(data, format);
}

/// Format detection and the parser it picks, strict and lenient, then one parser forced
/// (picked by the input's length, so the corpus as a whole reaches every parser with
/// inputs of every shape while one execution stays short).
pub fn lists(data: &[u8]) {
    let path = scratch_file("list", data);
    let forced = ListFormat::ALL[data.len() % ListFormat::ALL.len()];
    for (format, lenient) in [(None, false), (None, true), (Some(forced), true)] {
        let options = LoadOptions {
            format,
            lenient,
            ..LoadOptions::alert()
        };
        let _ = load_list(&path, &options);
    }
}

/// Disk-image readers: EWF or raw (by content), partition tables, every filesystem
/// walker, and reading every file found.
pub fn disk_image(data: &[u8]) {
    let path = scratch_file("image.E01", data);
    let stop = AtomicBool::new(false);
    for ty in [EvidenceType::Auto, EvidenceType::Raw] {
        let Ok(source) = open_evidence_as(&path, ty) else {
            continue;
        };
        let Ok(items) = source.enumerate(&stop) else {
            continue;
        };
        for item in items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::File { .. }))
        {
            if let Ok(reader) = source.open(item) {
                let _ = std::io::copy(&mut reader.take(MAX_FILE_READ), &mut std::io::sink());
            }
        }
    }
}

/// The input as a file (list loaders and image readers take paths), one per process,
/// overwritten by each execution.
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hashsweep-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, data) {
        panic!("cannot write the fuzz input to {}: {e}", path.display());
    }
    path
}

/// The vPDQ list parser and video sniffing on the same bytes, and the parser fed the
/// same bytes as `hashsweep hash` records (what `list convert --to vpdq` reads).
pub fn vpdq_list(data: &[u8]) {
    let _ = hashsweep::video::sniff_video(data);
    if let Ok(frames) = hashsweep::list::vpdq::parse_vpdq(data) {
        let mut out = Vec::new();
        let _ = hashsweep::list::vpdq::write_vpdq(&frames, &mut out);
        assert_eq!(
            hashsweep::list::vpdq::parse_vpdq(&out)
                .ok()
                .map(|f| f.len()),
            Some(frames.len()),
            "written frames read back"
        );
    }
    let _ = hashsweep::list::vpdq::videos_from_records(&String::from_utf8_lossy(data));
}
