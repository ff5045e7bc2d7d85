//! Per-picture perceptual hashing time on generated 1 MP and 12 MP JPEGs: decode alone,
//! and decode + pHash/dHash/aHash. (PDQ has its own bench, benches/pdq.rs.)
//!
//! Run: `cargo bench --bench perceptual`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use hashsweep::algorithm::Algorithm;
use hashsweep::perceptual::{decode::decode, DecodeLimits, PerceptualConfig};
use hashsweep::sniff::PictureFormat;
use hashsweep::synth::{jpeg_bytes, picture, Pattern};

fn pictures() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "1MP",
            jpeg_bytes(&picture(Pattern::Noise, 1152, 864, 1), 90),
        ),
        (
            "12MP",
            jpeg_bytes(&picture(Pattern::Noise, 4000, 3000, 2), 90),
        ),
    ]
}

fn perceptual(c: &mut Criterion) {
    let limits = DecodeLimits::default();
    let imghash = PerceptualConfig::new(
        &[Algorithm::Phash, Algorithm::Dhash, Algorithm::Ahash],
        limits,
    );
    let mut group = c.benchmark_group("perceptual");
    group.sample_size(10);
    for (name, jpeg) in pictures() {
        group.bench_with_input(BenchmarkId::new("decode", name), &jpeg, |b, jpeg| {
            b.iter(|| decode(jpeg, PictureFormat::Jpeg, &limits).map(|i| i.width()))
        });
        group.bench_with_input(
            BenchmarkId::new("decode+phash+dhash+ahash", name),
            &jpeg,
            |b, jpeg| {
                b.iter(|| {
                    imghash
                        .hash_picture(jpeg, PictureFormat::Jpeg)
                        .map(|p| p.hashes)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, perceptual);
criterion_main!(benches);
