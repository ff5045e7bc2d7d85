//! hashsweep: the engine of an offline forensic hash sweeper.
//!
//! The binary (`src/main.rs`, `src/cli/`) parses the command line and draws progress; every
//! other concern lives here, one module each. See ARCHITECTURE.md for the pipeline.

pub mod alert_rule;
pub mod algorithm;
pub mod digest;
pub mod embedded;
pub mod evidence;
pub mod failure;
pub mod index;
pub mod journal;
pub mod list;
pub mod listing;
pub mod low_information;
pub mod manifest;
pub mod matcher;
mod ordered;
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
