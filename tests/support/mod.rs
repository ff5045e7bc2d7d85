//! Helpers shared by integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

pub mod images;
