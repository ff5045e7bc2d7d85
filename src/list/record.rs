//! What a format parser hands over: one source record with its hashes and metadata, where
//! in the file it was found, and what the parser learnt about the file.
//!
//! Owns `Record`, `EntryFlags`, `Location`, `FormatInfo`. Leaves storing records to `store`
//! and deciding what a bad record does (fail or count) to `collect`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::category::CategoryScheme;
use crate::algorithm::HashValue;

/// One record of a list (a VICS Media, a hashdeep row, an NSRL row, …) before storage.
///
/// A record may carry several hashes (MD5 + SHA-1 + SHA-256 of one file); each becomes one
/// list entry sharing the record's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub hashes: Vec<HashValue>,
    /// The source's identifier (MediaID, indicator id, line number).
    pub id: Option<String>,
    /// Raw category code as written (`"0"` and absent are different things).
    pub category: Option<String>,
    /// Per-entry display label, usually a file name from the list.
    pub label: Option<String>,
    pub series: Option<String>,
    pub tags: Option<String>,
    pub flags: EntryFlags,
    /// PDQ quality, 0–100.
    pub quality: Option<u8>,
    /// Size in bytes of the listed file.
    pub size: Option<u64>,
    /// PhotoDNA signature, opaque (hashsweep cannot compute PhotoDNA).
    pub photodna: Option<String>,
}

/// The VICS yes/no flags a report may want to show; `None` when the list did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntryFlags {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victim_identified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offender_identified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_distributed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_precategorized: Option<bool>,
}

impl EntryFlags {
    /// The list said nothing about any flag.
    pub fn is_empty(&self) -> bool {
        *self == EntryFlags::default()
    }
}

/// Where in a list file something was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// 1-based line of a text list.
    Line(u64),
    /// 1-based line and column, and 0-based byte offset, of a JSON value.
    Json { line: u64, column: u64, offset: u64 },
    /// 0-based byte offset in a binary list.
    Byte(u64),
    /// A row of a database table (1-based, in query order).
    Row(u64),
}

impl Location {
    /// The line, where the location has one.
    pub fn line(&self) -> Option<u64> {
        match *self {
            Location::Line(l) | Location::Json { line: l, .. } => Some(l),
            _ => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(l) => write!(f, "{l}"),
            Location::Json {
                line,
                column,
                offset,
            } => write!(f, "{line}:{column} (byte {offset})"),
            Location::Byte(o) => write!(f, "byte {o}"),
            Location::Row(r) => write!(f, "row {r}"),
        }
    }
}

/// What a parser learnt about the file as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatInfo {
    /// The format's own version (`2.0` for VICS 2.0, `1.0` for HASHDEEP-1.0, an RDS release).
    pub version: Option<String>,
    /// Variant details: VICS region and feed shape, header flavour, set name.
    pub variant: Option<String>,
    pub scheme: CategoryScheme,
}
