//! Owns the typed failure model: what went wrong with one item (`FailureKind`), where in its
//! bytes (`offset`) and the message, kept as fields until the report writes them, so that a
//! review tool filters failures by kind without parsing messages.
//!
//! Made by the evidence sources (an item they cannot list or stat) and the scan pipeline
//! (open, read, decode, containers, panics); read by the report and the summary.

use std::fmt;

/// The kind of a failure, as the report's `failure_kind` names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The evidence's own records of the item are unusable: a directory that cannot be
    /// listed, a file that cannot be stat'ed, a corrupt filesystem record in a disk image.
    Filesystem,
    /// The item could not be opened.
    Open,
    /// Reading the item's bytes failed part-way; `offset` says where.
    Read,
    /// A decoder refused the bytes as corrupt or truncated.
    Decode,
    /// A variant of a format that no decoder here reads.
    Unsupported,
    /// Decoding or reading would exceed a limit (pixels, allocation, a container's budget).
    Limit,
    /// A decoder's child process crashed, or could not be run or talked to.
    DecoderProcess,
    /// A child process ran past its time limit and was stopped.
    Timeout,
    /// A container (archive, thumbnail cache) could not be walked or an entry extracted.
    Container,
    /// An internal error (a panic) while handling the item, contained to it.
    Panic,
}

impl FailureKind {
    /// Every kind, in the order the report documents them.
    pub const ALL: [FailureKind; 10] = [
        FailureKind::Filesystem,
        FailureKind::Open,
        FailureKind::Read,
        FailureKind::Decode,
        FailureKind::Unsupported,
        FailureKind::Limit,
        FailureKind::DecoderProcess,
        FailureKind::Timeout,
        FailureKind::Container,
        FailureKind::Panic,
    ];

    /// The report's code for the kind.
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::Filesystem => "filesystem",
            FailureKind::Open => "open",
            FailureKind::Read => "read",
            FailureKind::Decode => "decode",
            FailureKind::Unsupported => "unsupported",
            FailureKind::Limit => "limit",
            FailureKind::DecoderProcess => "decoder_process",
            FailureKind::Timeout => "timeout",
            FailureKind::Container => "container",
            FailureKind::Panic => "panic",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One item's failure: its kind, the byte offset in the item's content where it happened
/// (where known), and the message the report's `error` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub offset: Option<u64>,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            offset: None,
            message: message.into(),
        }
    }

    /// The same failure, located at `offset` bytes into the item.
    pub fn at(self, offset: u64) -> Self {
        Failure {
            offset: Some(offset),
            ..self
        }
    }

    /// A panic caught while handling the item; `doing` says what was being done.
    pub fn panic(doing: &str, message: &str) -> Self {
        Failure::new(FailureKind::Panic, format!("{doing}: {message}"))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        let codes: std::collections::BTreeSet<_> =
            FailureKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), FailureKind::ALL.len());
        assert!(codes
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }

    #[test]
    fn every_kind_is_documented_for_report_readers() {
        let doc = include_str!("../docs/report-format.md");
        let schema = include_str!("../docs/report-schema.json");
        for kind in FailureKind::ALL {
            assert!(
                doc.contains(&format!("| `{kind}` |")),
                "{kind} not in the doc"
            );
            assert!(
                schema.contains(&format!("\"{kind}\"")),
                "{kind} not in the schema"
            );
        }
    }

    #[test]
    fn a_located_failure_keeps_its_kind_and_message() {
        let failure = Failure::new(FailureKind::Read, "read failed").at(4096);
        assert_eq!(failure.offset, Some(4096));
        assert_eq!(failure.kind.code(), "read");
        assert_eq!(failure.to_string(), "read failed");
    }
}
