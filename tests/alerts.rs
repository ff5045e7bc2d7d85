//! The alert rule (docs/detection.md): a lone pHash, dHash or aHash hit is weak — reported
//! with `--report-weak`, counted, exit 0 — until another algorithm hits the same list
//! entry; PDQ and digests alert alone; a low-information 64-bit value never alerts alone,
//! even with `--alert-on-weak`. Every outcome is checked against a generated picture's own
//! hashes, as `hashsweep hash` gives them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::fs;
use std::path::Path;
use std::process::Command;

use hashsweep::synth::{picture, png_bytes, Pattern};
use image::RgbImage;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::{records, run, scan};

/// The perceptual hashes `hashsweep hash` computes for `file`, by algorithm name.
fn hashes_of(file: &Path) -> Value {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .args(["hash", "--perceptual", "pdq,phash,dhash,ahash"])
        .arg(file));
    records(&out.stdout)[0]["hashes"].clone()
}

/// A hashsweep JSONL list of `(algorithm, hash, id)` lines.
fn list(dir: &Path, name: &str, entries: &[(&str, &str, &str)]) -> std::path::PathBuf {
    let path = dir.join(name);
    let lines: Vec<String> = entries
        .iter()
        .map(|(algorithm, hash, id)| {
            serde_json::json!({"algorithm": algorithm, "hash": hash, "id": id}).to_string()
        })
        .collect();
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The MD5 of `bytes`, hex.
fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(hashsweep::digest::FileDigests::of(bytes).md5)
}

/// A VICS 2.0 Cases feed of `region` (`US`, `UK`) with one case (numbered `case`) holding
/// `media`.
fn vics_feed(region: &str, case: u32, media: Vec<Value>) -> String {
    serde_json::json!({
        "@odata.context": format!("http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#Cases"),
        "value": [{"CaseID": format!("{{0F2B7C1E-1111-4A4A-9C9C-{case:012}}}"), "Media": media}]
    })
    .to_string()
}

fn summary(records: &[Value]) -> &Value {
    records.last().unwrap()
}

/// The one record naming a path, if any.
fn record<'a>(records: &'a [Value], name: &str) -> Option<&'a Value> {
    records
        .iter()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(name)))
}

