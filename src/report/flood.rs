//! The flood guard: a list entry that matches many distinct files is more likely a
//! degenerate hash (a blank page, a solid colour, a logo) than that many pictures of
//! interest, so the summary flags it instead of burying the examiner in its hits.
//!
//! Owns the count and the flag; every hit is still reported in full.

use std::collections::{BTreeMap, BTreeSet};

use super::read::ScanReport;

/// `--flood-threshold` default: an entry matching more files than this is flagged.
pub const DEFAULT_FLOOD_THRESHOLD: usize = 50;

/// One flagged entry and how many distinct files it matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FloodedEntry {
    pub list: String,
    pub entry_id: Option<String>,
    pub algorithm: String,
    pub list_hash: String,
    pub files: usize,
}

/// Entries on alert lists that matched more than `threshold` distinct files, most first.
pub fn flooded_entries(report: &ScanReport, threshold: usize) -> Vec<FloodedEntry> {
    type Key<'a> = (&'a str, Option<&'a str>, &'a str, &'a str);
    let mut files: BTreeMap<Key<'_>, BTreeSet<(usize, Vec<u8>)>> = BTreeMap::new();
    for file in report.matches() {
        for hit in file.alert_hits() {
            let key = (
                hit.list.as_str(),
                hit.entry_id.as_deref(),
                &*hit.algorithm,
                hit.list_hash.as_str(),
            );
            files
                .entry(key)
                .or_default()
                .insert((file.evidence, file.raw_path()));
        }
    }
    let mut out: Vec<FloodedEntry> = files
        .into_iter()
        .filter(|(_, f)| f.len() > threshold)
        .map(|((list, id, algorithm, hash), f)| FloodedEntry {
            list: list.to_string(),
            entry_id: id.map(str::to_string),
            algorithm: algorithm.to_string(),
            list_hash: hash.to_string(),
            files: f.len(),
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.files));
    out
}
