//! Where `scan` may write: `-o /dev/null` (a non-regular file) is a valid report destination
//! without a manifest, and destinations that could only fail after the scan (a `--format`
//! rendering that needs a regular `-o`, a manifest that cannot be written) stop the command
//! with exit 2 before any file is read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use assert_cmd::Command;

fn scan(extra: &[&str]) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::cargo_bin("hashsweep")
        .unwrap()
        .arg("scan")
        .arg(root.join("fixtures/evidence"))
        .arg("-l")
        .arg(root.join("fixtures/demo-list.jsonl"))
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn report_to_dev_null_scans_without_manifest() {
    let out = scan(&["-o", "/dev/null"]);
    // The demo list matches planted fixture files: exit 1, not 2 ("the report is empty").
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("no manifest: the report went to /dev/null, which is not a regular file"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn dev_null_report_with_explicit_manifest_writes_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.json");
    let out = scan(&["-o", "/dev/null", "--manifest", manifest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = std::fs::read_to_string(&manifest).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["format"], "hashsweep-manifest", "{text}");
}

#[test]
fn fatal_destinations_stop_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(Vec<String>, &str); 3] = [
        (
            vec![
                "-o".into(),
                "/dev/null".into(),
                "--format".into(),
                "text".into(),
            ],
            "--format text needs -o FILE, a regular file",
        ),
        (
            vec![
                "--manifest".into(),
                dir.path().join("missing/m.json").display().to_string(),
            ],
            "missing does not exist",
        ),
        (
            // A report beside which the manifest would land on a directory.
            vec![
                "-o".into(),
                dir.path().join("r.jsonl").display().to_string(),
            ],
            "the manifest could not be written after the scan",
        ),
    ];
    std::fs::create_dir(dir.path().join("r.jsonl.manifest.json")).unwrap();
    for (args, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = scan(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        // Stopped before the scan: no records, and no report file was even created.
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!dir.path().join("r.jsonl").exists(), "{args:?}");
    }
}
