//! End-to-end tests of the report formats, the manifest and the CLI polish, on the
//! hand-written sample report (fixtures/reports/) and on the bundled demo scan. All data is
//! synthetic and benign.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use hashsweep::list::{load_list, LoadOptions};
use hashsweep::report::csv::COLUMNS;
use hashsweep::report::why::VISUAL_CONFIRMATION;
use serde_json::Value;

fn hashsweep() -> Command {
    Command::cargo_bin("hashsweep").unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> PathBuf {
    root().join("fixtures/reports/sample-scan.jsonl")
}

/// `hashsweep report SAMPLE --format F [extra…]`, asserting success; stdout.
fn render(report: &Path, format: &str, extra: &[&str]) -> Vec<u8> {
    let out = hashsweep()
        .arg("report")
        .arg(report)
        .args(["--format", format])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs the bundled demo scan into `dir`, returning the report path.
fn demo_scan(dir: &Path, extra: &[&str]) -> (PathBuf, std::process::Output) {
    let report = dir.join("demo.jsonl");
    let out = hashsweep()
        .current_dir(root())
        .args([
            "scan",
            "fixtures/evidence",
            "--list",
            "fixtures/demo-list.jsonl",
            "--quiet",
            "-o",
        ])
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (report, out)
}

fn assert_valid(schema: &Value, doc: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

#[test]
fn json_document_validates_against_the_published_schema() {
    let schema: Value =
        serde_json::from_str(&fs::read_to_string(root().join("docs/report-schema.json")).unwrap())
            .unwrap();
    let doc: Value = serde_json::from_slice(&render(&sample(), "json", &[])).unwrap();
    assert_valid(&schema, &doc);
    assert_eq!(doc["matches"].as_array().unwrap().len(), 2);
    assert_eq!(doc["failures"].as_array().unwrap().len(), 1);
    assert_eq!(doc["skipped"].as_array().unwrap().len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let (report, _) = demo_scan(dir.path(), &[]);
    let demo: Value = serde_json::from_slice(&render(&report, "json", &[])).unwrap();
    assert_valid(&schema, &demo);
    assert_eq!(demo["matches"].as_array().unwrap().len(), 8);
}

#[test]
fn rendering_is_deterministic() {
    for format in ["text", "json", "csv", "case", "vics", "jsonl"] {
        assert_eq!(
            render(&sample(), format, &[]),
            render(&sample(), format, &[]),
            "{format}"
        );
    }
}

/// `report --format jsonl` writes a file record as the scan wrote it: reader and writer share
/// the record types or keep the writer's field order (issue 16).
#[test]
fn jsonl_rendering_gives_back_the_scans_own_file_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = demo_scan(dir.path(), &["--all-files"]);
    let written = fs::read_to_string(&report).unwrap();
    let out = hashsweep()
        .arg("report")
        .arg(&report)
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    let rendered = String::from_utf8(out.stdout).unwrap();
    let files = |text: &str| -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        lines[1..lines.len() - 1]
            .iter()
            .map(|l| l.to_string())
            .collect()
    };
    assert!(files(&written).len() > 5);
    assert_eq!(files(&rendered), files(&written));
}

#[test]
fn csv_has_one_row_per_hit_and_no_live_formula() {
    let out = render(&sample(), "csv", &[]);
    let mut reader = csv::Reader::from_reader(&out[..]);
    let all: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let rows: Vec<&csv::StringRecord> = all.iter().filter(|r| &r[0] == "match").collect();
    assert_eq!(rows.len(), 3);
    for row in &all {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula cell {cell:?}"
            );
        }
    }
    assert_eq!(&rows[0][3], "'=HYPERLINK(\"x\").jpg");
    // A perceptual hit is listed, so the note that such hits need visual confirmation is.
    let notes: Vec<_> = all.iter().filter(|r| &r[0] == "note").collect();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].iter().any(|cell| cell == VISUAL_CONFIRMATION));
}

