//! PDQ cost per picture at 1 MP and 12 MP:
//! * `from_luma`: the core alone (filter, DCT, eight variants), decode and conversion excluded;
//! * `from_image`: decoded RGB → hashes (adds the f32 luma conversion);
//! * `jpeg_to_pdq`: JPEG bytes → decode (`perceptual::decode`, libjpeg-turbo by default) → hashes.
//!
//! Time is the benchmark thread's own CPU time (`/proc/thread-self/schedstat`), not wall
//! time: the numbers are per core and hold up on a loaded machine. `pdq_reference.py`
//! measures pdqhash the same way (`time.thread_time`).
//!
//! The pictures are synthetic and deterministic; their JPEGs are also written to
//! `target/pdq-bench/` so `benches/pdq_reference.py` can time pdqhash (the C++ core) on the
//! same decoded pixels. Run: `cargo bench --bench pdq -- --warm-up-time 1`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hashsweep::pdq::{pdq_from_image, pdq_from_luma, PdqPipeline};
use hashsweep::perceptual::decode::decode;
use hashsweep::perceptual::DecodeLimits;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, RgbImage};

const SIZES: [(&str, u32, u32); 2] = [("1mp", 1152, 864), ("12mp", 4032, 3024)];

/// Textured synthetic photo stand-in: waves, a disc and pseudo-random grain.
fn picture(w: u32, h: u32) -> RgbImage {
    let mut state = 0x1234_5678u32;
    RgbImage::from_fn(w, h, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = (state >> 27) as f32;
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let wave = ((fx * 23.0).sin() * (fy * 17.0).cos() * 60.0) + 128.0;
        let disc = if (fx - 0.6).powi(2) + (fy - 0.4).powi(2) < 0.04 {
            70.0
        } else {
            0.0
        };
        let v = |k: f32| (wave + disc * k + grain).clamp(0.0, 255.0) as u8;
        image::Rgb([v(1.0), v(0.5), v(-0.3)])
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(img)
        .unwrap_or_else(|e| panic!("encoding bench JPEG: {e}"));
    out
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pdq-bench")
}

/// CPU time of the calling thread in nanoseconds (Linux scheduler statistics).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("/proc/thread-self/schedstat unreadable (Linux only)"))
}

/// Criterion measurement: thread CPU time.
struct ThreadCpu;

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e6);
        "ms cpu"
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match t {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n,
        };
        // values are ns per iteration: report megapixels per CPU-second.
        values.iter_mut().for_each(|v| *v = per as f64 / *v * 1e3);
        "Mpx/cpu-s"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn pdq(c: &mut Criterion<ThreadCpu>) {
    let mut group = c.benchmark_group("pdq");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6));
    std::fs::create_dir_all(bench_dir()).unwrap_or_else(|e| panic!("bench dir: {e}"));
    for (name, w, h) in SIZES {
        let bytes = jpeg(&picture(w, h));
        std::fs::write(bench_dir().join(format!("{name}.jpg")), &bytes)
            .unwrap_or_else(|e| panic!("writing bench JPEG: {e}"));
        // Hash exactly the decoded pixels pdq_reference.py gets from PIL.
        let decoded = decode(
            &bytes,
            hashsweep::sniff::PictureFormat::Jpeg,
            &DecodeLimits::default(),
        )
        .unwrap_or_else(|e| panic!("decoding bench JPEG: {e}"));
        let luma: Vec<f32> = decoded
            .to_rgb8()
            .pixels()
            .map(|p| {
                0.299f32 * f32::from(p[0]) + 0.587f32 * f32::from(p[1]) + 0.114f32 * f32::from(p[2])
            })
            .collect();
        let (w, h) = (w as usize, h as usize);
        group.throughput(Throughput::Elements((w * h) as u64));
        group.bench_function(BenchmarkId::new("from_luma", name), |b| {
            b.iter(|| pdq_from_luma(w, h, &luma))
        });
        let rgb = DynamicImage::ImageRgb8(decoded.to_rgb8());
        group.bench_function(BenchmarkId::new("from_image", name), |b| {
            b.iter(|| pdq_from_image(&rgb, PdqPipeline::Default))
        });
        group.bench_function(BenchmarkId::new("jpeg_to_pdq", name), |b| {
            b.iter(|| {
                let img = decode(
                    &bytes,
                    hashsweep::sniff::PictureFormat::Jpeg,
                    &DecodeLimits::default(),
                );
                img.map(|img| pdq_from_image(&img, PdqPipeline::Default))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = pdq
}
criterion_main!(benches);
