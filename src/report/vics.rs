//! The `vics` format: a Project VIC VICS 2.0 Cases feed of the matched media, for import
//! into review tools (Griffeye and others) — docs/list-formats.md §vics.
//!
//! Owns the mapping: one Media per distinct MD5 among files with an alert hit, carrying
//! MD5, SHA1, SHA-256 (as an `AlternativeHashes` entry), MediaSize, the list's Category (the
//! first numeric code in list order; a non-numeric code goes to Tags, since VICS Category is
//! an integer), Series, and one MediaFiles entry per place the content was found (FileName,
//! FilePath, SourceID, Deleted, Unallocated, PhysicalLocation). SourceID is the exhibit ID
//! (`--exhibit`) or the evidence's file name, and FilePath the path inside the evidence,
//! so the lab's own directory layout does not travel with the export; with
//! `--vics-absolute-paths` both are the paths the scan saw.
//! The feed loads back with hashsweep's own VICS loader (tested).
//!
//! VICS has no place for what was not examined or for the scan's counts, and a loader must
//! ignore case-level keys it does not know (docs/list-formats.md §vics-case-keys; RECON
//! writes its own too), so they go in case-level keys of ours: `HashsweepCounts` (the
//! summary's counters), `HashsweepNotExamined` (one `{SourceID, FilePath, Reason}` per item
//! not examined) and, for a truncated or interrupted report, `HashsweepIncomplete`
//! (`INCOMPLETE: why`).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::file_record::FileRecord;
use super::hit::HitRecord;
use super::options::RenderOptions;
use super::read::ScanReport;
use super::records::SummaryRecord;
use super::why::{is_exact, Why};

/// `US` unless every matched list uses the UK (CAID) numbering: the region tells an
/// importer how to read the Category codes.
fn region(report: &ScanReport) -> &'static str {
    let schemes: Vec<Option<&str>> = report
        .matches()
        .flat_map(|f| f.alert_hits())
        .map(|h| {
            report
                .header
                .lists
                .iter()
                .find(|l| l.name == h.list)
                .and_then(|l| l.category_scheme.as_deref())
        })
        .collect();
    if !schemes.is_empty() && schemes.iter().all(|s| *s == Some("caid-uk")) {
        "UK"
    } else {
        "US"
    }
}

/// A GUID-shaped id derived from the run (start time and command line), so re-rendering
/// the same report gives the same CaseID.
pub(crate) fn case_guid(report: &ScanReport, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(report.header.started_at.as_bytes());
    for arg in &report.header.command_line {
        h.update(arg.as_bytes());
        h.update([0]);
    }
    let x = hex::encode(&h.finalize()[..16]);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// How the export names evidence and files: by exhibit and path inside it, or (with
/// `--vics-absolute-paths`) by the lab's own paths.
#[derive(Clone, Copy)]
struct Naming<'a> {
    report: &'a ScanReport,
    absolute: bool,
}

impl<'a> Naming<'a> {
    /// `SourceID`: the exhibit ID; else the evidence's file name (its full path with
    /// `--vics-absolute-paths`).
    fn source_id(self, evidence: usize) -> &'a str {
        if let Some(id) = self.report.exhibit(evidence) {
            return id;
        }
        let path = self.report.evidence_path(evidence);
        if self.absolute {
            return path;
        }
        path.trim_end_matches(['/', '\\'])
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(path)
    }

    /// `FilePath`: the path inside the evidence (the full path with
    /// `--vics-absolute-paths`).
    fn file_path(self, file: &'a FileRecord) -> &'a str {
        if self.absolute {
            &file.path
        } else {
            self.report.path_in_evidence(file)
        }
    }
}

