//! Hamming range search: build time, memory and per-query latency of the multi-index
//! against the linear scan, PDQ-256 at r = 31, on uniform and clustered lists.
//!
//! Skewed lists have a quarter of entries with their first 64 bits zero. Clustered lists
//! are near-duplicates (0..=16 flipped bits) of 4000 centres, as real hash
//! lists are; their queries are perturbed centres, so each hits a few hundred entries.
//! Lists of 10M entries are opt-in (`HASHSWEEP_BENCH_10M=1`): each needs ~1 GiB and minutes.
//! Memory ratios are printed to stderr (criterion has no memory measure).
// A bench reports memory ratios on stderr, and a list too large for u32 ids is a bug here.
#![allow(clippy::print_stderr, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use hashsweep::index::{
    HammingIndex, Hash256, IndexBuilder, LinearScan, NeighborSearch, RadiusPolicy,
};

const RADIUS: u32 = 31;
const CENTRES: usize = 4000;
const MAX_FLIPS: u64 = 16;

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn hash(&mut self) -> Hash256 {
        Hash256([self.next(), self.next(), self.next(), self.next()])
    }

    fn near(&mut self, centres: &[Hash256]) -> Hash256 {
        let mut h = centres[(self.next() % centres.len() as u64) as usize];
        for _ in 0..self.next() % (MAX_FLIPS + 1) {
            let bit = self.next() % 256;
            h.0[(bit / 64) as usize] ^= 1 << (bit % 64);
        }
        h
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Uniform,
    Clustered,
    /// A quarter of the entries (and queries) have their first 64 bits zero, as hashes of
    /// flat or near-blank pictures do: a few substrings get one giant bucket.
    Skewed,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Uniform => "uniform",
            Shape::Clustered => "clustered",
            Shape::Skewed => "skewed",
        }
    }

    /// A list of `n` hashes and `queries` queries of this shape.
    fn data(self, n: usize, queries: usize) -> (Vec<Hash256>, Vec<Hash256>) {
        let mut rng = SplitMix(n as u64);
        let centres: Vec<Hash256> = (0..CENTRES).map(|_| rng.hash()).collect();
        let draw = |rng: &mut SplitMix| match self {
            Shape::Uniform => rng.hash(),
            Shape::Clustered => rng.near(&centres),
            Shape::Skewed => {
                let mut h = rng.hash();
                if rng.next() & 3 == 0 {
                    h.0[0] = 0;
                }
                h
            }
        };
        let list = (0..n).map(|_| draw(&mut rng)).collect();
        let queries = (0..queries).map(|_| draw(&mut rng)).collect();
        (list, queries)
    }
}

fn sizes() -> Vec<usize> {
    let mut sizes = vec![100_000, 1_000_000];
    if std::env::var_os("HASHSWEEP_BENCH_10M").is_some() {
        sizes.push(10_000_000);
    }
    sizes
}