#[test]
fn vics_export_loads_back_with_the_vics_loader() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("export.json");
    let out = hashsweep()
        .arg("report")
        .arg(sample())
        .args(["--format", "vics", "--case-number", "CASE-42", "-o"])
        .arg(&feed)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_str(&fs::read_to_string(&feed).unwrap()).unwrap();
    let case = &doc["value"][0];
    assert_eq!(case["CaseNumber"], "CASE-42");
    let deleted = &case["Media"][0]["MediaFiles"][0];
    assert_eq!(deleted["Deleted"], true);
    assert_eq!(deleted["SourceID"], "disk.dd");

    let list = load_list(&feed, &LoadOptions::alert()).unwrap();
    let mut got: Vec<(String, String, Option<String>)> = list
        .iter()
        .map(|e| {
            (
                e.algorithm.name().to_string(),
                hex::encode(e.hash),
                e.category.map(str::to_string),
            )
        })
        .collect();
    got.sort();
    let want = |alg: &str, hash: &str, cat: &str| (alg.into(), hash.into(), Some(cat.into()));
    assert_eq!(
        got,
        vec![
            want("md5", "8ed5b9c8219654b908b01121eb46d8df", "2"),
            want("md5", "d1b23d60be33081437b607ac50a40e82", "1"),
            want("sha1", "1e6652b467e084f1d51165e7605ab0d095520119", "2"),
            want("sha1", "2b9b8fa064563d948029488804ac5b38c1b707e5", "1"),
            want(
                "sha256",
                "24971043777af01f9d0bd95d450faa525f4771cd443b95b96c48e5e855406104",
                "2"
            ),
            want(
                "sha256",
                "aa761291ff9d068556f2d1d6f63c53a4d22e44d65f882c1c252a04372123add3",
                "1"
            ),
        ]
    );
}

fn of_type<'a>(graph: &'a [Value], ty: &str) -> Vec<&'a Value> {
    graph.iter().filter(|n| n["@type"] == ty).collect()
}

#[test]
fn case_export_is_json_ld_in_the_case_uco_vocabulary() {
    let out = render(&sample(), "case", &[]);
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        doc["@context"]["uco-observable"],
        "https://ontology.unifiedcyberontology.org/uco/observable/"
    );
    let graph = doc["@graph"].as_array().unwrap();
    let ids: std::collections::BTreeSet<&str> =
        graph.iter().map(|n| n["@id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), graph.len(), "ids are unique");
    assert_eq!(of_type(graph, "uco-tool:AnalyticTool").len(), 1);
    let files = of_type(graph, "uco-observable:File");
    assert_eq!(files.len(), 3, "two matched files and one not examined");
    let hashes = &files[0]["uco-core:hasFacet"][1]["uco-observable:hash"];
    assert!(hashes
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["uco-types:hashMethod"]["@value"] == "MD5"
            && h["uco-types:hashValue"]["@type"] == "xsd:hexBinary"));
    // One analysis per alert hit, each object naming the file and the list, each result
    // naming the list entry.
    let analyses = of_type(graph, "uco-analysis:Analysis");
    assert_eq!(analyses.len(), 3);
    for a in &analyses {
        for object in a["uco-action:object"].as_array().unwrap() {
            assert!(ids.contains(object["@id"].as_str().unwrap()));
        }
    }
    let results = of_type(graph, "uco-analysis:AnalyticResult");
    assert!(results
        .iter()
        .all(|r| r["uco-core:statement"].as_str().unwrap().contains("entry ")));
    validate_with_case_utils(&out);
}

