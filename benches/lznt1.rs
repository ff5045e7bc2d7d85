//! LZNT1 decompression speed (MB/s of decompressed output, one core) on LZNT1 data of
//! pictures as NTFS stores them: each picture cut into 64 KiB compression units, each unit
//! compressed into 4 KiB chunks by `lznt1::compress` (chunks that do not shrink stored
//! plain, as Windows and ntfs-3g do). Three kinds: a JPEG (almost all chunks stored plain),
//! a PNG (some matches) and a 24-bit BMP (raw pixels: dense back-references, the slow case).
//!
//! Run: `cargo bench --bench lznt1`

// The compressed sizes are printed beside the timings.
#![allow(clippy::print_stderr)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hashsweep::evidence::disk::fs::lznt1::{compress, decompress_into};
use hashsweep::synth::{jpeg_bytes, picture, png_bytes, Pattern};

const UNIT: usize = 65536;

/// A 24-bit bottom-up BMP of `img` (header + raw BGR rows padded to 4 bytes).
fn bmp(img: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = img.write_to(&mut out, image::ImageFormat::Bmp);
    out.into_inner()
}

fn pictures() -> Vec<(&'static str, Vec<u8>)> {
    let photo = picture(Pattern::Noise, 1152, 864, 1);
    let shapes = picture(Pattern::Shapes, 1152, 864, 2);
    vec![
        ("jpeg", jpeg_bytes(&photo, 90)),
        ("png", png_bytes(&shapes)),
        ("bmp", bmp(&shapes)),
    ]
}

fn lznt1(c: &mut Criterion) {
    let mut group = c.benchmark_group("lznt1_decompress");
    group.sample_size(20);
    for (name, bytes) in pictures() {
        let units: Vec<Vec<u8>> = bytes.chunks(UNIT).map(compress).collect();
        let packed: usize = units.iter().map(Vec::len).sum();
        eprintln!("{name}: {} bytes, LZNT1 {packed} bytes", bytes.len());
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &units, |b, units| {
            let mut out = vec![0u8; UNIT];
            b.iter(|| {
                for unit in units {
                    decompress_into(unit, &mut out).unwrap_or_default();
                }
                out[0]
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lznt1);
criterion_main!(benches);
