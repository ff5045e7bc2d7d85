//! The `case` format: CASE/UCO 1.x JSON-LD, for tools that exchange investigation graphs.
//!
//! Owns the graph shape, following UCO's analysis pattern (pure UCO, validates with
//! `case_validate`; docs/reports.md §case-uco): the tool as `uco-tool:AnalyticTool`; each
//! alert list as an `ObservableObject` with the SHA-256 of its file; each evidence source
//! as an `ObservableObject` (with the image's own hashes when verified); each matched file
//! as a `uco-observable:File` with `FileFacet` and `ContentDataFacet` hashes,
//! `Contained_Within` its evidence; and per hit one `uco-analysis:Analysis` (object: the
//! file and the list) whose `AnalyticResult` names the list entry, category and distance.
//! Ids are derived from the report, so re-rendering gives the same graph. Each item not
//! examined is a `uco-observable:File` too (path and size, no hashes), with a
//! `uco-core:Annotation` saying why; one more Annotation on the evidence carries the scan's
//! counts, and another says INCOMPLETE when the report is truncated or the scan was
//! interrupted. Hash methods outside UCO's vocabulary (BLAKE3, PDQ, PHASH, …) are plain
//! strings, which validation notes as `sh:Info`.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::file_record::FileRecord;
use super::hit::HitRecord;
use super::options::RenderOptions;
use super::read::ScanReport;
use super::records::HashesRecord;
use super::vics::case_guid;
use super::why::Why;

