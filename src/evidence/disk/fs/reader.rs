//! Reads a file's content from its `FileData`, straight from the image by positioned reads.
//!
//! Owns `DataReader`: no filesystem object is involved, so any number of files of one image
//! are read at once from the hashing pool, each announcing the next bytes of its run so a
//! compressed image decompresses them ahead. Sparse runs read as zeros. A short read of the
//! image (truncated E01, image shorter than its partition table says) is an error naming
//! the image offset, never silent zero padding.

use std::io::{self, Read};
use std::sync::Arc;

use super::Run;
use crate::evidence::disk::bytes::ByteSource;

/// The content of one file, read run by run.
pub(crate) struct DataReader {
    src: Arc<dyn ByteSource>,
    /// Image byte offset of the volume the runs are relative to.
    base: u64,
    runs: Vec<Run>,
    /// Index of the current run and the position inside it.
    run: usize,
    within: u64,
}

impl DataReader {
    pub(crate) fn new(src: Arc<dyn ByteSource>, base: u64, runs: Vec<Run>) -> Self {
        DataReader {
            src,
            base,
            runs,
            run: 0,
            within: 0,
        }
    }
}

impl Read for DataReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(run) = self.runs.get(self.run).copied() else {
                return Ok(0);
            };
            let left = run.len - self.within;
            if left == 0 {
                self.run += 1;
                self.within = 0;
                continue;
            }
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            if want == 0 {
                return Ok(0);
            }
            let n = match run.offset {
                None => {
                    buf[..want].fill(0);
                    want
                }
                Some(off) => {
                    self.announce_next(off, run.len, want);
                    self.read_image(off, want, buf)?
                }
            };
            self.within += n as u64;
            return Ok(n);
        }
    }
}

/// How far past the current read a file announces its next bytes (`ByteSource::will_need`):
/// a few reads' worth, so that an E01's chunks are decompressed on other cores while this
/// reader hashes the current ones; further if the source asks (`ByteSource::read_ahead`).
const READ_AHEAD: u64 = 2 << 20;

impl DataReader {
    /// Announces the bytes of the current run after this read of `want` (run at image
    /// offset `run_off` of the volume, `run_len` long).
    fn announce_next(&self, run_off: u64, run_len: u64, want: usize) {
        let next = self.within + want as u64;
        let ahead = run_len
            .saturating_sub(next)
            .min(READ_AHEAD.max(self.src.read_ahead()));
        if ahead > 0 {
            if let Some(at) = self
                .base
                .checked_add(run_off)
                .and_then(|o| o.checked_add(next))
            {
                self.src.will_need(at, ahead);
            }
        }
    }

    fn read_image(&self, run_off: u64, want: usize, buf: &mut [u8]) -> io::Result<usize> {
        let at = self
            .base
            .checked_add(run_off)
            .and_then(|o| o.checked_add(self.within))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "offset overflow"))?;
        let n = self.src.read_at(at, &mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("image ends at byte {at}, inside this file's data"),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Zeros, `len` long, recording every `will_need`; asks for `read_ahead`.
    struct Announced {
        len: u64,
        read_ahead: u64,
        calls: Mutex<Vec<(u64, u64)>>,
    }

    impl ByteSource for Announced {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.len.saturating_sub(offset) as usize);
            buf[..n].fill(0);
            Ok(n)
        }
        fn len(&self) -> u64 {
            self.len
        }
        fn will_need(&self, offset: u64, len: u64) {
            self.calls.lock().unwrap().push((offset, len));
        }
        fn read_ahead(&self) -> u64 {
            self.read_ahead
        }
    }

    /// The announcements made by reading a 12 MiB run at image offset 1,000 + 24 in
    /// 1 MiB reads from a source asking for `read_ahead`.
    fn announcements(read_ahead: u64) -> Vec<(u64, u64)> {
        let src = Arc::new(Announced {
            len: 64 << 20,
            read_ahead,
            calls: Mutex::new(Vec::new()),
        });
        let run = Run {
            offset: Some(24),
            len: 12 << 20,
        };
        let mut reader = DataReader::new(src.clone(), 1000, vec![run]);
        let mut buf = vec![0u8; 1 << 20];
        while reader.read(&mut buf).unwrap() > 0 {}
        let calls = src.calls.lock().unwrap().clone();
        calls
    }

    #[test]
    fn a_file_announces_its_next_bytes_as_far_as_the_source_asks_and_never_past_its_run() {
        const MIB: u64 = 1 << 20;
        let start = 1024;
        // Default: 2 MiB ahead, cut at the run's end, nothing after the last read.
        let plain = announcements(0);
        assert_eq!(plain.len(), 11);
        assert_eq!(plain[0], (start + MIB, 2 * MIB));
        assert_eq!(plain[9], (start + 10 * MIB, 2 * MIB));
        assert_eq!(plain[10], (start + 11 * MIB, MIB));
        // A source with 4 MiB chunks asks for two of them ahead.
        let chunked = announcements(8 * MIB);
        assert_eq!(chunked[0], (start + MIB, 8 * MIB));
        assert_eq!(chunked[4], (start + 5 * MIB, 7 * MIB));
        assert_eq!(chunked.len(), 11);
    }
}
