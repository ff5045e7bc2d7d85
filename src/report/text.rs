//! The `text` format: a case summary for a person (and for the court bundle).
//!
//! Evidence, lists with their SHA-256 and entry counts, thresholds, counts, flagged flood
//! entries, then every alert hit grouped by list and category, each with path, hashes and
//! why it matched; then failures with reasons, then what was not examined (and, when the
//! scan listed them, items with nothing to examine and low-quality pictures). File names
//! come from the evidence, so control characters are escaped: the text may well be shown
//! on a terminal.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::file_record::FileRecord;
use super::flood::flooded_entries;
use super::hit::HitRecord;
use super::options::RenderOptions;
use super::read::ScanReport;
use super::why::{is_exact, Why, VISUAL_CONFIRMATION};

pub fn render<W: Write>(
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    write_run(report, out)?;
    write_evidence(report, out)?;
    write_lists(report, out)?;
    write_counts(report, out)?;
    write_flood(report, options, out)?;
    write_matches(report, out)?;
    write_failures(report, out)?;
    write_not_examined(report, out)?;
    write_nothing_to_examine(report, out)?;
    write_low_quality(report, out)?;
    write_non_pertinent(report, out)?;
    write_weak(report, out)
}

/// Escapes what could drive a terminal or disguise a name (and nothing else), so a hostile
/// file name cannot send escape sequences, forge report lines or reorder what is shown:
/// control characters (ESC, CR, LF, …) and the Unicode bidirectional and invisible format
/// characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF).
pub fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() || is_disguising_format(c) {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

fn is_disguising_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn write_run<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let h = &report.header;
    writeln!(out, "hashsweep case summary")?;
    writeln!(out, "======================")?;
    if let Some(case) = &h.case {
        writeln!(out, "Case:          {}", printable(&case.describe()))?;
    }
    writeln!(out, "Tool:          {} {}", h.tool.name, h.tool.version)?;
    writeln!(out, "Report format: {} v{}", h.format, h.format_version)?;
    writeln!(
        out,
        "Command line:  {}",
        printable(&h.command_line.join(" "))
    )?;
    writeln!(out, "Started:       {}", h.started_at)?;
    if let Some(s) = &report.summary {
        writeln!(
            out,
            "Finished:      {} ({} ms)",
            s.finished_at, s.elapsed_ms
        )?;
    }
    if let Some(why) = report.incomplete() {
        writeln!(out, "INCOMPLETE: {why}")?;
    }
    writeln!(out)
}

fn write_evidence<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    writeln!(out, "Evidence")?;
    for (i, e) in report.header.evidence.iter().enumerate() {
        match &e.exhibit {
            Some(id) => writeln!(
                out,
                "  [{i}] exhibit {}: {} ({})",
                printable(id),
                printable(&e.path),
                e.kind
            )?,
            None => writeln!(out, "  [{i}] {} ({})", printable(&e.path), e.kind)?,
        }
        for v in report.header.evidence_verification.iter() {
            let v = v.json();
            if v["evidence"].as_u64() != Some(i as u64) {
                continue;
            }
            for alg in [
                "md5",
                "sha1",
                "sha256",
                "blake3",
                "stored_md5",
                "stored_sha1",
            ] {
                if let Some(value) = v[alg].as_str() {
                    writeln!(out, "      image {alg}: {value}")?;
                }
            }
            for (flag, label) in [
                ("md5_matches", "stored MD5"),
                ("sha1_matches", "stored SHA-1"),
            ] {
                if let Some(ok) = v[flag].as_bool() {
                    let verdict = if ok { "matches" } else { "DOES NOT MATCH" };
                    writeln!(out, "      {label} {verdict} the computed hash")?;
                }
            }
            if let Some(err) = v["read_error"].as_str() {
                writeln!(out, "      image read error: {}", printable(err))?;
            }
        }
    }
    writeln!(out)
}