/// `case_validate` from the `case-utils` PyPI package, when installed; CI must have it.
fn validate_with_case_utils(doc: &[u8]) {
    let available = std::process::Command::new("case_validate")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "case_validate is missing in CI: pip install case-utils"
        );
        eprintln!("notice: case_validate not installed (pip install case-utils); skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.jsonld");
    fs::write(&path, doc).unwrap();
    let out = std::process::Command::new("case_validate")
        // BLAKE3, PDQ and the 64-bit perceptual hashes are outside UCO's HashNameVocab:
        // validation notes them as sh:Info, which is expected
        // (docs/reports.md §case-uco).
        .args(["--built-version", "case-1.4.0", "--allow-infos"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "case_validate: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 25: every format gives the counts, skipped items split by kind, and lists the
/// one item not examined (the sample's encrypted file) without listing the links.
#[test]
fn every_format_counts_skips_by_kind_and_lists_what_was_not_examined() {
    let text = String::from_utf8(render(&sample(), "text", &[])).unwrap();
    assert!(
        text.contains("    not examined:       1 (encrypted 1) (listed below)"),
        "{text}"
    );
    assert!(
        text.contains("    nothing to examine: 2 (symlink 2)"),
        "{text}"
    );
    assert!(text.contains("Not examined (1)\n  /private/secret.docx [evidence 1]: encrypted\n"));

    let doc: Value = serde_json::from_slice(&render(&sample(), "json", &[])).unwrap();
    assert_eq!(
        doc["summary"]["not_examined"],
        serde_json::json!({"encrypted": 1})
    );
    assert_eq!(
        doc["summary"]["nothing_to_examine"],
        serde_json::json!({"symlink": 2})
    );
    assert_eq!(doc["skipped"][0]["skip_kind"], "not_examined");

    let csv_out = render(&sample(), "csv", &[]);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&csv_out[..])
        .records()
        .map(|r| r.unwrap())
        .collect();
    let of = |kind: &str| rows.iter().filter(|r| &r[0] == kind).collect::<Vec<_>>();
    let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let not_examined = of("not_examined");
    assert_eq!(not_examined.len(), 1);
    assert_eq!(
        (&not_examined[0][3], &not_examined[0][column("why")]),
        ("/private/secret.docx", "encrypted")
    );
    assert_eq!(of("failure").len(), 1);
    let count = |name: &str| -> Vec<(String, String)> {
        of("count")
            .iter()
            .filter(|r| &r[column("count_name")] == name)
            .map(|r| (r[1].to_string(), r[column("count")].to_string()))
            .collect()
    };
    assert_eq!(count("files_seen"), [("".to_string(), "7".to_string())]);
    assert_eq!(count("not_examined:encrypted"), [("".into(), "1".into())]);
    assert_eq!(
        count("nothing_to_examine:symlink"),
        [("".into(), "2".into())]
    );

    let vics: Value = serde_json::from_slice(&render(&sample(), "vics", &[])).unwrap();
    let case = &vics["value"][0];
    assert_eq!(
        case["HashsweepNotExamined"],
        serde_json::json!([{"SourceID": "disk.dd", "FilePath": "/private/secret.docx", "Reason": "encrypted"}])
    );
    assert_eq!(case["HashsweepCounts"]["FilesSeen"], 7);
    assert_eq!(
        case["HashsweepCounts"]["NothingToExamine"],
        serde_json::json!({"symlink": 2})
    );

    let graph: Value = serde_json::from_slice(&render(&sample(), "case", &[])).unwrap();
    let statements: Vec<&str> = of_type(graph["@graph"].as_array().unwrap(), "uco-core:Annotation")
        .iter()
        .map(|a| a["uco-core:statement"].as_str().unwrap())
        .collect();
    assert!(
        statements.contains(&"Not examined: encrypted."),
        "{statements:?}"
    );
    assert!(
        statements
            .iter()
            .any(|s| s
                .contains("not examined: 1 (encrypted 1), nothing to examine: 2 (symlink 2)")),
        "{statements:?}"
    );
}

#[test]
fn text_summary_shows_why_it_matched() {
    let text = String::from_utf8(render(&sample(), "text", &[])).unwrap();
    assert!(text.contains(
        "PDQ: 3 of 256 bits differ (threshold 31) after turning the file 90° counter-clockwise; \
         PDQ quality 87; a digest of the file matches this entry too"
    ));
    assert!(text.contains(VISUAL_CONFIRMATION));
    assert!(
        text.contains("list hash f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2f")
    );
    assert!(
        text.contains("sha256:  2222222222222222222222222222222222222222222222222222222222222222")
    );
    assert!(!text.contains("Likely degenerate"));
}

#[test]
fn flood_guard_flags_an_entry_matching_too_many_files() {
    let text = String::from_utf8(render(&sample(), "text", &["--flood-threshold", "0"])).unwrap();
    assert!(text.contains("Likely degenerate hashes"));
    assert!(text.contains("fake-vics.json entry 1 (md5 d1b23d60be33081437b607ac50a40e82): 1 files"));
    let doc: Value =
        serde_json::from_slice(&render(&sample(), "json", &["--flood-threshold", "0"])).unwrap();
    assert_eq!(doc["flood"]["threshold"], 0);
    assert_eq!(doc["flood"]["entries"].as_array().unwrap().len(), 3);
}

#[test]
fn scan_writes_a_manifest_that_verify_checks() {
    let dir = tempfile::tempdir().unwrap();
    let (report, out) = demo_scan(dir.path(), &["--format", "csv"]);
    let rows = csv::Reader::from_reader(&out.stdout[..])
        .records()
        .filter(|r| &r.as_ref().unwrap()[0] == "match")
        .count();
    assert_eq!(rows, 17, "scan --format csv renders the report it wrote");
    let manifest_path = dir.path().join("demo.jsonl.manifest.json");
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(&manifest_path).unwrap()).unwrap();
    assert_eq!(manifest["report"]["path"], "demo.jsonl");
    assert_eq!(manifest["lists"][0]["path"], "fixtures/demo-list.jsonl");
    assert!(manifest["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(manifest["command_line"][1], "scan");

    let ok = hashsweep()
        .arg("verify")
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("verified: 2 files"));

    let mut text = fs::read_to_string(&report).unwrap();
    text = text.replacen("DEMO-0001", "DEMO-9999", 1);
    fs::write(&report, text).unwrap();
    let bad = hashsweep()
        .arg("verify")
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("MISMATCH  report"));
}

