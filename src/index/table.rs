//! One substring table of the multi-index: every entry filed under one `len`-bit substring
//! of its hash.
//!
//! Owns: the bucket layout (CSR: one record per prefix locating its bucket in one packed
//! `entries` array, no allocation per key), its counting-sort build, and probing for the
//! entries whose substring may be within a radius of the query's. Leaves choosing
//! substrings and radii to `plan` and verifying candidates to `mih`.
//!
//! Layout: the substring splits into a `prefix_bits` prefix that indexes the records
//! directly and a suffix. Each entry is one `u32`: its id in the low `id_bits` and, in the
//! bits ids leave free, the top `filter_bits` of its suffix. A probe flips up to `radius`
//! prefix bits and, inside each bucket, drops entries whose filter bits alone are already
//! too far. The filter may be narrower than the suffix (large lists leave fewer free bits),
//! so a probe returns a superset of the entries within the radius; `mih` checks substring
//! distance again. Buckets are sorted by entry, so a probe with no slack left bisects for
//! its filter value; before that it asks the presence bits in the bucket's record (one bit
//! per value of the leading filter bits, about four bits per entry) and skips the bucket
//! when no entry can match. Packing keeps a bucket to one run of memory (id and filter in
//! one cache line), and a record to one line with its presence bits, which matters because
//! probing is bound by cache misses.
//!
//! Probing is split in three calls (`probes`, `spans`, `filter`) so that `mih` can run
//! each over all tables in turn: each prefetches the lines the next one reads.

use super::bits::BitHash;
use super::huge::HugeArray;
use super::prefetch::prefetch;

/// Where a table's substring sits in the hash and how it is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableShape {
    pub start: u32,
    pub len: u32,
    pub prefix_bits: u32,
    /// Leading suffix bits stored beside each id (at most `len - prefix_bits`).
    pub filter_bits: u32,
    /// Leading filter bits with a presence bit per value in each bucket record (at most
    /// `filter_bits`).
    pub presence_bits: u32,
}

impl TableShape {
    pub(super) fn suffix_bits(&self) -> u32 {
        self.len - self.prefix_bits
    }

    /// Bytes the table takes for `entries` entries: one `u32` each, and one bucket record
    /// per prefix.
    pub(super) fn bytes(&self, entries: usize) -> usize {
        entries * 4 + ((1usize << self.prefix_bits) + 1) * self.record_words() * 4
    }

    /// `u32` words per bucket record: the bucket's start, then its presence bits (none
    /// when `presence_bits` is 0, see `plan::shapes`).
    fn record_words(&self) -> usize {
        1 + self.presence_words()
    }

    fn presence_words(&self) -> usize {
        if self.presence_bits == 0 {
            return 0;
        }
        (1usize << self.presence_bits).div_ceil(32)
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

/// One bucket a probe will look at: its prefix and the filter distance still allowed in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    prefix: u32,
    slack: u32,
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
    /// `record_words` per prefix `p`, from `p * record_words`: the start of bucket `p` in
    /// `entries` (it ends where bucket `p + 1` starts; a last record closes the last
    /// bucket), then one presence bit per value of the filter's leading `presence_bits`,
    /// set when some entry of the bucket has it. A probe with no slack left skips the
    /// bucket when its bit is clear. Bounds and bits share a record so that one cache
    /// line serves both: apart, they were two misses for most probed buckets.
    records: HugeArray<u32>,
    record_words: usize,
    /// `filter << id_bits | id`, each bucket sorted by that value (by filter, then id), so
    /// the entries of one filter value are one run.
    entries: HugeArray<u32>,
}

impl SubTable {
    /// Files every hash by its substring (a stable counting sort on the prefix). The caller
    /// has checked that ids fit `u32` and that `filter_bits + id_bits(len) <= 32`.
    pub(super) fn build<H: BitHash>(hashes: &[H], shape: TableShape) -> Self {
        let id_bits = id_bits(hashes.len());
        debug_assert!(shape.filter_bits + id_bits <= 32);
        let suffix_bits = shape.suffix_bits();
        let key = |h: &H| h.substring(shape.start, shape.len);
        let mut cursor = vec![0u32; (1usize << shape.prefix_bits) + 1];
        for hash in hashes {
            cursor[prefix_of(key(hash), suffix_bits) + 1] += 1;
        }
        for p in 1..cursor.len() {
            cursor[p] += cursor[p - 1];
        }
        let record_words = shape.record_words();
        let mut records = HugeArray::zeroed(cursor.len() * record_words);
        for (p, &start) in cursor.iter().enumerate() {
            records[p * record_words] = start;
        }
        let mut entries = HugeArray::zeroed(hashes.len());
        for (id, hash) in hashes.iter().enumerate() {
            let k = key(hash);
            let prefix = prefix_of(k, suffix_bits);
            let filter = filter_of(k, &shape);
            let slot = &mut cursor[prefix];
            entries[*slot as usize] = shift_left(filter, id_bits) | id as u32;
            *slot += 1;
            if shape.presence_bits > 0 {
                let (word, bit) = presence_bit(prefix, filter, &shape, record_words);
                records[word] |= bit;
            }
        }
        let mut table = SubTable {
            shape,
            id_bits,
            records,
            record_words,
            entries,
        };
        for p in 0..1usize << shape.prefix_bits {
            let (start, end) = table.bounds(p);
            table.entries[start as usize..end as usize].sort_unstable();
        }
        table
    }

