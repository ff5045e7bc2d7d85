//! The PDQ oracle: `tests/support/pdqhash_oracle.py`, which hashes every PNG of a directory
//! with the PyPI package `pdqhash` (bindings to Meta's C++ core), as python-threatexchange
//! feeds it pixels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use hashsweep::pdq::PdqHash;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pdqhash_oracle.py")
}

/// Whether the oracle runs here. Without it a test prints a notice and passes, unless the
/// `CI` environment variable is set, where `.ci/setup` has installed it and this fails.
pub fn available(test: &str) -> bool {
    let runs = Command::new("python3")
        .arg(script())
        .arg("--check")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        let msg = "python3 with pdqhash/pillow/numpy not importable \
                   (pip install pdqhash pillow numpy)";
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the oracle: {msg}"
        );
        eprintln!("SKIPPED {test}: {msg}");
    }
    runs
}

/// PNG file name → (quality, [hash, then the eight dihedral variants]) for every PNG in `dir`.
pub fn hashes(dir: &Path) -> BTreeMap<String, (u32, Vec<PdqHash>)> {
    let out = super::run(Command::new("python3").arg(script()).arg(dir));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let hashes = f[2..]
                .iter()
                .map(|h| PdqHash::from_hex(h).unwrap())
                .collect();
            (f[0].to_string(), (f[1].parse().unwrap(), hashes))
        })
        .collect()
}
