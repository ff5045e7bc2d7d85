//! The human summary on stderr, with attacker-controlled names escaped so a crafted file
//! name cannot send escape sequences to the examiner's terminal.
#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::Path;

use hashsweep::evidence::SkipKind;
use hashsweep::evidence::SkipReason;
use hashsweep::report::SourceRecord;
use hashsweep::{FileResult, Outcome, SummaryRecord};

/// Most match paths listed on the terminal; the report has them all.
const MAX_LISTED: usize = 20;

/// What the terminal summary lists of this run's results, kept as they stream past: the
/// first matched and not-examined items, and how many of each there were.
#[derive(Default)]
pub struct TerminalDigest {
    /// Path, hit count, and whether the picture failed to decode.
    matched: Vec<(String, usize, bool)>,
    matched_count: usize,
    /// Path and skip reason.
    not_examined: Vec<(String, SkipReason)>,
    not_examined_count: usize,
}

impl TerminalDigest {
    pub fn observe(&mut self, result: &FileResult) {
        if result.hashed().is_some_and(|h| h.has_alert_hit()) {
            self.matched_count += 1;
            if self.matched.len() < MAX_LISTED {
                let hits = result.hashed().map_or(0, |h| h.hit_count());
                let failed = matches!(result.outcome, Outcome::Failed { .. });
                self.matched.push((result.path.lossy(), hits, failed));
            }
        }
        if let Outcome::Skipped(reason) = &result.outcome {
            if reason.kind() == SkipKind::NotExamined {
                self.not_examined_count += 1;
                if self.not_examined.len() < MAX_LISTED {
                    self.not_examined
                        .push((result.path.lossy(), reason.clone()));
                }
            }
        }
    }
}

/// Attacker-controlled text made safe for the terminal (`report::text::printable`).
pub fn escape(text: &str) -> String {
    hashsweep::report::text::printable(text)
}

pub fn print_scan_summary(
    output: &TerminalDigest,
    summary: &SummaryRecord,
    evidence: &[SourceRecord],
    report: Option<&Path>,
) {
    let c = &summary.total;
    eprintln!(
        "hashsweep: {} files seen, {} hashed ({} bytes), {} pictures, {} not examined{}, \
         {} with nothing to examine{}, {} failed, {:.1} s{}",
        c.files_seen,
        c.hashed,
        c.bytes,
        c.images,
        c.not_examined_total(),
        per_reason(&c.not_examined),
        c.nothing_to_examine_total(),
        per_reason(&c.nothing_to_examine),
        c.failed,
        summary.elapsed_ms as f64 / 1000.0,
        if summary.interrupted {
            " — INTERRUPTED"
        } else {
            ""
        },
    );
    if c.pdq_low_quality > 0 {
        eprintln!(
            "hashsweep: {} pictures of PDQ quality under {} (digests matched, never matched \
             perceptually; --list-low-quality lists them)",
            c.pdq_low_quality,
            hashsweep::scan::PDQ_MIN_QUALITY
        );
    }
    if c.non_pertinent > 0 {
        eprintln!(
            "hashsweep: {} files hit only non-pertinent entries (e.g. Project VIC category 0): \
             not alerts, listed in the report",
            c.non_pertinent
        );
    }
    if c.weak > 0 {
        eprintln!(
            "hashsweep: {} files with weak hits (a lone or low-information pHash/dHash/aHash \
             hit, not an alert on its own; --report-weak lists them)",
            c.weak
        );
    }
    if evidence.len() > 1 {
        for (i, (e, c)) in evidence.iter().zip(&summary.by_evidence).enumerate() {
            let name = match &e.exhibit {
                Some(id) => format!("exhibit {id} ({})", e.path),
                None => e.path.clone(),
            };
            eprintln!(
                "  [{i}] {}: {} seen, {} hashed, {} matched, {} not examined, {} with nothing \
                 to examine, {} failed",
                escape(&name),
                c.files_seen,
                c.hashed,
                c.matched,
                c.not_examined_total(),
                c.nothing_to_examine_total(),
                c.failed
            );
        }
    }
    if c.matched == 0 {
        eprintln!("hashsweep: no match");
    } else {
        eprintln!(
            "hashsweep: {} MATCHED FILE(S) ({} distinct contents):",
            c.matched, c.matched_distinct
        );
        for (path, hits, failed) in &output.matched {
            eprintln!(
                "  {} ({hits} hit(s){})",
                escape(path),
                if *failed { ", picture not decoded" } else { "" }
            );
        }
        if output.matched_count > MAX_LISTED {
            eprintln!(
                "  … and {} more in the report",
                output.matched_count - MAX_LISTED
            );
        }
        let before_resume = c.matched.saturating_sub(output.matched_count as u64);
        if before_resume > 0 {
            eprintln!(
                "  … and {before_resume} matched before the scan was resumed (in the report)"
            );
        }
    }
    print_not_examined(output);
    if let Some(path) = report {
        eprintln!(
            "hashsweep: report written to {}",
            escape(&path.display().to_string())
        );
    }
}

/// ` (encrypted 1, compressed 2)`, or nothing.
fn per_reason(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!(" ({})", parts.join(", "))
}

/// The items of this run whose content was not examined (the report has them all).
fn print_not_examined(output: &TerminalDigest) {
    if output.not_examined_count == 0 {
        return;
    }
    eprintln!("hashsweep: {} NOT EXAMINED:", output.not_examined_count);
    for (path, reason) in &output.not_examined {
        let detail = reason
            .detail()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        eprintln!("  {}: {}{}", escape(path), reason.code(), escape(&detail));
    }
    if output.not_examined_count > MAX_LISTED {
        eprintln!(
            "  … and {} more in the report",
            output.not_examined_count - MAX_LISTED
        );
    }
}

/// Where the manifest went, or how to get one when the report went to standard output.
/// Where the manifest went, or why there is none (`report` is `-o`, if given).
pub fn print_manifest_note(manifest: Option<&Path>, report: Option<&Path>) {
    match (manifest, report) {
        (Some(path), _) => eprintln!(
            "hashsweep: manifest written to {} (check later with `hashsweep verify`)",
            escape(&path.display().to_string())
        ),
        (None, Some(report)) => eprintln!(
            "hashsweep: no manifest: the report went to {}, which is not a regular file \
             (use --manifest FILE for one)",
            escape(&report.display().to_string())
        ),
        (None, None) => eprintln!(
            "hashsweep: no manifest: the report went to standard output (use -o FILE or --manifest FILE)"
        ),
    }
}
