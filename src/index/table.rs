//! One substring table of the multi-index: every entry filed under one `len`-bit substring
//! of its hash.
//!
//! Owns: the bucket layout (CSR: `offsets` into one packed `entries` array, no allocation
//! per key), its counting-sort build, and probing for the entries whose substring may be
//! within a radius of the query's. Leaves choosing substrings and radii to `plan` and
//! verifying candidates to `mih`.
//!
//! Layout: the substring splits into a `prefix_bits` prefix that indexes `offsets` directly
//! and a suffix. Each entry is one `u32`: its id in the low `id_bits` and, in the bits ids
//! leave free, the top `filter_bits` of its suffix. A probe flips up to `radius` prefix bits
//! and, inside each bucket, drops entries whose filter bits alone are already too far. The
//! filter may be narrower than the suffix (large lists leave fewer free bits), so a probe
//! returns a superset of the entries within the radius; `mih` checks substring distance
//! again. Buckets are sorted by entry, so a probe with no slack left bisects for its
//! filter value; before that it asks a presence bitmap (one bit per prefix and leading
//! filter bits, about four bits per entry, built only where the filter is long enough for
//! it to be that sparse) and skips the bucket when no entry can match. Packing keeps a
//! bucket to one run of memory (id and filter in one cache line), which matters because
//! probing is bound by cache misses, one per bucket.

use super::bits::BitHash;

/// Where a table's substring sits in the hash and how it is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableShape {
    pub start: u32,
    pub len: u32,
    pub prefix_bits: u32,
    /// Leading suffix bits stored beside each id (at most `len - prefix_bits`).
    pub filter_bits: u32,
    /// Leading filter bits the presence bitmap adds to the prefix (at most `filter_bits`).
    pub presence_bits: u32,
}

impl TableShape {
    pub fn suffix_bits(&self) -> u32 {
        self.len - self.prefix_bits
    }

    /// Bytes the table takes for `entries` entries: one `u32` each, the offsets and the
    /// presence bitmap.
    pub fn bytes(&self, entries: usize) -> usize {
        entries * 4 + ((1usize << self.prefix_bits) + 1) * 4 + self.presence_words() * 8
    }

    /// No bitmap when `presence_bits` is 0 (see `plan::shapes`).
    fn presence_words(&self) -> usize {
        if self.presence_bits == 0 {
            return 0;
        }
        (1usize << (self.prefix_bits + self.presence_bits)).div_ceil(64)
    }
}

/// Bits needed for ids `0..entries`.
pub(crate) fn id_bits(entries: usize) -> u32 {
    usize::BITS - entries.saturating_sub(1).leading_zeros()
}

/// Sizes of the buckets around a query's key: its own, and the sum over the `prefix_bits`
/// buckets one prefix flip away. The planner extrapolates costs from these.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Neighbourhood {
    pub own: u32,
    pub one_flip: u64,
}

/// One bucket to visit: its entry range and the filter distance still allowed in it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Span {
    start: u32,
    end: u32,
    slack: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct SubTable {
    shape: TableShape,
    id_bits: u32,
    /// `offsets[p] .. offsets[p + 1]` is bucket `p` in `entries`.
    offsets: Vec<u32>,
    /// One bit per (prefix, leading `presence_bits` of the filter): set when some entry
    /// has it. A probe with no slack left skips the bucket when its bit is clear.
    presence: Vec<u64>,
    /// `filter << id_bits | id`, each bucket sorted by that value (by filter, then id), so
    /// the entries of one filter value are one run.
    entries: Vec<u32>,
}

impl SubTable {
    /// Files every hash by its substring (a stable counting sort on the prefix). The caller
    /// has checked that ids fit `u32` and that `filter_bits + id_bits(len) <= 32`.
    pub fn build<H: BitHash>(hashes: &[H], shape: TableShape) -> Self {
        let id_bits = id_bits(hashes.len());
        debug_assert!(shape.filter_bits + id_bits <= 32);
        let suffix_bits = shape.suffix_bits();
        let key = |h: &H| h.substring(shape.start, shape.len);
        let mut offsets = vec![0u32; (1usize << shape.prefix_bits) + 1];
        for hash in hashes {
            offsets[prefix_of(key(hash), suffix_bits) + 1] += 1;
        }
        for p in 1..offsets.len() {
            offsets[p] += offsets[p - 1];
        }
        let mut cursor = offsets.clone();
        let mut entries = vec![0u32; hashes.len()];
        let mut presence = vec![0u64; shape.presence_words()];
        for (id, hash) in hashes.iter().enumerate() {
            let k = key(hash);
            let prefix = prefix_of(k, suffix_bits);
            let filter = filter_of(k, &shape);
            let slot = &mut cursor[prefix];
            entries[*slot as usize] = shift_left(filter, id_bits) | id as u32;
            *slot += 1;
            if !presence.is_empty() {
                let at = presence_bit(prefix, filter, &shape);
                presence[at / 64] |= 1 << (at % 64);
            }
        }
        for bucket in offsets.windows(2) {
            entries[bucket[0] as usize..bucket[1] as usize].sort_unstable();
        }
        SubTable {
            shape,
            id_bits,
            offsets,
            presence,
            entries,
        }
    }

