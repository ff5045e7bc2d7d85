//! Where a scan's per-file records go while the scan runs, so that no record waits in
//! memory for the scan to end.
//!
//! Owns `RecordsOut`. Records go straight into the report after its header, or, when the
//! header is only complete after the scan (`--verify-image` hashes the media alongside),
//! into an unnamed spool file beside the report that is copied in behind the header at the
//! end. The spool holds what the report holds (paths and hashes, never picture content)
//! and vanishes with the process. A resumed scan's journaled records are merged in as the
//! new ones pass; the terminal summary's digest is kept on the way.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;

use hashsweep::journal::JournaledRecords;
use hashsweep::report::{self, FileRecord, Header};
use hashsweep::FileResult;

use super::human::TerminalDigest;

pub struct RecordsOut<'w, W: Write> {
    report: &'w mut W,
    /// Records waiting for the header, which is written at the end.
    spool: Option<BufWriter<File>>,
    journaled: Option<JournaledRecords>,
    /// The first write error: later records are dropped, and the scan reports it at the end.
    error: Option<io::Error>,
    pub terminal: TerminalDigest,
}

impl<'w, W: Write> RecordsOut<'w, W> {
    /// Starts the report: its header now when it is already final, else records are
    /// spooled in an unnamed file in `spool_dir` until `finish` writes the final header.
    pub fn start(
        report: &'w mut W,
        header: &Header,
        header_is_final: bool,
        spool_dir: &Path,
        journaled: Option<JournaledRecords>,
    ) -> io::Result<Self> {
        let spool = if header_is_final {
            report::write_line(report, header)?;
            None
        } else {
            Some(BufWriter::new(tempfile::tempfile_in(spool_dir)?))
        };
        Ok(RecordsOut {
            report,
            spool,
            journaled,
            error: None,
            terminal: TerminalDigest::default(),
        })
    }

    /// One kept result, in report order.
    pub fn put(&mut self, result: &FileResult) {
        self.terminal.observe(result);
        if self.error.is_some() {
            return;
        }
        let key = result.key();
        let journaled: Vec<String> = match &mut self.journaled {
            Some(records) => records.before(&key).collect(),
            None => Vec::new(),
        };
        let written = journaled
            .iter()
            .try_for_each(|line| self.write_raw(line))
            .and_then(|()| report::write_line(&mut self.out(), &FileRecord::from_result(result)));
        if let Err(e) = written {
            self.error = Some(e);
        }
    }

    /// Ends the records (the journaled ones after the last new one); for a spool, writes
    /// `header` (now final) and copies the spooled records in behind it.
    pub fn finish(mut self, header: &Header) -> io::Result<TerminalDigest> {
        if let Some(records) = self.journaled.take() {
            for line in records.rest() {
                self.write_raw(&line)?;
            }
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some(spool) = self.spool {
            let mut spool = spool.into_inner().map_err(io::IntoInnerError::into_error)?;
            spool.rewind()?;
            report::write_line(self.report, header)?;
            io::copy(&mut spool, self.report)?;
        }
        Ok(self.terminal)
    }

    fn out(&mut self) -> &mut dyn Write {
        match &mut self.spool {
            Some(spool) => spool,
            None => self.report,
        }
    }

    fn write_raw(&mut self, line: &str) -> io::Result<()> {
        let out = self.out();
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")
    }
}
