//! One substring table of the multi-index: every entry filed under one `len`-bit substring
//! of its hash.
//!
//! Owns: the bucket layout (CSR: `offsets` into parallel `ids` / `suffixes` arrays, no
//! allocation per key), its counting-sort build, and probing all entries whose substring is
//! within a radius of the query's. Leaves choosing substrings and radii to `plan` and
//! verifying full distances to `mih`.
//!
//! Layout: the substring splits into a `prefix_bits` prefix that indexes `offsets` directly
//! and a suffix of at most 8 bits kept as one byte per entry. A probe flips up to `radius`
//! prefix bits and, inside each bucket it visits, filters by suffix distance with the radius
//! left over. Buckets therefore hold tens of entries (about one 64-byte line of suffixes)
//! rather than one, which cuts the number of scattered bucket look-ups per probe by
//! `Σ C(len, k) / Σ C(prefix_bits, k)` while the suffix scan stays sequential.

use super::bits::BitHash;

/// Widest suffix kept per entry: one byte.
pub(crate) const MAX_SUFFIX_BITS: u32 = 8;

/// Where a table's substring sits in the hash and how it is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableShape {
    pub start: u32,
    pub len: u32,
    pub prefix_bits: u32,
}

impl TableShape {
    pub fn suffix_bits(&self) -> u32 {
        self.len - self.prefix_bits
    }

    /// Bytes the table takes for `entries` entries: id + suffix byte each, plus offsets.
    pub fn bytes(&self, entries: usize) -> usize {
        entries * 5 + ((1usize << self.prefix_bits) + 1) * 4
    }
}

/// Sizes of the buckets around a query's key: its own, and the sum over the `prefix_bits`
/// buckets one prefix flip away. The planner extrapolates costs from these.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Neighbourhood {
    pub own: u32,
    pub one_flip: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct SubTable {
    shape: TableShape,
    /// `offsets[p] .. offsets[p + 1]` is bucket `p` in `ids` and `suffixes`.
    offsets: Vec<u32>,
    ids: Vec<u32>,
    suffixes: Vec<u8>,
}

impl SubTable {
    /// Files every hash by its substring; within a bucket ids stay ascending (stable).
    pub fn build<H: BitHash>(hashes: &[H], shape: TableShape) -> Self {
        debug_assert!(shape.suffix_bits() <= MAX_SUFFIX_BITS);
        let suffix_bits = shape.suffix_bits();
        let key = |h: &H| h.substring(shape.start, shape.len);
        let mut offsets = vec![0u32; (1usize << shape.prefix_bits) + 1];
        for hash in hashes {
            offsets[(key(hash) >> suffix_bits) as usize + 1] += 1;
        }
        for p in 1..offsets.len() {
            offsets[p] += offsets[p - 1];
        }
        let mut cursor = offsets.clone();
        let mut ids = vec![0u32; hashes.len()];
        let mut suffixes = vec![0u8; hashes.len()];
        let suffix_mask = (1u32 << suffix_bits) - 1;
        for (id, hash) in hashes.iter().enumerate() {
            let k = key(hash);
            let slot = &mut cursor[(k >> suffix_bits) as usize];
            let at = *slot as usize;
            *slot += 1;
            // The caller checked that ids fit u32.
            ids[at] = id as u32;
            suffixes[at] = (k & suffix_mask) as u8;
        }
        SubTable {
            shape,
            offsets,
            ids,
            suffixes,
        }
    }

    pub fn shape(&self) -> TableShape {
        self.shape
    }

    pub fn key<H: BitHash>(&self, hash: &H) -> u32 {
        hash.substring(self.shape.start, self.shape.len)
    }

    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4 + self.ids.capacity() * 4 + self.suffixes.capacity()
    }

    fn bucket_len(&self, prefix: u32) -> u32 {
        let p = prefix as usize;
        self.offsets[p + 1] - self.offsets[p]
    }

    pub fn neighbourhood(&self, key: u32) -> Neighbourhood {
        let prefix = key >> self.shape.suffix_bits();
        let one_flip = (0..self.shape.prefix_bits)
            .map(|bit| u64::from(self.bucket_len(prefix ^ (1 << bit))))
            .sum();
        Neighbourhood {
            own: self.bucket_len(prefix),
            one_flip,
        }
    }

    /// Calls `visit(id)` for every entry whose substring is within `radius` bits of `key`.
    pub fn probe(&self, key: u32, radius: u32, mut visit: impl FnMut(u32)) {
        let suffix_bits = self.shape.suffix_bits();
        let prefix = key >> suffix_bits;
        let suffix = (key & ((1u32 << suffix_bits) - 1)) as u8;
        for flips in 0..=radius.min(self.shape.prefix_bits) {
            let slack = radius - flips;
            for_each_mask(self.shape.prefix_bits, flips, |mask| {
                self.scan_bucket(prefix ^ mask, suffix, slack, &mut visit);
            });
        }
    }

    fn scan_bucket(&self, prefix: u32, suffix: u8, slack: u32, visit: &mut impl FnMut(u32)) {
        let p = prefix as usize;
        let range = self.offsets[p] as usize..self.offsets[p + 1] as usize;
        let ids = &self.ids[range.clone()];
        if slack >= self.shape.suffix_bits() {
            ids.iter().for_each(|&id| visit(id));
            return;
        }
        for (&id, &s) in ids.iter().zip(&self.suffixes[range]) {
            if (s ^ suffix).count_ones() <= slack {
                visit(id);
            }
        }
    }
}

/// Calls `f` with every `bits`-bit mask that has exactly `ones` bits set (Gosper's hack).
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
        mask = (((ripple ^ mask) >> 2) / low) | ripple;
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
    fn probe_finds_exactly_the_substrings_within_radius() {
        let hashes: Vec<u64> = (0..3000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let shape = TableShape {
            start: 5,
            len: 12,
            prefix_bits: 6,
        };
        let table = SubTable::build(&hashes, shape);
        let query_key = hashes[7].substring(5, 12) ^ 0b1001;
        for radius in 0..=5 {
            let mut got = Vec::new();
            table.probe(query_key, radius, |id| got.push(id));
            got.sort_unstable();
            let expected: Vec<u32> = (0..hashes.len() as u32)
                .filter(|&id| {
                    (hashes[id as usize].substring(5, 12) ^ query_key).count_ones() <= radius
                })
                .collect();
            assert_eq!(got, expected, "radius {radius}");
        }
    }
}