pub(crate) fn render<W: Write>(
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    let naming = Naming {
        report,
        absolute: options.vics_absolute_paths,
    };
    let mut by_md5: BTreeMap<&str, Vec<&FileRecord>> = BTreeMap::new();
    for file in report.matches().filter(|f| f.alert_hits().next().is_some()) {
        if let Some(md5) = file.hash("md5") {
            by_md5.entry(md5).or_default().push(file);
        }
    }
    let media: Vec<Value> = by_md5
        .values()
        .enumerate()
        .map(|(i, files)| media(naming, i + 1, files))
        .collect();
    let mut case = Map::new();
    case.insert("CaseID".into(), json!(case_guid(report, "vics")));
    let recorded = report.header.case.as_ref();
    if let Some(number) = options
        .case_number
        .as_ref()
        .or(recorded.and_then(|c| c.number.as_ref()))
    {
        case.insert("CaseNumber".into(), json!(number));
    }
    case.insert(
        "SourceApplicationName".into(),
        json!(report.header.tool.name),
    );
    case.insert(
        "SourceApplicationVersion".into(),
        json!(report.header.tool.version),
    );
    if let Some(examiner) = recorded.and_then(|c| c.examiner.as_ref()) {
        case.insert("HashsweepExaminer".into(), json!(examiner));
    }
    if let Some(agency) = recorded.and_then(|c| c.agency.as_ref()) {
        case.insert("HashsweepAgency".into(), json!(agency));
    }
    case.insert("TotalMediaFiles".into(), json!(media.len()));
    if let Some(summary) = &report.summary {
        case.insert("HashsweepCounts".into(), counts(summary));
    }
    if let Some(why) = report.incomplete() {
        case.insert(
            "HashsweepIncomplete".into(),
            json!(format!("INCOMPLETE: {why}")),
        );
    }
    let not_examined: Vec<Value> = report
        .not_examined()
        .map(|f| {
            json!({
                "SourceID": naming.source_id(f.evidence),
                "FilePath": naming.file_path(f),
                "Reason": f.reason_text(),
            })
        })
        .collect();
    case.insert("HashsweepNotExamined".into(), Value::Array(not_examined));
    // Weak hits are not matches, so they are no Media; they are kept beside them.
    let weak: Vec<Value> = report
        .with_weak_hits()
        .flat_map(|f| {
            f.weak_hits.iter().map(|h| {
                json!({
                    "SourceID": naming.source_id(f.evidence),
                    "FilePath": naming.file_path(f),
                    "MD5": f.hash("md5"),
                    "List": h.list,
                    "EntryID": h.entry_id,
                    "Algorithm": h.algorithm,
                    "Distance": h.distance,
                    "Reason": h.weak_reason,
                })
            })
        })
        .collect();
    if !weak.is_empty() {
        case.insert("HashsweepWeakHits".into(), Value::Array(weak));
    }
    case.insert("Media".into(), Value::Array(media));
    let doc = json!({
        "@odata.context": format!(
            "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{}/$metadata#Cases",
            region(report)
        ),
        "value": [Value::Object(case)],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// The summary's counters, skipped items split by kind.
fn counts(record: &SummaryRecord) -> Value {
    let summary = &record.total;
    let (not_examined, nothing) = summary.skip_split();
    json!({
        "FilesSeen": summary.files_seen,
        "Hashed": summary.hashed,
        "Matched": summary.matched,
        "MatchedDistinct": summary.matched_distinct,
        "MatchedByCategory": summary.matched_by_category,
        "KnownGood": summary.known_good,
        "PdqLowQuality": summary.pdq_low_quality,
        "NotExamined": not_examined,
        "NothingToExamine": nothing,
        "Failed": summary.failed,
        "Interrupted": record.interrupted,
    })
}

/// The hit whose Category the Media carries: the first exact (cryptographic) alert hit
/// with a numeric code. A perceptual match never pre-categorises a file: its Media goes
/// out uncategorised and marked for review, so a near match cannot become a categorised
/// hash in a lab's database without a person looking at it.
fn category_hit<'a>(files: &[&'a FileRecord]) -> Option<&'a HitRecord> {
    files.iter().flat_map(|f| f.alert_hits()).find(|h| {
        is_exact(&h.algorithm)
            && h.category
                .as_deref()
                .is_some_and(|c| c.parse::<i64>().is_ok())
    })
}

