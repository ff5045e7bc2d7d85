//! The report's first record, `header`: what was scanned, against which lists, how, by which
//! build. One owned type that the scan writes and the reader reads back (`Header`), with
//! the evidence sources (`SourceRecord`) and lists (`ListRecord`) it names.
//!
//! The scan builds them from the engine's own descriptions (`evidence::SourceInfo`,
//! `list::ListProvenance`), field by field. Objects the renderers only show (a disk
//! image's segment files and stored hashes, image verification, the category map, video
//! handling, list warnings) are `Shown`: the engine's type when written, the JSON as
//! written when read back. Reading is tolerant as for every record: fields this build does
//! not know are kept in `extra`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::open::Open;
use super::records::{CaseIdentity, EvidenceVerification, ResumeInfo, ToolInfo};
use super::shown::Shown;
use super::video::VideoHeader;
use super::{REPORT_FORMAT, REPORT_VERSION};
use crate::evidence::{ItemPath, SourceFile, SourceInfo, StoredHashes};
use crate::extra::Extra;
use crate::list::{CategoryMapInfo, ListProvenance, ListRole, ListWarning};

/// First record: what was scanned, against what, how, by which build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Header {
    pub record: Cow<'static, str>,
    pub format: Cow<'static, str>,
    pub format_version: u32,
    pub tool: ToolInfo,
    pub command_line: Vec<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub evidence: Vec<SourceRecord>,
    /// `--verify-image` results, one per evidence source that is a disk image
    /// (`EvidenceVerification`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence_verification: Vec<Shown<EvidenceVerification>>,
    pub lists: Vec<ListRecord>,
    /// The lab's category map (`--category-map`): its path, SHA-256 and rule count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_map: Option<Shown<CategoryMapInfo>>,
    pub thresholds: BTreeMap<String, u32>,
    /// `--fast`: JPEGs decoded at reduced size, perceptual hashes approximate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fast: bool,
    /// Perceptual algorithms computed for pictures.
    pub perceptual_algorithms: Vec<String>,
    /// Which decoder produced the pixels, per picture format where it matters.
    pub decoders: BTreeMap<String, String>,
    /// How videos were handled (`video::VideoHeader`): the decoder (or that there is none),
    /// sampling, the vPDQ rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<Shown<VideoHeader>>,
    /// The scan journal (`--journal`), when one was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
    /// Each time an interrupted scan was resumed from its journal (`--resume`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resumed: Vec<ResumeInfo>,
    /// `--case-number`, `--examiner`, `--agency`, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseIdentity>,
    /// `--force`: an existing report or manifest at the same path was replaced.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Header {
    /// A header of this build's report format; the caller fills in the scan.
    pub fn new(command_line: Vec<String>, started_at: String) -> Self {
        Header {
            record: Cow::Borrowed("header"),
            format: Cow::Borrowed(REPORT_FORMAT),
            format_version: REPORT_VERSION,
            tool: ToolInfo::current(),
            command_line,
            started_at,
            ..Header::default()
        }
    }

    /// Records the `--verify-image` results.
    pub fn set_verification(&mut self, verification: Vec<EvidenceVerification>) {
        self.evidence_verification = verification.into_iter().map(Shown::Written).collect();
    }
}

/// An evidence source as the header names it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceRecord {
    /// The exhibit ID given with `--exhibit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhibit: Option<String>,
    /// The path as text (invalid UTF-8 replaced by U+FFFD; see `path_raw_hex`).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_raw_hex: Option<String>,
    pub kind: String,
    /// A disk image's files (every segment) with their sizes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Shown<Vec<SourceFile>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_size: Option<u64>,
    /// The media hashes an E01 image stores, unverified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_hashes: Option<Shown<StoredHashes>>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl From<&SourceInfo> for SourceRecord {
    fn from(s: &SourceInfo) -> Self {
        SourceRecord {
            exhibit: s.exhibit.clone(),
            path: ItemPath::from(s.path.as_path()).lossy(),
            path_raw_hex: s.path_raw_hex.clone(),
            kind: s.kind.to_string(),
            files: (!s.files.is_empty()).then(|| Shown::Written(s.files.clone())),
            media_size: s.media_size,
            stored_hashes: s.stored_hashes.clone().map(Shown::Written),
            extra: Extra::new(),
        }
    }
}

/// A list as the header names it. The counts that older builds did not write are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListRecord {
    pub name: String,
    pub path: String,
    pub role: Open<ListRole>,
    pub format: String,
    /// The format's own version (VICS `2.0`, `HASHDEEP-1.0` → `1.0`, an RDS release).
    pub format_version: Option<String>,
    /// Variant details (VICS region and feed shape, header flavour, set name).
    pub format_variant: Option<String>,
    pub category_scheme: Option<String>,
    /// SHA-256 of the list file's bytes, as read.
    pub sha256: String,
    pub bytes: u64,
    pub records: u64,
    /// Usable entries per algorithm, after merging duplicates.
    pub entries: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates_merged: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_without_hash: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_file_hashes: Option<u64>,
    /// The first problems found loading it, in file order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<Shown<ListWarning>>>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ListRecord {
    /// An alert list (hits on it are reported), as opposed to a known-good one.
    pub fn is_alert(&self) -> bool {
        self.role.is(ListRole::Alert)
    }
}

impl From<&ListProvenance> for ListRecord {
    fn from(p: &ListProvenance) -> Self {
        ListRecord {
            name: p.name.clone(),
            path: ItemPath::from(p.path.as_path()).lossy(),
            role: Open::Known(p.role),
            format: p.format.name().to_string(),
            format_version: p.format_version.clone(),
            format_variant: p.format_variant.clone(),
            category_scheme: Some(p.category_scheme.name().to_string()),
            sha256: p.sha256.clone(),
            bytes: p.bytes,
            records: p.records,
            entries: p.entries.clone(),
            duplicates_merged: Some(p.duplicates_merged),
            rejected: Some(p.rejected),
            skipped_without_hash: Some(p.skipped_without_hash),
            empty_file_hashes: Some(p.empty_file_hashes),
            warnings: Some(p.warnings.iter().cloned().map(Shown::Written).collect()),
            extra: Extra::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::list::ListFormat;

    /// The header's evidence and list records serialise exactly as the engine's own
    /// descriptions did when the report was written from them.
    #[test]
    fn sources_and_lists_are_written_as_the_engine_describes_them() {
        let mut source = SourceInfo::plain(&PathBuf::from("ev/img.E01"), "ewf");
        source.exhibit = Some("HD-1".into());
        source.media_size = Some(4096);
        let record = SourceRecord::from(&source);
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            serde_json::to_value(&source).unwrap()
        );
        let mut list = ListProvenance::new(
            "l",
            PathBuf::from("l.json"),
            ListRole::Alert,
            ListFormat::Vics,
        );
        list.entries.insert("md5".into(), 3);
        let record = ListRecord::from(&list);
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            serde_json::to_string(&list).unwrap()
        );
        let read: ListRecord =
            serde_json::from_str(&serde_json::to_string(&list).unwrap()).unwrap();
        assert_eq!(read, record);
    }
}
