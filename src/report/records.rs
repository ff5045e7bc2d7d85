//! The record types of the JSON Lines report, one `serde` struct per record kind.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::DigestsHex;
use crate::evidence::ImageVerification;
use crate::extra::Extra;
use crate::result::Hashed;
use crate::summary::{Counts, Summary};

pub const REPORT_FORMAT: &str = "hashsweep-report";
/// One resume of the scan: who ran it and when (the header's `resumed`, and a journal line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeInfo {
    pub command_line: Vec<String>,
    pub at: String,
    /// Files the journal held when this resume started.
    pub files_already_done: u64,
}

/// Bumped when a record changes: 2 added `meta` (file times, owner, attributes).
pub const REPORT_VERSION: u32 = 3;

/// The build that wrote a report: written by `scan`, read back by every renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: Cow<'static, str>,
    pub version: Cow<'static, str>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ToolInfo {
    pub fn current() -> Self {
        ToolInfo {
            name: Cow::Borrowed(env!("CARGO_PKG_NAME")),
            version: Cow::Borrowed(env!("CARGO_PKG_VERSION")),
            extra: Extra::new(),
        }
    }
}

/// Who ran the scan for which case: what the examiner gave, each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CaseIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examiner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
}

impl CaseIdentity {
    /// `None` when nothing was given.
    pub fn of(
        number: Option<String>,
        examiner: Option<String>,
        agency: Option<String>,
    ) -> Option<Self> {
        let case = CaseIdentity {
            number,
            examiner,
            agency,
        };
        (case != CaseIdentity::default()).then_some(case)
    }

    /// `case 2024-17, examiner J. Doe, agency Lab` (the parts given).
    pub fn describe(&self) -> String {
        [
            ("case", &self.number),
            ("examiner", &self.examiner),
            ("agency", &self.agency),
        ]
        .iter()
        .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what} {v}")))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// The image-level hash check of one evidence source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceVerification {
    /// Index into `evidence`.
    pub evidence: usize,
    #[serde(flatten)]
    pub result: ImageVerification,
}

/// Last record: the accounting and the timing. Written by `scan`, read back by every
/// renderer (counters an older build did not write read as 0; fields of a newer build are
/// kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryRecord {
    pub record: Cow<'static, str>,
    /// The totals of `summary::Summary`, flattened. (Not the `Summary` itself flattened:
    /// serde would then hand its fields to `extra` as well.)
    #[serde(flatten)]
    pub total: Counts,
    /// The same counters per evidence source, in header order.
    pub by_evidence: Vec<Counts>,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_ms: u64,
    pub interrupted: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

impl SummaryRecord {
    /// The record of a finished (or interrupted) scan's counts.
    pub fn new(counts: Summary, started_at: String, finished_at: String, elapsed_ms: u64) -> Self {
        SummaryRecord {
            record: "summary".into(),
            total: counts.total,
            by_evidence: counts.by_evidence,
            started_at,
            finished_at,
            elapsed_ms,
            interrupted: false,
            extra: Extra::new(),
        }
    }
}

/// All hashes of a file, lowercase hex: written by `scan`, read back by the renderers
/// (hashes of an algorithm this build does not know kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HashesRecord {
    #[serde(flatten)]
    pub digests: DigestsHex,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdq: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dhash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahash: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl HashesRecord {
    /// The algorithms this build writes hashes of.
    const KNOWN: [&'static str; 8] = [
        "md5", "sha1", "sha256", "blake3", "pdq", "phash", "dhash", "ahash",
    ];

    /// The hash of `algorithm` (`md5`, `pdq`, or one this build does not know), if given.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        let d = &self.digests;
        let value = match algorithm {
            "md5" => &d.md5,
            "sha1" => &d.sha1,
            "sha256" => &d.sha256,
            "blake3" => &d.blake3,
            "pdq" => self.pdq.as_ref()?,
            "phash" => self.phash.as_ref()?,
            "dhash" => self.dhash.as_ref()?,
            "ahash" => self.ahash.as_ref()?,
            _ => return self.extra.get(algorithm)?.as_str(),
        };
        (!value.is_empty()).then_some(value.as_str())
    }

    /// Every hash given, by algorithm name (sorted).
    pub fn by_name(&self) -> BTreeMap<&str, &str> {
        let known = Self::KNOWN
            .into_iter()
            .filter_map(|a| Some((a, self.get(a)?)));
        let extra = self
            .extra
            .iter()
            .filter_map(|(a, v)| Some((a.as_str(), v.as_str()?)));
        known.chain(extra).collect()
    }
}

impl From<&Hashed> for HashesRecord {
    fn from(h: &Hashed) -> Self {
        let perceptual = h.picture.as_ref().map(|p| &p.hashes);
        HashesRecord {
            digests: DigestsHex::from(&h.digests),
            pdq: perceptual.and_then(|p| p.pdq.as_ref().map(|q| q.hash().to_hex())),
            phash: perceptual.and_then(|p| p.phash.map(hex::encode)),
            dhash: perceptual.and_then(|p| p.dhash.map(hex::encode)),
            ahash: perceptual.and_then(|p| p.ahash.map(hex::encode)),
            extra: Extra::new(),
        }
    }
}
