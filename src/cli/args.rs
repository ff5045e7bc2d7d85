//! What the examiner typed: the clap definition of every command and flag.
//!
//! Help text lives in the doc comments. Cross-flag rules and defaults are resolved in
//! `config`, not here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit status:
  0    no match (and no fatal error)
  1    at least one file matched an alert list
  2    fatal error (bad list, unreadable evidence root, report not writable, bad flags)
  130  interrupted (Ctrl-C); the report written so far is marked interrupted";

/// Offline forensic hash sweeper: hash every file of the evidence and report the ones on
/// an authorised hash list. Reports hold paths, sizes, hashes and list metadata, never
/// picture content.
#[derive(Debug, Parser)]
#[command(name = "hashsweep", version, after_help = AFTER_HELP)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk evidence, hash every file, and report matches against hash lists.
    #[command(after_help = "Examples:
  hashsweep scan /mnt/evidence --list vics.json -o case42.jsonl
  hashsweep scan fixtures/evidence --list fixtures/demo-list.jsonl --threshold pdq=24

Exit status: 0 no match, 1 match, 2 fatal error, 130 interrupted.")]
    Scan(ScanArgs),
    /// Print every hash of every file as JSON Lines (to build lists or feed a lab database).
    #[command(after_help = "Examples:
  hashsweep hash fixtures/evidence > hashes.jsonl
  hashsweep hash photo.jpg --perceptual dhash")]
    Hash(HashArgs),
}

/// Options shared by commands that read evidence.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Worker threads [default: all cores].
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Perceptual algorithms to compute for pictures, comma-separated (pdq, phash, dhash,
    /// ahash, or none). `scan` defaults to pdq plus any others the loaded lists carry;
    /// `hash` to all four.
    #[arg(long, value_name = "ALGO,...", value_delimiter = ',')]
    pub perceptual: Option<Vec<String>>,

    /// Pictures larger than this many bytes are hashed but not decoded.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub max_picture_bytes: u64,

    /// PDQ as the reference C++ command-line tool computes it (pictures squashed to
    /// 512×512 first) instead of the convention of HMA, pdqhash and the Java port.
    #[arg(long)]
    pub pdq_cli_compat: bool,

    /// What the evidence is: auto (detect from content), directory, file, raw, ewf.
    #[arg(long, value_name = "TYPE", default_value = "auto")]
    pub evidence_type: String,

    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Evidence directories or files (never written to; symbolic links are not followed).
    #[arg(required = true, value_name = "EVIDENCE")]
    pub evidence: Vec<PathBuf>,

    /// Alert hash list (repeatable): a file on it is reported as a match.
    #[arg(short, long = "list", value_name = "FILE", required = true)]
    pub lists: Vec<PathBuf>,

    /// Known-good hash list (repeatable, e.g. NSRL): such files are marked known and not
    /// perceptually hashed; an alert hit is never suppressed by it.
    #[arg(short, long = "known", value_name = "FILE")]
    pub known: Vec<PathBuf>,

    /// Force the list format instead of detecting it from content.
    #[arg(long, value_name = "FORMAT")]
    pub list_format: Option<String>,

    /// Skip malformed list entries (counted in the report header) instead of failing.
    #[arg(long)]
    pub lenient: bool,

    /// Hamming threshold for a perceptual algorithm, inclusive (repeatable).
    /// Defaults: pdq=31, phash=10, dhash=10, ahash=6.
    #[arg(long = "threshold", value_name = "ALGO=N")]
    pub thresholds: Vec<String>,

    /// Write the report here instead of stdout (refused inside the evidence).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Report every file, not only matches, failures and skipped items.
    #[arg(long)]
    pub all_files: bool,

    /// Match PDQ only as the picture is stored, not its 8 rotations and mirrors.
    #[arg(long)]
    pub no_dihedral: bool,

    /// Hash each disk image as a whole (a separate sequential pass) and, for E01, compare
    /// with the MD5/SHA-1 stored by the acquisition tool; the result goes in the header.
    #[arg(long)]
    pub verify_image: bool,

    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, clap::Args)]
pub struct HashArgs {
    /// Files or directories to hash.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write the hashes here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub read: ReadArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Args::command().debug_assert();
    }
}
