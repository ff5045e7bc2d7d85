//! The multi-index hashing (MIH) search structure: exact Hamming range search in sub-linear
//! time on large lists (Norouzi, Punjani & Fleet, "Fast Exact Search in Hamming Space with
//! Multi-Index Hashing", TPAMI 2014).
//!
//! Owns: `HammingIndex` and its `IndexBuilder`, the per-query probe-and-verify loop and its
//! de-duplication. Leaves the bucket layout to `table`, the m rule and radius allocation to
//! `plan`, and the brute-force scan it falls back to to `linear`.

use rayon::prelude::*;

use super::bits::BitHash;
use super::linear::scan_into;
use super::plan::{self, Allocation};
use super::table::{Neighbourhood, SubTable, TableShape};
use super::{sort_neighbors, IndexError, Neighbor, NeighborSearch};

/// The default memory budget: the index (tables + the hashes it keeps) at most 3× the raw
/// hash bytes (the goal).
const DEFAULT_MEMORY_FACTOR: f64 = 3.0;

/// How an index is built: the radius it is tuned for and, optionally, a fixed table count.
/// Any radius can be searched afterwards; the tuning radius only picks the table count.
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    radius: u32,
    tables: Option<u32>,
    memory_factor: f64,
}

impl IndexBuilder {
    pub fn new(radius: u32) -> Self {
        IndexBuilder {
            radius,
            tables: None,
            memory_factor: DEFAULT_MEMORY_FACTOR,
        }
    }

    /// Fixes the number of substrings `m` instead of the m rule (see `plan`).
    pub fn tables(mut self, tables: u32) -> Self {
        self.tables = Some(tables);
        self
    }

    /// Memory budget for the m rule, as a multiple of the raw hash bytes.
    pub fn memory_factor(mut self, factor: f64) -> Self {
        self.memory_factor = factor;
        self
    }

    /// Builds the tables in parallel (one rayon task per substring table).
    pub fn build<H: BitHash>(&self, hashes: Vec<H>) -> Result<HammingIndex<H>, IndexError> {
        if u32::try_from(hashes.len()).is_err() {
            return Err(IndexError::TooManyEntries(hashes.len()));
        }
        let shapes = match self.tables {
            Some(m) if plan::table_range(H::BITS).contains(&m) => {
                plan::shapes(H::BITS, m, hashes.len())
            }
            Some(m) => {
                return Err(IndexError::BadTableCount {
                    tables: m,
                    bits: H::BITS,
                })
            }
            None => plan::choose_shapes(
                H::BITS,
                std::mem::size_of::<H>(),
                hashes.len(),
                self.radius,
                self.memory_factor,
            ),
        };
        let tables = shapes
            .par_iter()
            .map(|&shape| SubTable::build(&hashes, shape))
            .collect();
        Ok(HammingIndex { hashes, tables })
    }
}

/// An exact Hamming range-search index over a list; entry id = position in the list.
#[derive(Debug, Clone)]
pub struct HammingIndex<H> {
    hashes: Vec<H>,
    tables: Vec<SubTable>,
}

/// What a search did, for tests and benches: whether the planner fell back to a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPath {
    Probed,
    Scanned,
}

impl<H: BitHash> HammingIndex<H> {
    /// Builds with the m rule tuned for `radius`.
    pub fn new(hashes: Vec<H>, radius: u32) -> Result<Self, IndexError> {
        IndexBuilder::new(radius).build(hashes)
    }

    pub fn hashes(&self) -> &[H] {
        &self.hashes
    }

    /// Number of substrings `m`.
    pub fn table_count(&self) -> usize {
        self.tables.len()
    }

    /// Substring lengths in bits, in hash order.
    pub fn substring_bits(&self) -> Vec<u32> {
        self.tables.iter().map(|t| t.shape().len).collect()
    }

    /// Like `search`, but says whether it probed or fell back to a scan; with `force_probe`
    /// it never scans (tests use it to check the probe path at any radius).
    pub fn search_traced(
        &self,
        query: &H,
        radius: u32,
        force_probe: bool,
        out: &mut Vec<Neighbor>,
    ) -> SearchPath {
        out.clear();
        let keys: Vec<u32> = self.tables.iter().map(|t| t.key(query)).collect();
        let plan = self.plan(&keys, radius);
        let linear = plan::linear_cost(self.hashes.len(), std::mem::size_of::<H>());
        if !force_probe && plan.cost > linear {
            scan_into(&self.hashes, 0, query, radius, out);
            sort_neighbors(out);
            return SearchPath::Scanned;
        }
        for (i, table) in self.tables.iter().enumerate() {
            let Ok(table_radius) = u32::try_from(plan.radii[i]) else {
                continue;
            };
            table.probe(keys[i], table_radius, |id| {
                let hash = &self.hashes[id as usize];
                let distance = query.distance(hash);
                if distance <= radius && !self.found_before(i, hash, &keys, &plan.radii) {
                    out.push(Neighbor { id, distance });
                }
            });
        }
        sort_neighbors(out);
        SearchPath::Probed
    }

    fn plan(&self, keys: &[u32], radius: u32) -> Allocation {
        let shapes: Vec<TableShape> = self.tables.iter().map(|t| t.shape()).collect();
        let hoods: Vec<Neighbourhood> = self
            .tables
            .iter()
            .zip(keys)
            .map(|(t, &k)| t.neighbourhood(k))
            .collect();
        plan::allocate(&shapes, &hoods, radius)
    }

    /// Whether a table probed before `table` already reported `hash`: each entry is
    /// reported by the first table that finds it, so results need no de-duplication pass.
    fn found_before(&self, table: usize, hash: &H, keys: &[u32], radii: &[i32]) -> bool {
        self.tables[..table]
            .iter()
            .zip(keys)
            .zip(radii)
            .any(|((t, &key), &r)| r >= 0 && (t.key(hash) ^ key).count_ones() <= r as u32)
    }
}

impl<H: BitHash> NeighborSearch<H> for HammingIndex<H> {
    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn search(&self, query: &H, radius: u32, out: &mut Vec<Neighbor>) {
        self.search_traced(query, radius, false, out);
    }

    /// Queries in parallel, each through `search`.
    fn search_batch(&self, queries: &[H], radius: u32) -> Vec<Vec<Neighbor>> {
        queries
            .par_iter()
            .map(|query| {
                let mut out = Vec::new();
                self.search(query, radius, &mut out);
                out
            })
            .collect()
    }

    fn heap_bytes(&self) -> usize {
        self.hashes.capacity() * std::mem::size_of::<H>()
            + self.tables.capacity() * std::mem::size_of::<SubTable>()
            + self.tables.iter().map(SubTable::heap_bytes).sum::<usize>()
    }
}
