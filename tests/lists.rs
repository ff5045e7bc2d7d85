//! The hash-list library API against one fixture per format and variant
//! (fixtures/lists/README.md says how each was made).

// clippy.toml allows unwrap inside #[test] functions only; the helpers here are test code too.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use hashsweep::algorithm::{Algorithm, HashValue};
use hashsweep::list::{
    inspect_list, load_list, write_hashdeep, write_jsonl, CategoryScheme, EntryRef, HashList,
    ListError, ListFormat, ListRole, LoadOptions, Location,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/lists")
        .join(name)
}

fn strict(name: &str) -> Result<HashList, ListError> {
    load_list(&fixture(name), &LoadOptions::alert())
}

fn lenient_opts() -> LoadOptions {
    LoadOptions {
        lenient: true,
        ..LoadOptions::alert()
    }
}

fn lenient(name: &str) -> HashList {
    load_list(&fixture(name), &lenient_opts()).unwrap()
}

fn forced(name: &str, format: ListFormat) -> Result<HashList, ListError> {
    let o = LoadOptions {
        format: Some(format),
        ..LoadOptions::alert()
    };
    load_list(&fixture(name), &o)
}

fn find<'a>(list: &'a HashList, alg: Algorithm, hex: &str) -> EntryRef<'a> {
    let v = HashValue::parse_hex(alg, hex).unwrap();
    list.find(alg, v.as_bytes()).next().unwrap()
}

fn counts(list: &HashList) -> Vec<(String, u64)> {
    list.provenance.entries.clone().into_iter().collect()
}

fn c(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(a, n)| (a.to_string(), *n)).collect()
}

fn malformed_at(err: ListError) -> (Location, String) {
    match err {
        ListError::Malformed { at, reason, .. } => (at, reason),
        other => panic!("expected Malformed, got {other}"),
    }
}

const MD5_IMG1: &str = "d1b23d60be33081437b607ac50a40e82";
const MD5_IMG2: &str = "8ed5b9c8219654b908b01121eb46d8df";
const PDQ_1: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

// ---------------------------------------------------------------- VICS

#[test]
fn vics_media_feed_fails_strictly_at_the_bad_entry() {
    let (at, reason) = malformed_at(strict("vics-2.0-media-default.json").unwrap_err());
    assert_eq!(at.line(), Some(16), "{at}");
    assert!(matches!(at, Location::Json { column: 5, .. }), "{at}");
    assert!(
        reason.starts_with("MediaID 4: md5 \"not-a-hash\""),
        "{reason}"
    );
}