/// The perceptual alert hits behind an uncategorised Media, one line each: what matched
/// and how, for the reviewer.
fn review_basis(naming: Naming<'_>, files: &[&FileRecord]) -> Vec<String> {
    let report = naming.report;
    files
        .iter()
        .flat_map(|f| f.alert_hits().map(move |h| (*f, h)))
        .filter(|(_, h)| !is_exact(&h.algorithm))
        .map(|(f, h)| {
            format!(
                "{}: list {} entry {} category {}: {}",
                naming.file_path(f),
                h.list,
                h.entry_id.as_deref().unwrap_or("-"),
                h.category.as_deref().unwrap_or("none"),
                Why::of(report, f, h).summary()
            )
        })
        .collect()
}

fn media(naming: Naming<'_>, id: usize, files: &[&FileRecord]) -> Value {
    let first = files[0];
    let mut m = Map::new();
    m.insert("MediaID".into(), json!(id));
    let category = category_hit(files).and_then(|h| h.category.as_deref()?.parse::<i64>().ok());
    m.insert("Category".into(), json!(category));
    m.insert("MD5".into(), json!(first.hash("md5")));
    if let Some(sha1) = first.hash("sha1") {
        m.insert("SHA1".into(), json!(sha1));
    }
    if let Some(size) = first.size {
        m.insert("MediaSize".into(), json!(size));
    }
    m.insert("IsPrecategorized".into(), json!(category.is_some()));
    let basis = match category {
        Some(_) => Vec::new(),
        None => review_basis(naming, files),
    };
    if !basis.is_empty() {
        m.insert(
            "Comments".into(),
            json!(format!(
                "hashsweep perceptual match, not categorised: needs visual review by an \
                 authorised examiner. {}",
                basis.join("; ")
            )),
        );
    }
    let hits: Vec<&HitRecord> = files.iter().flat_map(|f| f.alert_hits()).collect();
    if let Some(series) = hits.iter().find_map(|h| h.series.as_deref()) {
        m.insert("Series".into(), json!(series));
    }
    let mut tags: Vec<String> = hits
        .iter()
        .filter_map(|h| {
            let c = h.category.as_deref()?;
            c.parse::<i64>().is_err().then(|| format!("{}:{c}", h.list))
        })
        .collect();
    tags.extend(hits.iter().filter_map(|h| h.tags.clone()));
    tags.dedup();
    if !basis.is_empty() {
        tags.push("hashsweep:needs-review".to_string());
    }
    if !tags.is_empty() {
        m.insert("Tags".into(), json!(tags.join("|")));
    }
    if let Some(sha256) = first.hash("sha256") {
        m.insert(
            "AlternativeHashes".into(),
            json!([{"MD5": first.hash("md5"), "HashName": "SHA256", "HashValue": sha256}]),
        );
    }
    let instances: Vec<Value> = files.iter().map(|f| media_file(naming, f)).collect();
    m.insert("MediaFiles".into(), Value::Array(instances));
    Value::Object(m)
}

fn media_file(naming: Naming<'_>, file: &FileRecord) -> Value {
    let name = file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path);
    let loc = file.location.as_ref();
    let mut m = Map::new();
    m.insert("MD5".into(), json!(file.hash("md5")));
    m.insert("FileName".into(), json!(name));
    m.insert("FilePath".into(), json!(naming.file_path(file)));
    m.insert("SourceID".into(), json!(naming.source_id(file.evidence)));
    m.insert("Deleted".into(), json!(loc.is_some_and(|l| l.deleted)));
    // Content found by carving free clusters lies in unallocated space.
    m.insert(
        "Unallocated".into(),
        json!(loc.is_some_and(|l| l.recovered)),
    );
    if let Some(offset) = loc.and_then(|l| l.data_offset) {
        m.insert("PhysicalLocation".into(), json!(offset));
    }
    // VICS has a creation, a write and an access time (NTFS: $STANDARD_INFORMATION's).
    if let Some((t, _)) = file.meta.as_ref().and_then(|m| m.macb().into_iter().next()) {
        for (field, time) in [
            ("Created", t.born),
            ("Written", t.modified),
            ("Accessed", t.accessed),
        ] {
            if let Some(time) = time {
                m.insert(field.into(), json!(time.to_string()));
            }
        }
    }
    Value::Object(m)
}
