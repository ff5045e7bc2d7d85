//! The calibration example (`examples/calibrate`, which writes docs/detection.md and
//! docs/detection.svg) gives the same bytes whatever the thread count, and counts what it
//! was given. Runs on a tiny corpus from `../shared/tools/gen_corpus.py` (30 unrelated
//! pictures, 5 originals with 8 copies each), made in a temporary directory.
//!
//! Needs python3 with numpy and Pillow (.ci/setup installs them) and the example binary,
//! which `cargo test` builds next to the test binary (`cargo build --example calibrate`
//! when running this test alone).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::run;

const UNRELATED: usize = 30;
const ORIGINALS: usize = 5;
const TRANSFORMS: [&str; 8] = [
    "down50",
    "jpeg_q50",
    "crop5",
    "bright10",
    "hflip",
    "watermark",
    "rot90",
    "gray",
];

/// `target/<profile>/examples/calibrate`, beside `target/<profile>/deps/<this test>`.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    profile_dir.join("examples/calibrate")
}

fn gen_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen_corpus.py")
}

/// Why the test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let numpy_pillow = Command::new("python3")
        .args(["-c", "import numpy, PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !numpy_pillow || !gen_corpus().is_file() {
        return Some("needs python3 with numpy and Pillow, and ../shared/tools".into());
    }
    if !example().is_file() {
        return Some(format!("{} not built", example().display()));
    }
    None
}

fn make_corpus(root: &Path) {
    let generate = |command: &str, out: PathBuf, count: usize, seed: &str, sizes: &str| {
        run(Command::new("python3")
            .arg(gen_corpus())
            .arg(command)
            .arg("--out")
            .arg(out)
            .args(["--count", &count.to_string(), "--seed", seed])
            .args(["--jobs", "1", "--sizes", sizes]));
    };
    // Small pictures keep the debug-build run short; icons as in the real corpus.
    let unrelated = root.join("unrelated/seed1");
    generate("corpus", unrelated, UNRELATED, "1", "160x120:3,icon:1");
    generate(
        "variants",
        root.join("variants"),
        ORIGINALS,
        "2",
        "320x240:1",
    );
}

/// Runs the example on `corpus` with `threads` rayon threads; the markdown and the SVG.
fn calibrate(corpus: &Path, out: &Path, threads: &str) -> (String, String) {
    std::fs::create_dir_all(out).unwrap();
    run(Command::new(example())
        .arg(corpus)
        .arg("--docs")
        .arg(out)
        .env("RAYON_NUM_THREADS", threads));
    let read = |name| std::fs::read_to_string(out.join(name)).unwrap();
    (read("detection.md"), read("detection.svg"))
}

#[test]
fn calibration_output_is_stable_and_counts_the_corpus() {
    if let Some(why) = missing() {
        assert!(std::env::var_os("CI").is_none(), "CI must run it: {why}");
        eprintln!("SKIPPED calibration: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    make_corpus(&corpus);
    let one = calibrate(&corpus, &dir.path().join("one"), "1");
    let two = calibrate(&corpus, &dir.path().join("two"), "2");
    assert!(
        one.0 == two.0,
        "detection.md differs between 1 and 2 threads"
    );
    assert!(
        one.1 == two.1,
        "detection.svg differs between 1 and 2 threads"
    );
    // Without --docs, the same markdown on stdout.
    let stdout = run(Command::new(example()).arg(&corpus)).stdout;
    assert_eq!(String::from_utf8(stdout).unwrap(), one.0);

    let md = one.0;
    assert!(
        md.contains(&format!("| seed1 | {UNRELATED} | 0 |  |\n")),
        "{md}"
    );
    assert!(md.contains(&format!("**Listed originals**: {ORIGINALS} ")));
    assert!(md.contains(&format!(
        "with {} transformed copies (0 files",
        ORIGINALS * 8
    )));
    for t in TRANSFORMS {
        assert!(
            md.contains(&format!("\n| {t} | {ORIGINALS} |")),
            "{t}: {md}"
        );
    }
    // One panel title per algorithm, and a well-formed end.
    for alg in ["pdq (of 256 bits)", "phash (of 64 bits)", "dhash", "ahash"] {
        assert!(one.1.contains(alg), "{alg}");
    }
    assert!(one.1.starts_with("<svg ") && one.1.ends_with("</svg>\n"));
}
