//! The scan journal: an append-only JSON Lines file that records each finished file as
//! soon as it is done, so a scan killed at any point (power loss, `kill -9`, a full disk
//! elsewhere) can be resumed and still yield the report an uninterrupted scan would have.
//!
//! Owns the journal's line format (docs/report-format.md, "Scan journal"), `JournalWriter`
//! (appends from every worker, `fsync` in batches) and `Journal` (reads a journal back,
//! dropping a torn last line, and merges its records with those of the resumed run).
//!
//! Line 1 is `{"header":{…}}`: the scan's command line and working directory (to run it
//! again), its start time, evidence and the SHA-256 of each list (to refuse a resume
//! against other inputs). Then `{"file":{…}}` per finished file: its key, what it adds to
//! the summary, and its report record exactly as the report will print it (when the
//! report shows that file). `{"resumed":{…}}` marks each resume.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::evidence::ItemPath;
use crate::listing::Listing;
use crate::report::record_line;
/// Part of the report's header (`resumed`); the journal records it too.
pub use crate::report::ResumeInfo;
use crate::result::{FileResult, ItemKey, ResultSink};
use crate::summary::{FileTally, Summary};

pub const JOURNAL_FORMAT: &str = "hashsweep-journal";
pub const JOURNAL_VERSION: u32 = 2;

