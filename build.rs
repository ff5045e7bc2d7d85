//! Bakes the build's identity into the binary: `HASHSWEEP_BUILD_ID` as given by a packager
//! or CI, else the git commit of the checkout being built (`git rev-parse HEAD`), so a
//! report's manifest names the source it came from. Nothing when neither is known (a
//! source tarball without git).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=HASHSWEEP_BUILD_ID");
    if std::env::var_os("HASHSWEEP_BUILD_ID").is_some() {
        return;
    }
    // Rebuild when HEAD moves: HEAD itself, and the branch file it names.
    let git = Path::new(".git");
    if !git.is_dir() {
        return;
    }
    // Only files that exist: a missing one would rerun this script on every build. A
    // fresh clone keeps its refs in packed-refs.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        if let Some(branch) = head.trim().strip_prefix("ref: ") {
            watched.push(branch.to_string());
        }
    }
    for file in watched.iter().filter(|f| git.join(f).is_file()) {
        println!("cargo:rerun-if-changed=.git/{file}");
    }
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit()));
    if let Some(commit) = commit {
        println!("cargo:rustc-env=HASHSWEEP_BUILD_ID=git-{commit}");
    }
}
