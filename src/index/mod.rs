//! Exact Hamming range search over perceptual-hash lists: every list entry within `r` bits
//! of a query, with its distance.
//!
//! Owns: the search interface (`NeighborSearch`, `Neighbor`), the hash widths (`bits`), the
//! brute-force scan (`linear`), the multi-index (`mih`, with `table` and `plan`) and the
//! choice between them (`Searcher`). Leaves reading lists, the scan pipeline and reporting
//! matches to the matcher that calls it.
//!
//! Popcount: `.cargo/config.toml` builds for x86-64-v2 so `count_ones()` is one POPCNT
//! instruction. Rust's default x86-64 target has no POPCNT and falls back to a shift-and-add
//! sequence; a linear scan of 1M PDQ hashes measured 2.2 ms per query with POPCNT against
//! 3.5 ms without (medians of 5, 1.5–2× across runs on the shared 2-core EPYC; see
//! docs/index.md). Every x86-64 CPU since ~2009 has POPCNT.
//!
//! Search: see `mih` for the multi-index, `plan` for the m rule and per-query radii, and
//! docs/index.md for the measured figures.

pub(crate) mod bits;
mod huge;
pub(crate) mod linear;
pub(crate) mod mih;
mod plan;
mod prefetch;
pub(crate) mod select;
mod table;

pub use bits::{BitHash, Hash256};
pub use linear::LinearScan;
pub use mih::{HammingIndex, IndexBuilder, RadiusPolicy, SearchMode, SearchPath};
pub use select::Searcher;

/// One list entry within the search radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Neighbor {
    /// Position of the entry in the list the searcher was built from.
    pub id: u32,
    /// Hamming distance to the query.
    pub distance: u32,
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IndexError {
    #[error("a hash list of {0} entries exceeds the index limit of 2^32 - 1")]
    TooManyEntries(usize),
    #[error("{tables} substrings cannot split a {bits}-bit hash (each must be 1 to 32 bits)")]
    BadTableCount { tables: u32, bits: u32 },
}

/// Range search over a fixed list. Results are sorted by (distance, id); an entry listed
/// several times is returned once per id.
pub trait NeighborSearch<H>: Send + Sync {
    /// Number of list entries.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces `out` with every entry within `radius` of `query`.
    fn search(&self, query: &H, radius: u32, out: &mut Vec<Neighbor>);

    /// `search` for many queries (in parallel); result `i` belongs to `queries[i]`.
    fn search_batch(&self, queries: &[H], radius: u32) -> Vec<Vec<Neighbor>>;

    /// Heap bytes held, hashes included, to compare with the raw list size.
    fn heap_bytes(&self) -> usize;
}

fn sort_neighbors(out: &mut [Neighbor]) {
    out.sort_unstable_by_key(|n| (n.distance, n.id));
}

#[cfg(test)]
mod proptests;