/// Times one query at a time, cycling through `queries`.
fn bench_queries<S: NeighborSearch<Hash256>>(
    c: &mut Criterion,
    group: &str,
    name: &str,
    n: usize,
    searcher: &S,
    queries: &[Hash256],
) {
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut out = Vec::new();
    let mut next = 0;
    g.bench_function(BenchmarkId::new(name, n), |b| {
        b.iter(|| {
            next = (next + 1) % queries.len();
            searcher.search(&queries[next], RADIUS, &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn query_latency(c: &mut Criterion) {
    for n in sizes() {
        for shape in [Shape::Uniform, Shape::Clustered, Shape::Skewed] {
            let (list, queries) = shape.data(n, 512);
            let group = format!("index/query/{}", shape.name());
            let index = HammingIndex::new(list.clone(), RADIUS).expect("list fits u32 ids");
            let raw = (n * std::mem::size_of::<Hash256>()) as f64;
            eprintln!(
                "{group}/{n}: m = {} ({:?} bits), index memory {:.2}x raw hash bytes",
                index.table_count(),
                index.substring_bits(),
                index.heap_bytes() as f64 / raw,
            );
            bench_queries(c, &group, "mih", n, &index, &queries);
            drop(index);
            // The same index with static radii (≈ ⌊r/m⌋ each): what per-query planning buys.
            let fixed = IndexBuilder::new(RADIUS)
                .radius_policy(RadiusPolicy::Static)
                .build(list.clone())
                .expect("list fits u32 ids");
            bench_queries(c, &group, "mih_static", n, &fixed, &queries);
            drop(fixed);
            let scan = LinearScan::new(list);
            bench_queries(c, &group, "linear", n, &scan, &queries);
        }
    }
}

fn build_time(c: &mut Criterion) {
    let mut g = c.benchmark_group("index/build");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in sizes() {
        let (list, _) = Shape::Uniform.data(n, 0);
        g.bench_function(BenchmarkId::new("mih", n), |b| {
            b.iter_batched(
                || list.clone(),
                |list| HammingIndex::new(list, RADIUS).expect("list fits u32 ids"),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// Small lists: at which size does the index start to beat the scan for one query?
fn crossover(c: &mut Criterion) {
    for n in [4_096, 16_384, 32_768, 65_536] {
        let (list, queries) = Shape::Uniform.data(n, 512);
        let index = HammingIndex::new(list.clone(), RADIUS).expect("list fits u32 ids");
        bench_queries(c, "index/crossover", "mih", n, &index, &queries);
        bench_queries(
            c,
            "index/crossover",
            "linear",
            n,
            &LinearScan::new(list),
            &queries,
        );
    }
}

/// Many queries at once (a scan's pictures × 8 dihedral variants): one at a time versus
/// `search_batch` (parallel; blocked for the scan).
fn batching(c: &mut Criterion) {
    const QUERIES: usize = 8 * 1024;
    let mut g = c.benchmark_group("index/batch8k");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for n in [10_000, 100_000, 1_000_000] {
        let (list, queries) = Shape::Clustered.data(n, QUERIES);
        let index = HammingIndex::new(list.clone(), RADIUS).expect("list fits u32 ids");
        let scan = LinearScan::new(list);
        g.bench_function(BenchmarkId::new("mih_one_by_one", n), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                queries.iter().fold(0, |acc, q| {
                    index.search(q, RADIUS, &mut out);
                    acc + out.len()
                })
            })
        });
        g.bench_function(BenchmarkId::new("mih_batch", n), |b| {
            b.iter(|| index.search_batch(&queries, RADIUS))
        });
        if n <= 100_000 {
            g.bench_function(BenchmarkId::new("linear_batch", n), |b| {
                b.iter(|| scan.search_batch(&queries, RADIUS))
            });
        }
    }
    g.finish();
}

/// One picture's eight dihedral variants against a list small enough to scan: eight
/// searches, or one blocked `search_group` of eight, on the calling thread (a scan already
/// runs one file per core).
fn picture_batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("index/picture8");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in [1_000, 10_000, 30_000] {
        let (list, queries) = Shape::Uniform.data(n, 8 * 64);
        let scan = LinearScan::new(list);
        let pictures: Vec<&[Hash256]> = queries.chunks(8).collect();
        let mut next = 0;
        g.bench_function(BenchmarkId::new("one_by_one", n), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                next = (next + 1) % pictures.len();
                pictures[next].iter().fold(0, |acc, q| {
                    scan.search(q, RADIUS, &mut out);
                    acc + out.len()
                })
            })
        });
        g.bench_function(BenchmarkId::new("blocked", n), |b| {
            b.iter(|| {
                next = (next + 1) % pictures.len();
                scan.search_group(pictures[next], RADIUS)
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    query_latency,
    build_time,
    crossover,
    batching,
    picture_batch
);
criterion_main!(benches);
