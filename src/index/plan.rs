//! Planning for the multi-index: how many substrings a list is cut into (at build) and what
//! radius each substring is probed with (per query), from one cost model.
//!
//! Owns: the cost model, the table-count rule (`choose_shapes`) and the per-query radius
//! allocation (`allocate`). Leaves building tables to `table` and running searches to `mih`.
//!
//! Exactness rests on the generalised pigeonhole principle: if substring `i` is probed with
//! radius `r_i` (`-1` = not probed) and `Σ (r_i + 1) ≥ r + 1`, every entry within `r` of the
//! query is within `r_i` of it on at least one substring (else the distances would add up
//! to more than `r`). Any allocation meeting the sum is exact; the cost model only picks
//! the cheapest one. Costs are convex in `r_i` (the probed ball grows combinatorially), so
//! handing out the `r + 1` units one at a time to the cheapest next step is optimal.

use super::table::{id_bits, Neighbourhood, TableShape};

/// Cost-model weights in nanoseconds, rounded from exploratory runs on the shared 2-core
/// AMD EPYC build machine (1M PDQ: ~1300 buckets + ~300 candidates took ~200 µs; a linear
/// scan ~1.5 ns per entry). Only their ratios matter. Probing is bound by cache misses: a
/// bucket costs about two (its record and its first entries), a candidate one (its full
/// hash), while a linear scan streams.
/// One bucket visited.
const BUCKET_NS: f64 = 100.0;
/// One packed entry filtered inside a bucket (sequential).
const SUFFIX_NS: f64 = 1.0;
/// One candidate verified: a scattered fetch of its full hash and the popcount.
const VERIFY_NS: f64 = 60.0;
/// One entry of a linear scan, per byte of hash (1.6 ns per PDQ entry).
const LINEAR_NS_PER_BYTE: f64 = 0.05;

/// Mean bucket size aimed for: 16 packed entries, one 64-byte line. Larger buckets cut the
/// bucket count only slowly (`Σ C(prefix_bits, k)` shrinks by ~k bits per halving) while
/// the filter pass grows linearly. At 1M PDQ, 16 and 32 measured about equal and 64 and
/// 256 slower (exploratory runs, noisy).
const TARGET_BUCKET: f64 = 16.0;

/// The presence bits are about 2^this per entry, so about e^(−1/4) ≈ 78% of a
/// probe's no-slack buckets find their bit clear and are skipped. 100k clustered PDQ
/// measured 20–24 → 16 µs per query with it, 1M clustered 5–10% faster (medians of 5).
const PRESENCE_SPARSITY_BITS: u32 = 2;

/// Widest substring: keys are `u32`.
const MAX_SUBSTRING_BITS: u32 = 32;
/// Narrowest substring the m rule considers: below 4 bits a table is mostly one bucket.
const MIN_RULE_SUBSTRING_BITS: u32 = 4;

/// Estimated cost of a linear scan of `entries` hashes of `hash_bytes` bytes each.
pub(crate) fn linear_cost(entries: usize, hash_bytes: usize) -> f64 {
    entries as f64 * hash_bytes as f64 * LINEAR_NS_PER_BYTE
}

/// Cuts `bits` into `tables` near-equal substrings (the first `bits % tables` one bit
/// longer), each split so that a bucket holds about `TARGET_BUCKET` of `entries`.
pub(crate) fn shapes(bits: u32, tables: u32, entries: usize) -> Vec<TableShape> {
    let base = bits / tables;
    let extra = bits % tables;
    let wanted_prefix = (entries as f64 / TARGET_BUCKET).max(1.0).log2().round() as u32;
    let mut start = 0;
    (0..tables)
        .map(|i| {
            let len = base + u32::from(i < extra);
            let prefix_bits = wanted_prefix.min(len);
            let filter_bits = (len - prefix_bits).min(32 - id_bits(entries));
            let wanted = (id_bits(entries) + PRESENCE_SPARSITY_BITS).saturating_sub(prefix_bits);
            // Where the filter is too short for that sparsity (10M entries: the bits are
            // 45–70% full) they still pay: they share the line of the bucket bounds, so a
            // clear bit saves the bucket's entry lines at no extra miss (10M uniform PDQ,
            // alternating runs: 102–107 µs per query without, 100–103 µs with them in a
            // separate bitmap, a few µs better again in the records).
            let presence_bits = wanted.min(filter_bits);
            let shape = TableShape {
                start,
                len,
                prefix_bits,
                filter_bits,
                presence_bits,
            };
            start += len;
            shape
        })
        .collect()
}

/// Table counts allowed for `bits`-bit hashes: substrings of 1 to 32 bits.
pub(crate) fn table_range(bits: u32) -> std::ops::RangeInclusive<u32> {
    bits.div_ceil(MAX_SUBSTRING_BITS)..=bits
}

/// The m rule: among table counts whose index stays within `memory_factor` × the raw hash
/// bytes, the one with the lowest modelled cost for a query at `radius` on uniformly random
/// data. If none fits the budget (lists of a few thousand entries, where bucket records
/// dominate) the smallest index wins.
pub(crate) fn choose_shapes(
    bits: u32,
    hash_bytes: usize,
    entries: usize,
    radius: u32,
    memory_factor: f64,
) -> Vec<TableShape> {
    let raw = (entries * hash_bytes) as f64;
    let most = (bits / MIN_RULE_SUBSTRING_BITS).max(1);
    let candidates: Vec<(Vec<TableShape>, f64, usize)> = table_range(bits)
        .filter(|&m| m <= most)
        .map(|m| {
            let shapes = shapes(bits, m, entries);
            // Tables plus the id map of the reordered list.
            let memory: usize =
                shapes.iter().map(|s| s.bytes(entries)).sum::<usize>() + entries * 4;
            let cost = uniform_cost(&shapes, entries, radius);
            (shapes, cost, memory)
        })
        .collect();
    let within_budget = candidates
        .iter()
        .filter(|(_, _, memory)| raw + *memory as f64 <= memory_factor * raw)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let smallest = candidates.iter().min_by_key(|(_, _, memory)| *memory);
    within_budget
        .or(smallest)
        .map(|(shapes, _, _)| shapes.clone())
        .unwrap_or_default()
}

