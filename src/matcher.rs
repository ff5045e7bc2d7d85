//! Matching a file's hashes against every loaded list.
//!
//! Owns `Matcher` (built once from the lists, shared read-only by all workers), `Thresholds`
//! and `Hit`. Cryptographic hashes are looked up exactly in sorted fixed-width arrays;
//! perceptual hashes by Hamming distance within a per-algorithm threshold. Entries that are
//! the digest of the empty file are never matched: every zero-byte file would hit them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::algorithm::Algorithm;
use crate::algorithm::HashValue;
use crate::digest::FileDigests;
use crate::list::{is_empty_file_hash, HashList, ListRole};

/// Inclusive Hamming thresholds per perceptual algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thresholds(BTreeMap<Algorithm, u32>);

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds(
            Algorithm::PERCEPTUAL
                .into_iter()
                .filter_map(|a| a.default_threshold().map(|t| (a, t)))
                .collect(),
        )
    }
}

/// A threshold that makes no sense for its algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("{0} is matched exactly and takes no threshold")]
    NotPerceptual(Algorithm),
    #[error("{algorithm} threshold {value} exceeds its {bits} bits")]
    TooLarge {
        algorithm: Algorithm,
        value: u32,
        bits: u32,
    },
}

impl Thresholds {
    pub fn set(&mut self, algorithm: Algorithm, value: u32) -> Result<(), ThresholdError> {
        if !algorithm.is_perceptual() {
            return Err(ThresholdError::NotPerceptual(algorithm));
        }
        if value > algorithm.bits() {
            return Err(ThresholdError::TooLarge {
                algorithm,
                value,
                bits: algorithm.bits(),
            });
        }
        self.0.insert(algorithm, value);
        Ok(())
    }

    pub fn get(&self, algorithm: Algorithm) -> Option<u32> {
        self.0.get(&algorithm).copied()
    }

    /// `{"pdq": 31, …}` with names as keys, for the report header.
    pub fn to_named(&self) -> BTreeMap<&'static str, u32> {
        self.0.iter().map(|(a, t)| (a.name(), *t)).collect()
    }
}

/// One list entry that a file matched, resolved to what a report shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub list: String,
    pub role: ListRole,
    pub entry_id: Option<String>,
    pub category: Option<String>,
    pub label: Option<String>,
    pub algorithm: Algorithm,
    /// Hamming distance; 0 for exact matches.
    pub distance: u32,
    /// The list's value, so a reader can re-check the match by hand.
    pub list_hash: String,
}

/// Where one table row points: list index and entry index within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EntryAt {
    list: u32,
    entry: u32,
}

/// All entries of one algorithm, keys sorted, for binary search (exact) or a scan (Hamming).
struct Table {
    width: usize,
    keys: Vec<u8>,
    rows: Vec<EntryAt>,
}

impl Table {
    fn build(lists: &[HashList], algorithm: Algorithm) -> Table {
        let width = algorithm.byte_len();
        let mut pairs: Vec<(&[u8], EntryAt)> = Vec::new();
        for (li, list) in lists.iter().enumerate() {
            for (ei, entry) in list.iter().enumerate() {
                if entry.algorithm != algorithm || is_empty_digest(algorithm, entry.hash) {
                    continue;
                }
                let at = EntryAt {
                    list: li as u32,
                    entry: ei as u32,
                };
                pairs.push((entry.hash, at));
            }
        }
        pairs.sort_unstable();
        Table {
            width,
            keys: pairs.iter().flat_map(|(k, _)| k.iter().copied()).collect(),
            rows: pairs.into_iter().map(|(_, at)| at).collect(),
        }
    }

    fn key(&self, row: usize) -> &[u8] {
        &self.keys[row * self.width..(row + 1) * self.width]
    }

    /// Rows whose key equals `needle` exactly.
    fn exact(&self, needle: &[u8]) -> impl Iterator<Item = (EntryAt, u32)> + '_ {
        let first = self.rows_partition(|k| k < needle);
        let end = self.rows_partition(|k| k <= needle);
        (first..end).map(|row| (self.rows[row], 0))
    }

    fn rows_partition(&self, pred: impl Fn(&[u8]) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.rows.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.key(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Rows within `threshold` bits of `needle` (linear scan).
    fn within(&self, needle: &[u8], threshold: u32) -> impl Iterator<Item = (EntryAt, u32)> + '_ {
        let needle = needle.to_vec();
        (0..self.rows.len()).filter_map(move |row| {
            let d = hamming(self.key(row), &needle);
            (d <= threshold).then_some((self.rows[row], d))
        })
    }
}

fn hamming(a: &[u8], b: &[u8]) -> u32 {
    a.chunks(8)
        .zip(b.chunks(8))
        .map(|(x, y)| {
            let word = |c: &[u8]| {
                c.iter()
                    .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte))
            };
            (word(x) ^ word(y)).count_ones()
        })
        .sum()
}

fn is_empty_digest(algorithm: Algorithm, hash: &[u8]) -> bool {
    !algorithm.is_perceptual()
        && HashValue::from_bytes(algorithm, hash).is_ok_and(|v| is_empty_file_hash(&v))
}