fn write_lists<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let h = &report.header;
    writeln!(out, "Hash lists")?;
    for l in &h.lists {
        let version = l.format_version.as_deref().unwrap_or("");
        writeln!(
            out,
            "  {} ({}, {} {})",
            printable(&l.name),
            l.role,
            l.format,
            version
        )?;
        writeln!(out, "      path:    {}", printable(&l.path))?;
        writeln!(out, "      sha256:  {}", l.sha256)?;
        let entries: Vec<String> = l.entries.iter().map(|(a, n)| format!("{a} {n}")).collect();
        writeln!(
            out,
            "      entries: {} ({} records)",
            entries.join(", "),
            l.records
        )?;
    }
    if let Some(map) = h.category_map.as_ref().map(|m| m.json()) {
        writeln!(out, "Category map (the lab's meaning of category codes)")?;
        let field = |key: &str| map[key].as_str().map(printable).unwrap_or_default();
        writeln!(out, "      path:    {}", field("path"))?;
        writeln!(out, "      sha256:  {}", field("sha256"))?;
        writeln!(out, "      rules:   {}", map["rules"])?;
    }
    let thresholds: Vec<String> = h
        .thresholds
        .iter()
        .map(|(a, t)| format!("{a} {t}"))
        .collect();
    writeln!(
        out,
        "Thresholds (inclusive Hamming distance): {}",
        thresholds.join(", ")
    )?;
    let computed = if h.perceptual_algorithms.is_empty() {
        "none".to_string()
    } else {
        h.perceptual_algorithms.join(", ")
    };
    writeln!(out, "Perceptual hashes computed: {computed}")?;
    if h.fast {
        writeln!(
            out,
            "FAST MODE (--fast): JPEGs were decoded at reduced size; perceptual hashes are \
             approximate and may differ from the list's by a few bits more than usual"
        )?;
    }
    writeln!(out)
}

fn write_counts<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let Some(s) = report.summary.as_ref().map(|s| &s.total) else {
        return Ok(());
    };
    writeln!(out, "Counts")?;
    writeln!(out, "  files seen:  {}", s.files_seen)?;
    writeln!(
        out,
        "  hashed:      {} ({} pictures, {} bytes)",
        s.hashed, s.images, s.bytes
    )?;
    writeln!(
        out,
        "  matched:     {} files ({} distinct contents by SHA-256)",
        s.matched, s.matched_distinct
    )?;
    for (list, categories) in &s.matched_by_category {
        let label = |code: &str| category_label(report, list, code);
        let parts: Vec<String> = categories
            .iter()
            .map(|(code, n)| format!("category {}{}: {n}", printable(code), label(code)))
            .collect();
        writeln!(out, "    list {}: {}", printable(list), parts.join(", "))?;
    }
    writeln!(out, "  known good:  {}", s.known_good)?;
    if s.pdq_low_quality > 0 {
        let listed = report.files.iter().filter(|f| f.is_pdq_gated()).count();
        writeln!(
            out,
            "  PDQ quality under {}: {} (digests matched, never matched perceptually; {})",
            crate::pdq::MIN_QUALITY,
            s.pdq_low_quality,
            if listed > 0 {
                "listed below"
            } else {
                "not listed: scan with --list-low-quality to list them"
            }
        )?;
    }
    if s.non_pertinent > 0 {
        writeln!(
            out,
            "  non-pertinent: {} files (hit only entries of a non-pertinent category, e.g. \
             Project VIC 0: not alerts; listed below)",
            s.non_pertinent
        )?;
    }
    if s.weak > 0 {
        let listed = report.with_weak_hits().count();
        writeln!(
            out,
            "  weak hits:   {} files (a lone or low-information pHash/dHash/aHash hit: not an \
             alert on its own; {})",
            s.weak,
            if listed > 0 {
                "listed below"
            } else {
                "not listed: scan with --report-weak to list them"
            }
        )?;
    }
    let (not_examined, nothing) = s.skip_split();
    let total: u64 = s.skipped.values().sum();
    writeln!(out, "  skipped:     {total}")?;
    writeln!(
        out,
        "    not examined:       {} (listed below)",
        per_reason(&not_examined)
    )?;
    writeln!(out, "    nothing to examine: {}", per_reason(&nothing))?;
    writeln!(out, "  failed:      {}", s.failed)?;
    writeln!(out)
}

