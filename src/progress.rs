//! Scan progress as shared counters: workers add, whoever draws a progress bar reads.
//!
//! Owns `Progress`. The engine never draws anything; the binary polls these atomics from
//! its own thread. Relaxed ordering is enough: the numbers are for display only.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Progress {
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
    /// Set once every source is listed: the totals are final (sources stream their items,
    /// so until then the totals only count what was listed so far).
    totals_final: AtomicBool,
}

/// A consistent-enough copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgressSnapshot {
    pub files_total: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub bytes_done: u64,
    /// Whether the totals are final; until then there is no honest ETA.
    pub totals_final: bool,
}

impl Progress {
    pub fn add_total(&self, files: u64, bytes: u64) {
        self.files_total.fetch_add(files, Ordering::Relaxed);
        self.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Takes out of the totals what will not be done after all (a resumed scan's files
    /// done by the run before).
    pub fn remove_total(&self, files: u64, bytes: u64) {
        self.files_total.fetch_sub(files, Ordering::Relaxed);
        self.bytes_total.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Every source is listed: the totals are final.
    pub fn total_known(&self) {
        self.totals_final.store(true, Ordering::Relaxed);
    }

    pub fn add_done(&self, files: u64, bytes: u64) {
        self.files_done.fetch_add(files, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            files_total: self.files_total.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            files_done: self.files_done.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            totals_final: self.totals_final.load(Ordering::Relaxed),
        }
    }
}
