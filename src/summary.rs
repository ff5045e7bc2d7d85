//! The scan's accounting: every file seen lands in exactly one of hashed, skipped (by
//! reason) or failed, so `files_seen == hashed + skipped + failed` always holds.
//!
//! Owns `Summary` and how a `FileResult` is counted. Timing lives with the caller.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scan::{FileResult, Outcome};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files_seen: u64,
    /// Read to the end and hashed (including files that matched).
    pub hashed: u64,
    /// Pictures decoded and perceptually hashed.
    pub images: u64,
    /// Files with at least one hit on an alert list.
    pub matched: u64,
    /// Files with a hit on a known-good list.
    pub known_good: u64,
    pub skipped: BTreeMap<String, u64>,
    pub failed: u64,
    /// Bytes read from evidence files.
    pub bytes: u64,
}

impl Summary {
    pub fn count(&mut self, result: &FileResult) {
        self.files_seen += 1;
        match &result.outcome {
            Outcome::Hashed(h) => {
                self.hashed += 1;
                self.count_hashed(h);
            }
            Outcome::Failed { partial, .. } => {
                self.failed += 1;
                if let Some(h) = partial {
                    self.count_hashed(h);
                }
            }
            Outcome::Skipped(reason) => {
                *self.skipped.entry(reason.code().to_string()).or_insert(0) += 1;
            }
        }
    }

    fn count_hashed(&mut self, h: &crate::scan::Hashed) {
        self.bytes += h.bytes_read;
        self.images += u64::from(h.picture.is_some());
        self.matched += u64::from(h.has_alert_hit());
        self.known_good += u64::from(h.is_known_good());
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// The accounting identity every scan must satisfy.
    pub fn is_balanced(&self) -> bool {
        self.files_seen == self.hashed + self.skipped_total() + self.failed
    }
}
