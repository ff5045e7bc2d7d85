//! The one place that decides what happens to each parsed record: stored, rejected (load
//! fails, or counted under `--lenient`), or skipped with a warning.
//!
//! Owns `Collector` and the load policy of docs/lists.md (what other tools do instead:
//! docs/list-formats.md §malformed): a malformed
//! entry fails the load with file and location unless lenient; structure errors, unknown
//! header algorithms and empty lists are always fatal (raised by the parsers and `finish`).
//! Leaves parsing to the format modules and storage to `store`.

use std::path::{Path, PathBuf};

use super::record::{FormatInfo, Location, Record};
use super::store::{HashList, ListBuilder};
use super::{empty_file_digest, ListError, ListProvenance, ListWarning};
use crate::algorithm::Algorithm;

/// Problems kept verbatim in the provenance; the rest are only counted. Enough for an
/// examiner to see the pattern without a corrupt multi-GB list flooding the report.
pub(super) const DEFAULT_MAX_WARNINGS: usize = 20;

/// Receives records from a parser and applies the load policy.
#[derive(Debug)]
pub(super) struct Collector {
    path: PathBuf,
    lenient: bool,
    max_warnings: usize,
    builder: ListBuilder,
    pub(crate) rejected: u64,
    pub(crate) skipped_without_hash: u64,
    warnings: Vec<ListWarning>,
}

impl Collector {
    pub(super) fn new(path: &Path, lenient: bool, max_warnings: usize) -> Self {
        Collector {
            path: path.to_path_buf(),
            lenient,
            max_warnings,
            builder: ListBuilder::new(),
            rejected: 0,
            skipped_without_hash: 0,
            warnings: Vec::new(),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Stores a record; a record without hashes is skipped and counted.
    pub(super) fn accept(&mut self, record: &Record, at: Location) -> Result<(), ListError> {
        if record.hashes.is_empty() {
            self.skipped_without_hash += 1;
            self.warn(Some(at), "record has no usable hash; skipped".into());
            return Ok(());
        }
        self.builder.push(record).map_err(|_| ListError::TooLarge {
            path: self.path.clone(),
        })
    }

    /// A malformed record: fails the load, or under `--lenient` is counted and skipped.
    pub(super) fn reject(&mut self, at: Location, reason: String) -> Result<(), ListError> {
        if !self.lenient {
            return Err(self.malformed(at, reason));
        }
        self.rejected += 1;
        self.warn(Some(at), reason);
        Ok(())
    }

    /// Notes a problem that does not stop the load.
    pub(super) fn warn(&mut self, at: Option<Location>, message: String) {
        if self.warnings.len() < self.max_warnings {
            self.warnings.push(ListWarning { at, message });
        }
    }

    /// A structural error: always fatal.
    pub(super) fn malformed(&self, at: Location, reason: String) -> ListError {
        ListError::Malformed {
            path: self.path.clone(),
            at,
            reason,
        }
    }

    /// A header or file-level statement hashsweep cannot honour: always fatal.
    pub(super) fn unsupported(&self, at: Location, reason: String) -> ListError {
        ListError::Unsupported {
            path: self.path.clone(),
            at,
            reason,
        }
    }

    /// Sorts, merges duplicates and fills in the counts of the provenance.
    pub(super) fn finish(
        self,
        mut provenance: ListProvenance,
        info: FormatInfo,
    ) -> Result<HashList, ListError> {
        let records = self.builder.records() as u64;
        provenance.format_version = info.version;
        provenance.format_variant = info.variant;
        provenance.category_scheme = info.scheme;
        provenance.rejected = self.rejected;
        provenance.skipped_without_hash = self.skipped_without_hash;
        provenance.warnings = self.warnings;
        let (mut list, merged) = self.builder.finish(provenance);
        if list.is_empty() {
            return Err(ListError::Empty { path: self.path });
        }
        let empty = count_empty_file_hashes(&list);
        let entries = list.count_by_algorithm();
        let p = &mut list.provenance;
        p.records = records;
        p.duplicates_merged = merged;
        p.empty_file_hashes = empty;
        if empty > 0 && p.warnings.len() < self.max_warnings {
            p.warnings.push(ListWarning {
                at: None,
                message: format!(
                    "{empty} zero-length-file hash(es) loaded; they are never reported as matches"
                ),
            });
        }
        p.entries = entries;
        Ok(list)
    }
}

fn count_empty_file_hashes(list: &HashList) -> u64 {
    Algorithm::CRYPTOGRAPHIC
        .into_iter()
        .filter_map(|a| empty_file_digest(a).map(|d| list.find(a, d).count() as u64))
        .sum()
}

/// A text format's parser, fed one line at a time (line ending and BOM removed).
pub(crate) trait LineParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError>;
    fn info(&self) -> FormatInfo;
}

/// The usual outcome of a line: a record, nothing (blank, comment), or a reason to reject.
pub(crate) fn take(
    c: &mut Collector,
    line_no: u64,
    outcome: Result<Option<Record>, String>,
) -> Result<(), ListError> {
    match outcome {
        Ok(Some(r)) => c.accept(&r, Location::Line(line_no)),
        Ok(None) => Ok(()),
        Err(reason) => c.reject(Location::Line(line_no), reason),
    }
}
