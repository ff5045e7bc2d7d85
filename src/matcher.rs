//! Matching a file's hashes against every loaded list.
//!
//! Owns `Matcher` (built once from the lists, shared read-only by all workers), `Thresholds`
//! and `Hit`. Cryptographic hashes are looked up exactly in each list's sorted fixed-width
//! columns; perceptual hashes by Hamming distance within a per-algorithm threshold.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::algorithm::Algorithm;
use crate::digest::FileDigests;
use crate::index::{Hash256, IndexError, Neighbor, NeighborSearch, Searcher};
use crate::list::category_map::CategoryMeaning;
use crate::list::{CategoryMap, EntryFlags, EntryRef, HashList, ListRole};

/// Why a hit is weak: kept in the report, never an alert on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeakReason {
    /// A 64-bit perceptual hit that no other algorithm confirms on the same entry.
    Uncorroborated,
    /// The file's or the list's 64-bit value is nearly uniform or repeats one or two rows:
    /// it says little about the picture and matches many unrelated ones.
    LowInformation,
}

impl WeakReason {
    /// The report's `weak_reason` code.
    pub fn code(self) -> &'static str {
        match self {
            WeakReason::Uncorroborated => "uncorroborated",
            WeakReason::LowInformation => "low_information",
        }
    }
}

/// Inclusive Hamming thresholds per perceptual algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thresholds(BTreeMap<Algorithm, u32>);

/// Read back through `set`, so that a recorded threshold is checked as a typed one is.
impl<'de> Deserialize<'de> for Thresholds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut thresholds = Thresholds::default();
        for (algorithm, value) in BTreeMap::<Algorithm, u32>::deserialize(deserializer)? {
            thresholds
                .set(algorithm, value)
                .map_err(serde::de::Error::custom)?;
        }
        Ok(thresholds)
    }
}

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
    /// The raw category code, exactly as the list wrote it (`null` stays `null`).
    pub category: Option<String>,
    /// The category's meaning under the list's scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_label: Option<String>,
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// The VICS yes/no flags of the entry (victim identified, …), where the list gives them.
    #[serde(skip_serializing_if = "EntryFlags::is_empty")]
    pub flags: EntryFlags,
    /// The list entry carries a PhotoDNA signature (not shown: hashsweep cannot compute or
    /// compare PhotoDNA; a reviewer with PhotoDNA can).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub photodna: bool,
    pub algorithm: Algorithm,
    /// Hamming distance; 0 for exact matches.
    pub distance: u32,
    /// The list's value, so a reader can re-check the match by hand.
    pub list_hash: String,
    /// Perceptual hits: the threshold the distance was held against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// Perceptual hits: which variant of the file matched (`original`, `rotate90`, `flipx`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<&'static str>,
    /// Perceptual hits: the file's hash that is `distance` from `list_hash`, i.e. the hash
    /// of the variant that matched (for `original`, the file's own hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_hash: Option<String>,
    /// PDQ hits: the file's PDQ quality (0–100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<u32>,
    /// Perceptual hits: whether a cryptographic hash of the file also hit the same entry
    /// (same list and entry id; same list where the list has no ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also_exact: Option<bool>,
    /// The entry's category means "not pertinent" (VICS US 0): reported as such, never
    /// an alert, never exit 1.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub non_pertinent: bool,
    /// A weak hit (`alert_rule`): why it does not alert alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_reason: Option<WeakReason>,
    /// The list record the entry belongs to: hits of one record are of one listed file.
    #[serde(skip)]
    pub record: u32,
}

impl Hit {
    /// A hit that raises an alert: on an alert list, in a pertinent category.
    pub fn alerts(&self) -> bool {
        self.role == ListRole::Alert && !self.non_pertinent
    }

    /// A hit on an alert list whose category is non-pertinent.
    pub fn is_non_pertinent(&self) -> bool {
        self.role == ListRole::Alert && self.non_pertinent
    }

