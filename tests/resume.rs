//! `scan --journal` and `scan --resume`: a scan killed with SIGKILL at random points, then
//! resumed (and killed again), writes exactly the report of an uninterrupted scan: the same
//! per-file records, byte for byte, none twice, none missing, and the same counts; also
//! when the scan is killed inside an archive.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use hashsweep::algorithm::Algorithm;
use hashsweep::digest::FileDigests;
use hashsweep::perceptual::{DecodeLimits, PerceptualConfig};
use hashsweep::synth::{picture, png_bytes, Pattern, SplitMix64};
use serde_json::{json, Value};

const FILES: usize = 90;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("hashsweep")
}

/// Evidence of `FILES` pictures (one picture, each copy with its own trailer so every
/// digest differs), two other files and a link; a list that matches every picture by PDQ
/// and three of them by MD5 too.
fn evidence(dir: &Path) -> (PathBuf, PathBuf) {
    let ev = dir.join("ev");
    fs::create_dir_all(ev.join("sub")).unwrap();
    let png = png_bytes(&picture(Pattern::Noise, 480, 360, 11));
    let mut list = String::new();
    for i in 0..FILES {
        let mut bytes = png.clone();
        bytes.extend_from_slice(format!("trailer {i}").as_bytes());
        let path = ev
            .join(if i % 3 == 0 { "sub" } else { "" })
            .join(format!("p{i:03}.png"));
        fs::write(&path, &bytes).unwrap();
        if i % 40 == 7 {
            let md5 = hex::encode(FileDigests::of(&bytes).md5);
            list.push_str(&format!(
                "{}\n",
                json!({"algorithm":"md5","hash":md5,"id":format!("M{i}")})
            ));
        }
    }
    fs::write(ev.join("notes.txt"), b"not a picture").unwrap();
    fs::write(ev.join("sub/data.bin"), vec![0u8; 70_000]).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", ev.join("link")).unwrap();
    let pdq = PerceptualConfig::new(&[Algorithm::Pdq], DecodeLimits::default())
        .hash_picture(&png, hashsweep::sniff::PictureFormat::Png)
        .unwrap()
        .hashes
        .pdq
        .unwrap()
        .hash()
        .to_hex();
    list.push_str(&format!(
        "{}\n",
        json!({"algorithm":"pdq","hash":pdq,"id":"P1","category":"2"})
    ));
    let list_path = dir.join("list.jsonl");
    fs::write(&list_path, list).unwrap();
    (ev, list_path)
}

fn scan(ev: &Path, list: &Path, report: &Path, journal: Option<&Path>) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(["scan", "--threads", "1", "-q", "--list"])
        .arg(list)
        .arg(ev)
        .arg("-o")
        .arg(report);
    if let Some(j) = journal {
        cmd.arg("--journal").arg(j);
    }
    cmd
}

fn resume(journal: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("scan").arg("--resume").arg(journal);
    cmd
}

/// Waits until the journal holds at least `entries` file lines (the scan is under way),
/// then `extra` longer, then SIGKILLs the child. Returns whether it was still running.
fn kill_during(mut child: Child, journal: &Path, entries: usize, extra: Duration) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = fs::read_to_string(journal)
            .map(|t| t.lines().filter(|l| l.starts_with("{\"file\"")).count())
            .unwrap_or(0);
        if done >= entries || Instant::now() > deadline {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(extra);
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    running
}

fn lines(report: &Path) -> Vec<String> {
    fs::read_to_string(report)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The summary without its times.
fn counts(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).unwrap();
    for key in ["started_at", "finished_at", "elapsed_ms"] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

#[test]
fn killed_scans_resume_to_the_uninterrupted_report() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, list) = evidence(dir.path());
    kills_and_resumes_give_the_reference_report(dir.path(), &ev, &list);
}