/// Entries written between two `fsync`s at most, and the longest time between them.
const SYNC_EVERY_ENTRIES: usize = 256;
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// What the scan was, so a resume can run the same scan and refuse a different one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub format: String,
    pub version: u32,
    pub tool_version: String,
    /// The scan's arguments, program name first (for the report's header).
    pub command_line: Vec<String>,
    /// Where the scan was started: relative paths in `config` are relative to it.
    pub working_directory: PathBuf,
    /// What the scan was asked to do, as the front end resolved it (`hashsweep scan`'s
    /// `ScanConfig`): a resume rebuilds the scan from it.
    pub config: serde_json::Value,
    pub started_at: String,
    /// Each evidence source's path and kind, in command-line order.
    pub evidence: Vec<JournalSource>,
    /// Each list's path and the SHA-256 of its bytes, in load order.
    pub lists: Vec<JournalList>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalSource {
    pub path: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalList {
    pub path: String,
    pub sha256: String,
}

/// One finished file.
#[derive(Debug, Serialize, Deserialize)]
pub struct JournalEntry {
    pub evidence: usize,
    /// The item path's exact bytes, hex.
    pub path_hex: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ordinal: u64,
    pub tally: FileTally,
    /// The report record, byte for byte as the report prints it; absent for a file the
    /// report does not show (hashed, no alert hit, without `--all-files`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<RawValue>>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl JournalEntry {
    pub fn key(&self) -> Result<ItemKey, hex::FromHexError> {
        Ok(ItemKey {
            source: self.evidence,
            path: ItemPath::from_bytes(hex::decode(&self.path_hex)?),
            ordinal: self.ordinal,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum JournalLine {
    Header(JournalHeader),
    File(JournalEntry),
    Resumed(ResumeInfo),
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    // The cause is in the message, not chained as a source: `{:#}` would print it twice.
    #[error("journal {path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("journal {path} already exists: resume that scan with --resume {path}, or remove it")]
    Exists { path: PathBuf },
    #[error("journal {path}: no complete header line (the scan stopped before it began)")]
    NoHeader { path: PathBuf },
    #[error("journal {path}, line {line}: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("journal {path}: written by format {format:?} version {version}, not {JOURNAL_FORMAT} {JOURNAL_VERSION}")]
    Unsupported {
        path: PathBuf,
        format: String,
        version: u32,
    },
}

/// A journal read back.
#[derive(Debug)]
pub struct Journal {
    pub path: PathBuf,
    pub header: JournalHeader,
    /// The journaled items, each once: the items a resume leaves out (`Scanner::skipping`).
    pub done: HashSet<ItemKey>,
    /// What the journaled files add to the summary.
    counts: Summary,
    /// The journaled report records (files the report shows), with their keys.
    records: Vec<(ItemKey, String)>,
    pub resumes: Vec<ResumeInfo>,
    /// Bytes up to the end of the last complete line: a resume appends from there.
    pub complete_len: u64,
    /// Whether a last, incomplete line (cut off by the kill) was dropped.
    pub torn_tail: bool,
}

impl Journal {
    /// Reads a journal, a line at a time: what it keeps is the set of done items, the
    /// counts they add up to and the records the report shows, not the lines themselves.
    /// Only the last line may be incomplete (it was being written when the scan was
    /// killed): it is dropped, and the files it named are done again. A malformed complete
    /// line is an error naming the line.
    pub fn read(path: &Path) -> Result<Journal, JournalError> {
        let corrupt = |line: usize, reason: String| JournalError::Corrupt {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut reader = BufReader::new(File::open(path).map_err(|e| io_error(path, e))?);
        let mut journal: Option<Journal> = None;
        let mut line = Vec::new();
        let mut complete_len = 0u64;
        let mut torn_tail = false;
        for line_no in 1.. {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| io_error(path, e))?;
            if read == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                torn_tail = true;
                break;
            }
            complete_len += read as u64;
            let text = &line[..line.len() - 1];
            if text.is_empty() {
                continue;
            }
            let parsed: JournalLine =
                serde_json::from_slice(text).map_err(|e| corrupt(line_no, e.to_string()))?;
            match (parsed, journal.as_mut()) {
                (JournalLine::Header(header), None) if line_no == 1 => {
                    journal = Some(Journal::start(path, header)?)
                }
                (JournalLine::Header(_), _) => {
                    return Err(corrupt(line_no, "a header after line 1".into()))
                }
                (_, None) => return Err(corrupt(line_no, "the first line is not a header".into())),
                (JournalLine::File(entry), Some(journal)) => journal
                    .add(entry)
                    .map_err(|reason| corrupt(line_no, reason))?,
                (JournalLine::Resumed(info), Some(journal)) => journal.resumes.push(info),
            }
        }
        let mut journal = journal.ok_or_else(|| JournalError::NoHeader {
            path: path.to_path_buf(),
        })?;
        journal.records.sort_by(|a, b| a.0.cmp(&b.0));
        journal.complete_len = complete_len;
        journal.torn_tail = torn_tail;
        Ok(journal)
    }

    /// An empty journal of the scan `header` describes, if this build reads its format.
    fn start(path: &Path, header: JournalHeader) -> Result<Journal, JournalError> {
        if header.format != JOURNAL_FORMAT || header.version != JOURNAL_VERSION {
            return Err(JournalError::Unsupported {
                path: path.to_path_buf(),
                format: header.format,
                version: header.version,
            });
        }
        Ok(Journal {
            path: path.to_path_buf(),
            counts: Summary::for_sources(header.evidence.len()),
            header,
            done: HashSet::new(),
            records: Vec::new(),
            resumes: Vec::new(),
            complete_len: 0,
            torn_tail: false,
        })
    }

    /// One finished file, counted once (the first entry of a key wins).
    fn add(&mut self, entry: JournalEntry) -> Result<(), String> {
        let key = entry.key().map_err(|e| format!("path_hex: {e}"))?;
        if entry.evidence >= self.header.evidence.len() {
            return Err(format!(
                "evidence {} of a scan of {} sources",
                entry.evidence,
                self.header.evidence.len()
            ));
        }
        if self.done.contains(&key) {
            return Ok(());
        }
        self.counts.add(entry.evidence, &entry.tally);
        if let Some(record) = entry.record {
            self.records.push((key.clone(), record.get().to_string()));
        }
        self.done.insert(key);
        Ok(())
    }

    /// How many files the journal holds.
    pub fn files_done(&self) -> u64 {
        self.done.len() as u64
    }

    /// Adds what the journaled files count to `summary` (the resumed run's own counts).
    pub fn add_to(&self, summary: &mut Summary) {
        summary.merge(&self.counts);
    }

    /// The journaled records in report order, to merge with a resumed run's as they come
    /// (handed over once: the journal keeps no copy).
    pub fn take_records(&mut self) -> JournaledRecords {
        JournaledRecords {
            sorted: std::mem::take(&mut self.records).into_iter().peekable(),
        }
    }
}

/// The records an interrupted run journaled, sorted, handed out to go between the
/// resumed run's records (which never share a key with them: journaled files are not
/// done again).
pub struct JournaledRecords {
    sorted: std::iter::Peekable<std::vec::IntoIter<(ItemKey, String)>>,
}

impl JournaledRecords {
    /// The journaled records that sort before `key`: they go before its record.
    pub fn before<'a>(&'a mut self, key: &'a ItemKey) -> impl Iterator<Item = String> + 'a {
        std::iter::from_fn(move || self.sorted.next_if(|(k, _)| k < key).map(|(_, line)| line))
    }

    /// The journaled records after the resumed run's last.
    pub fn rest(self) -> impl Iterator<Item = String> {
        self.sorted.map(|(_, line)| line)
    }
}

/// Appends finished files to a journal from any worker thread. A write error is kept (the
/// scan goes on; the journal then only holds what was written before) and returned by
/// `finish`.
pub struct JournalWriter {
    path: PathBuf,
    /// Which files' records the report shows (and so the journal keeps).
    listing: Listing,
    state: Mutex<WriterState>,
}

struct WriterState {
    out: BufWriter<File>,
    unsynced: usize,
    last_sync: Instant,
    error: Option<io::Error>,
}

impl JournalWriter {
    /// Starts a new journal; refuses to overwrite one.
    pub fn create(
        path: &Path,
        header: &JournalHeader,
        listing: Listing,
    ) -> Result<Self, JournalError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|source| match source.kind() {
                io::ErrorKind::AlreadyExists => JournalError::Exists {
                    path: path.to_path_buf(),
                },
                _ => io_error(path, source),
            })?;
        let writer = JournalWriter::over(path, file, listing);
        writer.append_line(&JournalLine::Header(header.clone()));
        writer.sync().map_err(|e| io_error(path, e))?;
        sync_parent_dir(path).map_err(|e| io_error(path, e))?;
        Ok(writer)
    }

    /// Reopens a journal read by `Journal::read` to append to it, cutting off a torn last
    /// line first, and records the resume.
    pub fn resume(
        journal: &Journal,
        info: &ResumeInfo,
        listing: Listing,
    ) -> Result<Self, JournalError> {
        let path = &journal.path;
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        file.set_len(journal.complete_len)
            .map_err(|e| io_error(path, e))?;
        let mut file = file;
        io::Seek::seek(&mut file, io::SeekFrom::End(0)).map_err(|e| io_error(path, e))?;
        let writer = JournalWriter::over(path, file, listing);
        writer.append_line(&JournalLine::Resumed(info.clone()));
        writer.sync().map_err(|e| io_error(path, e))?;
        Ok(writer)
    }

    fn over(path: &Path, file: File, listing: Listing) -> Self {
        JournalWriter {
            path: path.to_path_buf(),
            listing,
            state: Mutex::new(WriterState {
                out: BufWriter::with_capacity(1 << 16, file),
                unsynced: 0,
                last_sync: Instant::now(),
                error: None,
            }),
        }
    }

    fn append_line(&self, line: &JournalLine) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.error.is_some() {
            return;
        }
        let written = serde_json::to_vec(line)
            .map_err(io::Error::other)
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                state.out.write_all(&bytes)
            });
        if let Err(e) = written {
            state.error = Some(e);
            return;
        }
        state.unsynced += 1;
        if state.unsynced >= SYNC_EVERY_ENTRIES || state.last_sync.elapsed() >= SYNC_EVERY {
            if let Err(e) = sync_state(&mut state) {
                state.error = Some(e);
            }
        }
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        sync_state(&mut state)
    }

    /// Writes out and syncs what is left; returns the first error met, if any.
    pub fn finish(self) -> Result<(), JournalError> {
        let path = self.path.clone();
        let mut state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = state.error.take() {
            return Err(io_error(&path, e));
        }
        sync_state(&mut state).map_err(|e| io_error(&path, e))
    }
}