#[test]
fn scan_format_without_output_file_is_refused() {
    let out = hashsweep()
        .current_dir(root())
        .args([
            "scan",
            "fixtures/evidence",
            "--list",
            "fixtures/demo-list.jsonl",
        ])
        .args(["--quiet", "--format", "text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs -o FILE"));
}

#[test]
fn report_refuses_hash_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hashes.jsonl");
    fs::write(
        &path,
        "{\"record\":\"file\",\"path\":\"a\",\"evidence\":0}\n",
    )
    .unwrap();
    let out = hashsweep().arg("report").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a hashsweep scan report"));
}

#[test]
fn completions_man_page_and_examples_in_every_help() {
    let bash = hashsweep().args(["completions", "bash"]).output().unwrap();
    assert!(bash.status.success());
    assert!(String::from_utf8_lossy(&bash.stdout).contains("hashsweep"));
    let man = hashsweep().arg("man").output().unwrap();
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(man.starts_with(".ie") || man.contains(".TH hashsweep"));
    assert!(man.contains("HASHSWEEP-VERIFY"));
    for command in [
        &["scan"][..],
        &["hash"],
        &["report"],
        &["verify"],
        &["completions"],
        &["man"],
        &["list", "inspect"],
        &["list", "convert"],
    ] {
        let help = hashsweep().args(command).arg("--help").output().unwrap();
        let help = String::from_utf8(help.stdout).unwrap();
        assert!(
            help.contains("Examples:"),
            "{command:?} --help has no examples"
        );
    }
}

