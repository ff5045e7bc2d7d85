//! Helpers shared by integration tests: running a program, and reading a JSON Lines report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

pub mod images;
pub mod pdq_oracle;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `cmd` to its end; fails the test with its stderr unless it succeeded.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The records of a JSON Lines report.
pub fn records(jsonl: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Path (relative to `root`) → record kind (`match`, `failure`, `skipped:REASON`, …) of
/// every record that names a path.
pub fn outcomes(records: &[Value], root: &Path) -> BTreeMap<String, String> {
    let prefix = format!("{}/", root.display());
    records
        .iter()
        .filter(|r| r.get("path").is_some())
        .map(|r| {
            let path = r["path"].as_str().unwrap().trim_start_matches(&prefix);
            let kind = match r["record"].as_str().unwrap() {
                "skipped" => format!("skipped:{}", r["reason"].as_str().unwrap()),
                other => other.to_string(),
            };
            (path.to_string(), kind)
        })
        .collect()
}

/// `hashsweep scan EVIDENCE -l LIST -q ARGS…`: its exit code and report records.
pub fn scan(evidence: &Path, list: &Path, extra: &[&str]) -> (Option<i32>, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_hashsweep"))
        .arg("scan")
        .arg(evidence)
        .arg("-l")
        .arg(list)
        .arg("-q")
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), records(&out.stdout))
}
