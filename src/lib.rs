//! hashsweep: the engine of an offline forensic hash sweeper.
//!
//! The binary (`src/main.rs`, `src/cli/`) parses the command line and draws progress; every
//! other concern lives here, one module each. See ARCHITECTURE.md for the pipeline.

pub mod algorithm;
pub mod digest;
pub mod index;
pub mod perceptual;
pub mod sniff;
