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
use hashsweep::embedded::{
    heif_thumbnail::find_heif_thumbnails, ico::find_icons, tiff::find_tiff_pages,
};
use hashsweep::evidence::container::{
    read_entries, sniff_container, Budget, ContainerFormat, ContainerLimits, EntryBody, Flow,
    GuardedReader,
};
use hashsweep::evidence::disk::fs::lznt1;
use hashsweep::evidence::{open_evidence_as, EvidenceType, ItemKind};
use hashsweep::list::{load_list, ListFormat, LoadOptions};
use hashsweep::perceptual::heif::decode_heif;
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
use hashsweep::sniff::{sniff_image, PictureFormat};
use hashsweep::video::animation::hash_animation;

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

/// Picture decoding and every perceptual hash, as a scan runs them on a sniffed picture;
/// the finders of pictures inside pictures (icon images, TIFF pages, HEIF thumbnails) on
/// every input.
/// HEIF and AVIF, which a scan decodes in a child process, are decoded in-process here so
/// that libheif and the wrapper around it are fuzzed too.
pub fn picture(data: &[u8]) {
    let _ = find_icons(data);
    let _ = find_tiff_pages(data);
    let _ = find_heif_thumbnails(data);
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
    if matches!(format, PictureFormat::Heif | PictureFormat::Avif) {
        let _ = decode_heif(data, &limits);
        return;
    }
    let config = PerceptualConfig::new(&Algorithm::PERCEPTUAL, limits);
    let _ = config.hash_picture(data, format);
    let _ = hash_animation(data, format, 1.0, &limits);
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
/// walker, and reading every file found (NTFS streams and compressed files among them);
/// then the input as one NTFS compression unit of LZNT1 data, and the LZNT1 round trip
/// of its first bytes (a mismatch panics: a finding).
pub fn disk_image(data: &[u8]) {
    lznt1_unit(data);
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

/// Archive and compressed-stream readers: the format the input sniffs as, else one picked by
/// its length, walked to the end with every entry decompressed under a scaled-down bomb
/// budget (as a scan charges it).
pub fn archive(data: &[u8]) {
    const FORMATS: [ContainerFormat; 9] = [
        ContainerFormat::Zip,
        ContainerFormat::SevenZip,
        ContainerFormat::Tar,
        ContainerFormat::Gzip,
        ContainerFormat::Bzip2,
        ContainerFormat::Xz,
        ContainerFormat::Zstd,
        ContainerFormat::ThumbsDb,
        ContainerFormat::Thumbcache,
    ];
    let format = sniff_container(data)
        .filter(|f| f.is_supported())
        .unwrap_or(FORMATS[data.len() % FORMATS.len()]);
    let limits = ContainerLimits {
        max_entries: 1000,
        ..ContainerLimits::default()
    };
    let budget = Budget::new(None, data.len() as u64, 16 << 20, 100);
    let _ = read_entries(format, data, b"fuzz.bin", &limits, &mut |_, body| {
        if let EntryBody::Data(reader) = body {
            let mut guarded = GuardedReader::new(reader, &budget);
            if std::io::copy(&mut guarded, &mut std::io::sink()).is_err() && budget.is_spent() {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    });
}

/// Windows thumbnail caches: the thumbcache entry walker, and the Thumbs.db catalog parser
/// and thumbnail-stream reader, straight on the bytes (the OLE layer, the `cfb` crate, is
/// reached through the `archive` target). Every entry's data must lie inside the input.
pub fn thumbcache(data: &[u8]) {
    use hashsweep::evidence::container::{thumbcache, thumbs_db};
    let (entries, _) = thumbcache::parse_entries(data);
    let range = data.as_ptr_range();
    for entry in entries {
        let inside = entry.data.is_empty() || range.contains(&entry.data.as_ptr());
        assert!(inside, "entry data outside the input");
    }
    let _ = thumbs_db::parse_catalog(data);
    if let Some(picture) = thumbs_db::picture_in_stream(data) {
        assert!(picture.len() <= data.len());
    }
}

/// The carver's structure walkers (every picture kind, at every header they accept), the
/// FAT orphan-directory test and the EXIF thumbnail finder, straight on the bytes: an end
/// past the input, or a thumbnail that is not where it says, is a bug.
pub fn carve(data: &[u8]) {
    use hashsweep::evidence::disk::carve::formats::{End, PictureKind};
    use hashsweep::evidence::disk::fs::fat_orphans::{orphan_entries, EntryLimits};
    let kinds = [
        PictureKind::Jpeg,
        PictureKind::Png,
        PictureKind::Gif,
        PictureKind::Bmp,
        PictureKind::WebP,
    ];
    for kind in kinds {
        if let End::At(n) = kind.end_of(data) {
            assert!(n <= data.len(), "{kind:?} ends at {n} past {}", data.len());
        }
    }
    let _ = PictureKind::at(data);
    let limits = EntryLimits {
        cluster_end: 1 << 20,
        volume_len: 1 << 30,
    };
    for cluster in data.chunks(512) {
        let _ = orphan_entries(cluster, limits);
    }
    // Children cut out as a contiguous range must be exactly the bytes at their offset.
    let finders = [
        hashsweep::embedded::exif_thumbnail::find_exif_thumbnail(data).ok(),
        hashsweep::embedded::mpf::find_mpf_images(data).ok(),
    ];
    for item in finders.into_iter().flatten().flatten() {
        let at = usize::try_from(item.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        assert_eq!(data.get(at..at + item.data.len()), Some(&item.data[..]));
    }
}

/// Bytes of a 64 KiB NTFS compression unit (16 clusters of 4 KiB).
const UNIT: usize = 65536;

fn lznt1_unit(data: &[u8]) {
    let mut out = vec![0u8; UNIT];
    let _ = lznt1::decompress_into(data, &mut out);
    let plain = &data[..data.len().min(UNIT)];
    let packed = lznt1::compress(plain);
    if lznt1::decompress_into(&packed, &mut out).is_err() || out[..plain.len()] != *plain {
        panic!("LZNT1 round trip of {} bytes differs", plain.len());
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