#[test]
fn report_on_stdout_gets_a_manifest_only_with_the_manifest_flag() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("run.manifest.json");
    let out = hashsweep()
        .current_dir(root())
        .args([
            "scan",
            "fixtures/evidence",
            "--list",
            "fixtures/demo-list.jsonl",
            "--quiet",
        ])
        .arg("--manifest")
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(&manifest_path).unwrap()).unwrap();
    assert!(manifest["report"]["path"].is_null());
    let mut want = hashsweep::manifest::DigestWriter::new(Vec::new());
    std::io::Write::write_all(&mut want, &out.stdout).unwrap();
    assert_eq!(manifest["report"]["sha256"], want.finish().unwrap().sha256);
    let verify = hashsweep()
        .arg("verify")
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("NOT FILE"));
}

#[test]
fn scan_warns_about_flooded_entries_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = hashsweep()
        .current_dir(root())
        .args([
            "scan",
            "fixtures/evidence",
            "--list",
            "fixtures/demo-list.jsonl",
        ])
        .args(["--flood-threshold", "0", "-o"])
        .arg(dir.path().join("r.jsonl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("entry DEMO-0001 (md5) matched 1 files: likely a degenerate hash"));
    assert!(stderr.contains("manifest written to"));
}

/// The flood guard at its default: an entry matching 51 distinct files is flagged, one
/// matching 50 is not.
#[test]
fn flood_guard_default_flags_more_than_fifty_files() {
    let dir = tempfile::tempdir().unwrap();
    let content = b"the same bytes in many files";
    let md5 = hashsweep::digest::FileDigests::of(content).md5;
    let list = dir.path().join("list.jsonl");
    fs::write(
        &list,
        format!(
            "{{\"algorithm\":\"md5\",\"hash\":\"{}\",\"id\":\"DUP\"}}\n",
            hex::encode(md5)
        ),
    )
    .unwrap();
    for (files, flagged) in [(50usize, 0usize), (51, 1)] {
        let ev = dir.path().join(format!("ev{files}"));
        fs::create_dir(&ev).unwrap();
        for i in 0..files {
            fs::write(ev.join(format!("copy{i:02}.bin")), content).unwrap();
        }
        let report = dir.path().join(format!("r{files}.jsonl"));
        let out = hashsweep()
            .arg("scan")
            .arg(&ev)
            .arg("-l")
            .arg(&list)
            .arg("-q")
            .arg("-o")
            .arg(&report)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let doc: Value = serde_json::from_slice(&render(&report, "json", &[])).unwrap();
        assert_eq!(doc["flood"]["threshold"], 50);
        let entries = doc["flood"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), flagged, "{files} files: {entries:?}");
        if flagged == 1 {
            assert_eq!(entries[0]["entry_id"], "DUP");
            assert_eq!(entries[0]["files"], 51);
        }
    }
}

