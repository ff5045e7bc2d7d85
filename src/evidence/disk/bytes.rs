//! The byte-source layer: a disk image as positioned reads, whatever container holds it.
//!
//! Owns `ByteSource` (`read_at(&self)`, so the hashing pool reads many files of one image at
//! once without a shared cursor), two of its containers (raw file, split raw `.001/.002…`;
//! E01 is `ewf_chunks`), `Window` (a partition as a sub-range) and `Cursor` (a
//! `Read + Seek` view for crates that want one). Partitions and filesystems live elsewhere.
//! Every file is opened read-only; nothing here can write.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::evidence::directory::open_read_only;

/// Positioned, thread-safe reads of a fixed-length byte range.
pub trait ByteSource: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end of the source.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Length in bytes.
    fn len(&self) -> u64;
    /// True when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A hint that `[offset, offset + len)` will be read soon, in order: a compressed
    /// source (E01) decompresses it ahead, on other cores. Reads are correct without it.
    fn will_need(&self, _offset: u64, _len: u64) {}
    /// The least a sequential reader should announce ahead of itself: a compressed
    /// source's own unit of work (an E01's next chunk, however large its chunks); 0 where
    /// any amount will do.
    fn read_ahead(&self) -> u64 {
        0
    }
    /// Media hashes the acquisition tool stored in the container (E01): MD5 and SHA-1, hex.
    fn stored_hashes(&self) -> StoredHashes {
        StoredHashes::default()
    }
}

/// Hashes of the media recorded by the acquisition tool, as lowercase hex.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoredHashes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
}

/// Fills `buf` completely or fails with `UnexpectedEof` naming the offset.
pub(crate) fn read_exact_at(src: &dyn ByteSource, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0usize;
    while done < buf.len() {
        let at = offset
            .checked_add(done as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "offset overflow"))?;
        let n = src.read_at(at, &mut buf[done..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("image ends before byte {at} (wanted {} bytes)", buf.len()),
            ));
        }
        done += n;
    }
    Ok(())
}

/// One plain image file (`.raw`, `.dd`, `.img`).
pub(crate) struct RawFile {
    file: File,
    len: u64,
}

impl RawFile {
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let file = open_read_only(path)?;
        let len = file.metadata()?.len();
        Ok(RawFile { file, len })
    }
}

impl ByteSource for RawFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        // pread: no cursor, so concurrent readers never disturb each other.
        self.file.read_at(buf, offset)
    }
    fn len(&self) -> u64 {
        self.len
    }
}

/// A raw image cut into pieces (`x.001`, `x.002`, …), read as one.
pub(crate) struct SplitRaw {
    /// Each piece with the image offset where it starts.
    pieces: Vec<(u64, RawFile)>,
    len: u64,
}

impl SplitRaw {
    pub(crate) fn open(paths: &[PathBuf]) -> io::Result<Self> {
        let mut pieces = Vec::with_capacity(paths.len());
        let mut len = 0u64;
        for path in paths {
            let piece = RawFile::open(path)?;
            let next = len.checked_add(piece.len).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "split image too large")
            })?;
            pieces.push((len, piece));
            len = next;
        }
        Ok(SplitRaw { pieces, len })
    }
}

impl ByteSource for SplitRaw {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        // The piece holding `offset`: the last one starting at or before it.
        let idx = self.pieces.partition_point(|(start, _)| *start <= offset);
        let Some((start, piece)) = idx.checked_sub(1).and_then(|i| self.pieces.get(i)) else {
            return Ok(0);
        };
        // A read never spans two pieces; callers loop (see `read_exact_at`).
        piece.read_at(offset - start, buf)
    }
    fn len(&self) -> u64 {
        self.len
    }
}

/// A sub-range of another source: a partition inside a disk.
#[derive(Clone)]
pub(crate) struct Window {
    inner: Arc<dyn ByteSource>,
    start: u64,
    len: u64,
}