/// Modelled cost of one query on uniformly random data.
fn uniform_cost(shapes: &[TableShape], entries: usize, radius: u32) -> f64 {
    uniform_allocation(shapes, entries, radius).cost
}

/// The allocation for uniformly random data, where every bucket holds the mean: the static
/// radii (about `⌊r/m⌋` each) that per-query planning improves on.
pub(crate) fn uniform_allocation(shapes: &[TableShape], entries: usize, radius: u32) -> Allocation {
    let hoods: Vec<Neighbourhood> = shapes
        .iter()
        .map(|s| {
            let mean = entries as f64 / (1u64 << s.prefix_bits) as f64;
            Neighbourhood {
                own: mean.round() as u32,
                one_flip: (mean * f64::from(s.prefix_bits)).round() as u64,
            }
        })
        .collect();
    allocate(shapes, &hoods, radius)
}

/// Per-substring probe radii (`-1` = skip) and their modelled cost.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Allocation {
    pub radii: Vec<i32>,
    pub cost: f64,
}

/// Hands out the `radius + 1` units of the generalised pigeonhole bound one at a time, each
/// to the substring whose radius grows most cheaply given the query's bucket sizes.
pub(crate) fn allocate(shapes: &[TableShape], hoods: &[Neighbourhood], radius: u32) -> Allocation {
    let mut radii = vec![-1i32; shapes.len()];
    let mut costs = vec![0.0f64; shapes.len()];
    let mut next: Vec<f64> = shapes
        .iter()
        .zip(hoods)
        .map(|(s, h)| probe_cost(s, h, 0))
        .collect();
    for _ in 0..=radius {
        let Some(best) = (0..shapes.len())
            .min_by(|&a, &b| (next[a] - costs[a]).total_cmp(&(next[b] - costs[b])))
        else {
            break;
        };
        radii[best] += 1;
        costs[best] = next[best];
        next[best] = probe_cost(&shapes[best], &hoods[best], (radii[best] + 1) as u32);
    }
    Allocation {
        radii,
        cost: costs.iter().sum(),
    }
}

/// Modelled cost of probing one table at `radius`: buckets visited, suffix bytes scanned and
/// candidates verified. Buckets two or more flips away are assumed as full as the mean of
/// the one-flip ring (an over-estimate near a cluster centre, which errs towards spreading
/// the radius over other substrings).
fn probe_cost(shape: &TableShape, hood: &Neighbourhood, radius: u32) -> f64 {
    let t = shape.prefix_bits;
    let ring_mean = if t == 0 {
        0.0
    } else {
        hood.one_flip as f64 / f64::from(t)
    };
    let (mut buckets, mut scanned, mut verified) = (0.0, 0.0, 0.0);
    for flips in 0..=radius.min(t) {
        let count = binomial(t, flips);
        let entries = match flips {
            0 => f64::from(hood.own),
            1 => hood.one_flip as f64,
            _ => count * ring_mean,
        };
        buckets += count;
        scanned += entries;
        verified += entries * suffix_pass(shape.filter_bits, radius - flips);
    }
    buckets * BUCKET_NS + scanned * SUFFIX_NS + verified * VERIFY_NS
}

/// Share of uniformly random `bits`-bit suffixes within `slack` of a given one.
fn suffix_pass(bits: u32, slack: u32) -> f64 {
    if slack >= bits {
        return 1.0;
    }
    let within: f64 = (0..=slack).map(|k| binomial(bits, k)).sum();
    within / (1u64 << bits) as f64
}

fn binomial(n: u32, k: u32) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_cover_every_bit_once() {
        for tables in table_range(256) {
            let shapes = shapes(256, tables, 1_000_000);
            let mut next = 0;
            for s in &shapes {
                assert_eq!(s.start, next);
                assert!(s.len <= 32 && s.filter_bits + id_bits(1_000_000) <= 32);
                next += s.len;
            }
            assert_eq!(next, 256);
        }
    }

    #[test]
    fn allocation_meets_the_pigeonhole_sum() {
        let shapes = shapes(256, 11, 1_000_000);
        let hoods: Vec<Neighbourhood> = (0..11)
            .map(|i| Neighbourhood {
                own: if i < 3 { 50_000 } else { 10 },
                one_flip: 100,
            })
            .collect();
        for radius in [0, 1, 8, 31, 40] {
            let a = allocate(&shapes, &hoods, radius);
            let units: i32 = a.radii.iter().map(|r| r + 1).sum();
            assert_eq!(units, radius as i32 + 1);
        }
        // The crowded substrings are the last to be probed.
        let a = allocate(&shapes, &hoods, 8);
        assert!(a.radii[..3].iter().all(|&r| r < 0), "{:?}", a.radii);
    }

    #[test]
    fn binomials() {
        assert_eq!(binomial(5, 2), 10.0);
        assert_eq!(binomial(3, 4), 0.0);
        assert_eq!(suffix_pass(3, 1), 0.5);
    }
}