/// Every rendering of a real scan (the bundled demo, 8 matched files), not only of the
/// hand-written sample: one CSV row per hit, one VICS media per distinct MD5 that loads
/// back and finds each matched file again, and CASE/UCO that validates.
#[test]
fn renderings_of_a_real_scan_agree_with_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = demo_scan(dir.path(), &[]);
    let records: Vec<Value> = fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let matches: Vec<&Value> = records.iter().filter(|r| r["record"] == "match").collect();
    assert_eq!(matches.len(), 8);
    let hits: usize = matches
        .iter()
        .map(|m| m["hits"].as_array().unwrap().len())
        .sum();

    let csv_out = render(&report, "csv", &[]);
    let rows = csv::Reader::from_reader(&csv_out[..])
        .records()
        .filter(|r| &r.as_ref().unwrap()[0] == "match")
        .count();
    assert_eq!(rows, hits);

    let feed = dir.path().join("demo.vics.json");
    render(&report, "vics", &["-o", feed.to_str().unwrap()]);
    let md5s: std::collections::BTreeSet<&str> = matches
        .iter()
        .map(|m| m["hashes"]["md5"].as_str().unwrap())
        .collect();
    let doc: Value = serde_json::from_str(&fs::read_to_string(&feed).unwrap()).unwrap();
    assert_eq!(
        doc["value"][0]["Media"].as_array().unwrap().len(),
        md5s.len()
    );
    let loaded = load_list(&feed, &LoadOptions::alert()).unwrap();
    for md5 in &md5s {
        let value = hex::decode(md5).unwrap();
        assert!(
            loaded
                .find(hashsweep::algorithm::Algorithm::Md5, &value)
                .next()
                .is_some(),
            "{md5} not in the VICS export"
        );
    }

    // Only an exact hit pre-categorises a Media; a perceptual-only one goes out
    // uncategorised, tagged and commented for review (issue 27).
    let exact = ["md5", "sha1", "sha256", "blake3"];
    let precategorised: std::collections::BTreeSet<&str> = matches
        .iter()
        .filter(|m| {
            m["hits"].as_array().unwrap().iter().any(|h| {
                exact.contains(&h["algorithm"].as_str().unwrap())
                    && h["category"]
                        .as_str()
                        .is_some_and(|c| c.parse::<i64>().is_ok())
            })
        })
        .map(|m| m["hashes"]["md5"].as_str().unwrap())
        .collect();
    assert!(!precategorised.is_empty() && precategorised.len() < md5s.len());
    for media in doc["value"][0]["Media"].as_array().unwrap() {
        let md5 = media["MD5"].as_str().unwrap();
        let pre = precategorised.contains(md5);
        assert_eq!(media["IsPrecategorized"], pre, "{media}");
        assert_eq!(media["Category"].is_null(), !pre, "{media}");
        let comments = media["Comments"].as_str().unwrap_or("");
        assert_eq!(comments.contains("needs visual review"), !pre, "{media}");
        let tags = media["Tags"].as_str().unwrap_or("");
        assert_eq!(tags.contains("hashsweep:needs-review"), !pre, "{media}");
        if !pre {
            assert!(
                comments.contains(" of 256 bits differ (threshold 31)"),
                "{comments}"
            );
        }
    }

    let case = render(&report, "case", &[]);
    let graph: Value = serde_json::from_slice(&case).unwrap();
    let graph = graph["@graph"].as_array().unwrap();
    assert_eq!(of_type(graph, "uco-observable:File").len(), 8);
    assert_eq!(of_type(graph, "uco-analysis:Analysis").len(), hits);
    // The match basis as measured, never a confidence.
    let text = String::from_utf8_lossy(&case);
    assert!(!text.contains("classificationConfidence"));
    let perceptual = text.matches("\"hashsweep:distance\"").count();
    let exact_hits = text.matches("\"hashsweep:exact\"").count();
    assert_eq!(perceptual + exact_hits, hits);
    assert!(perceptual > 0 && exact_hits > 0);
    validate_with_case_utils(&case);
}

/// Issue 27: a truncated report (the scan was killed before its summary) and an
/// interrupted one render in every format, each saying INCOMPLETE, and exit 3.
#[test]
fn incomplete_reports_say_so_in_every_format_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(sample()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let truncated = dir.path().join("truncated.jsonl");
    fs::write(&truncated, lines[..lines.len() - 1].join("\n")).unwrap();
    let interrupted = dir.path().join("interrupted.jsonl");
    fs::write(
        &interrupted,
        text.replace("\"interrupted\":false", "\"interrupted\":true"),
    )
    .unwrap();
    for (report, why) in [
        (&truncated, "the report has no summary record"),
        (&interrupted, "the scan was interrupted"),
    ] {
        for format in ["text", "json", "csv", "case", "vics", "jsonl"] {
            let out = hashsweep()
                .arg("report")
                .arg(report)
                .args(["--format", format])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(3), "{format} {why}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("INCOMPLETE report"), "{format}: {stderr}");
            if format != "jsonl" {
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(
                    stdout.contains(&format!("INCOMPLETE: {why}")),
                    "{format}: {stdout}"
                );
            }
        }
    }
    // A complete report renders with exit 0 and no such word.
    let out = hashsweep()
        .arg("report")
        .arg(sample())
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("INCOMPLETE"));
}

