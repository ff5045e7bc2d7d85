//! Test disk images: built once per test run by `shared/tools/make_test_images.sh`, plus
//! the exFAT sample of the Debian package `forensics-samples-exfat`.
//!
//! When the tools are missing the image tests print a notice and pass, unless `CI` is set:
//! then they fail, because CI must exercise them (`.ci/run` installs the tools).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Where the Debian package puts the exFAT sample (xz-compressed, MBR + exFAT).
pub const EXFAT_SAMPLE: &str = "/usr/share/forensics-samples/fs.exfat.xz";

fn script() -> PathBuf {
    match std::env::var_os("HASHSWEEP_MAKE_TEST_IMAGES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/make_test_images.sh"),
    }
}

fn unavailable(why: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("disk image tests cannot run in CI: {why}");
    }
    eprintln!("NOTICE: skipping disk image tests: {why}");
    None
}

/// The directory holding the built images, or `None` (after a notice) without the tools.
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(build).as_deref()
}

fn build() -> Option<PathBuf> {
    let script = script();
    if !script.is_file() {
        return unavailable(&format!("{} not found", script.display()));
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("disk-images");
    // TRY_FUSE: also the NTFS image with a sub-directory and a deleted file, built through
    // an ntfs-3g FUSE mount where /dev/fuse allows it (root here and in CI).
    let run = Command::new("bash")
        .arg(&script)
        .arg(&out)
        .env("TRY_FUSE", "1")
        .output();
    match run {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            return unavailable(&format!("make_test_images.sh failed: {err}"));
        }
        Err(e) => return unavailable(&format!("cannot run bash: {e}")),
    }
    if Path::new(EXFAT_SAMPLE).is_file() {
        let exfat = out.join("fs.exfat");
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("xz -dc {EXFAT_SAMPLE} > {}", exfat.display()))
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            return unavailable("cannot decompress the exFAT sample (xz)");
        }
    } else {
        return unavailable("forensics-samples-exfat is not installed");
    }
    Some(out)
}

/// One row of manifest.tsv.
#[derive(Debug, Clone)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub md5: String,
    pub sha256: String,
}

pub fn manifest(dir: &Path) -> Vec<ManifestFile> {
    let text = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            ManifestFile {
                path: f[0].to_string(),
                size: f[1].parse().unwrap(),
                md5: f[2].to_string(),
                sha256: f[3].to_string(),
            }
        })
        .collect()
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Makes `count` small files (1,000 to a directory) in an ext4 image (their content held
/// inline in the inodes, so the image stays small); `None` (after a notice) without
/// `mkfs.ext4`, a failure in CI (`.ci/setup` installs e2fsprogs).
pub fn ext4_of_small_files(dir: &Path, count: usize) -> Option<PathBuf> {
    let tree = dir.join("tree");
    for i in 0..count {
        let sub = tree.join(format!("d{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(sub.join(format!("f{i:06}")), format!("file {i}\n")).unwrap();
    }
    let image = dir.join("small-files.ext4");
    let made = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-O", "inline_data", "-I", "256", "-N"])
        .arg((count + 1000).to_string())
        .arg("-d")
        .arg(&tree)
        .arg(&image)
        .arg(format!("{}M", 32 + count / 1000))
        .status();
    std::fs::remove_dir_all(&tree).unwrap();
    match made {
        Ok(status) if status.success() => Some(image),
        _ => unavailable(&format!("mkfs.ext4 -d failed: {made:?}")),
    }
}
