//! Digest throughput: MD5 + SHA-1 + SHA-256 + BLAKE3 from one read, in MB/s, and each
//! digest alone for comparison. Single-threaded: the scan parallelises across files.
//!
//! Run: `cargo bench --bench digests`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hashsweep::digest::Digester;
use hashsweep::read_pass::{read_once, KeepCaps, CHUNK};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

fn data(len: usize) -> Vec<u8> {
    let mut rng = hashsweep::synth::SplitMix64::new(42);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

fn all_four(c: &mut Criterion) {
    let buf = data(64 << 20);
    let mut group = c.benchmark_group("digests");
    group.throughput(Throughput::Bytes(buf.len() as u64));
    group.sample_size(10);
    group.bench_function("all_four_one_pass", |b| {
        b.iter(|| {
            let mut d = Digester::new();
            for chunk in buf.chunks(CHUNK) {
                d.update(chunk);
            }
            d.finish()
        })
    });
    group.bench_function("read_once_from_memory", |b| {
        let mut scratch = Vec::new();
        b.iter(|| read_once(&buf[..], KeepCaps::default(), &mut scratch).map(|p| p.bytes_read))
    });
    group.bench_with_input(BenchmarkId::new("single", "md5"), &buf, |b, buf| {
        b.iter(|| Md5::digest(buf))
    });
    group.bench_with_input(BenchmarkId::new("single", "sha1"), &buf, |b, buf| {
        b.iter(|| Sha1::digest(buf))
    });
    group.bench_with_input(BenchmarkId::new("single", "sha256"), &buf, |b, buf| {
        b.iter(|| Sha256::digest(buf))
    });
    group.bench_with_input(BenchmarkId::new("single", "blake3"), &buf, |b, buf| {
        b.iter(|| blake3::hash(buf))
    });
    group.finish();
}

criterion_group!(benches, all_four);
criterion_main!(benches);
