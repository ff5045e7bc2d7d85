//! What the examiner typed: the clap definition of every command and flag.
//!
//! Help text lives in the doc comments. Cross-flag rules and defaults are resolved in
//! `config`, not here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use hashsweep::video::VpdqThresholds;
use hashsweep::{EvidenceType, ListFormat};

use super::flag_values::{parse_perceptual, parse_threshold, PerceptualName, ThresholdFlag};

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
  hashsweep scan disk.E01 --list vics.json -o case42.jsonl --format text > case42.txt
  hashsweep scan disk.E01 --list vics.json -o case42.jsonl --journal case42.journal
  hashsweep scan --resume case42.journal        # after a crash or kill: finish that scan

With -o FILE, a manifest is written beside the report as FILE.manifest.json.

Exit status: 0 no match, 1 match, 2 fatal error, 130 interrupted.")]
    Scan(Box<ScanArgs>),
    /// Render a finished scan's JSON Lines report as text, json, csv, case or vics.
    #[command(after_help = "Examples:
  hashsweep report case42.jsonl                      # case summary for a person
  hashsweep report case42.jsonl --format csv -o case42.csv
  hashsweep report case42.jsonl --format vics --case-number 2024-0042 -o case42.vics.json
  hashsweep report case42.jsonl --format case -o case42.jsonld

Exit status: 0 rendered, 2 error (unreadable or not a hashsweep scan report), 3 rendered
but INCOMPLETE (the report is truncated or the scan was interrupted; the output says so).")]
    Report(ReportArgs),
    /// Re-check a scan manifest: the report's and every list's SHA-256.
    #[command(after_help = "Examples:
  hashsweep verify case42.jsonl.manifest.json

Exit status: 0 every digest matches, 2 a mismatch, a missing file or an unreadable manifest.")]
    Verify(VerifyArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  hashsweep completions bash > /etc/bash_completion.d/hashsweep
  hashsweep completions zsh > ~/.zfunc/_hashsweep")]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output.
    #[command(after_help = "Examples:
  hashsweep man > hashsweep.1 && man ./hashsweep.1")]
    Man,
    /// Print every hash of every file as JSON Lines (to build lists or feed a lab database).
    #[command(after_help = "Examples:
  hashsweep hash fixtures/evidence > hashes.jsonl
  hashsweep hash photo.jpg --perceptual dhash")]
    Hash(HashArgs),
    /// Inspect or convert hash lists without scanning anything.
    #[command(subcommand)]
    List(ListCommand),
}

#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Format, version, counts per algorithm and category, SHA-256 and problems found, as JSON.
    #[command(after_help = "Examples:
  hashsweep list inspect vics.json nsrl.db
  hashsweep list inspect hashes.txt --list-format sha256

