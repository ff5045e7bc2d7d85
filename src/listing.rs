//! Which scanned items get a report record of their own, and which are only counted.
//!
//! Owns `Listing`, the policy behind `--all-files`, `--list-skipped` and
//! `--list-low-quality` (docs/report-format.md, "What gets a record"). By default a report
//! lists what an examiner must act on: matches, failures, and items whose content was not
//! examined (encrypted, unsupported, interrupted, …). Items with nothing to examine
//! (links, device nodes, empty files) and pictures whose PDQ quality is too low to match
//! perceptually were handled completely and are counted in the summary, not listed. The
//! counts themselves are `summary`'s; this module only decides about records.

use crate::evidence::SkipKind;
use crate::result::{FileResult, Outcome};

/// What a scan report lists beyond matches, failures and not-examined items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    /// Every file (`--all-files`), clean ones included.
    pub all_files: bool,
    /// Every skipped item, including those with nothing to examine (`--list-skipped`).
    pub skipped: bool,
    /// Pictures under the PDQ quality cut-off (`--list-low-quality`).
    pub low_quality: bool,
    /// Files whose only hits are weak (`--report-weak`).
    pub weak: bool,
}

impl Listing {
    /// Every item gets a record (`--all-files`, and `hash`).
    pub const EVERYTHING: Listing = Listing {
        all_files: true,
        skipped: true,
        low_quality: true,
        weak: true,
    };

    /// Whether `result` gets a record of its own.
    pub fn keeps(&self, result: &FileResult) -> bool {
        if self.all_files {
            return true;
        }
        match &result.outcome {
            Outcome::Failed { .. } => true,
            Outcome::Skipped(reason) => self.skipped || reason.kind() == SkipKind::NotExamined,
            Outcome::Hashed(h) => {
                h.has_alert_hit()
                    || h.is_non_pertinent_only()
                    || (self.low_quality && h.is_pdq_gated())
                    || (self.weak && !h.weak_hits.is_empty())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{ItemPath, SkipReason};

    fn skipped(reason: SkipReason) -> FileResult {
        FileResult {
            source: 0,
            path: ItemPath::from_bytes(b"x".to_vec()),
            ordinal: 0,
            size: None,
            location: None,
            entry: None,
            meta: None,
            outcome: Outcome::Skipped(reason),
        }
    }

    #[test]
    fn not_examined_items_are_listed_and_links_only_when_asked() {
        let default = Listing::default();
        let asked = Listing {
            skipped: true,
            ..Listing::default()
        };
        for (reason, by_default) in [
            (SkipReason::Encrypted, true),
            (SkipReason::Compressed, true),
            (SkipReason::Interrupted, true),
            (SkipReason::Symlink, false),
            (SkipReason::SpecialFile, false),
            (SkipReason::Empty, false),
        ] {
            let result = skipped(reason.clone());
            assert_eq!(default.keeps(&result), by_default, "{reason:?}");
            assert!(asked.keeps(&result), "{reason:?}");
            assert!(Listing::EVERYTHING.keeps(&result), "{reason:?}");
        }
    }
}
