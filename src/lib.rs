//! hashsweep: the engine of an offline forensic hash sweeper.
//!
//! The binary (`src/main.rs`, `src/cli/`) parses the command line and draws progress; every
//! other concern lives here, one module each. See ARCHITECTURE.md for the pipeline.
//!
//! # Public API
//!
//! The library has four users, and its public surface is what they need, nothing more:
//! - the binary: lists ([`list`], [`matcher`]), evidence ([`evidence`]), the scan
//!   ([`scan`], [`result`], [`failure`], [`summary`], [`progress`], [`journal`]) and
//!   reports ([`report`], [`manifest`]);
//! - the integration tests, which drive the same parts and check hashes against oracles
//!   ([`digest`], [`pdq`], [`perceptual`], [`video`], [`index`]);
//! - the benches, which time the hot paths ([`pdq`], [`perceptual`], [`index`], [`digest`]);
//! - the fuzz harness (`fuzz/src/harness.rs`), which feeds hostile bytes to each parser of
//!   untrusted input: the picture finders of [`embedded`], the containers, filesystems and
//!   carver under [`evidence`], the list parsers of [`list`].
//!
//! The entry points of a scan are re-exported here, in the order a scan uses them: load a
//! list ([`load_list`] → [`HashList`]), build a [`Matcher`], open evidence
//! ([`open_evidence_or_failure`] → [`EvidenceSource`]), run a [`Scanner`] with
//! [`ScanOptions`] into [`FileResult`]s counted in a [`Summary`], and write or read the
//! report's records ([`FileRecord`], [`SummaryRecord`], [`ScanReport`]). The modules stay
//! public for the tests, benches and fuzz harness that reach deeper.
//!
//! Everything else is `pub(crate)`: a module that no user reaches is private, and
//! `unreachable_pub` (denied in CI through clippy's `-D warnings`) keeps an item inside one
//! from being marked `pub`. The test-data generators (`synth`) exist only with the
//! `synth` feature, which tests, benches and examples turn on.

#![warn(unreachable_pub)]

pub mod alert_rule;
pub mod algorithm;
pub mod digest;
pub mod embedded;
pub mod evidence;
pub mod extra;
pub mod failure;
pub mod index;
pub mod journal;
pub mod list;
pub mod listing;
pub mod low_information;
pub mod manifest;
pub mod matcher;
mod ordered;
mod packed_rgb;
pub mod pdq;
pub mod perceptual;
pub mod progress;
pub mod read_pass;
pub mod report;
pub mod result;
pub mod scan;
pub mod sniff;
pub mod summary;
// Test-data generators are not part of the product (the `synth` feature, Cargo.toml).
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod video;

pub use algorithm::Algorithm;
pub use evidence::{open_evidence_or_failure, EvidenceSource, EvidenceType};
pub use failure::{Failure, FailureKind};
pub use list::{load_list, HashList, ListFormat, ListRole, LoadOptions};
pub use matcher::{Matcher, Thresholds};
pub use report::{FileRecord, ScanReport, SummaryRecord};
pub use result::{FileResult, Outcome};
pub use scan::{ScanOptions, Scanner};
pub use summary::{Counts, Summary};