impl ResultSink for JournalWriter {
    fn finished(&self, result: &FileResult) {
        let record = if self.listing.keeps(result) {
            match record_line(result).and_then(RawValue::from_string) {
                Ok(raw) => Some(raw),
                Err(e) => {
                    let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                    state.error.get_or_insert(io::Error::other(e));
                    return;
                }
            }
        } else {
            None
        };
        self.append_line(&JournalLine::File(JournalEntry {
            evidence: result.source,
            path_hex: hex::encode(result.path.as_bytes()),
            ordinal: result.ordinal,
            tally: FileTally::of(result),
            record,
        }));
    }
}

fn sync_state(state: &mut WriterState) -> io::Result<()> {
    state.out.flush()?;
    state.out.get_ref().sync_data()?;
    state.unsynced = 0;
    state.last_sync = Instant::now();
    Ok(())
}

/// Makes the new journal's directory entry durable too.
fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

fn io_error(path: &Path, source: io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_path_buf(),
        error: source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::SkipReason;
    use crate::result::Outcome;

    fn header() -> JournalHeader {
        JournalHeader {
            format: JOURNAL_FORMAT.into(),
            version: JOURNAL_VERSION,
            tool_version: "test".into(),
            command_line: vec!["hashsweep".into(), "scan".into()],
            working_directory: PathBuf::from("/"),
            config: serde_json::json!({}),
            started_at: "2026-01-01T00:00:00Z".into(),
            evidence: vec![JournalSource {
                path: "ev".into(),
                kind: "directory".into(),
            }],
            lists: vec![],
        }
    }

    fn skipped(path: &str, ordinal: u64) -> FileResult {
        FileResult {
            source: 0,
            path: ItemPath::from_bytes(path.as_bytes().to_vec()),
            ordinal,
            size: None,
            location: None,
            entry: None,
            meta: None,
            outcome: Outcome::Skipped(SkipReason::Encrypted),
        }
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_off_on_resume() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.journal");
        let writer = JournalWriter::create(&path, &header(), Listing::default()).unwrap();
        writer.finished(&skipped("ev/b", 0));
        writer.finished(&skipped("ev/a", 0));
        writer.finished(&skipped("ev/a", 1));
        writer.finish().unwrap();
        let full = std::fs::read(&path).unwrap();
        // Cut the last entry in half, as a kill in the middle of a write would.
        std::fs::write(&path, &full[..full.len() - 10]).unwrap();

        let journal = Journal::read(&path).unwrap();
        assert!(journal.torn_tail);
        assert_eq!(journal.files_done(), 2);
        let mut summary = Summary::for_sources(1);
        journal.add_to(&mut summary);
        assert_eq!(summary.total.skipped["encrypted"], 2);
        let resumed = ResumeInfo {
            command_line: vec![],
            at: "t".into(),
            files_already_done: 2,
        };
        let writer = JournalWriter::resume(&journal, &resumed, Listing::default()).unwrap();
        writer.finished(&skipped("ev/a", 1));
        writer.finish().unwrap();

        let mut again = Journal::read(&path).unwrap();
        assert!(!again.torn_tail);
        assert_eq!(again.resumes, vec![resumed]);
        let mut journaled = again.take_records();
        let resumed_run = skipped("ev/0", 0);
        let mut lines: Vec<String> = journaled.before(&resumed_run.key()).collect();
        lines.push(record_line(&resumed_run).unwrap());
        lines.extend(journaled.rest());
        let paths: Vec<String> = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["path"].to_string())
            .collect();
        assert_eq!(paths, ["\"ev/0\"", "\"ev/a\"", "\"ev/a\"", "\"ev/b\""]);
    }

    #[test]
    fn a_corrupt_complete_line_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.journal");
        let writer = JournalWriter::create(&path, &header(), Listing::default()).unwrap();
        writer.finish().unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"file\":{\"evidence\":0}}\n{\"resumed\":1}\n");
        std::fs::write(&path, text).unwrap();
        let err = Journal::read(&path).unwrap_err();
        assert!(
            matches!(err, JournalError::Corrupt { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn an_entry_of_a_source_the_scan_does_not_have_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.journal");
        let writer = JournalWriter::create(&path, &header(), Listing::default()).unwrap();
        let mut stray = skipped("ev/a", 0);
        stray.source = 1;
        writer.finished(&stray);
        writer.finish().unwrap();
        let err = Journal::read(&path).unwrap_err();
        assert!(
            matches!(&err, JournalError::Corrupt { line: 2, reason, .. }
                if reason.contains("evidence 1 of a scan of 1 sources")),
            "{err}"
        );
    }

    #[test]
    fn an_existing_journal_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.journal");
        std::fs::write(&path, b"keep me").unwrap();
        let err = JournalWriter::create(&path, &header(), Listing::default())
            .err()
            .unwrap();
        assert!(matches!(err, JournalError::Exists { .. }));
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    }
}