    /// Whether `other` names the same list entry: same list and entry id, or the same list
    /// when the list gives no ids.
    pub fn is_same_entry(&self, other: &Hit) -> bool {
        self.list == other.list && (other.entry_id.is_none() || self.entry_id == other.entry_id)
    }

    fn from_entry(list: &HashList, entry: &EntryRef<'_>, distance: u32) -> Hit {
        let owned = |s: Option<&str>| s.map(str::to_string);
        Hit {
            list: list.provenance.name.clone(),
            role: list.provenance.role,
            entry_id: owned(entry.id),
            category: owned(entry.category),
            category_label: owned(entry.category_label),
            label: owned(entry.label),
            series: owned(entry.series),
            tags: owned(entry.tags),
            flags: entry.flags,
            photodna: entry.photodna.is_some(),
            algorithm: entry.algorithm,
            distance,
            list_hash: hex::encode(entry.hash),
            threshold: None,
            transform: None,
            file_hash: None,
            quality: None,
            also_exact: None,
            non_pertinent: entry.non_pertinent && list.provenance.role == ListRole::Alert,
            weak_reason: None,
            record: entry.record,
        }
    }
}

/// Where one perceptual table row points: list index and entry index within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EntryAt {
    list: u32,
    entry: u32,
}

/// The values of one perceptual algorithm, in the structure `index` picks for their number.
enum Values {
    /// 256-bit PDQ.
    Wide(Searcher<Hash256>),
    /// 64-bit pHash, dHash, aHash.
    Narrow(Searcher<u64>),
}

/// All perceptual values of one algorithm across the lists; search ids index `rows`.
struct PerceptualTable {
    values: Values,
    rows: Vec<EntryAt>,
}

impl PerceptualTable {
    fn build(lists: &[HashList], algorithm: Algorithm, radius: u32) -> Result<Self, IndexError> {
        let mut rows = Vec::new();
        let mut keys: Vec<&[u8]> = Vec::new();
        for (li, list) in lists.iter().enumerate() {
            for (ei, entry) in list.iter().enumerate() {
                if entry.algorithm == algorithm {
                    keys.push(entry.hash);
                    rows.push(EntryAt {
                        list: li as u32,
                        entry: ei as u32,
                    });
                }
            }
        }
        let values = if algorithm.byte_len() == 32 {
            Values::Wide(Searcher::new(
                keys.iter().map(|k| wide(k)).collect(),
                radius,
            )?)
        } else {
            Values::Narrow(Searcher::new(
                keys.iter().map(|k| narrow(k)).collect(),
                radius,
            )?)
        };
        Ok(PerceptualTable { values, rows })
    }

    /// `(row, distance)` of every value within `radius` of `needle`.
    fn search(&self, needle: &[u8], radius: u32, out: &mut Vec<Neighbor>) {
        match &self.values {
            Values::Wide(s) => s.search(&wide(needle), radius, out),
            Values::Narrow(s) => s.search(&narrow(needle), radius, out),
        }
    }
}

/// Big-endian, as the hex is written: bit 0 of the hex string is the first bit.
fn wide(bytes: &[u8]) -> Hash256 {
    let mut buf = [0u8; 32];
    buf.copy_from_slice(&bytes[..32.min(bytes.len())]);
    Hash256::from_bytes(buf)
}

fn narrow(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[..8.min(bytes.len())]);
    u64::from_be_bytes(buf)
}

/// One value to look up: the picture as stored, or one of its dihedral variants.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub value: &'a [u8],
    /// `None` for hashes without variants; otherwise the variant's name.
    pub transform: Option<&'static str>,
}

/// The loaded lists, indexed for lookup.
pub struct Matcher {
    lists: Vec<HashList>,
    perceptual: BTreeMap<Algorithm, PerceptualTable>,
    thresholds: Thresholds,
    /// The lab's category map, overriding each scheme's default meanings and names.
    category_map: Option<CategoryMap>,
}