Exit status: 0 every list loads strictly, 2 a list has problems or cannot be read.")]
    Inspect(ListInspectArgs),
    /// Write a list as hashsweep JSON Lines (any format) or hashdeep (cryptographic hashes).
    #[command(after_help = "Examples:
  hashsweep list convert vics.json -o vics.jsonl
  hashsweep list convert vics.json --to hashdeep -o vics.hashdeep")]
    Convert(ListConvertArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListInspectArgs {
    #[arg(required = true, value_name = "FILE")]
    pub lists: Vec<PathBuf>,

    /// Force the list format instead of detecting it from content.
    #[arg(long, value_name = "FORMAT", value_parser = str::parse::<ListFormat>)]
    pub list_format: Option<ListFormat>,
}

#[derive(Debug, clap::Args)]
pub struct ListConvertArgs {
    #[arg(value_name = "FILE")]
    pub list: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub to: ConvertFormat,

    /// Force the input format instead of detecting it from content.
    #[arg(long, value_name = "FORMAT", value_parser = str::parse::<ListFormat>)]
    pub list_format: Option<ListFormat>,

    /// Skip malformed entries instead of failing.
    #[arg(long)]
    pub lenient: bool,

    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ConvertFormat {
    Jsonl,
    Hashdeep,
    /// Meta's vPDQ `frame,quality,pdq,timestamp` lines, from a vPDQ list or from the
    /// output of `hashsweep hash` on one video (several videos: -o names a directory, one
    /// FILE.vpdq per video).
    Vpdq,
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
    #[arg(long, value_name = "ALGO,...", value_delimiter = ',', value_parser = parse_perceptual)]
    pub perceptual: Option<Vec<PerceptualName>>,

    /// Pictures larger than this many bytes are hashed but not decoded.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub max_picture_bytes: u64,

    /// Hash archives and compressed files (zip, 7z, tar, gzip, bzip2, xz, zstd) as opaque
    /// files only, without scanning their entries.
    #[arg(long)]
    pub no_archives: bool,

    /// Containers nested deeper than this are hashed but not opened.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_depth: u32,

    /// Containers and entries larger than this many bytes are digested as they stream but
    /// not kept in memory: neither decoded as pictures nor opened. Peak memory is about
    /// threads × this.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_entry_bytes: u64,

    /// Entries examined per container; the rest are reported as not examined.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_entries: u64,

    /// PDQ as the reference C++ command-line tool computes it (pictures squashed to
    /// 512×512 first) instead of the convention of HMA, pdqhash and the Java port.
    #[arg(long)]
    pub pdq_cli_compat: bool,

    /// Faster, approximate perceptual hashes: JPEGs decoded at reduced size (libjpeg-turbo
    /// DCT scaling, shorter side at least 512 px), and to grey alone when no pHash, dHash
    /// or aHash is wanted. Hashes then differ from the reference
    /// pipeline's by a few bits (measured in README); the report header says so. Digests
    /// are unchanged.
    #[arg(long, conflicts_with = "pdq_cli_compat")]
    pub fast: bool,

    /// Do not decode videos (they are still digested and matched exactly).
    #[arg(long)]
    pub no_video: bool,

    /// Hash one video frame each this many seconds, as vPDQ does (0 = every frame).
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub video_seconds_per_hash: f64,

    /// Stop ffmpeg on a video after this many seconds (the video is then a failure).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub video_timeout: u64,

    /// What the evidence is: auto (detect from content), directory, file, raw, ewf.
    #[arg(long, value_name = "TYPE", default_value = "auto", value_parser = str::parse::<EvidenceType>)]
    pub evidence_type: EvidenceType,

    /// Carve pictures (JPEG, PNG, GIF, BMP, WebP) from the bytes of a disk image that no
    /// listed file owns, listed as `<volume>/$Carved/<offset>.<ext>` [default: on].
    #[arg(long, overrides_with = "no_carve")]
    pub carve: bool,

    /// Do not carve disk images (the last of --carve and --no-carve wins).
    #[arg(long, overrides_with = "carve")]
    pub no_carve: bool,

    /// The longest picture carved, in bytes; longer ones are left out.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_carve_bytes: u64,

    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Evidence directories or files (never written to; symbolic links are not followed).
    #[arg(required_unless_present_any = ["resume", "exhibit"], value_name = "EVIDENCE")]
    pub evidence: Vec<PathBuf>,

    /// The lab's category map: a CSV `scheme,code,meaning,name` saying what each category
    /// code of a scheme means here (`alert` or `non-pertinent`) and its name, overriding
    /// the defaults (docs/lists.md). Its SHA-256 is recorded in the report header.
    #[arg(long, value_name = "FILE")]
    pub category_map: Option<PathBuf>,

    /// Name evidence by its exhibit ID (repeatable): `ID=PATH`, e.g. `--exhibit
    /// HD-01=/mnt/images/disk.E01`. PATH is scanned as evidence (it may also be given as
    /// EVIDENCE) and every report format names it by ID; the VICS export gives file paths
    /// relative to it.
    #[arg(long, value_name = "ID=PATH", value_parser = super::exhibit::parse_exhibit)]
    pub exhibit: Vec<super::exhibit::Exhibit>,

    /// Alert hash list (repeatable): a file on it is reported as a match. `FORMAT:FILE`
    /// forces one list's format (e.g. `sha256:hashes.txt`), overriding --list-format.
    #[arg(
        short,
        long = "list",
        value_name = "FILE",
        required_unless_present = "resume"
    )]
    pub lists: Vec<PathBuf>,

    /// Known-good hash list (repeatable, e.g. NSRL): such files are marked known and not
    /// perceptually hashed; an alert hit is never suppressed by it. `FORMAT:FILE` as for
    /// --list.
    #[arg(short, long = "known", value_name = "FILE")]
    pub known: Vec<PathBuf>,

    /// Force the format of every list instead of detecting it from content (see
    /// `FORMAT:FILE` to force one list's).
    #[arg(long, value_name = "FORMAT", value_parser = str::parse::<ListFormat>)]
    pub list_format: Option<ListFormat>,

    /// Skip malformed list entries (counted in the report header) instead of failing.
    #[arg(long)]
    pub lenient: bool,

    /// Hamming threshold for a perceptual algorithm, inclusive (repeatable).
    /// Defaults: pdq=31, phash=2, dhash=2, ahash=10 (docs/detection.md); a pHash, dHash or
    /// aHash hit alerts only when another algorithm hits the same entry.
    #[arg(long = "threshold", value_name = "ALGO=N", value_parser = parse_threshold)]
    pub thresholds: Vec<ThresholdFlag>,

    /// Write the report here instead of stdout (refused inside the evidence).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also render the finished report in this format to standard output. The JSON Lines
    /// report stays the source of truth and goes to -o, which other formats require.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Jsonl)]
    pub format: ReportFormat,

    /// Write the manifest here [default: beside the -o report as REPORT.manifest.json;
    /// none when the report goes to standard output].
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,

    /// Replace an existing report or manifest (refused otherwise); the header records it.
    #[arg(long)]
    pub force: bool,

    /// Report every file, not only matches, failures and items not examined.
    #[arg(long)]
    pub all_files: bool,

    /// Also list every skipped item with nothing to examine (symbolic links, FIFOs,
    /// sockets, devices, empty files); by default they are only counted.
    #[arg(long)]
    pub list_skipped: bool,

    /// Also list the pictures whose PDQ quality is under 50 (never matched perceptually;
    /// their digests were matched); by default they are only counted.
    #[arg(long)]
    pub list_low_quality: bool,

    /// Also report the files whose only hits are weak: a lone pHash, dHash or aHash hit
    /// that no other algorithm confirms on the same list entry, or a low-information one
    /// (docs/detection.md). By default they are only counted (`weak`).
    #[arg(long)]
    pub report_weak: bool,

    /// Let a lone pHash, dHash or aHash hit alert on its own, as before corroboration was
    /// required. Low-information hits stay weak.
    #[arg(long)]
    pub alert_on_weak: bool,

    /// Match PDQ only as the picture is stored, not its 8 rotations and mirrors.
    #[arg(long)]
    pub no_dihedral: bool,

    /// vPDQ video match: the minimum percentage of the file's frames that match a listed
    /// video (query) and of the listed video's frames that match the file (compared).
    /// Defaults as python-threatexchange: query=80,compared=0.
    #[arg(long, value_name = "query=Q,compared=C", value_parser = str::parse::<VpdqThresholds>)]
    pub vpdq_threshold: Option<VpdqThresholds>,

    /// Hash each disk image as a whole (MD5, SHA-1, SHA-256, BLAKE3; raw, split raw and E01
    /// media), on its own thread while the files are scanned, and for E01 compare with the
    /// MD5/SHA-1 stored by the acquisition tool; the result goes in the header.
    #[arg(long)]
    pub verify_image: bool,

    /// Record each finished file in this journal as the scan goes (synced to disk in
    /// batches), so that a scan that is killed can be finished with --resume. Refused if
    /// the file exists or lies inside the evidence.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Finish the interrupted scan recorded in this journal: the same command runs again,
    /// files already journaled are not read again, and the report is the one the
    /// uninterrupted scan would have written. Only --threads and --quiet may be added.
    #[arg(long, value_name = "JOURNAL", conflicts_with_all = [
        "evidence", "exhibit", "category_map", "lists", "known", "list_format", "lenient", "thresholds", "output",
        "format", "manifest", "force", "all_files", "list_skipped", "list_low_quality", "report_weak", "alert_on_weak", "no_dihedral", "verify_image", "journal",
        "vpdq_threshold",
    ])]
    pub resume: Option<PathBuf>,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// Report formats. `jsonl` is the scan's own record stream.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON Lines records (the source of truth; docs/report-format.md).
    Jsonl,
    /// A case summary for a person.
    Text,
    /// One JSON document (docs/report-schema.json).
    Json,
    /// One row per hit, formula cells neutralised.
    Csv,
    /// CASE/UCO 1.x JSON-LD.
    Case,
    /// A Project VIC VICS 2.0 Cases feed of the matched media.
    Vics,
}