fn algorithms(hits: &Value) -> Vec<(String, String)> {
    hits.as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| {
                    (
                        h["algorithm"].as_str().unwrap().to_string(),
                        h["weak_reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const ALL_FOUR: [&str; 2] = ["--perceptual", "pdq,phash,dhash,ahash"];

/// `hashsweep scan EV -l LIST -q -o REPORT ARGS…`: the exit code.
fn scan_into(ev: &Path, list: &Path, report: &Path, extra: &[&str]) -> Option<i32> {
    Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .arg("scan")
        .arg(ev)
        .arg("-l")
        .arg(list)
        .args(["-q", "-o"])
        .arg(report)
        .args(extra)
        .output()
        .unwrap()
        .status
        .code()
}

/// `hashsweep report REPORT --format FORMAT`, as text.
fn render(report: &Path, format: &str) -> String {
    let out = run(Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .arg("report")
        .arg(report)
        .args(["--format", format]));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_lone_64_bit_hit_is_weak_and_a_corroborated_one_alerts() {
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    let img: RgbImage = picture(Pattern::Shapes, 320, 240, 41);
    fs::write(ev.join("a.png"), png_bytes(&img)).unwrap();
    let h = hashes_of(&ev.join("a.png"));
    let (pdq, phash, dhash) = (
        h["pdq"].as_str().unwrap(),
        h["phash"].as_str().unwrap(),
        h["dhash"].as_str().unwrap(),
    );

    // dHash alone: weak, exit 0; only counted without --report-weak.
    let lone = list(dir.path(), "lone.jsonl", &[("dhash", dhash, "1")]);
    let (code, quiet) = scan(&ev, &lone, &ALL_FOUR);
    assert_eq!(code, Some(0));
    assert!(record(&quiet, "a.png").is_none(), "{quiet:?}");
    assert_eq!(summary(&quiet)["weak"], 1);
    assert_eq!(summary(&quiet)["matched"], 0);
    let (code, listed) = scan(&ev, &lone, &[&ALL_FOUR[..], &["--report-weak"]].concat());
    assert_eq!(code, Some(0));
    let a = record(&listed, "a.png").unwrap();
    assert_eq!(a["record"], "file");
    assert!(a["hits"].is_null());
    assert_eq!(
        algorithms(&a["weak_hits"]),
        [("dhash".to_string(), "uncorroborated".to_string())]
    );
    assert_eq!(a["weak_hits"][0]["entry_id"], "1");
    assert_eq!(a["weak_hits"][0]["distance"], 0);
    // --alert-on-weak restores the single-algorithm alert.
    let (code, restored) = scan(&ev, &lone, &[&ALL_FOUR[..], &["--alert-on-weak"]].concat());
    assert_eq!(code, Some(1));
    assert_eq!(record(&restored, "a.png").unwrap()["record"], "match");

    // dHash and pHash on one entry (two lines, one id): a match, nothing weak.
    let pair = list(
        dir.path(),
        "pair.jsonl",
        &[("dhash", dhash, "2"), ("phash", phash, "2")],
    );
    let (code, matched) = scan(&ev, &pair, &ALL_FOUR);
    assert_eq!(code, Some(1));
    let a = record(&matched, "a.png").unwrap();
    assert_eq!(a["record"], "match");
    assert_eq!(
        algorithms(&a["hits"]),
        [
            ("phash".to_string(), String::new()),
            ("dhash".to_string(), String::new())
        ]
    );
    assert!(a["weak_hits"].is_null());
    assert_eq!(summary(&matched)["weak"], 0);

    // The same two hashes under two ids are two entries: both weak.
    let apart = list(
        dir.path(),
        "apart.jsonl",
        &[("dhash", dhash, "3"), ("phash", phash, "4")],
    );
    let (code, records) = scan(&ev, &apart, &[&ALL_FOUR[..], &["--report-weak"]].concat());
    assert_eq!(code, Some(0));
    assert_eq!(
        record(&records, "a.png").unwrap()["weak_hits"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // PDQ alone alerts, and corroborates a dHash hit on its entry.
    let with_pdq = list(
        dir.path(),
        "pdq.jsonl",
        &[("pdq", pdq, "5"), ("dhash", dhash, "5")],
    );
    let (code, records) = scan(&ev, &with_pdq, &ALL_FOUR);
    assert_eq!(code, Some(1));
    let mut got = algorithms(&record(&records, "a.png").unwrap()["hits"]);
    got.sort();
    assert_eq!(
        got,
        [
            ("dhash".to_string(), String::new()),
            ("pdq".to_string(), String::new())
        ]
    );
    let pdq_only = list(dir.path(), "pdq-only.jsonl", &[("pdq", pdq, "6")]);
    assert_eq!(scan(&ev, &pdq_only, &ALL_FOUR).0, Some(1));
}

#[test]
fn a_low_information_value_never_alerts_alone() {
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    // A flat grey picture: its dHash and aHash are uniform, its PDQ quality 0.
    let flat = RgbImage::from_pixel(200, 150, image::Rgb([128, 128, 128]));
    fs::write(ev.join("flat.png"), png_bytes(&flat)).unwrap();
    let h = hashes_of(&ev.join("flat.png"));
    let (dhash, ahash) = (h["dhash"].as_str().unwrap(), h["ahash"].as_str().unwrap());
    assert!(
        [dhash, ahash]
            .iter()
            .all(|v| *v == "0000000000000000" || *v == "ffffffffffffffff"),
        "{h}"
    );
    // Both on one entry would corroborate each other, were they not low-information.
    let entry = list(
        dir.path(),
        "flat.jsonl",
        &[("dhash", dhash, "7"), ("ahash", ahash, "7")],
    );
    let inspected = run(Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .args(["list", "inspect"])
        .arg(&entry));
    let inspected: Value = serde_json::from_slice(&inspected.stdout).unwrap();
    let low = &inspected["low_information"];
    assert_eq!(low["entries"], serde_json::json!({"ahash": 1, "dhash": 1}));
    assert_eq!(low["examples"][0]["id"], "7");
    assert_eq!(low["examples"][0]["why"], "nearly uniform");
    for extra in [&[][..], &["--alert-on-weak"][..]] {
        let args = [&ALL_FOUR[..], &["--report-weak"], extra].concat();
        let (code, records) = scan(&ev, &entry, &args);
        assert_eq!(code, Some(0), "{extra:?}");
        let flat = record(&records, "flat.png").unwrap();
        assert_eq!(flat["record"], "file");
        let mut got = algorithms(&flat["weak_hits"]);
        got.sort();
        assert_eq!(
            got,
            [
                ("ahash".to_string(), "low_information".to_string()),
                ("dhash".to_string(), "low_information".to_string())
            ]
        );
        assert_eq!(summary(&records)["weak"], 1);
    }
}

#[test]
fn every_format_shows_weak_hits_apart_from_matches() {
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    let img: RgbImage = picture(Pattern::Noise, 256, 256, 42);
    fs::write(ev.join("b.png"), png_bytes(&img)).unwrap();
    let dhash = hashes_of(&ev.join("b.png"))["dhash"]
        .as_str()
        .unwrap()
        .to_string();
    let lone = list(dir.path(), "lone.jsonl", &[("dhash", &dhash, "9")]);
    let report = dir.path().join("scan.jsonl");
    let args = [&ALL_FOUR[..], &["--report-weak"]].concat();
    assert_eq!(scan_into(&ev, &lone, &report, &args), Some(0));
    let render = |format: &str| render(&report, format);
    let text = render("text");
    assert!(
        text.contains(
            "Matches (0 files; 0 hits, a hit being one list entry matched by one algorithm)"
        ),
        "{text}"
    );
    assert!(text.contains("  weak hits:   1 files"), "{text}");
    assert!(text.contains("Weak hits: not alerts on their own (1 files)"));
    assert!(
        text.contains(
            "entry 9: dHash: 0 of 64 bits differ (threshold 2); no digest of the file matches \
             this entry (a near copy, or the entry lists no digest)"
        ) && text.contains("WEAK (uncorroborated): not an alert on its own"),
        "{text}"
    );
    let csv = render("csv");
    let weak_rows: Vec<&str> = csv.lines().filter(|l| l.starts_with("weak,")).collect();
    assert_eq!(weak_rows.len(), 1, "{csv}");
    assert!(weak_rows[0].contains(&dhash) && weak_rows[0].contains("b.png"));
    assert!(!csv.lines().any(|l| l.starts_with("match,")));
    let vics: Value = serde_json::from_str(&render("vics")).unwrap();
    let case = &vics["value"][0];
    assert_eq!(case["Media"].as_array().unwrap().len(), 0);
    assert_eq!(case["HashsweepWeakHits"][0]["EntryID"], "9");
    assert_eq!(case["HashsweepWeakHits"][0]["Reason"], "uncorroborated");
    let case_uco = render("case");
    assert!(case_uco.contains("Weak hit, not an alert on its own: dHash: 0 of 64 bits differ"));
    let json: Value = serde_json::from_str(&render("json")).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{json}");
    assert_eq!(files[0]["weak_hits"][0]["weak_reason"], "uncorroborated");
}

/// Project VIC category 0 (Non-Pertinent) is reported as such and never alerts: a file
/// hitting only a category-0 entry exits 0 and is listed apart; a category-1 entry still
/// alerts.
#[test]
fn category_0_is_non_pertinent_not_an_alert() {
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    fs::write(ev.join("zero.bin"), b"non-pertinent content").unwrap();
    fs::write(ev.join("one.bin"), b"pertinent content").unwrap();
    fs::write(ev.join("both.bin"), b"disputed content").unwrap();
    let media = |id: u32, category: u32, content: &[u8]| serde_json::json!({"MediaID": id, "Category": category, "MD5": md5_hex(content)});
    let vics = |media: Vec<Value>| vics_feed("US", 9, media);
    let zero_only = dir.path().join("zero.json");
    fs::write(
        &zero_only,
        vics(vec![media(1, 0, b"non-pertinent content")]),
    )
    .unwrap();
    let (code, scanned) = scan(&ev, &zero_only, &[]);
    assert_eq!(code, Some(0), "{scanned:?}");
    let zero = record(&scanned, "zero.bin").unwrap();
    assert_eq!(zero["record"], "file");
    assert_eq!(zero["hits"][0]["non_pertinent"], true);
    assert_eq!(zero["hits"][0]["category_label"], "Non-Pertinent");
    assert_eq!(summary(&scanned)["non_pertinent"], 1);
    assert_eq!(summary(&scanned)["matched"], 0);

    let both = dir.path().join("both.json");
    fs::write(
        &both,
        vics(vec![
            media(1, 0, b"non-pertinent content"),
            media(2, 1, b"pertinent content"),
            // One content, two categories: the entries disagree.
            media(3, 0, b"disputed content"),
            media(4, 1, b"disputed content"),
        ]),
    )
    .unwrap();
    let report = dir.path().join("both.jsonl");
    assert_eq!(scan_into(&ev, &both, &report, &[]), Some(1));
    let written = records(&fs::read(&report).unwrap());
    assert_eq!(record(&written, "one.bin").unwrap()["record"], "match");
    assert_eq!(record(&written, "both.bin").unwrap()["record"], "match");
    assert_eq!(record(&written, "zero.bin").unwrap()["record"], "file");
    assert_eq!(summary(&written)["matched"], 2);
    assert_eq!(summary(&written)["non_pertinent"], 1);
    let render = |format: &str| render(&report, format);
    let text = render("text");
    assert!(
        text.contains(
            "Matches (2 files; 2 hits, a hit being one list entry matched by one algorithm)"
        ),
        "{text}"
    );
    assert!(
        text.contains("Non-pertinent hits: not alerts (2 files)"),
        "{text}"
    );
    assert!(text.contains("category 0 (Non-Pertinent)"), "{text}");
    assert_eq!(
        text.matches("ALSO MATCHED above: the lists disagree")
            .count(),
        1,
        "{text}"
    );
    let csv = render("csv");
    let mut kinds: Vec<&str> = csv
        .lines()
        .filter_map(|l| l.split(',').next())
        .filter(|k| ["match", "non_pertinent"].contains(k))
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["match", "match", "non_pertinent", "non_pertinent"],
        "{csv}"
    );
    let vics_out: Value = serde_json::from_str(&render("vics")).unwrap();
    assert_eq!(vics_out["value"][0]["Media"].as_array().unwrap().len(), 2);
}

/// Counts an examiner can sign: matched files, distinct contents and files per list and
/// category; a file two lists put in different categories is one record flagged
/// `conflict`; list metadata (series, tags, flags, PhotoDNA presence) rides on every hit
/// into the CSV; a known-good hit is shown beside the alert hits.
#[test]
fn counts_per_category_distinct_contents_conflicts_and_list_metadata() {
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    let contents: [(&str, &[u8]); 5] = [
        ("a.bin", b"content a"),
        ("a-copy.bin", b"content a"),
        ("b.bin", b"content b"),
        ("c.bin", b"content c"),
        ("clean.bin", b"content clean"),
    ];
    for (name, bytes) in contents {
        fs::write(ev.join(name), bytes).unwrap();
    }
    let md5 = md5_hex;
    let vics = |case: u32, media: Vec<Value>| vics_feed("US", case, media);
    let first = dir.path().join("first.json");
    fs::write(
        &first,
        vics(
            1,
            vec![
                serde_json::json!({"MediaID": 1, "Category": 1, "MD5": md5(b"content a"),
                    "Series": "S-7", "Tags": "t1", "VictimIdentified": true,
                    "AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": "A".repeat(192)}]}),
                serde_json::json!({"MediaID": 2, "Category": 2, "MD5": md5(b"content b")}),
                serde_json::json!({"MediaID": 3, "Category": 1, "MD5": md5(b"content c")}),
            ],
        ),
    )
    .unwrap();
    let second = dir.path().join("second.json");
    fs::write(
        &second,
        vics(
            2,
            vec![
                serde_json::json!({"MediaID": 10, "Category": 1, "MD5": md5(b"content a")}),
                serde_json::json!({"MediaID": 11, "Category": 3, "MD5": md5(b"content c")}),
            ],
        ),
    )
    .unwrap();
    let known = dir.path().join("known.txt");
    fs::write(&known, format!("{}\n", md5(b"content b"))).unwrap();
    let report = dir.path().join("r.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .arg("scan")
        .arg(&ev)
        .arg("-l")
        .arg(&first)
        .arg("-l")
        .arg(&second)
        .arg("--known")
        .arg(&known)
        .args(["--perceptual", "none", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let written = records(&fs::read(&report).unwrap());
    let total = summary(&written);
    assert_eq!(total["matched"], 4);
    assert_eq!(total["matched_distinct"], 3);
    assert_eq!(
        total["matched_by_category"],
        serde_json::json!({"first.json": {"1": 3, "2": 1}, "second.json": {"1": 2, "3": 1}})
    );
    assert_eq!(total["known_good"], 1);
    assert_eq!(total["by_evidence"][0]["matched_distinct"], 3);
    let conflicts: Vec<&str> = written
        .iter()
        .filter(|r| r["conflict"] == true)
        .map(|r| r["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(conflicts, ["c.bin"]);
    let a = record(&written, "/a.bin").unwrap();
    let hit = a["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["list"] == "first.json")
        .unwrap();
    assert_eq!(hit["series"], "S-7");
    assert_eq!(hit["flags"], serde_json::json!({"victim_identified": true}));
    assert_eq!(hit["photodna"], true);

    let text = render(&report, "text");
    assert!(
        text.contains("matched:     4 files (3 distinct contents by SHA-256)"),
        "{text}"
    );
    assert!(
        text.contains("list first.json: category 1 (Child Abuse Material (CAM)): 3, category 2"),
        "{text}"
    );
    assert!(
        text.contains(
            "CATEGORY CONFLICT: the lists disagree: first.json category 1 (Child Abuse \
             Material (CAM)) vs second.json category 3 (CGI/Animation - Child Exploitive)"
        ),
        "{text}"
    );
    assert!(
        text.contains("also on known-good list known.txt (entry 1): MD5 match"),
        "{text}"
    );
    let csv = render(&report, "csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let a_row = rows
        .iter()
        .find(|r| {
            &r[0] == "match"
                && r[column("path")].ends_with("/a.bin")
                && &r[column("list")] == "first.json"
        })
        .unwrap();
    assert_eq!(&a_row[column("series")], "S-7");
    assert_eq!(&a_row[column("tags")], "t1");
    assert_eq!(&a_row[column("flags")], "victim_identified=true");
    assert_eq!(&a_row[column("photodna")], "true");
    assert_eq!(&a_row[column("conflict")], "false");
    let c_rows: Vec<_> = rows
        .iter()
        .filter(|r| &r[0] == "match" && r[column("path")].ends_with("/c.bin"))
        .collect();
    assert_eq!(c_rows.len(), 2);
    assert!(c_rows.iter().all(|r| &r[column("conflict")] == "true"));
    let count = |name: &str| {
        rows.iter()
            .find(|r| &r[0] == "count" && r[1].is_empty() && &r[column("count_name")] == name)
            .map(|r| r[column("count")].to_string())
    };
    assert_eq!(count("matched_distinct").as_deref(), Some("3"));
    assert_eq!(
        count("matched_by_category:second.json:3").as_deref(),
        Some("1")
    );
}

/// A lab's category map gives a scheme's codes their meaning and name: UK (CAID) codes,
/// which have no public table, become alert or non-pertinent as the map says; the map's
/// SHA-256 is in the header; a bad map is refused naming its line before any list loads.
#[test]
fn a_lab_category_map_decides_what_codes_mean() {
    let dir = TempDir::new().unwrap();
    let ev = dir.path().join("ev");
    fs::create_dir_all(&ev).unwrap();
    fs::write(ev.join("a.bin"), b"category a content").unwrap();
    fs::write(ev.join("x.bin"), b"not relevant content").unwrap();
    let list = dir.path().join("uk.json");
    let media = vec![
        serde_json::json!({"MediaID": 1, "Category": 1, "MD5": md5_hex(b"category a content")}),
        serde_json::json!({"MediaID": 2, "Category": 5, "MD5": md5_hex(b"not relevant content")}),
    ];
    fs::write(&list, vics_feed("UK", 12, media)).unwrap();
    // Without a map, UK codes have no label and every hit alerts.
    let (code, plain) = scan(&ev, &list, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(summary(&plain)["matched"], 2);
    assert_eq!(
        record(&plain, "a.bin").unwrap()["hits"][0].get("category_label"),
        None
    );

    let map = dir.path().join("map.csv");
    let map_text = "scheme,code,meaning,name\n# from the lab's CAID guide\n\
                    caid-uk,1,alert,Category A\ncaid-uk,5,non-pertinent,Not relevant\n";
    fs::write(&map, map_text).unwrap();
    let map_arg = map.to_str().unwrap();
    let report = dir.path().join("mapped.jsonl");
    assert_eq!(
        scan_into(&ev, &list, &report, &["--category-map", map_arg]),
        Some(1)
    );
    let mapped = records(&fs::read(&report).unwrap());
    let header = &mapped[0];
    assert_eq!(header["category_map"]["rules"], 2);
    assert_eq!(
        header["category_map"]["sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(map_text.as_bytes()))
    );
    let a = record(&mapped, "a.bin").unwrap();
    assert_eq!(a["record"], "match");
    assert_eq!(a["hits"][0]["category_label"], "Category A");
    let x = record(&mapped, "x.bin").unwrap();
    assert_eq!(x["record"], "file");
    assert_eq!(x["hits"][0]["non_pertinent"], true);
    assert_eq!(x["hits"][0]["category_label"], "Not relevant");
    assert_eq!(summary(&mapped)["matched"], 1);
    assert_eq!(summary(&mapped)["non_pertinent"], 1);
    let text = render(&report, "text");
    assert!(
        text.contains("Category map (the lab's meaning of category codes)"),
        "{text}"
    );

    fs::write(&map, "scheme,code,meaning,name\ncaid-uk,1,severe,A\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .arg("scan")
        .arg(&ev)
        .arg("-l")
        .arg(&list)
        .args(["--category-map", map_arg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("map.csv: line 2: unknown meaning \"severe\""),
        "{stderr}"
    );
}