#[test]
fn vics_media_feed_lenient_keeps_three_usable_and_the_empty_file_hash() {
    let list = lenient("vics-2.0-media-default.json");
    let p = &list.provenance;
    assert_eq!(p.format, ListFormat::Vics);
    assert_eq!(p.format_version.as_deref(), Some("2.0"));
    assert_eq!(
        p.format_variant.as_deref(),
        Some("region Default, Media feed")
    );
    assert_eq!(p.category_scheme, CategoryScheme::VicsUs);
    assert_eq!((p.records, p.rejected, p.empty_file_hashes), (4, 1, 1));
    assert_eq!(counts(&list), c(&[("md5", 4), ("sha1", 2), ("sha256", 1)]));
    assert_eq!(list.len(), 7);

    let e = find(&list, Algorithm::Md5, MD5_IMG1);
    assert_eq!((e.id, e.category), (Some("1"), Some("1")));
    assert_eq!(e.category_label, Some("Child Abuse Material (CAM)"));
    assert_eq!(
        (e.series, e.tags),
        (Some("FAKE-SERIES-A"), Some("#fixture|synthetic"))
    );
    assert_eq!(e.flags.victim_identified, Some(false));
    assert_eq!(e.flags.is_distributed, Some(true));
    assert_eq!(e.flags.is_precategorized, Some(true));
    assert_eq!(e.size, Some(15));
    assert_eq!(e.photodna.map(str::len), Some(192));

    let e = find(&list, Algorithm::Md5, MD5_IMG2);
    assert_eq!(
        (e.category, e.category_label),
        (Some("0"), Some("Non-Pertinent"))
    );
    assert_eq!(e.size, Some(15), "MediaSize given as a string");

    let e = find(
        &list,
        Algorithm::Sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert_eq!(
        (e.id, e.category, e.category_label),
        (Some("3"), None, None)
    );
    let empty = find(&list, Algorithm::Md5, "d41d8cd98f00b204e9800998ecf8427e");
    assert!(hashsweep::list::is_empty_file_hash(
        &HashList::value(&empty).unwrap()
    ));
}

#[test]
fn vics_cases_feed_us() {
    let list = strict("vics-2.0-cases-us.json").unwrap();
    let p = &list.provenance;
    assert_eq!(p.format_variant.as_deref(), Some("region US, Cases feed"));
    assert_eq!(counts(&list), c(&[("md5", 1), ("sha1", 1)]));
    let e = list.get(0).unwrap();
    assert_eq!(
        (e.id, e.category, e.category_label),
        (Some("1"), Some("1"), Some("Child Abuse Material (CAM)"))
    );
    assert_eq!(
        e.record,
        list.get(1).unwrap().record,
        "MD5 and SHA-1 of one Media"
    );
}

#[test]
fn vics_cases_feed_labelled_as_media_is_read_by_content() {
    let list = strict("vics-2.0-custom-mislabelled.json").unwrap();
    assert_eq!(
        list.provenance.format_variant.as_deref(),
        Some("region CUSTOM, Cases feed (labelled #Media)")
    );
    assert_eq!(list.len(), 2);
    assert_eq!(list.get(0).unwrap().id, Some("1"));
}

#[test]
fn vics_1_3_photodna_from_alternative_hashes() {
    let list = strict("vics-1.3-media-alt-photodna.json").unwrap();
    assert_eq!(list.provenance.format_version.as_deref(), Some("1.3"));
    assert_eq!(
        list.provenance.format_variant.as_deref(),
        Some("Media feed")
    );
    let e = list.get(0).unwrap();
    assert_eq!((e.id, e.category, e.size), (Some("7"), Some("1"), Some(15)));
    assert!(e.photodna.is_some_and(|p| p.starts_with("AAcOFRwj")));
    assert_eq!(list.len(), 2);
}

#[test]
fn nist_caid_1_2_keeps_category_8_raw_without_a_label() {
    let list = load_list(&fixture("caid-1.2-nist.json"), &LoadOptions::known_good()).unwrap();
    assert_eq!(list.provenance.role, ListRole::KnownGood);
    assert_eq!(list.provenance.format_version.as_deref(), Some("1.2"));
    let e = list.get(0).unwrap();
    assert_eq!(
        (e.id, e.category, e.category_label),
        (Some("0"), Some("8"), None)
    );
    assert_eq!(counts(&list), c(&[("md5", 1), ("sha1", 1)]));
}

#[test]
fn vics_uk_string_typed_fields_and_lowercase_keys() {
    let list = strict("vics-2.0-uk-string-typed.json").unwrap();
    let p = &list.provenance;
    assert_eq!(p.category_scheme, CategoryScheme::CaidUk);
    assert_eq!((p.records, p.skipped_without_hash), (2, 1));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.message.contains("\"examiner\"")),
        "{:?}",
        p.warnings
    );
    let e = find(&list, Algorithm::Md5, MD5_IMG1);
    assert_eq!(
        (e.id, e.category, e.category_label),
        (Some("12"), Some("1"), None)
    );
    assert_eq!(
        (e.flags.victim_identified, e.flags.is_distributed),
        (Some(true), Some(false))
    );
    assert_eq!(e.series, Some("FAKE-SERIES-B"));
    let e = find(&list, Algorithm::Md5, MD5_IMG2);
    assert_eq!((e.id, e.category), (Some("14"), Some("3")));
}

#[test]
fn vics_structure_errors_are_fatal_even_when_lenient() {
    let err = load_list(&fixture("vics-truncated.json"), &lenient_opts()).unwrap_err();
    let (at, reason) = malformed_at(err);
    assert_eq!(at.line(), Some(6), "{at} {reason}");
    assert!(reason.starts_with("invalid JSON"), "{reason}");
}

#[test]
fn vics_wrong_field_type_rejects_the_entry() {
    let (at, reason) = malformed_at(strict("vics-bad-category-type.json").unwrap_err());
    assert_eq!(at.line(), Some(4));
    assert_eq!(reason, "MediaID 2: category must be a string or number");
    let list = lenient("vics-bad-category-type.json");
    assert_eq!((list.len(), list.provenance.rejected), (1, 1));
}

// ---------------------------------------------------------------- hashdeep

