//! Reading an NTFS-compressed stream unit by unit: which compression units are stored
//! compressed, stored plain or left sparse, and their decompressed bytes.
//!
//! Owns `CompressedData` (a stream's clusters in file order and its compression-unit size,
//! checked against the volume when the walk builds it) and `CompressedReader`, which the
//! hashing pool reads like any other file: one unit at a time, by positioned reads of the
//! image, decompressed by `lznt1`. The rule for a unit (the same in ntfs-3g and TSK): every
//! cluster allocated → stored plain; none → zeros; some allocated and the rest sparse →
//! the allocated clusters hold LZNT1 chunks. Leaves out how the runs were found
//! (`ntfs_streams.rs`) and the format itself (`lznt1.rs`).

use std::io::{self, Read};
use std::sync::Arc;

use super::lznt1;
use super::Run;
use crate::evidence::disk::bytes::{read_exact_at, ByteSource};

/// Compression units larger than this are not NTFS (Windows writes 16 clusters of at most
/// 4 KiB: 64 KiB); the limit bounds the per-file buffers a hostile header can ask for.
pub(crate) const MAX_UNIT: u64 = 1 << 20;

/// An LZNT1-compressed non-resident stream.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct CompressedData {
    /// The stream's clusters in file (VCN) order, as volume byte runs; `None` = sparse.
    extents: Vec<Run>,
    /// Bytes per compression unit (clusters × 2^unit exponent).
    unit: u64,
    /// Uncompressed size of the stream.
    size: u64,
}

impl CompressedData {
    /// The stream's clusters as volume byte runs (what it owns on the volume).
    pub fn extents(&self) -> &[Run] {
        &self.extents
    }

    /// Checks the runs lie inside the volume and cover `size`, and the unit is sane.
    pub fn new(
        extents: impl IntoIterator<Item = (Option<u64>, u64)>,
        unit: u64,
        size: u64,
        volume_len: u64,
    ) -> Result<Self, String> {
        if unit == 0 || unit > MAX_UNIT || !unit.is_multiple_of(lznt1::CHUNK as u64) {
            return Err(format!("compression unit of {unit} bytes is not NTFS"));
        }
        let mut runs: Vec<Run> = Vec::new();
        let mut total = 0u64;
        for (offset, len) in extents {
            if let Some(off) = offset {
                if off.checked_add(len).is_none_or(|e| e > volume_len) {
                    return Err(format!(
                        "data run at byte {off} (+{len}) lies outside the volume"
                    ));
                }
            }
            total = total.saturating_add(len);
            runs.push(Run { offset, len });
        }
        if total < size {
            return Err(format!(
                "data runs end {} bytes before the file size {size}",
                size - total
            ));
        }
        Ok(CompressedData {
            extents: runs,
            unit,
            size,
        })
    }

    /// Volume byte of the first allocated cluster.
    pub fn first_offset(&self) -> Option<u64> {
        self.extents.iter().find_map(|r| r.offset)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The runs of unit `k` (file bytes `k*unit ..`), cut to the unit's bounds.
    fn unit_runs(&self, k: u64) -> Vec<Run> {
        let start = k * self.unit;
        let end = start + self.unit;
        let mut out = Vec::new();
        let mut at = 0u64;
        for run in &self.extents {
            let (lo, hi) = (at.max(start), (at + run.len).min(end));
            if lo < hi {
                let offset = run.offset.map(|o| o + (lo - at));
                out.push(Run {
                    offset,
                    len: hi - lo,
                });
            }
            at += run.len;
            if at >= end {
                break;
            }
        }
        out
    }
}

/// Reads a compressed stream's uncompressed bytes.
pub(crate) struct CompressedReader {
    src: Arc<dyn ByteSource>,
    /// Image byte offset of the volume.
    base: u64,
    data: Arc<CompressedData>,
    next_unit: u64,
    /// The current unit's uncompressed bytes, `buf[pos..len]` not yet returned.
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    packed: Vec<u8>,
}

impl CompressedReader {
    pub(crate) fn new(src: Arc<dyn ByteSource>, base: u64, data: Arc<CompressedData>) -> Self {
        CompressedReader {
            src,
            base,
            data,
            next_unit: 0,
            buf: Vec::new(),
            pos: 0,
            len: 0,
            packed: Vec::new(),
        }
    }