/// The UCO names of our algorithms (UCO's `HashNameVocab` spelling where it has one).
fn hash_method(algorithm: &str) -> String {
    match algorithm {
        "md5" => "MD5".into(),
        "sha1" => "SHA1".into(),
        "sha256" => "SHA256".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// hashsweep's own properties of a match (docs/report-format.md, "CASE"): the match basis
/// as measured, where UCO would only offer a confidence that a distance is not.
const HASHSWEEP_NS: &str = "https://github.com/hashsweep/hashsweep/ns#";

fn context() -> Value {
    let uco = |m: &str| format!("https://ontology.unifiedcyberontology.org/uco/{m}/");
    json!({
        "kb": "http://example.org/kb/",
        "uco-core": uco("core"),
        "uco-observable": uco("observable"),
        "uco-types": uco("types"),
        "uco-tool": uco("tool"),
        "uco-action": uco("action"),
        "uco-analysis": uco("analysis"),
        "case-investigation": "https://ontology.caseontology.org/case/investigation/",
        "hashsweep": HASHSWEEP_NS,
        "xsd": "http://www.w3.org/2001/XMLSchema#"
    })
}

/// A stable `kb:` id for one node.
fn id(report: &ScanReport, kind: &str, key: &str) -> String {
    format!(
        "kb:{kind}-{}",
        case_guid(report, &format!("case:{kind}:{key}"))
    )
}

fn typed(ty: &str, value: impl ToString) -> Value {
    json!({"@type": ty, "@value": value.to_string()})
}

fn hash_node(report: &ScanReport, owner: &str, algorithm: &str, value: &str) -> Value {
    json!({
        "@id": id(report, "hash", &format!("{owner}:{algorithm}")),
        "@type": "uco-types:Hash",
        "uco-types:hashMethod": typed("xsd:string", hash_method(algorithm)),
        "uco-types:hashValue": typed("xsd:hexBinary", value),
    })
}

pub(crate) fn render<W: Write>(
    report: &ScanReport,
    _options: &RenderOptions,
    out: &mut W,
) -> io::Result<()> {
    let mut graph = vec![tool(report)];
    graph.extend(investigation(report));
    graph.extend(lists(report));
    graph.extend(evidence(report));
    for file in report.matches() {
        graph.extend(file_nodes(report, file));
        for hit in file.alert_hits() {
            graph.extend(analysis(report, file, hit));
        }
    }
    for file in report.with_weak_hits() {
        if !file.is_match() {
            graph.extend(file_nodes(report, file));
        }
        for hit in &file.weak_hits {
            let why = Why::of(report, file, hit);
            graph.push(annotation(
                report,
                &format!(
                    "weak:{}:{}:{}:{}",
                    file_key(file),
                    hit.list,
                    hit.entry_id.as_deref().unwrap_or(""),
                    hit.algorithm
                ),
                &format!(
                    "Weak hit, not an alert on its own: {}",
                    statement(hit, &why)
                ),
                vec![id(report, "file", &file_key(file))],
            ));
        }
    }
    for file in report.not_examined() {
        graph.extend(file_nodes(report, file));
        graph.push(annotation(
            report,
            &format!("not-examined:{}", file_key(file)),
            &format!("Not examined: {}.", file.reason_text()),
            vec![id(report, "file", &file_key(file))],
        ));
    }
    graph.extend(counts(report));
    if let Some(why) = report.incomplete() {
        let evidence = (0..report.header.evidence.len())
            .map(|i| id(report, "evidence", &i.to_string()))
            .collect();
        graph.push(annotation(
            report,
            "incomplete",
            &format!("INCOMPLETE: {why}."),
            evidence,
        ));
    }
    let doc = json!({"@context": context(), "@graph": graph});
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

fn tool(report: &ScanReport) -> Value {
    json!({
        "@id": id(report, "tool", ""),
        "@type": "uco-tool:AnalyticTool",
        "uco-core:name": report.header.tool.name,
        "uco-tool:version": report.header.tool.version,
        "uco-tool:toolType": "hash matcher",
    })
}

fn lists(report: &ScanReport) -> Vec<Value> {
    let lists = report.header.lists.iter().filter(|l| l.is_alert());
    lists
        .map(|l| {
            let key = format!("list:{}", l.name);
            let version = l.format_version.as_deref().unwrap_or("");
            json!({
                "@id": id(report, "hashlist", &l.name),
                "@type": "uco-observable:ObservableObject",
                "uco-core:name": format!("{} ({} {}, {} records)", l.name, l.format, version, l.records),
                "uco-core:hasFacet": [{
                    "@id": id(report, "hashlist-content", &l.name),
                    "@type": "uco-observable:ContentDataFacet",
                    "uco-observable:sizeInBytes": typed("xsd:integer", l.bytes),
                    "uco-observable:hash": [hash_node(report, &key, "sha256", &l.sha256)],
                }],
            })
        })
        .collect()
}

fn evidence(report: &ScanReport) -> Vec<Value> {
    let verification = &report.header.evidence_verification;
    let mut out = Vec::new();
    for (i, e) in report.header.evidence.iter().enumerate() {
        let key = format!("evidence:{i}");
        let mut node = json!({
            "@id": id(report, "evidence", &i.to_string()),
            "@type": "uco-observable:ObservableObject",
            "uco-core:name": match &e.exhibit {
                Some(exhibit) => format!("exhibit {exhibit}: {} ({})", e.path, e.kind),
                None => format!("{} ({})", e.path, e.kind),
            },
        });
        let v = verification
            .iter()
            .map(|v| v.json())
            .find(|v| v["evidence"].as_u64() == Some(i as u64));
        let hashes: Vec<Value> = ["md5", "sha1", "sha256"]
            .iter()
            .filter_map(|a| Some(hash_node(report, &key, a, v.as_ref()?[a].as_str()?)))
            .collect();
        if !hashes.is_empty() {
            node["uco-core:hasFacet"] = json!([{
                "@id": id(report, "evidence-content", &i.to_string()),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": hashes,
            }]);
        }
        out.push(node);
    }
    out
}

fn file_key(file: &FileRecord) -> String {
    format!("{}:{}", file.evidence, hex::encode(file.raw_path()))
}

fn file_nodes(report: &ScanReport, file: &FileRecord) -> Vec<Value> {
    let key = file_key(file);
    let name = file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path);
    let mut facet = json!({
        "@id": id(report, "file-facet", &key),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": name,
        "uco-observable:filePath": file.path,
    });
    if let Some((_, ext)) = name.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) {
        facet["uco-observable:extension"] = json!(ext);
    }
    if let Some(size) = file.size {
        facet["uco-observable:sizeInBytes"] = typed("xsd:integer", size);
    }
    if let Some(loc) = &file.location {
        let status = if loc.deleted { "deleted" } else { "allocated" };
        facet["uco-observable:allocationStatus"] = json!(status);
    }
    // The file's primary times (NTFS: $STANDARD_INFORMATION); all of them stay in the
    // JSON Lines report.
    if let Some((t, _)) = file.meta.as_ref().and_then(|m| m.macb().into_iter().next()) {
        for (property, time) in [
            ("observableCreatedTime", t.born),
            ("modifiedTime", t.modified),
            ("accessedTime", t.accessed),
            ("metadataChangeTime", t.changed),
        ] {
            if let Some(time) = time {
                facet[format!("uco-observable:{property}")] = typed("xsd:dateTime", time);
            }
        }
    }
    let hashes: Vec<Value> = file
        .hashes
        .iter()
        .flat_map(HashesRecord::by_name)
        .map(|(alg, value)| hash_node(report, &key, alg, value))
        .collect();
    let mut facets = vec![facet];
    if !hashes.is_empty() {
        let mut content = json!({
            "@id": id(report, "content-facet", &key),
            "@type": "uco-observable:ContentDataFacet",
            "uco-observable:hash": hashes,
        });
        if let Some(size) = file.size {
            content["uco-observable:sizeInBytes"] = typed("xsd:integer", size);
        }
        facets.push(content);
    }
    let file_id = id(report, "file", &key);
    let relation = json!({
        "@id": id(report, "relationship", &key),
        "@type": "uco-core:Relationship",
        "uco-core:source": {"@id": file_id},
        "uco-core:target": {"@id": id(report, "evidence", &file.evidence.to_string())},
        "uco-core:kindOfRelationship": "Contained_Within",
        "uco-core:isDirectional": true,
    });
    let node = json!({
        "@id": file_id,
        "@type": "uco-observable:File",
        "uco-core:hasFacet": facets,
    });
    vec![node, relation]
}

/// A statement about some nodes of the graph.
fn annotation(report: &ScanReport, key: &str, statement: &str, objects: Vec<String>) -> Value {
    let objects: Vec<Value> = objects.into_iter().map(|o| json!({"@id": o})).collect();
    json!({
        "@id": id(report, "annotation", key),
        "@type": "uco-core:Annotation",
        "uco-core:statement": statement,
        "uco-core:object": objects,
    })
}

/// The scan's counts, as a statement on every evidence source.
/// The case the scan was run for, when the examiner named it.
fn investigation(report: &ScanReport) -> Option<Value> {
    let case = report.header.case.as_ref()?;
    let mut node = json!({
        "@id": id(report, "investigation", ""),
        "@type": "case-investigation:Investigation",
        "uco-core:description": case.describe(),
    });
    if let Some(number) = &case.number {
        node["uco-core:name"] = json!(number);
    }
    Some(node)
}

fn counts(report: &ScanReport) -> Option<Value> {
    let summary = report.summary.as_ref()?;
    let s = &summary.total;
    let (not_examined, nothing) = s.skip_split();
    let per_reason = |m: &std::collections::BTreeMap<String, u64>| {
        let total: u64 = m.values().sum();
        let parts: Vec<String> = m.iter().map(|(r, n)| format!("{r} {n}")).collect();
        if parts.is_empty() {
            total.to_string()
        } else {
            format!("{total} ({})", parts.join(", "))
        }
    };
    let statement = format!(
        "Counts: {} files seen, {} hashed, {} matched ({} distinct contents), {} known good, \
         {} with weak hits only or besides (not alerts on their own), {} pictures of PDQ \
         quality under {} (not matched perceptually), not examined: {}, nothing to examine: \
         {}, failed: {}{}.",
        s.files_seen,
        s.hashed,
        s.matched,
        s.matched_distinct,
        s.known_good,
        s.weak,
        s.pdq_low_quality,
        crate::pdq::MIN_QUALITY,
        per_reason(&not_examined),
        per_reason(&nothing),
        s.failed,
        if summary.interrupted {
            "; the scan was INTERRUPTED"
        } else {
            ""
        },
    );
    let evidence = (0..report.header.evidence.len())
        .map(|i| id(report, "evidence", &i.to_string()))
        .collect();
    Some(annotation(report, "counts", &statement, evidence))
}

/// The Analysis of one hit and its result.
fn analysis(report: &ScanReport, file: &FileRecord, hit: &HitRecord) -> Vec<Value> {
    let key = format!(
        "{}:{}:{}:{}",
        file_key(file),
        hit.list,
        hit.entry_id.as_deref().unwrap_or(""),
        hit.algorithm
    );
    let analysis_id = id(report, "analysis", &key);
    let result_id = id(report, "result", &key);
    let mut node = json!({
        "@id": analysis_id,
        "@type": "uco-analysis:Analysis",
        "uco-core:name": "Hash list comparison",
        "uco-action:instrument": {"@id": id(report, "tool", "")},
        "uco-action:object": [
            {"@id": id(report, "file", &file_key(file))},
            {"@id": id(report, "hashlist", &hit.list)},
        ],
        "uco-action:result": [{"@id": result_id}],
    });
    if let Some(s) = &report.summary {
        node["uco-core:startTime"] = typed("xsd:dateTime", &s.started_at);
        node["uco-core:endTime"] = typed("xsd:dateTime", &s.finished_at);
    }
    let why = Why::of(report, file, hit);
    let category = hit.category.as_deref().unwrap_or("none");
    let mut classification = json!({
        "@id": id(report, "class", &key),
        "@type": "uco-analysis:ArtifactClassification",
        "uco-analysis:class": format!("{}:{category}", hit.list),
    });
    for (property, value) in basis(&why) {
        classification[property] = value;
    }
    let result = json!({
        "@id": result_id,
        "@type": "uco-analysis:AnalyticResult",
        "uco-analysis:originatingAnalysis": {"@id": analysis_id},
        "uco-core:statement": statement(hit, &why),
        "uco-core:hasFacet": [{
            "@id": id(report, "classfacet", &key),
            "@type": "uco-analysis:ArtifactClassificationResultFacet",
            "uco-analysis:classification": [classification],
        }],
    });
    vec![node, result]
}

/// What the match rests on, as measured: the algorithm, and for a perceptual match the
/// distance and the threshold it was held against (or a vPDQ match's percentages). No
/// confidence is derived from a distance.
fn basis(why: &Why<'_>) -> Vec<(&'static str, Value)> {
    let mut facts = vec![("hashsweep:algorithm", typed("xsd:string", why.algorithm))];
    if why.exact {
        facts.push(("hashsweep:exact", typed("xsd:boolean", true)));
        return facts;
    }
    if let Some((score, _)) = why.vpdq {
        facts.push((
            "hashsweep:queryPercent",
            typed("xsd:decimal", format!("{:.2}", score.query_percent)),
        ));
        facts.push((
            "hashsweep:comparedPercent",
            typed("xsd:decimal", format!("{:.2}", score.compared_percent)),
        ));
    }
    facts.push(("hashsweep:distance", typed("xsd:integer", why.distance)));
    if let Some(t) = why.threshold {
        facts.push(("hashsweep:threshold", typed("xsd:integer", t)));
    }
    if let Some(t) = why.transform {
        facts.push(("hashsweep:transform", typed("xsd:string", t)));
    }
    facts.push(("hashsweep:needsVisualReview", typed("xsd:boolean", true)));
    facts
}

fn statement(hit: &HitRecord, why: &Why<'_>) -> String {
    let entry = hit.entry_id.as_deref().unwrap_or("(no id)");
    let mut category = hit.category.clone().unwrap_or_else(|| "none".into());
    if let Some(label) = &hit.category_label {
        category.push_str(&format!(" ({label})"));
    }
    format!(
        "{} match to list {} entry {entry}, category {category}; list hash {}.",
        why.summary(),
        hit.list,
        hit.list_hash
    )
}
