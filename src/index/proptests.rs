//! Property tests: the index returns exactly what the linear scan returns.
//!
//! Lists mix uniform hashes, clusters of near-duplicates around a few centres and exact
//! repeats; queries are list entries, perturbed entries and fresh random hashes. Lists are
//! generated from a seed (splitmix64) so a failing case is reproducible from its printout.

use proptest::prelude::*;

use super::*;

const RADII: [u32; 5] = [0, 1, 8, 31, 40];

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

trait TestHash: BitHash {
    fn random(rng: &mut SplitMix) -> Self;
    fn flip(self, bit: u32) -> Self;

    fn perturb(self, rng: &mut SplitMix, max_flips: u64) -> Self {
        let flips = rng.below(max_flips + 1);
        (0..flips).fold(self, |h, _| h.flip(rng.below(u64::from(Self::BITS)) as u32))
    }
}

impl TestHash for u64 {
    fn random(rng: &mut SplitMix) -> Self {
        rng.next()
    }
    fn flip(self, bit: u32) -> Self {
        self ^ (1 << bit)
    }
}

impl TestHash for Hash256 {
    fn random(rng: &mut SplitMix) -> Self {
        Hash256([rng.next(), rng.next(), rng.next(), rng.next()])
    }
    fn flip(mut self, bit: u32) -> Self {
        self.0[(bit / 64) as usize] ^= 1 << (bit % 64);
        self
    }
}

fn make_list<H: TestHash>(rng: &mut SplitMix, len: usize, centres: usize) -> Vec<H> {
    let centres: Vec<H> = (0..centres.max(1)).map(|_| H::random(rng)).collect();
    let mut list: Vec<H> = Vec::with_capacity(len);
    for _ in 0..len {
        let hash = match rng.below(8) {
            0..=1 => H::random(rng),
            2 if !list.is_empty() => list[rng.below(list.len() as u64) as usize],
            _ => centres[rng.below(centres.len() as u64) as usize].perturb(rng, 24),
        };
        list.push(hash);
    }
    list
}

fn make_queries<H: TestHash>(rng: &mut SplitMix, list: &[H], count: usize) -> Vec<H> {
    (0..count)
        .map(|_| match rng.below(3) {
            0 if !list.is_empty() => list[rng.below(list.len() as u64) as usize],
            1 if !list.is_empty() => list[rng.below(list.len() as u64) as usize].perturb(rng, 40),
            _ => H::random(rng),
        })
        .collect()
}

/// Checks `search`, the forced probe path and `search_batch` against the scan.
fn check<H: TestHash>(seed: u64, len: usize, centres: usize, tables: Option<u32>) {
    let mut rng = SplitMix(seed);
    let list: Vec<H> = make_list(&mut rng, len, centres);
    let queries = make_queries(&mut rng, &list, 12);
    let scan = LinearScan::new(list.clone());
    for radius in RADII {
        let builder = match tables {
            Some(m) => IndexBuilder::new(radius).tables(m),
            None => IndexBuilder::new(radius),
        };
        let policy = if seed & 1 == 0 {
            RadiusPolicy::Adaptive
        } else {
            RadiusPolicy::Static
        };
        let index = builder.radius_policy(policy).build(list.clone()).unwrap();
        let batch = index.search_batch(&queries, radius);
        for (query, batched) in queries.iter().zip(&batch) {
            let (mut expected, mut got) = (Vec::new(), Vec::new());
            scan.search(query, radius, &mut expected);
            index.search(query, radius, &mut got);
            assert_eq!(got, expected, "search r={radius} m={}", index.table_count());
            index.search_traced(query, radius, SearchMode::AlwaysProbe, &mut got);
            assert_eq!(got, expected, "probe r={radius} m={}", index.table_count());
            assert_eq!(batched, &expected, "batch r={radius}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn index_equals_scan_64(
        seed: u64,
        len in 0usize..600,
        centres in 1usize..6,
        tables in prop::option::of(4u32..=16),
    ) {
        check::<u64>(seed, len, centres, tables);
    }

    #[test]
    fn index_equals_scan_256(
        seed: u64,
        len in 0usize..600,
        centres in 1usize..6,
        tables in prop::option::of(13u32..=32),
    ) {
        check::<Hash256>(seed, len, centres, tables);
    }
}

#[test]
fn duplicates_are_all_returned() {
    let hash = Hash256([1, 2, 3, 4]);
    let mut list = vec![hash; 5];
    list.push(Hash256([0, 2, 3, 4]));
    let index = HammingIndex::new(list, 8).unwrap();
    let mut out = Vec::new();
    index.search_traced(&hash, 0, SearchMode::AlwaysProbe, &mut out);
    let ids: Vec<u32> = out.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
}

#[test]
fn searcher_agrees_with_scan_on_both_sides_of_the_crossover() {
    let mut rng = SplitMix(7);
    for len in [100, 40_000] {
        let list: Vec<Hash256> = make_list(&mut rng, len, 20);
        let queries = make_queries(&mut rng, &list, 20);
        let scan = LinearScan::new(list.clone());
        let searcher = Searcher::new(list, 31).unwrap();
        assert_eq!(searcher.len(), len);
        let batch = searcher.search_batch(&queries, 31);
        for (query, got) in queries.iter().zip(batch) {
            let mut expected = Vec::new();
            scan.search(query, 31, &mut expected);
            assert_eq!(got, expected);
        }
    }
}
