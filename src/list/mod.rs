//! Hash lists: what a loaded list holds and where it came from.
//!
//! Owns the list model (`HashList`, `EntryRef`, `ListRole`, `ListProvenance`, `ListError`)
//! and the load entry point. Each on-disk format has its own parser module that turns bytes
//! into `Record`s; `load` detects the format, hashes the file for chain of custody and
//! hands the records to `collect`, which stores them compactly (`store`). `inspect` and
//! `write` serve `list inspect` and `list convert`. Matching entries against files is
//! `matcher`'s job; printing is the CLI's.

mod category;
pub(crate) mod category_map;
mod collect;
mod csvline;
mod encase;
pub(crate) mod format;
mod hashdeep;
mod hashkeeper;
mod inspect;
pub(crate) mod jsonl;
mod load;
mod nsrl;
mod pdq;
mod rds3;
mod record;
mod store;
mod strings;
mod sums;
mod vics;
pub mod vpdq;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::algorithm::{Algorithm, HashValue};
pub use category::CategoryScheme;
pub use category_map::{CategoryMap, CategoryMapInfo};
pub use format::ListFormat;
pub use inspect::{inspect_list, ListInspection};
pub use load::{load_list, LoadOptions};
pub use record::{EntryFlags, FormatInfo, Location, Record};
pub(crate) use store::ListBuilder;
pub use store::{EntryRef, HashList};
pub use vpdq::VpdqFeature;
pub use write::{write_hashdeep, write_jsonl, WriteSummary};

/// What a hit on the list means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListRole {
    /// An authorised list of files to find: a hit is reported.
    Alert,
    /// Known-good files (e.g. NSRL): a hit marks the file known, never hides an alert hit.
    KnownGood,
}

/// One hash of one list entry, with the metadata a report names. A simple owned form for
/// building small lists in code (`HashList::new`); loaders use `Record`.
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

/// A problem found while loading, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListWarning {
    pub at: Option<Location>,
    pub message: String,
}

/// Where a list came from and what was loaded from it (the report header's provenance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListProvenance {
    pub name: String,
    #[serde(serialize_with = "crate::evidence::serialize_lossy")]
    pub path: PathBuf,
    pub role: ListRole,
    pub format: ListFormat,
    /// The format's own version (VICS `2.0`, `HASHDEEP-1.0` → `1.0`, an RDS release).
    pub format_version: Option<String>,
    /// Variant details (VICS region and feed shape, header flavour, set name).
    pub format_variant: Option<String>,
    /// How category codes read as labels.
    pub category_scheme: CategoryScheme,
    /// SHA-256 of the list file's bytes, as read.
    pub sha256: String,
    pub bytes: u64,
    /// Source records accepted (a record may carry several hashes).
    pub records: u64,
    /// Usable entries per algorithm, after merging duplicates.
    pub entries: BTreeMap<String, u64>,
    /// Entries dropped because an earlier entry had the same hash and metadata.
    pub duplicates_merged: u64,
    /// Lines or records skipped under `--lenient`.
    pub rejected: u64,
    /// Records without any hash (e.g. a VICS Media with an empty MD5): skipped, not errors.
    pub skipped_without_hash: u64,
    /// Entries whose hash is the digest of the empty file: loaded but never reported.
    pub empty_file_hashes: u64,
    /// The first problems found (rejections and warnings), in file order.
    pub warnings: Vec<ListWarning>,
}

impl ListProvenance {
    /// A provenance with every count at zero, for lists built in code.
    pub fn new(name: &str, path: PathBuf, role: ListRole, format: ListFormat) -> Self {
        ListProvenance {
            name: name.to_string(),
            path,
            role,
            format,
            format_version: None,
            format_variant: None,
            category_scheme: CategoryScheme::None,
            sha256: String::new(),
            bytes: 0,
            records: 0,
            entries: BTreeMap::new(),
            duplicates_merged: 0,
            rejected: 0,
            skipped_without_hash: 0,
            empty_file_hashes: 0,
            warnings: Vec::new(),
        }
    }
}

impl HashList {
    /// Builds a list from owned entries (one record each); duplicates are merged and the
    /// provenance's entry counts are filled in.
    pub fn new(provenance: ListProvenance, entries: Vec<ListEntry>) -> Self {
        let mut builder = ListBuilder::new();
        for e in entries {
            let record = Record {
                hashes: vec![e.value],
                id: e.id,
                category: e.category,
                label: e.label,
                ..Record::default()
            };
            // A list built in code cannot reach 4 G records before memory runs out.
            let _ = builder.push(&record);
        }
        let (mut list, merged) = builder.finish(provenance);
        list.provenance.duplicates_merged = merged;
        list.provenance.entries = list.count_by_algorithm();
        list.provenance.records = list.records() as u64;
        list
    }

    /// Number of entries for each algorithm, keyed by algorithm name.
    pub fn count_by_algorithm(&self) -> BTreeMap<String, u64> {
        Algorithm::ALL
            .into_iter()
            .filter(|a| self.count(*a) > 0)
            .map(|a| (a.name().to_string(), self.count(a) as u64))
            .collect()
    }
}

/// Why a list could not be loaded. Always names the file, and the place where one applies.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    // The cause is in the message, not chained as a source: `{:#}` would print it twice.
    #[error("cannot read hash list {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A bad entry (fails the load unless lenient) or bad structure (always fails).
    #[error("{path}:{at}: {reason}")]
    Malformed {
        path: PathBuf,
        at: Location,
        reason: String,
    },
    #[error("{path}: format not recognised ({reason}); use --list-format to force one")]
    UnknownFormat { path: PathBuf, reason: String },
    /// The file is of a known format but says something hashsweep cannot honour (an unknown
    /// algorithm in a header, 64-hex values of unknown kind); never skipped under lenient.
    #[error("{path}:{at}: {reason}")]
    Unsupported {
        path: PathBuf,
        at: Location,
        reason: String,
    },
    #[error("{path}: no usable entries")]
    Empty { path: PathBuf },
    #[error("{path}: list too large for this build (more than 4 GiB of text or 4 G records)")]
    TooLarge { path: PathBuf },
    #[error("{path}: SQLite: {error}")]
    Sqlite {
        path: PathBuf,
        error: rusqlite::Error,
    },
}

/// Digests of the zero-length file: lists often carry them, and every empty file on a drive
/// would otherwise "match".
pub fn is_empty_file_hash(value: &HashValue) -> bool {
    empty_file_digest(value.algorithm) == Some(value.as_bytes())
}

/// The empty-file digest of an algorithm, if it has one (perceptual ones do not).
pub(crate) fn empty_file_digest(algorithm: Algorithm) -> Option<&'static [u8]> {
    crate::digest::FileDigests::of_empty().get(algorithm)
}