/// The loaded lists, indexed for lookup.
pub struct Matcher {
    lists: Vec<HashList>,
    tables: BTreeMap<Algorithm, Table>,
    thresholds: Thresholds,
}

impl Matcher {
    pub fn new(lists: Vec<HashList>, thresholds: Thresholds) -> Matcher {
        let algorithms: Vec<Algorithm> = Algorithm::ALL
            .into_iter()
            .filter(|a| lists.iter().any(|l| l.algorithms().contains(a)))
            .collect();
        let tables = algorithms
            .into_iter()
            .map(|a| (a, Table::build(&lists, a)))
            .collect();
        Matcher {
            lists,
            tables,
            thresholds,
        }
    }

    pub fn lists(&self) -> &[HashList] {
        &self.lists
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Perceptual algorithms some list carries (the ones worth computing).
    pub fn perceptual_algorithms(&self) -> Vec<Algorithm> {
        self.tables
            .keys()
            .copied()
            .filter(|a| a.is_perceptual())
            .collect()
    }

    /// Exact hits of the four digests.
    pub fn match_digests(&self, digests: &FileDigests) -> Vec<Hit> {
        let mut hits = Vec::new();
        for algorithm in Algorithm::CRYPTOGRAPHIC {
            if let (Some(table), Some(value)) =
                (self.tables.get(&algorithm), digests.get(algorithm))
            {
                hits.extend(
                    table
                        .exact(value)
                        .map(|(at, d)| self.resolve(at, algorithm, d)),
                );
            }
        }
        hits
    }

    /// Hits of one perceptual value within its algorithm's threshold.
    pub fn match_perceptual(&self, algorithm: Algorithm, value: &[u8]) -> Vec<Hit> {
        let (Some(table), Some(threshold)) =
            (self.tables.get(&algorithm), self.thresholds.get(algorithm))
        else {
            return Vec::new();
        };
        table
            .within(value, threshold)
            .map(|(at, d)| self.resolve(at, algorithm, d))
            .collect()
    }

    fn resolve(&self, at: EntryAt, algorithm: Algorithm, distance: u32) -> Hit {
        let list = &self.lists[at.list as usize];
        let entry = list.get(at.entry as usize);
        Hit {
            list: list.provenance.name.clone(),
            role: list.provenance.role,
            entry_id: entry.and_then(|e| e.id.map(str::to_string)),
            category: entry.and_then(|e| e.category.map(str::to_string)),
            label: entry.and_then(|e| e.label.map(str::to_string)),
            algorithm,
            distance,
            list_hash: entry.map(|e| hex::encode(e.hash)).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::{ListEntry, ListFormat, ListProvenance};

    fn list(name: &str, role: ListRole, entries: &[(Algorithm, &str, &str)]) -> HashList {
        let entries: Vec<ListEntry> = entries
            .iter()
            .map(|(a, hex, id)| ListEntry {
                value: HashValue::parse_hex(*a, hex).unwrap(),
                id: Some(id.to_string()),
                category: None,
                label: None,
            })
            .collect();
        let provenance = ListProvenance {
            name: name.into(),
            path: name.into(),
            role,
            format: ListFormat::HashsweepJsonl,
            sha256: String::new(),
            bytes: 0,
            entries: HashList::count_by_algorithm(&entries),
            rejected: 0,
            empty_file_hashes: 0,
        };
        HashList::new(provenance, entries)
    }

    #[test]
    fn exact_hits_every_duplicate_and_never_the_empty_digest() {
        let abc = FileDigests::of(b"abc");
        let md5 = hex::encode(abc.md5);
        let lists = vec![
            list(
                "a",
                ListRole::Alert,
                &[(Algorithm::Md5, &md5, "1"), (Algorithm::Md5, &md5, "2")],
            ),
            list(
                "k",
                ListRole::KnownGood,
                &[(Algorithm::Md5, "d41d8cd98f00b204e9800998ecf8427e", "e")],
            ),
        ];
        let m = Matcher::new(lists, Thresholds::default());
        let ids: Vec<_> = m
            .match_digests(&abc)
            .into_iter()
            .map(|h| h.entry_id)
            .collect();
        assert_eq!(ids, vec![Some("1".to_string()), Some("2".to_string())]);
        assert!(m.match_digests(&FileDigests::of(b"")).is_empty());
    }

    #[test]
    fn perceptual_hits_respect_the_inclusive_threshold() {
        let lists = vec![list(
            "p",
            ListRole::Alert,
            &[
                (Algorithm::Dhash, "00000000000000ff", "8 bits"),
                (Algorithm::Dhash, "0000000000000fff", "12 bits"),
            ],
        )];
        let m = Matcher::new(lists, Thresholds::default());
        let hits = m.match_perceptual(Algorithm::Dhash, &[0; 8]);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].entry_id.as_deref(), hits[0].distance),
            (Some("8 bits"), 8)
        );
    }

    #[test]
    fn thresholds_are_validated() {
        let mut t = Thresholds::default();
        assert_eq!(
            t.set(Algorithm::Md5, 3),
            Err(ThresholdError::NotPerceptual(Algorithm::Md5))
        );
        assert!(t.set(Algorithm::Phash, 65).is_err());
        t.set(Algorithm::Pdq, 40).unwrap();
        assert_eq!(t.get(Algorithm::Pdq), Some(40));
    }
}