/// ` (Child Abuse Material)`: the label a hit of the report gives `code` on `list`, if any.
fn category_label(report: &ScanReport, list: &str, code: &str) -> String {
    report
        .files
        .iter()
        .flat_map(|f| f.all_hits())
        .find(|h| h.list == list && h.category.as_deref() == Some(code))
        .and_then(|h| h.category_label.as_deref())
        .map(|l| format!(" ({})", printable(l)))
        .unwrap_or_default()
}

/// `3 (encrypted 2, compressed 1)`, or `0`.
fn per_reason(counts: &BTreeMap<String, u64>) -> String {
    let total: u64 = counts.values().sum();
    if total == 0 {
        return "0".to_string();
    }
    let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!("{total} ({})", parts.join(", "))
}

fn write_flood<W: Write>(
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    let flooded = flooded_entries(report, options.flood_threshold);
    if flooded.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "Likely degenerate hashes (an entry matching more than {} files: blank, solid colour, logo?)",
        options.flood_threshold
    )?;
    for f in flooded {
        let id = f.entry_id.as_deref().unwrap_or("-");
        writeln!(
            out,
            "  {} entry {} ({} {}): {} files",
            printable(&f.list),
            printable(id),
            f.algorithm,
            f.list_hash,
            f.files
        )?;
    }
    writeln!(out)
}

type Groups<'a> = BTreeMap<(usize, String), Vec<(&'a FileRecord, &'a HitRecord)>>;

/// Alert hits keyed by (list position in the header, category code).
fn group_hits(report: &ScanReport) -> Groups<'_> {
    let position = |name: &str| {
        report
            .header
            .lists
            .iter()
            .position(|l| l.name == name)
            .unwrap_or(usize::MAX)
    };
    let mut groups: Groups<'_> = BTreeMap::new();
    for file in report.matches() {
        for hit in file.alert_hits() {
            let category = hit.category.clone().unwrap_or_default();
            groups
                .entry((position(&hit.list), category))
                .or_default()
                .push((file, hit));
        }
    }
    groups
}

fn write_matches<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let groups = group_hits(report);
    let hits: usize = groups.values().map(Vec::len).sum();
    writeln!(
        out,
        "Matches ({} files; {hits} hits, a hit being one list entry matched by one algorithm)",
        report.matches().count()
    )?;
    if report
        .matches()
        .any(|f| f.alert_hits().any(|h| !is_exact(&h.algorithm)))
    {
        writeln!(out, "  {VISUAL_CONFIRMATION}")?;
    }
    let mut current_list = None;
    for ((_, category), hits) in &groups {
        let Some((_, first)) = hits.first() else {
            continue;
        };
        if current_list != Some(&first.list) {
            writeln!(out, "  List {}", printable(&first.list))?;
            current_list = Some(&first.list);
        }
        let label = first.category_label.as_deref().map(|l| format!(" ({l})"));
        let code = if category.is_empty() {
            "none"
        } else {
            category
        };
        writeln!(
            out,
            "    Category {}{}",
            printable(code),
            label.unwrap_or_default()
        )?;
        let mut previous: Option<&FileRecord> = None;
        for (file, hit) in hits {
            // A file hit by several hashes of one entry is named once, its hits beneath.
            if previous.is_none_or(|p| !std::ptr::eq(p, *file)) {
                write_file(report, file, out)?;
            }
            write_hit(report, file, hit, out)?;
            previous = Some(file);
        }
    }
    writeln!(out)
}

