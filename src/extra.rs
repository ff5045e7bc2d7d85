//! `Extra`: the fields of a wire record (report line, header part) that this build does not
//! know, kept verbatim under `#[serde(flatten)]`, so a report from a newer build still reads
//! and renders again whole. Lives below `report` and `evidence`, whose shared record types
//! both carry it; a record this build writes always leaves it empty.

use std::collections::BTreeMap;

use serde_json::Value;

/// Fields a reader does not know, kept verbatim (empty when written by this build).
pub type Extra = BTreeMap<String, Value>;