    /// Fills `buf` with the next unit; false at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        let unit = self.data.unit;
        let start = self.next_unit * unit;
        if start >= self.data.size {
            return Ok(false);
        }
        let want = usize::try_from(unit.min(self.data.size - start)).unwrap_or(usize::MAX);
        let runs = self.data.unit_runs(self.next_unit);
        self.buf.resize(unit as usize, 0);
        let allocated: u64 = runs
            .iter()
            .filter(|r| r.offset.is_some())
            .map(|r| r.len)
            .sum();
        if allocated == 0 {
            self.buf.fill(0);
        } else if runs.iter().all(|r| r.offset.is_some()) {
            self.read_runs(&runs, start, false)?;
        } else {
            self.read_runs(&runs, start, true)?;
            let packed = &self.packed[..allocated as usize];
            lznt1::decompress_into(packed, &mut self.buf).map_err(|e| {
                let at = runs.iter().find_map(|r| r.offset).unwrap_or(0) + self.base;
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("LZNT1 compression unit at file offset {start} (image byte {at}): {e}"),
                )
            })?;
        }
        self.next_unit += 1;
        self.pos = 0;
        self.len = want;
        Ok(true)
    }

    /// Reads the unit's allocated runs one after the other, into `packed` (compressed) or
    /// straight into `buf` (stored plain).
    fn read_runs(&mut self, runs: &[Run], start: u64, packed: bool) -> io::Result<()> {
        let dest = if packed {
            &mut self.packed
        } else {
            &mut self.buf
        };
        dest.resize(self.data.unit as usize, 0);
        let mut at = 0usize;
        for run in runs {
            let Some(off) = run.offset else { continue };
            let n = run.len as usize;
            let image = self.base + off;
            read_exact_at(self.src.as_ref(), image, &mut dest[at..at + n]).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("compression unit at file offset {start}, image byte {image}: {e}"),
                )
            })?;
            at += n;
        }
        dest[at..].fill(0);
        Ok(())
    }
}

impl Read for CompressedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.len && !self.fill()? {
            return Ok(0);
        }
        let n = (self.len - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte source over a vector (the volume).
    struct Mem(Vec<u8>);
    impl ByteSource for Mem {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let from = (offset as usize).min(self.0.len());
            let n = buf.len().min(self.0.len() - from);
            buf[..n].copy_from_slice(&self.0[from..from + n]);
            Ok(n)
        }
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
    }

    const CLUSTER: u64 = 4096;
    const UNIT: u64 = 16 * CLUSTER;

    fn read_all(volume: Vec<u8>, data: CompressedData) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        CompressedReader::new(Arc::new(Mem(volume)), 0, Arc::new(data)).read_to_end(&mut out)?;
        Ok(out)
    }

    /// Unit 0 compressed into 2 clusters + 14 sparse, unit 1 sparse, unit 2 plain (16
    /// clusters), unit 3 compressed and short (the file ends inside it).
    #[test]
    fn units_compressed_sparse_plain_and_short() {
        let text = b"a picture's worth of words ".repeat(UNIT as usize / 27 + 1);
        let unit0 = &text[..UNIT as usize];
        let plain: Vec<u8> = (0..UNIT).map(|i| (i * 7 % 251) as u8).collect();
        let tail = &text[..10_000];
        let mut volume = vec![0u8; CLUSTER as usize];
        let mut extents = Vec::new();
        for (bytes, compress) in [(unit0, true), (&plain[..], false), (tail, true)] {
            let stored = if compress {
                lznt1::compress(bytes)
            } else {
                bytes.to_vec()
            };
            let clusters = (stored.len() as u64).div_ceil(CLUSTER);
            extents.push((Some(volume.len() as u64), clusters * CLUSTER));
            volume.extend_from_slice(&stored);
            volume.resize(volume.len().next_multiple_of(CLUSTER as usize), 0);
            if compress {
                extents.push((None, UNIT - clusters * CLUSTER));
            }
            if bytes.as_ptr() == unit0.as_ptr() {
                extents.push((None, UNIT)); // unit 1: sparse
            }
        }
        let size = 3 * UNIT + tail.len() as u64;
        let data = CompressedData::new(extents, UNIT, size, volume.len() as u64).unwrap();
        let got = read_all(volume, data).unwrap();
        let mut want = unit0.to_vec();
        want.extend(std::iter::repeat_n(0u8, UNIT as usize));
        want.extend_from_slice(&plain);
        want.extend_from_slice(tail);
        assert_eq!(got.len(), want.len());
        assert!(got == want);
    }

    #[test]
    fn a_bad_unit_names_its_file_offset() {
        let mut volume = vec![0u8; 2 * CLUSTER as usize];
        // Unit 1 (file offset 65536): a chunk whose first token points before the start.
        volume[..5].copy_from_slice(&[0x02, 0xB0, 0x01, 0x00, 0x00]);
        let extents = [(None, UNIT), (Some(0), CLUSTER), (None, UNIT - CLUSTER)];
        let data = CompressedData::new(extents, UNIT, 2 * UNIT, volume.len() as u64).unwrap();
        let err = read_all(volume, data).unwrap_err().to_string();
        assert!(err.contains("file offset 65536"), "{err}");
    }

    #[test]
    fn runs_outside_the_volume_or_short_are_refused() {
        assert!(CompressedData::new([(Some(4096), 8192)], UNIT, 100, 8192).is_err());
        assert!(CompressedData::new([(Some(0), 4096)], UNIT, 5000, 8192).is_err());
        assert!(CompressedData::new([(Some(0), 4096)], 3, 100, 8192).is_err());
        assert!(CompressedData::new([(Some(0), 4096)], 1 << 30, 100, 8192).is_err());
    }
}
