//! The integration tests, as one test binary: each module is one area of the product
//! (`cli`, `containers`, `disk_images`, …), and `support` holds what several share. One
//! binary links the crate and its decoders once instead of once per file, which keeps CI's
//! build within its time budget.

mod support;

mod alerts;
mod architecture;
mod calibration;
mod cli;
mod containers;
mod disk_images;
mod doc_citations;
mod embedded;
mod file_meta;
mod formats;
mod fuzz_regressions;
mod hostile;
mod imghash_oracle;
mod lists;
mod ntfs_windows;
mod orphans_carving;
mod output_destinations;
mod pdq_differential;
mod pdq_vectors;
mod reports;
mod resume;
mod streaming;
mod thumbnail_caches;
mod video;