impl Window {
    /// The range `[start, start + len)` clipped to the inner source.
    pub(crate) fn new(inner: Arc<dyn ByteSource>, start: u64, len: u64) -> Self {
        let avail = inner.len().saturating_sub(start);
        Window {
            inner,
            start,
            len: len.min(avail),
        }
    }
    pub(crate) fn start(&self) -> u64 {
        self.start
    }
}

impl ByteSource for Window {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(offset);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        // No overflow: offset < len and start + len <= inner.len().
        self.inner.read_at(self.start + offset, &mut buf[..want])
    }
    fn len(&self) -> u64 {
        self.len
    }
    fn will_need(&self, offset: u64, len: u64) {
        let len = len.min(self.len.saturating_sub(offset));
        if len > 0 {
            self.inner.will_need(self.start + offset, len);
        }
    }
    fn read_ahead(&self) -> u64 {
        self.inner.read_ahead()
    }
}

/// `Read + Seek` over a source, for parsers that want a cursor (partition tables,
/// filesystem crates). Caches one aligned block because those crates read in small pieces.
pub(crate) struct Cursor<'a> {
    src: &'a dyn ByteSource,
    pos: u64,
    block: Vec<u8>,
    block_start: Option<u64>,
}

/// Cursor cache block: 64 KiB covers a FAT sector run, an MFT record, an ext4 block.
const CURSOR_BLOCK: u64 = 64 * 1024;

impl<'a> Cursor<'a> {
    pub(crate) fn new(src: &'a dyn ByteSource) -> Self {
        Cursor {
            src,
            pos: 0,
            block: Vec::new(),
            block_start: None,
        }
    }

    fn fill(&mut self, start: u64) -> io::Result<()> {
        let want = CURSOR_BLOCK.min(self.src.len().saturating_sub(start));
        self.block.resize(usize::try_from(want).unwrap_or(0), 0);
        let mut done = 0usize;
        while done < self.block.len() {
            let n = self
                .src
                .read_at(start + done as u64, &mut self.block[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        self.block.truncate(done);
        self.block_start = Some(start);
        Ok(())
    }
}

impl Read for Cursor<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.src.len() || buf.is_empty() {
            return Ok(0);
        }
        let start = self.pos - self.pos % CURSOR_BLOCK;
        if self.block_start != Some(start) {
            self.fill(start)?;
        }
        let within = usize::try_from(self.pos - start).unwrap_or(usize::MAX);
        let avail = self.block.get(within..).unwrap_or(&[]);
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Cursor<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.src.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let new = new.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before start of image")
        })?;
        self.pos = new;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem(Vec<u8>);
    impl ByteSource for Mem {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let Some(rest) = self.0.get(offset as usize..) else {
                return Ok(0);
            };
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            Ok(n)
        }
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
    }

    #[test]
    fn split_raw_reads_across_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut paths = Vec::new();
        for (i, chunk) in data.chunks(4096).enumerate() {
            let p = dir.path().join(format!("x.{:03}", i + 1));
            std::fs::write(&p, chunk).unwrap();
            paths.push(p);
        }
        let split = SplitRaw::open(&paths).unwrap();
        assert_eq!(split.len(), 10_000);
        let mut buf = vec![0u8; 5000];
        read_exact_at(&split, 3000, &mut buf).unwrap();
        assert_eq!(buf, data[3000..8000]);
        assert!(read_exact_at(&split, 9000, &mut buf).is_err());
    }

    #[test]
    fn window_and_cursor_stay_inside_their_range() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mem: Arc<dyn ByteSource> = Arc::new(Mem(data.clone()));
        let win = Window::new(mem, 100, 150_000);
        let mut cur = Cursor::new(&win);
        cur.seek(SeekFrom::Start(70_000)).unwrap();
        let mut out = Vec::new();
        cur.read_to_end(&mut out).unwrap();
        assert_eq!(out, data[70_100..150_100]);
        assert!(cur.seek(SeekFrom::Current(-200_000)).is_err());
    }
}