/// Issue 27: a second scan or rendering to an existing path is refused (exit 2, the first
/// file untouched) unless `--force`, which the header records.
#[test]
fn existing_reports_are_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = demo_scan(dir.path(), &[]);
    let first = fs::read(&report).unwrap();
    let manifest = dir.path().join("demo.jsonl.manifest.json");
    let first_manifest = fs::read(&manifest).unwrap();
    let again = hashsweep()
        .current_dir(root())
        .args([
            "scan",
            "fixtures/evidence",
            "--list",
            "fixtures/demo-list.jsonl",
        ])
        .args(["--quiet", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    assert_eq!(fs::read(&report).unwrap(), first);
    assert_eq!(fs::read(&manifest).unwrap(), first_manifest);

    let (_, forced) = demo_scan(dir.path(), &["--force"]);
    assert_eq!(forced.status.code(), Some(1));
    let header: Value =
        serde_json::from_str(fs::read_to_string(&report).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(header["force"], true);
    assert!(!String::from_utf8_lossy(&first)
        .lines()
        .next()
        .unwrap()
        .contains("\"force\""));

    let rendered = dir.path().join("demo.csv");
    fs::write(&rendered, b"keep me").unwrap();
    let refused = hashsweep()
        .arg("report")
        .arg(&report)
        .args(["--format", "csv", "-o"])
        .arg(&rendered)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(fs::read(&rendered).unwrap(), b"keep me");
    render(
        &report,
        "csv",
        &["-o", rendered.to_str().unwrap(), "--force"],
    );
    assert!(fs::read_to_string(&rendered)
        .unwrap()
        .starts_with("record,"));
}

/// Issue 27: the case number, examiner and agency given to `scan` are in the header, the
/// manifest and every rendering; the manifest names the program by its SHA-256.
#[test]
fn case_identity_is_recorded_and_shown_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = demo_scan(
        dir.path(),
        &[
            "--case-number",
            "2026-0042",
            "--examiner",
            "J. Doe",
            "--agency",
            "Example Lab",
        ],
    );
    let header: Value =
        serde_json::from_str(fs::read_to_string(&report).unwrap().lines().next().unwrap()).unwrap();
    let expected =
        serde_json::json!({"number": "2026-0042", "examiner": "J. Doe", "agency": "Example Lab"});
    assert_eq!(header["case"], expected);
    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("demo.jsonl.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["case"], expected);
    let binary = fs::read(env!("CARGO_BIN_EXE_hashsweep")).unwrap();
    use sha2::Digest as _;
    assert_eq!(
        manifest["tool"]["program_sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&binary))
    );
    assert!(manifest["tool"]["features"]
        .as_array()
        .unwrap()
        .contains(&Value::from("heif")));
    // Built from a git checkout without HASHSWEEP_BUILD_ID: the build names its commit.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success() && root().join(".git").is_dir());
    // (`option_env!` would see build.rs's own value: the environment is what a packager sets.)
    if let (Some(head), None) = (head, std::env::var_os("HASHSWEEP_BUILD_ID")) {
        let commit = String::from_utf8(head.stdout).unwrap();
        assert_eq!(
            manifest["tool"]["build_id"],
            format!("git-{}", commit.trim())
        );
    }

    let text = String::from_utf8(render(&report, "text", &[])).unwrap();
    assert!(
        text.contains("Case:          case 2026-0042, examiner J. Doe, agency Example Lab"),
        "{text}"
    );
    let vics: Value = serde_json::from_slice(&render(&report, "vics", &[])).unwrap();
    assert_eq!(vics["value"][0]["CaseNumber"], "2026-0042");
    assert_eq!(vics["value"][0]["HashsweepExaminer"], "J. Doe");
    let json: Value = serde_json::from_slice(&render(&report, "json", &[])).unwrap();
    assert_eq!(json["header"]["case"], expected);
    let case = render(&report, "case", &[]);
    let graph: Value = serde_json::from_slice(&case).unwrap();
    let investigations = of_type(
        graph["@graph"].as_array().unwrap(),
        "case-investigation:Investigation",
    );
    assert_eq!(investigations.len(), 1);
    assert_eq!(investigations[0]["uco-core:name"], "2026-0042");
    validate_with_case_utils(&case);
}

/// `--exhibit ID=PATH` names evidence by exhibit everywhere: header, manifest, text, CSV,
/// CASE; the VICS export gives SourceID = the exhibit and FilePath inside it (the lab's
/// paths only with `--vics-absolute-paths`). One ID for two paths is refused.
#[test]
fn exhibits_are_named_by_id_and_vics_paths_are_relative_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    fs::create_dir_all(one.join("DCIM")).unwrap();
    fs::create_dir_all(&two).unwrap();
    fs::write(one.join("DCIM/a.bin"), b"listed content").unwrap();
    fs::write(two.join("b.bin"), b"listed content").unwrap();
    let md5 = hex::encode(hashsweep::digest::FileDigests::of(b"listed content").md5);
    let list = dir.path().join("list.txt");
    fs::write(&list, format!("{md5}\n")).unwrap();
    let report = dir.path().join("r.jsonl");
    let out = hashsweep()
        .arg("scan")
        .arg(&two)
        .arg("--exhibit")
        .arg(format!("HD-01={}", one.display()))
        .arg("-l")
        .arg(&list)
        .args(["--perceptual", "none", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let header: Value =
        serde_json::from_str(fs::read_to_string(&report).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(header["evidence"][0].get("exhibit"), None);
    assert_eq!(header["evidence"][1]["exhibit"], "HD-01");
    let manifest: Value =
        serde_json::from_slice(&fs::read(dir.path().join("r.jsonl.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["evidence"][1]["exhibit"], "HD-01");

    let text = String::from_utf8(render(&report, "text", &[])).unwrap();
    assert!(text.contains("[1] exhibit HD-01: "), "{text}");
    assert!(text.contains("        exhibit HD-01, 14 bytes"), "{text}");
    assert!(text.contains("        evidence 0, 14 bytes"), "{text}");

    let csv_out = render(&report, "csv", &[]);
    let mut reader = csv::Reader::from_reader(&csv_out[..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let exhibits: Vec<&str> = rows
        .iter()
        .filter(|r| &r[0] == "match")
        .map(|r| &r[column("exhibit")])
        .collect();
    assert_eq!(exhibits, ["", "HD-01"]);

    let vics: Value = serde_json::from_slice(&render(&report, "vics", &[])).unwrap();
    let files = vics["value"][0]["Media"][0]["MediaFiles"]
        .as_array()
        .unwrap();
    let places: Vec<(&str, &str)> = files
        .iter()
        .map(|f| {
            (
                f["SourceID"].as_str().unwrap(),
                f["FilePath"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(places, [("two", "b.bin"), ("HD-01", "DCIM/a.bin")]);
    let absolute: Value =
        serde_json::from_slice(&render(&report, "vics", &["--vics-absolute-paths"])).unwrap();
    let files = absolute["value"][0]["Media"][0]["MediaFiles"]
        .as_array()
        .unwrap();
    assert_eq!(files[0]["SourceID"], two.display().to_string());
    assert_eq!(files[1]["SourceID"], "HD-01");
    assert_eq!(
        files[1]["FilePath"],
        one.join("DCIM/a.bin").display().to_string()
    );

    let case = String::from_utf8(render(&report, "case", &[])).unwrap();
    assert!(case.contains("\"exhibit HD-01: "), "{case}");

    let refused = hashsweep()
        .arg("scan")
        .arg("--exhibit")
        .arg(format!("E1={}", one.display()))
        .arg("--exhibit")
        .arg(format!("E1={}", two.display()))
        .arg("-l")
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("--exhibit E1: the ID names two evidence paths"));
}
