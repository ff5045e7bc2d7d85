//! Choosing between the linear scan and the multi-index for a list.
//!
//! Owns: `Searcher` and the measured crossover. Leaves how each searches to `linear` and
//! `mih`.

use super::bits::BitHash;
use super::linear::LinearScan;
use super::mih::HammingIndex;
use super::{IndexError, Neighbor, NeighborSearch};

/// Below this many entries the linear scan is used. Measured for PDQ at r = 31 (one query,
/// docs/index.md): up to 32k entries the index's own planner falls back to a scan (no
/// gain, 3× the memory); at 64k the index is ~4× faster. Smaller radii
/// cross over earlier; the index's per-query fallback keeps it safe either way.
const MIN_INDEXED_ENTRIES: usize = 32_768;

/// A list ready to search: scanned when small, indexed when large.
#[derive(Debug)]
pub enum Searcher<H> {
    Linear(LinearScan<H>),
    Index(HammingIndex<H>),
}

impl<H: BitHash> Searcher<H> {
    /// Picks the faster structure for `hashes` searched at `radius`.
    pub fn new(hashes: Vec<H>, radius: u32) -> Result<Self, IndexError> {
        if hashes.len() < MIN_INDEXED_ENTRIES {
            return Ok(Searcher::Linear(LinearScan::new(hashes)));
        }
        HammingIndex::new(hashes, radius).map(Searcher::Index)
    }

    fn inner(&self) -> &dyn NeighborSearch<H> {
        match self {
            Searcher::Linear(scan) => scan,
            Searcher::Index(index) => index,
        }
    }
}

impl<H: BitHash> NeighborSearch<H> for Searcher<H> {
    fn len(&self) -> usize {
        self.inner().len()
    }

    fn search(&self, query: &H, radius: u32, out: &mut Vec<Neighbor>) {
        self.inner().search(query, radius, out);
    }

    fn search_batch(&self, queries: &[H], radius: u32) -> Vec<Vec<Neighbor>> {
        self.inner().search_batch(queries, radius)
    }

    fn heap_bytes(&self) -> usize {
        self.inner().heap_bytes()
    }
}