/// Options of the rendered formats.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Flag a list entry that matches more than N distinct files as a likely degenerate
    /// hash (blank, solid colour, logo).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub flood_threshold: usize,

    /// The case number: recorded in the report header and manifest (by `scan`), shown by
    /// every format (VICS CaseNumber). With `report`, overrides the header's.
    #[arg(long, value_name = "TEXT")]
    pub case_number: Option<String>,

    /// The examiner running the scan, recorded and shown like --case-number.
    #[arg(long, value_name = "NAME")]
    pub examiner: Option<String>,

    /// The examiner's agency or lab, recorded and shown like --case-number.
    #[arg(long, value_name = "NAME")]
    pub agency: Option<String>,

    /// VICS export: give each file's full path as the lab saw it (FilePath), instead of the
    /// path inside its exhibit.
    #[arg(long)]
    pub vics_absolute_paths: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A JSON Lines report written by `hashsweep scan`.
    #[arg(value_name = "SCAN.jsonl")]
    pub report: PathBuf,

    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write the hits as a TSK body file (`mactime -b FILE`) instead of --format.
    #[arg(long, conflicts_with = "format")]
    pub timeline: bool,
    /// Replace an existing output file (refused otherwise).
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub render: RenderArgs,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A manifest written by `hashsweep scan` (REPORT.manifest.json).
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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