#[test]
fn hashdeep_md5_sha256_with_commas_and_a_bad_row() {
    let (at, reason) = malformed_at(strict("hashdeep-md5-sha256.txt").unwrap_err());
    assert_eq!(
        (at, reason.as_str()),
        (
            Location::Line(8),
            "invalid md5 hash: md5 hash must be 32 hex digits, got 4"
        )
    );
    let list = lenient("hashdeep-md5-sha256.txt");
    let p = &list.provenance;
    assert_eq!(p.format, ListFormat::Hashdeep);
    assert_eq!(p.format_version.as_deref(), Some("1.0"));
    assert_eq!((p.records, p.rejected), (2, 1));
    assert_eq!(counts(&list), c(&[("md5", 2), ("sha256", 2)]));
    let e = find(&list, Algorithm::Md5, MD5_IMG1);
    assert_eq!(
        (e.id, e.label, e.size),
        (Some("7"), Some("evidence/img,with,commas.jpg"), Some(15))
    );
}

#[test]
fn hashdeep_blake3_with_crlf() {
    let list = strict("hashdeep-blake3-crlf.txt").unwrap();
    assert_eq!(counts(&list), c(&[("blake3", 1)]));
    assert_eq!(list.get(0).unwrap().label, Some("abc.txt"));
}

