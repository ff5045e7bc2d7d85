//! Hash lists: what a loaded list holds and where it came from.
//!
//! Owns the list model (`HashList`, `ListEntry`, `ListRole`, `ListProvenance`) and the load
//! entry point. Each on-disk format has its own parser module that turns bytes into
//! `ListEntry`s; `load` detects the format, hashes the file for chain of custody and
//! collects the entries. Matching entries against files is `matcher`'s job.

pub mod format;
pub mod jsonl;
mod load;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::algorithm::{Algorithm, HashValue};
pub use format::ListFormat;
pub use load::{load_list, LoadOptions};

/// What a hit on the list means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListRole {
    /// An authorised list of files to find: a hit is reported.
    Alert,
    /// Known-good files (e.g. NSRL): a hit marks the file known, never hides an alert hit.
    KnownGood,
}

/// One hash of one list entry, with the metadata a report names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub value: HashValue,
    /// The source's identifier (MediaID, line number, …).
    pub id: Option<String>,
    /// The raw category code as the list wrote it.
    pub category: Option<String>,
    /// A human label for the entry or its category.
    pub label: Option<String>,
}

/// Where a list came from and what was loaded from it (the report header's provenance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListProvenance {
    pub name: String,
    pub path: PathBuf,
    pub role: ListRole,
    pub format: ListFormat,
    /// SHA-256 of the list file's bytes, as read.
    pub sha256: String,
    pub bytes: u64,
    /// Usable entries per algorithm.
    pub entries: BTreeMap<String, u64>,
    /// Lines or records skipped under `--lenient`.
    pub rejected: u64,
    /// Entries whose hash is the digest of the empty file: loaded but never reported.
    pub empty_file_hashes: u64,
}

/// A loaded list: its provenance and its entries.
///
/// Entries are reached through `len`/`get`/`iter` only, so the storage can become more
/// compact without touching the matcher.
#[derive(Debug, Clone)]
pub struct HashList {
    pub provenance: ListProvenance,
    entries: Vec<ListEntry>,
}

/// A borrowed view of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub algorithm: Algorithm,
    pub hash: &'a [u8],
    pub id: Option<&'a str>,
    pub category: Option<&'a str>,
    pub label: Option<&'a str>,
}

impl HashList {
    pub fn new(provenance: ListProvenance, entries: Vec<ListEntry>) -> Self {
        HashList {
            provenance,
            entries,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<EntryRef<'_>> {
        self.entries.get(index).map(|e| EntryRef {
            algorithm: e.value.algorithm,
            hash: e.value.as_bytes(),
            id: e.id.as_deref(),
            category: e.category.as_deref(),
            label: e.label.as_deref(),
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> + '_ {
        (0..self.entries.len()).filter_map(|i| self.get(i))
    }

    /// Number of entries for each algorithm.
    pub fn count_by_algorithm(entries: &[ListEntry]) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for e in entries {
            *counts
                .entry(e.value.algorithm.name().to_string())
                .or_insert(0) += 1;
        }
        counts
    }

    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = self.iter().map(|e| e.algorithm).collect();
        algs.sort();
        algs.dedup();
        algs
    }
}

/// Why a list could not be loaded. Always names the file, and the line where one applies.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read hash list {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Malformed {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{path}: format not recognised ({reason}); use --list-format to force one")]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{path}: no usable entries")]
    Empty { path: PathBuf },
}

/// Digests of the zero-length file: lists often carry them, and every empty file on a drive
/// would otherwise "match".
pub fn is_empty_file_hash(value: &HashValue) -> bool {
    let empty = crate::digest::FileDigests::of(b"");
    empty.get(value.algorithm) == Some(value.as_bytes())
}