    pub(super) fn shape(&self) -> TableShape {
        self.shape
    }

    pub(super) fn key<H: BitHash>(&self, hash: &H) -> u32 {
        hash.substring(self.shape.start, self.shape.len)
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.records.heap_bytes() + self.entries.heap_bytes()
    }

    /// Bucket `prefix`'s range in `entries`.
    #[inline(always)]
    fn bounds(&self, prefix: usize) -> (u32, u32) {
        let at = prefix * self.record_words;
        (self.records[at], self.records[at + self.record_words])
    }

    fn bucket_len(&self, prefix: usize) -> u32 {
        let (start, end) = self.bounds(prefix);
        end - start
    }

    /// Prefetches the records `neighbourhood(key)` reads.
    pub(super) fn prefetch_neighbourhood(&self, key: u32) {
        for prefix in self.own_and_one_flip(key) {
            self.prefetch_record(prefix);
        }
    }

    /// Prefetches bucket `prefix`'s record and the next one, which closes the bucket (on
    /// the same line most often).
    #[inline(always)]
    fn prefetch_record(&self, prefix: usize) {
        let at = prefix * self.record_words;
        prefetch(&self.records, at);
        prefetch(&self.records, at + self.record_words);
    }

    /// Bucket `key`'s prefix, then the prefixes one flip from it.
    fn own_and_one_flip(&self, key: u32) -> impl Iterator<Item = usize> {
        let prefix = prefix_of(key, self.shape.suffix_bits());
        std::iter::once(prefix)
            .chain((0..self.shape.prefix_bits).map(move |bit| prefix ^ (1 << bit)))
    }

    pub(super) fn neighbourhood(&self, key: u32) -> Neighbourhood {
        let prefix = prefix_of(key, self.shape.suffix_bits());
        let one_flip = self
            .own_and_one_flip(key)
            .skip(1)
            .map(|p| u64::from(self.bucket_len(p)))
            .sum();
        Neighbourhood {
            own: self.bucket_len(prefix),
            one_flip,
        }
    }

    /// Appends the buckets within `radius` prefix flips of `key` to `probes`, prefetching
    /// each one's record.
    pub(super) fn probes(&self, key: u32, radius: u32, probes: &mut Vec<Probe>) {
        let prefix = prefix_of(key, self.shape.suffix_bits()) as u32;
        let bits = self.shape.prefix_bits;
        for flips in 0..=radius.min(bits) {
            let slack = radius - flips;
            for_each_mask(bits, flips, |mask| {
                let p = prefix ^ mask;
                self.prefetch_record(p as usize);
                probes.push(Probe { prefix: p, slack });
            });
        }
    }

    /// Appends the non-empty buckets of `probes` (from `self.probes(key, ..)`) that may
    /// hold a match to `spans`, prefetching every line of each for `filter`.
    pub(super) fn spans(&self, key: u32, probes: &[Probe], spans: &mut Vec<Span>) {
        let filter = filter_of(key, &self.shape);
        let has_presence = self.shape.presence_bits > 0;
        for probe in probes {
            let p = probe.prefix as usize;
            if probe.slack == 0 && has_presence && !self.present(p, filter) {
                continue;
            }
            let (start, end) = self.bounds(p);
            if start == end {
                continue;
            }
            for at in (start..end).step_by(16) {
                prefetch(&self.entries, at as usize);
            }
            prefetch(&self.entries, end as usize - 1);
            spans.push(Span {
                start,
                end,
                slack: probe.slack,
            });
        }
    }

    /// Whether some entry has prefix `prefix` and the leading presence bits of `filter`.
    #[inline(always)]
    fn present(&self, prefix: usize, filter: u32) -> bool {
        let (word, bit) = presence_bit(prefix, filter, &self.shape, self.record_words);
        self.records[word] & bit != 0
    }

    /// Appends to `candidates` the ids in `spans` (from `self.spans(key, ..)`) that pass the
    /// filter: a superset of the entries within the radius, exactly them when the filter
    /// covers the whole suffix.
    pub(super) fn filter(&self, key: u32, spans: &[Span], candidates: &mut Vec<u32>) {
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

/// The presence bit in bucket `prefix`'s record for a filter value (its leading
/// `presence_bits`): the word of `records` and the bit's mask in it.
#[inline(always)]
fn presence_bit(
    prefix: usize,
    filter: u32,
    shape: &TableShape,
    record_words: usize,
) -> (usize, u32) {
    let lead = shift_right(filter, shape.filter_bits - shape.presence_bits) as usize;
    (prefix * record_words + 1 + lead / 32, 1 << (lead % 32))
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
                let (mut probes, mut spans) = (Vec::new(), Vec::new());
                table.probes(query_key, radius, &mut probes);
                table.spans(query_key, &probes, &mut spans);
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