impl Matcher {
    /// Indexes every perceptual value for its algorithm's threshold.
    pub fn new(lists: Vec<HashList>, thresholds: Thresholds) -> Result<Matcher, IndexError> {
        let mut perceptual = BTreeMap::new();
        for algorithm in Algorithm::PERCEPTUAL {
            if lists.iter().any(|l| l.count(algorithm) > 0) {
                let radius = thresholds.get(algorithm).unwrap_or(0);
                perceptual.insert(
                    algorithm,
                    PerceptualTable::build(&lists, algorithm, radius)?,
                );
            }
        }
        Ok(Matcher {
            category_map: None,
            lists,
            perceptual,
            thresholds,
        })
    }

    pub fn lists(&self) -> &[HashList] {
        &self.lists
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Perceptual algorithms some list carries (the ones worth computing).
    pub fn perceptual_algorithms(&self) -> Vec<Algorithm> {
        self.perceptual.keys().copied().collect()
    }

    /// Uses the lab's category map for every hit from now on.
    pub fn with_category_map(mut self, map: CategoryMap) -> Matcher {
        self.category_map = Some(map);
        self
    }

    pub fn category_map(&self) -> Option<&CategoryMap> {
        self.category_map.as_ref()
    }

    /// A hit on `entry` of `list`, its category read through the lab's map where it has a
    /// rule for the code (name and meaning), else by the list's scheme.
    fn hit(&self, list: &HashList, entry: &EntryRef<'_>, distance: u32) -> Hit {
        let mut hit = Hit::from_entry(list, entry, distance);
        let scheme = list.provenance.category_scheme;
        let rule = (self.category_map.as_ref())
            .zip(entry.category)
            .and_then(|(map, code)| map.rule(scheme, code));
        if let Some(rule) = rule {
            hit.category_label = Some(rule.name.clone());
            hit.non_pertinent = rule.meaning == CategoryMeaning::NonPertinent
                && list.provenance.role == ListRole::Alert;
        }
        hit
    }

    /// Exact hits of the four digests. The empty file's digests never hit: lists carry
    /// them, and every zero-byte file on a drive would otherwise be reported.
    pub fn match_digests(&self, digests: &FileDigests) -> Vec<Hit> {
        let mut hits = Vec::new();
        for algorithm in Algorithm::CRYPTOGRAPHIC {
            let Some(value) = digests.get(algorithm) else {
                continue;
            };
            if crate::list::empty_file_digest(algorithm) == Some(value) {
                continue;
            }
            for list in &self.lists {
                hits.extend(
                    list.find(algorithm, value)
                        .map(|entry| self.hit(list, &entry, 0)),
                );
            }
        }
        hits
    }

    /// Hits of a picture's value (and its variants) within the algorithm's threshold. An
    /// entry hit by several variants is reported once, for its closest variant (the first
    /// listed on a tie, so the picture as stored wins).
    pub fn match_perceptual(&self, algorithm: Algorithm, queries: &[Query<'_>]) -> Vec<Hit> {
        let (Some(table), Some(threshold)) = (
            self.perceptual.get(&algorithm),
            self.thresholds.get(algorithm),
        ) else {
            return Vec::new();
        };
        // One variant at a time: with one file per core already, batching the variants
        // gains nothing (docs/index.md, Batching: a blocked group of eight was 1.3–1.7×
        // slower than eight searches). Per table row: the distance and the closest query.
        let mut best: BTreeMap<u32, (u32, usize)> = BTreeMap::new();
        let mut found = Vec::new();
        for (q, query) in queries.iter().enumerate() {
            found.clear();
            table.search(query.value, threshold, &mut found);
            for n in &found {
                let slot = best.entry(n.id).or_insert((n.distance, q));
                if n.distance < slot.0 {
                    *slot = (n.distance, q);
                }
            }
        }
        best.into_iter()
            .filter_map(|(row, (distance, q))| {
                let at = table.rows.get(row as usize)?;
                let list = &self.lists[at.list as usize];
                let entry = list.get(at.entry as usize)?;
                let mut hit = self.hit(list, &entry, distance);
                hit.threshold = Some(threshold);
                hit.transform = queries[q].transform;
                hit.file_hash = Some(hex::encode(queries[q].value));
                Some(hit)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithm::HashValue;
    use crate::index::BitHash;
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
        let provenance = ListProvenance::new(name, name.into(), role, ListFormat::HashsweepJsonl);
        HashList::new(provenance, entries)
    }

    #[test]
    fn exact_hits_every_list_and_never_the_empty_digest() {
        let abc = FileDigests::of(b"abc");
        let md5 = hex::encode(abc.md5);
        let lists = vec![
            list("a", ListRole::Alert, &[(Algorithm::Md5, &md5, "1")]),
            list("b", ListRole::Alert, &[(Algorithm::Md5, &md5, "2")]),
            list(
                "k",
                ListRole::KnownGood,
                &[(Algorithm::Md5, "d41d8cd98f00b204e9800998ecf8427e", "e")],
            ),
        ];
        let m = Matcher::new(lists, Thresholds::default()).unwrap();
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
        let mut thresholds = Thresholds::default();
        thresholds.set(Algorithm::Dhash, 10).unwrap();
        let m = Matcher::new(lists, thresholds).unwrap();
        let query = Query {
            value: &[0; 8],
            transform: None,
        };
        let hits = m.match_perceptual(Algorithm::Dhash, &[query]);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].entry_id.as_deref(), hits[0].distance),
            (Some("8 bits"), 8)
        );
    }

    /// A list above the linear-scan crossover goes through the multi-index, and a picture's
    /// variants get exactly the hits a brute-force scan of the list gives.
    #[test]
    fn a_large_list_is_indexed_and_hits_what_a_scan_hits() {
        let mut rng = crate::synth::SplitMix64::new(7);
        let mut next = move || rng.next_u64();
        let queries: Vec<[u8; 32]> = (0..2)
            .map(|_| std::array::from_fn(|_| next() as u8))
            .collect();
        // Random entries, plus copies of each query with 0..=40 bits flipped; all distinct,
        // as a list merges repeated values into one entry.
        let mut seen = std::collections::HashSet::new();
        let values: Vec<[u8; 32]> = (0..40_000usize)
            .map(|i| {
                let mut value: [u8; 32] = std::array::from_fn(|_| next() as u8);
                if i % 97 == 0 {
                    value = queries[i % 2];
                    for _ in 0..next() % 41 {
                        let bit = next() % 256;
                        value[(bit / 8) as usize] ^= 1 << (bit % 8);
                    }
                }
                while !seen.insert(value) {
                    value = std::array::from_fn(|_| next() as u8);
                }
                value
            })
            .collect();
        let hexes: Vec<(String, String)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (hex::encode(v), i.to_string()))
            .collect();
        let entries: Vec<(Algorithm, &str, &str)> = hexes
            .iter()
            .map(|(h, id)| (Algorithm::Pdq, h.as_str(), id.as_str()))
            .collect();
        let m = Matcher::new(
            vec![list("big", ListRole::Alert, &entries)],
            Thresholds::default(),
        )
        .unwrap();
        let table = &m.perceptual[&Algorithm::Pdq];
        assert!(matches!(table.values, Values::Wide(Searcher::Index(_))));

        let threshold = m.thresholds().get(Algorithm::Pdq).unwrap();
        let mut expected: Vec<(String, u32)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let d = queries.iter().map(|q| wide(q).distance(&wide(v))).min()?;
                (d <= threshold).then(|| (i.to_string(), d))
            })
            .collect();
        assert!(expected.len() > 100, "{} planted hits", expected.len());
        let asked: Vec<Query<'_>> = queries
            .iter()
            .map(|q| Query {
                value: q,
                transform: None,
            })
            .collect();
        let mut got: Vec<(String, u32)> = m
            .match_perceptual(Algorithm::Pdq, &asked)
            .into_iter()
            .map(|h| (h.entry_id.unwrap(), h.distance))
            .collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
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