    pub fn shape(&self) -> TableShape {
        self.shape
    }

    pub fn key<H: BitHash>(&self, hash: &H) -> u32 {
        hash.substring(self.shape.start, self.shape.len)
    }

    pub fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.entries.capacity()) * 4 + self.presence.capacity() * 8
    }

    fn bucket_len(&self, prefix: usize) -> u32 {
        self.offsets[prefix + 1] - self.offsets[prefix]
    }

    pub fn neighbourhood(&self, key: u32) -> Neighbourhood {
        let prefix = prefix_of(key, self.shape.suffix_bits());
        let one_flip = (0..self.shape.prefix_bits)
            .map(|bit| u64::from(self.bucket_len(prefix ^ (1 << bit))))
            .sum();
        Neighbourhood {
            own: self.bucket_len(prefix),
            one_flip,
        }
    }

    /// Appends the buckets to visit for entries within `radius` bits of `key` to `spans`,
    /// touching every line of each. The touches are independent loads the CPU overlaps;
    /// `filter` then finds those lines cached instead of missing one bucket at a time.
    /// Touching only a bucket's first line left its second (a 16-entry bucket rarely starts
    /// on a line boundary) to miss inside `filter`: 10M uniform PDQ went 333 → 265 µs per
    /// query when every line was touched (medians of 5 × 2000 queries).
    pub fn spans(&self, key: u32, radius: u32, spans: &mut Vec<Span>) {
        let prefix = prefix_of(key, self.shape.suffix_bits()) as u32;
        let filter = filter_of(key, &self.shape);
        let mut warm = 0u32;
        let bits = self.shape.prefix_bits;
        for flips in 0..=radius.min(bits) {
            let slack = radius - flips;
            if slack == 0 && self.shape.presence_bits > 0 {
                for_each_mask(bits, flips, |mask| {
                    let p = (prefix ^ mask) as usize;
                    if self.present(p, filter) {
                        self.visit(p, slack, spans, &mut warm);
                    }
                });
            } else {
                for_each_mask(bits, flips, |mask| {
                    self.visit((prefix ^ mask) as usize, slack, spans, &mut warm);
                });
            }
        }
        std::hint::black_box(warm);
    }

    /// Whether some entry has prefix `prefix` and the leading presence bits of `filter`.
    #[inline(always)]
    fn present(&self, prefix: usize, filter: u32) -> bool {
        let at = presence_bit(prefix, filter, &self.shape);
        self.presence[at / 64] & (1 << (at % 64)) != 0
    }

    /// Queues bucket `p` and touches its lines (XOR-ed into `warm`). Safe Rust has no
    /// prefetch; a load whose value is discarded does the same.
    #[inline(always)]
    fn visit(&self, p: usize, slack: u32, spans: &mut Vec<Span>, warm: &mut u32) {
        let (start, end) = (self.offsets[p], self.offsets[p + 1]);
        let bucket = &self.entries[start as usize..end as usize];
        if let Some(last) = bucket.last() {
            for entry in bucket.iter().step_by(16) {
                *warm ^= *entry;
            }
            *warm ^= *last;
        }
        spans.push(Span { start, end, slack });
    }

    /// Appends to `candidates` the ids in `spans` (from `self.spans(key, ..)`) that pass the
    /// filter: a superset of the entries within the radius, exactly them when the filter
    /// covers the whole suffix.
    pub fn filter(&self, key: u32, spans: &[Span], candidates: &mut Vec<u32>) {
        let filter = filter_of(key, &self.shape);
        for span in spans {
            self.filter_bucket(span, filter, candidates);
        }
    }

    fn filter_bucket(&self, span: &Span, filter: u32, candidates: &mut Vec<u32>) {
        let bucket = &self.entries[span.start as usize..span.end as usize];
        let id_mask = shift_left(1, self.id_bits).wrapping_sub(1);
        if span.slack == 0 {
            // Most buckets of a probe are this case (every flip spent on the prefix): the
            // sorted bucket's one run of the query's filter value, found by bisection
            // instead of testing each entry (1M uniform PDQ: 82–85 → 66–76 µs per query).
            let lo = u64::from(filter) << self.id_bits;
            let hi = lo + (1u64 << self.id_bits);
            let first = bucket.partition_point(|&e| u64::from(e) < lo);
            let run = bucket[first..].iter().take_while(|&&e| u64::from(e) < hi);
            candidates.extend(run.map(|&e| e & id_mask));
            return;
        }
        let near =
            |entry: u32| (shift_right(entry, self.id_bits) ^ filter).count_ones() <= span.slack;
        // Most buckets hold no candidate: a read-only pass lets them skip the compaction.
        if !bucket.iter().any(|&e| near(e)) {
            return;
        }
        let at = candidates.len();
        candidates.resize(at + bucket.len(), 0);
        let out = &mut candidates[at..];
        let mut kept = 0;
        for &entry in bucket {
            // Branch-free compaction: always write, advance only when the filter passes.
            out[kept] = entry & id_mask;
            kept += usize::from(near(entry));
        }
        candidates.truncate(at + kept);
    }
}