fn write_file<W: Write>(report: &ScanReport, file: &FileRecord, out: &mut W) -> io::Result<()> {
    writeln!(out, "      {}", printable(&file.path))?;
    let mut place = printable(&report.evidence_name(file.evidence));
    if let Some(size) = file.size {
        place.push_str(&format!(", {size} bytes"));
    }
    if let Some(loc) = &file.location {
        place.push_str(&format!(
            ", partition {} {}",
            loc.partition.map_or("-".into(), |p| p.to_string()),
            loc.filesystem
        ));
        if let Some(off) = loc.data_offset {
            place.push_str(&format!(", data at byte {off}"));
        }
        if loc.deleted {
            place.push_str(", DELETED");
        }
        if loc.recovered {
            place.push_str(", content recovered heuristically");
        }
        if loc.orphan {
            place.push_str(", orphan (no directory names it)");
        }
        if let Some(c) = loc.carved {
            place.push_str(&format!(
                ", CARVED ({} bytes at image byte {})",
                c.length, c.offset
            ));
        }
    }
    writeln!(out, "        {place}")?;
    if let Some(raw) = &file.path_raw_hex {
        writeln!(out, "        path bytes (hex): {raw}")?;
    }
    for alg in ["md5", "sha1", "sha256"] {
        if let Some(v) = file.hash(alg) {
            writeln!(out, "        {alg:<7}{v}")?;
        }
    }
    if let Some(meta) = &file.meta {
        for line in super::meta_cells::meta_lines(meta) {
            writeln!(out, "        {}", printable(&line))?;
        }
    }
    if file.conflict {
        let mut says: Vec<String> = file
            .all_hits()
            .filter(|h| h.on_alert_list())
            .filter_map(|h| {
                let code = h.category.as_deref()?;
                let label = h.category_label.as_deref().map(|l| format!(" ({l})"));
                Some(format!(
                    "{} category {code}{}",
                    h.list,
                    label.unwrap_or_default()
                ))
            })
            .collect();
        says.dedup();
        writeln!(
            out,
            "        CATEGORY CONFLICT: the lists disagree: {}",
            printable(&says.join(" vs "))
        )?;
    }
    for hit in file.all_hits().filter(|h| h.is_known_good()) {
        writeln!(
            out,
            "        also on known-good list {} (entry {}): {} match",
            printable(&hit.list),
            printable(hit.entry_id.as_deref().unwrap_or("-")),
            super::why::display_name(&hit.algorithm)
        )?;
    }
    Ok(())
}

fn write_hit<W: Write>(
    report: &ScanReport,
    file: &FileRecord,
    hit: &HitRecord,
    out: &mut W,
) -> io::Result<()> {
    let why = Why::of(report, file, hit);
    let id = hit.entry_id.as_deref().unwrap_or("-");
    writeln!(out, "        entry {}: {}", printable(id), why.summary())?;
    if !why.exact && why.vpdq.is_none() {
        writeln!(out, "          list hash {}", why.list_hash)?;
        let own = file.hash(&hit.algorithm);
        if why.transform.is_some_and(|t| t != "original") {
            writeln!(
                out,
                "          file hash {} (the transformed file's)",
                why.file_hash.unwrap_or("-")
            )?;
            writeln!(out, "          file's own {}", own.unwrap_or("-"))?;
        } else {
            writeln!(out, "          file hash {}", why.file_hash.unwrap_or("-"))?;
        }
    }
    Ok(())
}

fn write_failures<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    writeln!(out, "Failures ({})", report.failures().count())?;
    for f in report.failures() {
        let error = f.error.as_deref().unwrap_or("unknown error");
        writeln!(
            out,
            "  {} [{}]: {}",
            printable(&f.path),
            printable(&report.evidence_name(f.evidence)),
            printable(error)
        )?;
    }
    Ok(())
}