#[test]
fn hashdeep_unknown_algorithm_is_fatal_even_when_lenient() {
    let err = load_list(&fixture("hashdeep-unknown-alg.txt"), &lenient_opts()).unwrap_err();
    assert!(
        matches!(
            err,
            ListError::Unsupported {
                at: Location::Line(2),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("unknown algorithm \"crc64\""),
        "{err}"
    );
}

// ---------------------------------------------------------------- checksum files

#[test]
fn md5sum_gnu_binary_escaped_and_bsd_lines() {
    let (at, _) = malformed_at(strict("sums-mixed.md5").unwrap_err());
    assert_eq!(at, Location::Line(5));
    let list = lenient("sums-mixed.md5");
    let p = &list.provenance;
    assert_eq!(p.format, ListFormat::Checksums);
    assert_eq!(p.format_variant.as_deref(), Some("gnu+bsd-tag"));
    // Lines 3 and 4 carry the same MD5 under other names: merged.
    assert_eq!((p.records, p.duplicates_merged, list.len()), (4, 1, 3));
    let e = find(&list, Algorithm::Md5, MD5_IMG2);
    assert_eq!((e.id, e.label), (Some("3"), Some("dir\\odd\nname.jpg")));
}

#[test]
fn sixty_four_hex_lines_need_a_forced_format() {
    let err = strict("sums.sha256").unwrap_err();
    assert!(matches!(err, ListError::UnknownFormat { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("--list-format sha256, blake3 or pdq"),
        "{err}"
    );
    let err = forced("sums.sha256", ListFormat::Checksums).unwrap_err();
    assert!(
        matches!(
            err,
            ListError::Unsupported {
                at: Location::Line(1),
                ..
            }
        ),
        "{err}"
    );
    let sha = forced("sums.sha256", ListFormat::Sha256).unwrap();
    assert_eq!(counts(&sha), c(&[("sha256", 1)]));
    let b3 = forced("sums.b3", ListFormat::Blake3).unwrap();
    assert_eq!(counts(&b3), c(&[("blake3", 1)]));
    assert_eq!(b3.get(0).unwrap().label, Some("abc.txt"));
    assert!(
        forced("sums.b3", ListFormat::Pdq).is_err(),
        "a named line is not a PDQ signal line"
    );
}

#[test]
fn xways_style_header_names_the_algorithm() {
    let list = strict("xways-sha1-header.txt").unwrap();
    assert_eq!(counts(&list), c(&[("sha1", 2)]));
    assert_eq!(
        find(
            &list,
            Algorithm::Sha1,
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        )
        .id,
        Some("2")
    );
}

// ---------------------------------------------------------------- PDQ

#[test]
fn threatexchange_signal_lines() {
    let (at, reason) = malformed_at(strict("tx-signals.txt").unwrap_err());
    assert_eq!(at, Location::Line(5));
    assert_eq!(reason, "pdq hash must be 64 hex digits, got 32");
    let list = lenient("tx-signals.txt");
    assert_eq!(list.provenance.format, ListFormat::Pdq);
    assert_eq!(counts(&list), c(&[("md5", 1), ("pdq", 3)]));
    let upper = "f0d8b0cee8fca84f06370a2103a603f0b36e96f596621a1d10e6b388ce5e0122";
    assert_eq!(find(&list, Algorithm::Pdq, upper).id, Some("4"));
}

#[test]
fn hma_te_csv() {
    let list = strict("123456789.hash_pdq.te").unwrap();
    let p = &list.provenance;
    assert_eq!(
        (p.format, p.format_variant.as_deref()),
        (ListFormat::PdqCsv, Some("hma-1.x-te"))
    );
    assert_eq!(counts(&list), c(&[("pdq", 2)]));
    let e = find(&list, Algorithm::Pdq, PDQ_1);
    assert_eq!(
        (e.id, e.tags),
        (Some("1000000000000001"), Some("fixture_tag another_tag"))
    );
}

#[test]
fn headed_pdq_tsv_with_quality() {
    let list = strict("pdq-headed.tsv").unwrap();
    assert_eq!(list.provenance.format_variant.as_deref(), Some("headed"));
    let e = find(&list, Algorithm::Pdq, PDQ_1);
    assert_eq!(
        (e.id, e.quality, e.tags),
        (Some("FAKE-PDQ-1"), Some(100), Some("fixture"))
    );
    assert_eq!(list.len(), 2);
}

// ---------------------------------------------------------------- HashKeeper, EnCase

#[test]
fn hashkeeper_csv() {
    let list = strict("hashkeeper.hsh").unwrap();
    assert_eq!(list.provenance.format, ListFormat::HashKeeper);
    assert_eq!(counts(&list), c(&[("md5", 2)]));
    let e = find(&list, Algorithm::Md5, MD5_IMG1);
    assert_eq!(
        (e.id, e.label, e.size),
        (Some("1"), Some("C:\\Fixture\\img1.jpg"), Some(15))
    );
}

#[test]
fn encase_binary_set() {
    let list = strict("encase-v6.hash").unwrap();
    let p = &list.provenance;
    assert_eq!(p.format, ListFormat::EnCase);
    assert_eq!(
        p.format_variant.as_deref(),
        Some("set \"FIXTURE SET\", type \"Notable\"")
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(counts(&list), c(&[("md5", 2)]));
    let e = find(&list, Algorithm::Md5, MD5_IMG2);
    assert_eq!((e.id, e.category), (Some("2"), Some("Notable")));
}

#[test]
fn encase_count_mismatch_warns_and_truncation_is_malformed() {
    let list = strict("encase-count-mismatch.hash").unwrap();
    assert_eq!(list.len(), 2);
    let w = &list.provenance.warnings[0];
    assert_eq!(
        (w.at, w.message.as_str()),
        (
            Some(Location::Byte(16)),
            "header declares 3 records, file holds 2"
        )
    );
    let (at, reason) = malformed_at(strict("encase-truncated.hash").unwrap_err());
    assert_eq!(
        (at, reason.as_str()),
        (
            Location::Byte(0x480 + 36),
            "truncated record: 10 of 18 bytes"
        )
    );
    assert_eq!(lenient("encase-truncated.hash").provenance.rejected, 1);
}

// ---------------------------------------------------------------- NSRL

#[test]
fn nsrl_rds2_text_merges_repeats_and_rejects_badline() {
    let (at, reason) = malformed_at(strict("NSRLFile.txt").unwrap_err());
    assert_eq!(
        (at, reason.as_str()),
        (Location::Line(5), "1 fields, header has 8")
    );
    let o = LoadOptions {
        lenient: true,
        ..LoadOptions::known_good()
    };
    let list = load_list(&fixture("NSRLFile.txt"), &o).unwrap();
    let p = &list.provenance;
    assert_eq!(
        (p.format, p.format_variant.as_deref()),
        (ListFormat::NsrlRds2, Some("rds-2.x header"))
    );
    assert_eq!((p.records, p.duplicates_merged, p.rejected), (3, 2, 1));
    assert_eq!(counts(&list), c(&[("md5", 2), ("sha1", 2)]));
    let e = find(&list, Algorithm::Md5, MD5_IMG1);
    assert_eq!((e.id, e.category, e.label), (None, None, None));
}

fn build_rds3(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(include_str!("../fixtures/lists/rds3-minimal.sql"))
        .unwrap();
}

#[test]
fn nsrl_rds3_sqlite_distinct_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("RDS_2099.01.1_modern_minimal.db");
    build_rds3(&db);
    let list = load_list(&db, &LoadOptions::known_good()).unwrap();
    let p = &list.provenance;
    assert_eq!(p.format, ListFormat::NsrlRds3);
    assert_eq!(p.format_version.as_deref(), Some("2099.01.1"));
    assert_eq!(
        p.format_variant.as_deref(),
        Some("modern_minimal, read from DISTINCT_HASH")
    );
    assert_eq!(p.records, 1);
    assert_eq!(counts(&list), c(&[("md5", 1), ("sha1", 1), ("sha256", 1)]));
    assert_eq!(p.sha256.len(), 64);
    // Opened immutable: no journal or -shm file appears beside the database.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn other_sqlite_databases_are_unknown_formats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tsk.kdb");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE hashes (id INTEGER PRIMARY KEY, md5 BLOB);")
        .unwrap();
    drop(conn);
    let err = load_list(&db, &LoadOptions::alert()).unwrap_err();
    assert!(matches!(err, ListError::UnknownFormat { .. }), "{err}");
}

// ---------------------------------------------------------------- JSONL, detection, provenance

#[test]
fn hashsweep_jsonl_with_scheme() {
    let list = strict("hashsweep.jsonl").unwrap();
    assert_eq!(list.provenance.category_scheme, CategoryScheme::VicsUs);
    let e = list.get(0).unwrap();
    assert_eq!(
        (e.algorithm, e.id, e.category_label),
        (
            Algorithm::Md5,
            Some("1"),
            Some("Child Abuse Material (CAM)")
        )
    );
    assert_eq!(list.get(1).unwrap().quality, Some(100));
}

#[test]
fn unknown_format_and_empty_list_are_fatal() {
    assert!(matches!(
        strict("unknown.txt"),
        Err(ListError::UnknownFormat { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    let only_bad = dir.path().join("bad.md5");
    std::fs::write(&only_bad, "# nothing\nxyz  a\n").unwrap();
    let o = LoadOptions {
        format: Some(ListFormat::Checksums),
        ..lenient_opts()
    };
    assert!(matches!(
        load_list(&only_bad, &o),
        Err(ListError::Empty { .. })
    ));
}

#[test]
fn provenance_hashes_the_exact_bytes() {
    use sha2::Digest;
    let bytes = std::fs::read(fixture("hashkeeper.hsh")).unwrap();
    let list = strict("hashkeeper.hsh").unwrap();
    assert_eq!(
        list.provenance.sha256,
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    assert_eq!(list.provenance.bytes, bytes.len() as u64);
    assert_eq!(list.provenance.name, "hashkeeper.hsh");
}

// ---------------------------------------------------------------- inspect and convert

#[test]
fn inspect_counts_categories_and_problems() {
    let i = inspect_list(
        &fixture("vics-2.0-media-default.json"),
        &LoadOptions::alert(),
    )
    .unwrap();
    assert!(!i.loads_strictly);
    assert_eq!(i.provenance.rejected, 1);
    let cats: Vec<_> = i
        .categories
        .iter()
        .map(|c| (c.category.as_deref(), c.records))
        .collect();
    assert_eq!(cats, vec![(None, 1), (Some("0"), 1), (Some("1"), 2)]);
    assert_eq!(i.categories[1].label.as_deref(), Some("Non-Pertinent"));
    let json = serde_json::to_value(&i).unwrap();
    assert_eq!(json["provenance"]["format"], "vics");
    assert_eq!(json["provenance"]["warnings"][0]["at"]["json"]["line"], 16);
}

#[test]
fn convert_to_jsonl_round_trips() {
    let list = lenient("vics-2.0-media-default.json");
    let mut out = Vec::new();
    let summary = write_jsonl(&list, &mut out).unwrap();
    assert_eq!(summary.lines, 7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    std::fs::write(&path, &out).unwrap();
    let back = load_list(&path, &LoadOptions::alert()).unwrap();
    assert_eq!(back.provenance.format, ListFormat::HashsweepJsonl);
    assert_eq!(back.provenance.category_scheme, CategoryScheme::VicsUs);
    assert_eq!(back.len(), list.len());
    for (a, b) in list.iter().zip(back.iter()) {
        assert_eq!(
            (a.algorithm, a.hash, a.id, a.category),
            (b.algorithm, b.hash, b.id, b.category)
        );
        assert_eq!(
            (a.category_label, a.series, a.flags, a.photodna, a.size),
            (b.category_label, b.series, b.flags, b.photodna, b.size)
        );
    }
}

#[test]
fn convert_to_hashdeep_keeps_crypto_hashes_per_record() {
    let list = strict("vics-2.0-cases-us.json").unwrap();
    let mut out = Vec::new();
    let summary = write_hashdeep(&list, &mut out).unwrap();
    assert_eq!((summary.lines, summary.skipped_entries), (1, 0));
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "%%%% size,md5,sha1,filename");
    assert_eq!(
        lines[4],
        "15,d1b23d60be33081437b607ac50a40e82,2b9b8fa064563d948029488804ac5b38c1b707e5,1"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    std::fs::write(&path, &text).unwrap();
    let back = load_list(&path, &LoadOptions::alert()).unwrap();
    assert_eq!(counts(&back), counts(&list));

    let pdq = lenient("tx-signals.txt");
    let summary = write_hashdeep(&pdq, Vec::new()).unwrap();
    assert_eq!((summary.lines, summary.skipped_entries), (1, 3));
}

// ---------------------------------------------------------------- scale

/// splitmix64, for distinct synthetic hash bytes (same generator as benches/list_load.rs).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// A 1 M-record VICS media feed (~110 MB, MD5 + SHA-1 each) loads in bounded memory: the
/// streaming parser never holds the document, and storage stays near 70 bytes a record.
/// About 3 s in release, 16 s in a debug build (docs/lists.md).
#[test]
fn one_million_vics_records_load_in_bounded_memory() {
    use std::io::Write;
    let n = 1_000_000u64;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write!(w, "{{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media\",\"value\":[").unwrap();
    for i in 0..n {
        let md5 = [mix(i).to_le_bytes(), mix(!i).to_le_bytes()].concat();
        let sha1 = [
            mix(i ^ 1 << 62).to_le_bytes(),
            mix(i ^ 1 << 61).to_le_bytes(),
        ]
        .concat();
        let sep = if i == 0 { "" } else { "," };
        writeln!(
            w,
            "{sep}{{\"MediaID\":{i},\"Category\":\"{}\",\"MD5\":\"{}\",\"SHA1\":\"{}00000000\"}}",
            i % 5,
            hex::encode(md5),
            hex::encode(sha1)
        )
        .unwrap();
    }
    write!(w, "]}}").unwrap();
    w.flush().unwrap();
    drop(w);
    // Reset the high-water mark so only the load counts (Linux >= 4.0; writing the file
    // above holds little memory anyway).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let list = load_list(&path, &LoadOptions::alert()).unwrap();
    assert_eq!(list.provenance.records, n);
    assert_eq!(list.len(), 2 * n as usize);
    let e = list.get(0).unwrap();
    assert!(e.id.is_some() && e.category_label.is_some());
    // ~150 MB of storage and buffers; the file alone is ~120 MB, a DOM would be ~1 GB.
    let peak = peak_rss_kib().expect("VmHWM in /proc/self/status");
    assert!(peak < 400 * 1024, "peak RSS {peak} KiB");
}

// ---------------------------------------------------------------- end to end

/// Every format fixture, end to end through `hashsweep scan`: the fixture's first entry has
/// its hash replaced by the hash of a generated evidence file (in the fixture's own case
/// and encoding), and the scan reports that file with the entry's id and category.
#[test]
fn every_format_fixture_gives_a_scan_hit_with_its_id_and_category() {
    use hashsweep::digest::FileDigests;
    use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
    use hashsweep::synth::{picture, png_bytes, Pattern};

    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    let content = b"a file the lab list knows".to_vec();
    std::fs::write(ev.join("known.bin"), &content).unwrap();
    let png = png_bytes(&picture(Pattern::Shapes, 256, 192, 41));
    std::fs::write(ev.join("known.png"), &png).unwrap();
    let digests = FileDigests::of(&content);
    let pdq = PerceptualConfig::new(&[Algorithm::Pdq], DecodeLimits::default())
        .hash_picture(&png, hashsweep::sniff::PictureFormat::Png)
        .unwrap()
        .hashes
        .pdq
        .unwrap();
    assert!(pdq.quality >= 50);
    let ours = |alg: Algorithm| -> Vec<u8> {
        match alg {
            Algorithm::Md5 => digests.md5.to_vec(),
            Algorithm::Sha1 => digests.sha1.to_vec(),
            Algorithm::Sha256 => digests.sha256.to_vec(),
            Algorithm::Blake3 => digests.blake3.to_vec(),
            Algorithm::Pdq => pdq.hash().0.to_vec(),
            other => panic!("no fixture of {other}"),
        }
    };
    // (fixture, forced format, known-good list)
    let fixtures: &[(&str, Option<&str>, bool)] = &[
        ("hashsweep.jsonl", None, false),
        ("vics-1.1-cases-recon.json", None, false),
        ("vics-1.3-media-alt-photodna.json", None, false),
        ("vics-2.0-cases-us.json", None, false),
        ("vics-2.0-custom-mislabelled.json", None, false),
        ("vics-2.0-media-default.json", None, false),
        ("vics-2.0-uk-string-typed.json", None, false),
        ("caid-1.2-nist.json", None, false),
        ("hashdeep-md5-sha256.txt", None, false),
        ("hashdeep-blake3-crlf.txt", None, false),
        ("sums-mixed.md5", None, false),
        ("sums.sha256", Some("sha256"), false),
        ("sums.b3", Some("blake3"), false),
        ("xways-sha1-header.txt", None, false),
        ("hashkeeper.hsh", None, false),
        ("encase-v6.hash", None, false),
        ("tx-signals.txt", None, false),
        ("pdq-headed.tsv", None, false),
        ("123456789.hash_pdq.te", None, false),
        ("NSRLFile.txt", None, true),
        ("rds3-minimal.sql", None, true),
        ("sums.sha1", None, false),
        ("plain-md5.txt", None, false),
        ("plain-pdq.txt", Some("pdq"), false),
        ("hashsweep-bad-line.jsonl", None, false),
    ];
    for (name, format, known_good) in fixtures {
        let options = LoadOptions {
            format: format.map(|f| f.parse().unwrap()),
            lenient: true,
            ..LoadOptions::alert()
        };
        // The RDS v3 fixture is the SQL that builds the database.
        let as_loaded = |path: &Path| -> PathBuf {
            if !name.ends_with(".sql") {
                return path.to_path_buf();
            }
            let db = path.with_extension(format!("{}.db", path.file_name().unwrap().len()));
            let _ = std::fs::remove_file(&db);
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.execute_batch(&std::fs::read_to_string(path).unwrap())
                .unwrap();
            db
        };
        let original = dir.path().join(format!("original-{name}"));
        std::fs::copy(fixture(name), &original).unwrap();
        let list = load_list(&as_loaded(&original), &options).unwrap();
        let first = list.iter().next().unwrap();
        // A Project VIC category-0 entry is non-pertinent: reported, never an alert.
        let alerts = !*known_good && !first.non_pertinent;
        let (alg, id, category) = (
            first.algorithm,
            first.id.map(str::to_string),
            first.category.map(str::to_string),
        );
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        let theirs = first.hash.to_vec();
        let replaced = if *name == "encase-v6.hash" {
            replace_all(&mut bytes, &theirs, &ours(alg))
        } else {
            let lower = hex::encode(&theirs);
            replace_all(
                &mut bytes,
                lower.as_bytes(),
                hex::encode(ours(alg)).as_bytes(),
            ) + replace_all(
                &mut bytes,
                lower.to_uppercase().as_bytes(),
                hex::encode_upper(ours(alg)).as_bytes(),
            )
        };
        assert!(replaced > 0, "{name}: first hash not found in the file");
        let edited = dir.path().join(name);
        std::fs::write(&edited, &bytes).unwrap();
        let edited = as_loaded(&edited);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hashsweep"));
        // Lenient: some fixtures hold a deliberately malformed entry besides the good ones.
        cmd.arg("scan")
            .arg(&ev)
            .args(["-q", "--all-files", "--lenient"]);
        if *known_good {
            // An alert list is required; one that matches nothing.
            let none = dir.path().join("none.jsonl");
            std::fs::write(
                &none,
                format!(
                    "{{\"algorithm\":\"md5\",\"hash\":\"{}\"}}\n",
                    "ab".repeat(16)
                ),
            )
            .unwrap();
            cmd.arg("--list").arg(&none).arg("--known").arg(&edited);
        } else {
            cmd.arg("--list").arg(&edited);
        }
        if let Some(f) = format {
            cmd.args(["--list-format", f]);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(if alerts { 1 } else { 0 }),
            "{name}: {stderr}"
        );
        let target = if alg == Algorithm::Pdq {
            "known.png"
        } else {
            "known.bin"
        };
        let record: serde_json::Value = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(target)))
            .unwrap();
        let hit = record["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["algorithm"] == alg.name())
            .unwrap_or_else(|| panic!("{name}: no {} hit in {record}", alg.name()));
        assert_eq!(hit["entry_id"].as_str().map(str::to_string), id, "{name}");
        assert_eq!(
            hit["category"].as_str().map(str::to_string),
            category,
            "{name}"
        );
        assert_eq!(
            hit["role"],
            if *known_good { "known_good" } else { "alert" },
            "{name}"
        );
        assert_eq!(
            record["record"],
            if alerts { "match" } else { "file" },
            "{name}"
        );
        assert_eq!(
            hit["non_pertinent"] == true,
            first.non_pertinent && !*known_good,
            "{name}"
        );
    }
}

/// Replaces every occurrence of `from` in `bytes` by `to` (same length); returns how many.
fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

/// Lists as a lab combines them: a per-list format (`sha256:FILE`) beside a list detected
/// from content, two lists of one file name told apart, and NSRL refused as an alert list.
#[test]
fn scan_combines_lists_of_different_formats_and_names() {
    use hashsweep::digest::FileDigests;
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("a.bin"), b"first").unwrap();
    std::fs::write(ev.join("b.bin"), b"second").unwrap();
    let sha = hex::encode(FileDigests::of(b"first").sha256);
    let md5 = hex::encode(FileDigests::of(b"second").md5);
    for sub in ["lab1", "lab2"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    std::fs::write(
        dir.path().join("lab1/hashes.txt"),
        format!("{sha}  a.bin\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lab2/hashes.txt"),
        format!("{md5}  b.bin\n"),
    )
    .unwrap();
    let scan = |lists: &[String]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hashsweep"));
        cmd.current_dir(dir.path())
            .args(["scan", "ev", "-q", "--lenient"]);
        for l in lists {
            cmd.args(["--list", l]);
        }
        cmd.output().unwrap()
    };
    let out = scan(&["sha256:lab1/hashes.txt".into(), "lab2/hashes.txt".into()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hits: Vec<(String, String)> = records
        .iter()
        .filter(|r| r["record"] == "match")
        .map(|r| {
            let h = &r["hits"][0];
            (
                h["list"].as_str().unwrap().to_string(),
                h["algorithm"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [
            ("lab1/hashes.txt".to_string(), "sha256".to_string()),
            ("lab2/hashes.txt".to_string(), "md5".to_string())
        ]
    );
    let formats: Vec<&str> = records[0]["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["sha256", "checksums"]);

    let nsrl = fixture("NSRLFile.txt").display().to_string();
    let out = scan(&[nsrl]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass it with --known"));
}

#[test]
fn sha1sum_lines_and_bare_hash_per_line() {
    let sha1 = strict("sums.sha1").unwrap();
    assert_eq!(sha1.provenance.format, ListFormat::Checksums);
    assert_eq!(counts(&sha1), c(&[("sha1", 2)]));
    assert_eq!(
        find(
            &sha1,
            Algorithm::Sha1,
            "2b9b8fa064563d948029488804ac5b38c1b707e5"
        )
        .label,
        Some("img1.jpg")
    );
    let plain = strict("plain-md5.txt").unwrap();
    assert_eq!(counts(&plain), c(&[("md5", 3)]));
    assert!(plain
        .find(Algorithm::Md5, &hex::decode(MD5_IMG1).unwrap())
        .next()
        .is_some());
}

#[test]
fn bare_sixty_four_hex_lines_load_as_pdq_when_told() {
    assert!(matches!(
        strict("plain-pdq.txt").unwrap_err(),
        ListError::UnknownFormat { .. }
    ));
    let pdq = forced("plain-pdq.txt", ListFormat::Pdq).unwrap();
    assert_eq!(counts(&pdq), c(&[("pdq", 2)]));
    find(&pdq, Algorithm::Pdq, PDQ_1);
}

#[test]
fn hashsweep_jsonl_bad_line_is_named() {
    let (at, reason) = malformed_at(strict("hashsweep-bad-line.jsonl").unwrap_err());
    assert_eq!(at, Location::Line(2));
    assert!(reason.contains("32 hex digits"), "{reason}");
    let list = lenient("hashsweep-bad-line.jsonl");
    assert_eq!(counts(&list), c(&[("md5", 2)]));
    assert_eq!(list.provenance.rejected, 1);
}

#[test]
fn vics_1_1_cases_feed_with_odata_v3_annotations() {
    let list = strict("vics-1.1-cases-recon.json").unwrap();
    assert_eq!(list.provenance.format, ListFormat::Vics);
    assert_eq!(list.provenance.format_version.as_deref(), Some("1.1"));
    assert_eq!(counts(&list), c(&[("md5", 2), ("sha1", 1)]));
    let abc = find(&list, Algorithm::Md5, "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        (abc.id, abc.category, abc.series),
        (Some("11"), Some("2"), Some("FAKE-SERIES"))
    );
    assert_eq!(find(&list, Algorithm::Md5, MD5_IMG1).category, Some("0"));
}