/// The same with the pictures inside a zip: entries are journaled one by one under their
/// `outer!/inner` paths, so a scan killed halfway through the archive resumes inside it.
#[test]
fn killed_scans_inside_an_archive_resume_to_the_uninterrupted_report() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, list) = evidence(dir.path());
    let archived = dir.path().join("archived");
    fs::create_dir(&archived).unwrap();
    let status = Command::new("python3")
        .arg("-c")
        .arg(
            r#"
import os, sys, zipfile
ev, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in sorted(os.walk(ev)):
        for f in sorted(files):
            p = os.path.join(root, f)
            if not os.path.islink(p): z.write(p, os.path.relpath(p, ev))
"#,
        )
        .arg(&ev)
        .arg(archived.join("pictures.zip"))
        .status()
        .unwrap();
    assert!(status.success());
    kills_and_resumes_give_the_reference_report(dir.path(), &archived, &list);
}

/// Four rounds of: scan with a journal, SIGKILL at a random point (every other round, kill
/// the first resume too), resume to the end; each round's report equals the uninterrupted
/// scan's, record for record, with the same counts.
fn kills_and_resumes_give_the_reference_report(dir: &Path, ev: &Path, list: &Path) {
    let reference = dir.join("reference.jsonl");
    let status = scan(ev, list, &reference, None).status().unwrap();
    assert_eq!(status.code(), Some(1));
    let want = lines(&reference);
    assert_eq!(
        want.len(),
        FILES + 2,
        "header, {FILES} matches, summary (the link is only counted)"
    );

    let mut rng = SplitMix64::new(0x5eed_2026);
    for round in 0..4 {
        let journal = dir.join(format!("scan{round}.journal"));
        let report = dir.join(format!("report{round}.jsonl"));
        // First kill: after 1..=FILES/2 files are journaled, plus up to 40 ms.
        let after = 1 + rng.below(FILES as u32 / 2) as usize;
        let extra = Duration::from_millis(u64::from(rng.below(40)));
        let child = scan(ev, list, &report, Some(&journal)).spawn().unwrap();
        let killed = kill_during(child, &journal, after, extra);
        eprintln!("round {round}: killed after {after} files + {extra:?} (running: {killed})");
        // Every other round, kill the resumed scan too before the last resume.
        if round % 2 == 1 {
            let more = after + 1 + rng.below(FILES as u32 / 3) as usize;
            let child = resume(&journal).arg("-q").spawn().unwrap();
            let killed = kill_during(child, &journal, more, Duration::ZERO);
            eprintln!("round {round}: resume killed after {more} files (running: {killed})");
        }
        let out = resume(&journal).arg("-q").output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = lines(&report);
        assert_eq!(got.len(), want.len());
        assert_eq!(
            got[1..got.len() - 1],
            want[1..want.len() - 1],
            "round {round}"
        );
        assert_eq!(counts(got.last().unwrap()), counts(want.last().unwrap()));
        let header: Value = serde_json::from_str(&got[0]).unwrap();
        assert!(!header["resumed"].as_array().unwrap().is_empty());
        assert_eq!(header["command_line"][1], "scan");
        assert!(header["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--journal"));
    }
}

#[test]
fn a_resume_refuses_changed_lists_and_existing_journals() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, list) = evidence(dir.path());
    let journal = dir.path().join("scan.journal");
    let report = dir.path().join("report.jsonl");
    let child = scan(&ev, &list, &report, Some(&journal)).spawn().unwrap();
    kill_during(child, &journal, 2, Duration::ZERO);

    // A new scan never overwrites a journal.
    let out = scan(&ev, &list, &report, Some(&journal)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // Resuming against a list that changed is refused, naming the list.
    let mut text = fs::read_to_string(&list).unwrap();
    text.push_str("# edited after the scan started\n");
    fs::write(&list, text).unwrap();
    let out = resume(&journal).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("list.jsonl changed since the scan started"),
        "{stderr}"
    );

    // Only --threads and --quiet may be added to a resume.
    let out = resume(&journal).arg("--all-files").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