/// Items whose content was not looked at: the examiner must know and may examine them
/// by other means.
fn write_not_examined<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    writeln!(out, "Not examined ({})", report.not_examined().count())?;
    for f in report.not_examined() {
        writeln!(
            out,
            "  {} [{}]: {}",
            printable(&f.path),
            printable(&report.evidence_name(f.evidence)),
            printable(&f.reason_text())
        )?;
    }
    Ok(())
}

/// Links, device nodes and empty files: in the report only with `--list-skipped`.
fn write_nothing_to_examine<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let items: Vec<&FileRecord> = report
        .files
        .iter()
        .filter(|f| f.is_nothing_to_examine())
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "Nothing to examine ({})", items.len())?;
    for f in items {
        writeln!(
            out,
            "  {} [{}]: {}",
            printable(&f.path),
            printable(&report.evidence_name(f.evidence)),
            printable(&f.reason_text())
        )?;
    }
    Ok(())
}

/// Pictures PDQ could not match (quality under the cut-off): an examiner looks at these by
/// other means (their cryptographic hashes were still matched).
fn write_low_quality<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let gated: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.is_pdq_gated())
        .filter_map(|f| Some((f, f.pdq_quality?)))
        .collect();
    if gated.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "Pictures not matched perceptually: PDQ quality under {} ({})",
        crate::pdq::MIN_QUALITY,
        gated.len()
    )?;
    for (f, quality) in gated {
        writeln!(
            out,
            "  {} [{}]: quality {quality}",
            printable(&f.path),
            printable(&report.evidence_name(f.evidence)),
        )?;
    }
    Ok(())
}

/// Hits in non-pertinent categories (Project VIC 0): the files that hit nothing else, and
/// matched files that another list or entry puts in a non-pertinent category too (marked,
/// so a disagreement between lists is seen).
fn write_non_pertinent<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let files: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.all_hits().any(HitRecord::is_non_pertinent))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "Non-pertinent hits: not alerts ({} files)",
        files.len()
    )?;
    for file in files {
        write_file(report, file, out)?;
        if file.is_match() {
            writeln!(
                out,
                "        ALSO MATCHED above: the lists disagree on this file's category"
            )?;
        }
        for hit in file.all_hits().filter(|h| h.is_non_pertinent()) {
            let label = hit.category_label.as_deref().unwrap_or("non-pertinent");
            writeln!(
                out,
                "        list {} category {} ({label})",
                printable(&hit.list),
                printable(hit.category.as_deref().unwrap_or("-"))
            )?;
            write_hit(report, file, hit, out)?;
        }
    }
    writeln!(out)
}

/// Files with weak hits: an examiner may look, but none of these raised an alert on its own.
fn write_weak<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    let files: Vec<_> = report.with_weak_hits().collect();
    if files.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "Weak hits: not alerts on their own ({} files)",
        files.len()
    )?;
    for file in files {
        write_file(report, file, out)?;
        for hit in &file.weak_hits {
            writeln!(out, "        list {}", printable(&hit.list))?;
            write_hit(report, file, hit, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_report;

    #[test]
    fn summary_names_lists_groups_hits_and_failures() {
        let mut out = Vec::new();
        render(&sample_report(), &RenderOptions::default(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("2222222222222222222222222222222222222222222222222222222222222222"));
        assert!(text.contains(
            "Matches (2 files; 3 hits, a hit being one list entry matched by one algorithm)"
        ));
        assert!(text.contains("Category 1 (Child Abuse Material (CAM))"));
        assert!(text.contains(
            "PDQ: 3 of 256 bits differ (threshold 31) after turning the file 90° \
             counter-clockwise; PDQ quality 87; a digest of the file matches this entry too"
        ));
        assert!(text.contains("DELETED"));
        assert!(text.contains("path bytes (hex): 2f4443494d2f696d67ff2e6a7067"));
        assert!(text.contains("Failures (1)"));
        assert!(text.contains("read error at byte 100"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        // A right-to-left override makes "gpj.exe" look like "exe.jpg".
        assert_eq!(printable("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(printable("plain/é.jpg"), "plain/é.jpg");
    }
}
