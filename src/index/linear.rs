//! The brute-force Hamming search: one popcount per list entry.
//!
//! Owns: `LinearScan`, the oracle the index is tested against and the path for small lists
//! or radii too large for the index to help, and `scan_into`, the one scan loop that
//! `HammingIndex` also falls back to. Leaves choosing between the two to `Matcher`.

use rayon::prelude::*;

use super::bits::BitHash;
use super::{sort_neighbors, Neighbor, NeighborSearch};

/// Entries per block in the blocked batch scan. 2048 PDQ hashes are 64 KiB, small enough to
/// stay in this machine's 1 MiB per-core L2 while a chunk of queries runs over them.
const ENTRY_BLOCK: usize = 2048;
/// Queries handled together against one entry block (and the unit of rayon work).
const QUERY_CHUNK: usize = 64;

/// A list searched by scanning every entry; entry id = position in the list.
#[derive(Debug, Clone)]
pub struct LinearScan<H> {
    hashes: Vec<H>,
}

impl<H: BitHash> LinearScan<H> {
    pub fn new(hashes: Vec<H>) -> Self {
        LinearScan { hashes }
    }

    pub fn hashes(&self) -> &[H] {
        &self.hashes
    }

    /// `search` for a few queries on the calling thread: every query against one entry
    /// block at a time, so each block is read from memory once per group instead of once
    /// per query. `search_batch` runs groups of `QUERY_CHUNK` of these in parallel.
    pub fn search_group(&self, queries: &[H], radius: u32) -> Vec<Vec<Neighbor>> {
        let mut outs: Vec<Vec<Neighbor>> = vec![Vec::new(); queries.len()];
        for (block_index, block) in self.hashes.chunks(ENTRY_BLOCK).enumerate() {
            let base = block_index * ENTRY_BLOCK;
            for (query, out) in queries.iter().zip(outs.iter_mut()) {
                scan_into(block, base, query, radius, out);
            }
        }
        outs.iter_mut().for_each(|out| sort_neighbors(out));
        outs
    }
}

/// Appends every entry of `hashes` within `radius` of `query` (ids offset by `base`),
/// unsorted.
#[inline]
pub(crate) fn scan_into<H: BitHash>(
    hashes: &[H],
    base: usize,
    query: &H,
    radius: u32,
    out: &mut Vec<Neighbor>,
) {
    for (i, hash) in hashes.iter().enumerate() {
        if let Some(distance) = query.distance_within(hash, radius) {
            // Ids fit u32: every list is checked against u32::MAX entries when built.
            out.push(Neighbor {
                id: (base + i) as u32,
                distance,
            });
        }
    }
}

impl<H: BitHash> NeighborSearch<H> for LinearScan<H> {
    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn search(&self, query: &H, radius: u32, out: &mut Vec<Neighbor>) {
        out.clear();
        scan_into(&self.hashes, 0, query, radius, out);
        sort_neighbors(out);
    }

    fn search_batch(&self, queries: &[H], radius: u32) -> Vec<Vec<Neighbor>> {
        queries
            .par_chunks(QUERY_CHUNK)
            .flat_map_iter(|chunk| self.search_group(chunk, radius))
            .collect()
    }

    fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * std::mem::size_of::<H>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_and_sorts_by_distance_then_id() {
        let scan = LinearScan::new(vec![0b111u64, 0, 0b1, 0, 0b11]);
        let mut out = Vec::new();
        scan.search(&0, 2, &mut out);
        let got: Vec<(u32, u32)> = out.iter().map(|n| (n.id, n.distance)).collect();
        assert_eq!(got, vec![(1, 0), (3, 0), (2, 1), (4, 2)]);
    }

    #[test]
    fn batch_equals_one_at_a_time_across_blocks() {
        let hashes: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let scan = LinearScan::new(hashes.clone());
        let queries: Vec<u64> = hashes.iter().step_by(37).map(|h| h ^ 0b1011).collect();
        let batch = scan.search_batch(&queries, 20);
        for (query, got) in queries.iter().zip(&batch) {
            let mut one = Vec::new();
            scan.search(query, 20, &mut one);
            assert_eq!(&one, got);
        }
    }
}