/// The presence bitmap's bit for a bucket prefix and a filter value: the prefix followed
/// by the filter's leading `presence_bits`.
fn presence_bit(prefix: usize, filter: u32, shape: &TableShape) -> usize {
    let lead = shift_right(filter, shape.filter_bits - shape.presence_bits) as usize;
    (prefix << shape.presence_bits) | lead
}

fn prefix_of(key: u32, suffix_bits: u32) -> usize {
    shift_right(key, suffix_bits) as usize
}

/// The leading `filter_bits` of the key's suffix.
fn filter_of(key: u32, shape: &TableShape) -> u32 {
    let suffix_bits = shape.suffix_bits();
    let suffix = key & shift_left(1, suffix_bits).wrapping_sub(1);
    shift_right(suffix, suffix_bits - shape.filter_bits)
}

/// `value << by`, 0 when `by` is 32 (plain `<<` would overflow).
fn shift_left(value: u32, by: u32) -> u32 {
    value.checked_shl(by).unwrap_or(0)
}

/// `value >> by`, 0 when `by` is 32.
fn shift_right(value: u32, by: u32) -> u32 {
    value.checked_shr(by).unwrap_or(0)
}

/// Calls `f` with every `bits`-bit mask that has exactly `ones` bits set (Gosper's hack).
#[inline(always)]
fn for_each_mask(bits: u32, ones: u32, mut f: impl FnMut(u32)) {
    if ones > bits {
        return;
    }
    if ones == 0 {
        f(0);
        return;
    }
    let limit = 1u64 << bits;
    let mut mask = (1u64 << ones) - 1;
    while mask < limit {
        f(mask as u32);
        let low = mask & mask.wrapping_neg();
        let ripple = mask + low;
        // `low` is a power of two: shift instead of Gosper's division (~30 cycles each).
        mask = (((ripple ^ mask) >> 2) >> low.trailing_zeros()) | ripple;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_enumerate_each_combination_once() {
        for bits in 0..=10u32 {
            for ones in 0..=bits {
                let mut seen = Vec::new();
                for_each_mask(bits, ones, |m| seen.push(m));
                let expected: Vec<u32> = (0..1u32 << bits)
                    .filter(|m| m.count_ones() == ones)
                    .collect();
                seen.sort_unstable();
                assert_eq!(seen, expected, "bits {bits} ones {ones}");
            }
        }
    }

    #[test]
    fn id_bits_cover_the_largest_id() {
        assert_eq!(id_bits(0), 0);
        assert_eq!(id_bits(1), 0);
        assert_eq!(id_bits(2), 1);
        assert_eq!(id_bits(1 << 20), 20);
        assert_eq!(id_bits((1 << 20) + 1), 21);
    }

    /// Probing returns every entry within the radius, and nothing else when the filter
    /// covers the whole suffix.
    #[test]
    fn probe_is_exact_with_a_full_filter_and_a_superset_without() {
        let hashes: Vec<u64> = (0..3000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let query_key = hashes[7].substring(5, 12) ^ 0b1001;
        for filter_bits in [6, 3, 0] {
            let shape = TableShape {
                start: 5,
                len: 12,
                prefix_bits: 6,
                filter_bits,
                presence_bits: filter_bits.min(2),
            };
            let table = SubTable::build(&hashes, shape);
            for radius in 0..=5 {
                let mut got = Vec::new();
                let mut spans = Vec::new();
                table.spans(query_key, radius, &mut spans);
                table.filter(query_key, &spans, &mut got);
                got.sort_unstable();
                let within = |id: &u32| {
                    (hashes[*id as usize].substring(5, 12) ^ query_key).count_ones() <= radius
                };
                let expected: Vec<u32> = (0..hashes.len() as u32).filter(within).collect();
                if filter_bits == 6 {
                    assert_eq!(got, expected, "radius {radius}");
                } else {
                    assert!(
                        expected.iter().all(|id| got.contains(id)),
                        "radius {radius}"
                    );
                }
            }
        }
    }
}
