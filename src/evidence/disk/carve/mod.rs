//! Carving pictures out of the bytes no listed file owns.
//!
//! Owns `CarveOptions` (on or off, the cap of one carve) and `carve`, which streams the
//! unowned regions of a volume (or of a whole image with no filesystem), looks for picture
//! headers at block boundaries (the volume's cluster, or the 512-byte sector), and finds
//! each picture's end from its structure (`formats`). Only contiguous bytes are carved: a
//! picture cut by an owned region, longer than the cap or fragmented is left out, except a
//! JPEG whose first scan had begun, which is kept up to where its structure breaks and
//! flagged `partial` (its missing part decodes as grey). Memory is
//! one read chunk plus one carve (at most the cap). What to do with a carved region (an
//! item of the image) is `disk/mod.rs`'s business.

pub mod formats;

use std::sync::atomic::{AtomicBool, Ordering};

use self::formats::{End, PictureKind, HEADER_LEN};
use super::bytes::{read_exact_at, ByteSource};
use super::fs::Run;

/// How a disk image is carved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CarveOptions {
    pub enabled: bool,
    /// The longest picture carved (bytes); longer ones are left out.
    pub max_bytes: u64,
}

impl Default for CarveOptions {
    fn default() -> Self {
        CarveOptions {
            enabled: true,
            max_bytes: 64 << 20,
        }
    }
}

/// One picture found: `len` bytes at byte `offset` of the carved byte source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Carved {
    pub offset: u64,
    pub len: u64,
    pub kind: PictureKind,
    /// Only the start of the picture: its structure broke (or ran out) after `len` bytes.
    pub partial: bool,
}

/// Bytes read at once while looking for headers.
const CHUNK: u64 = 4 << 20;
/// A carve first reads this much, then doubles until the end is found or the cap reached.
const FIRST_CARVE_READ: u64 = 256 << 10;

/// The parts of `0..len` not covered by `owned` (runs of the same source), in order.
pub fn unowned(len: u64, owned: impl IntoIterator<Item = Run>) -> Vec<(u64, u64)> {
    let mut taken: Vec<(u64, u64)> = owned
        .into_iter()
        .filter_map(|r| Some((r.offset?, r.offset?.saturating_add(r.len).min(len))))
        .filter(|(s, e)| s < e)
        .collect();
    taken.sort_unstable();
    let mut free = Vec::new();
    let mut at = 0u64;
    for (start, end) in taken {
        if start > at {
            free.push((at, start - at));
        }
        at = at.max(end);
    }
    if at < len {
        free.push((at, len - at));
    }
    free
}

/// The byte ranges a volume's listed files own, gathered as the files are listed. Ranges
/// are merged whenever their count doubles, so the files of a volume allocated side by side
/// take a few ranges, not one per file.
#[derive(Debug, Default)]
pub struct OwnedRanges {
    ranges: Vec<(u64, u64)>,
    merged: usize,
}

/// Ranges held before the first merge.
const FIRST_MERGE: usize = 4096;

impl OwnedRanges {
    pub fn add(&mut self, run: Run) {
        let Some(start) = run.offset else {
            return;
        };
        let end = start.saturating_add(run.len);
        if start < end {
            self.ranges.push((start, end));
        }
        if self.ranges.len() >= (2 * self.merged).max(FIRST_MERGE) {
            self.merge();
        }
    }

    fn merge(&mut self) {
        self.ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.ranges.len());
        for &(start, end) in &self.ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        self.ranges = merged;
        self.merged = self.ranges.len();
    }

    /// The parts of `0..len` no added run covers, in order.
    pub fn unowned(self, len: u64) -> Vec<(u64, u64)> {
        let runs = self.ranges.into_iter().map(|(start, end)| Run {
            offset: Some(start),
            len: end - start,
        });
        unowned(len, runs)
    }
}

/// Pictures found in `regions` (`(offset, len)` of `src`), headers searched every `block`
/// bytes of `src`. Read errors end the region they occur in (the rest of the image is
/// still carved); `stop` is checked between chunks.
pub fn carve(
    src: &dyn ByteSource,
    regions: &[(u64, u64)],
    block: u64,
    options: CarveOptions,
    stop: &AtomicBool,
) -> Result<Vec<Carved>, Interrupted> {
    let block = block.max(512);
    let mut found = Vec::new();
    let mut chunk = Vec::new();
    for &(start, len) in regions {
        let end = start.saturating_add(len);
        let mut at = start.div_ceil(block) * block;
        while at < end {
            if stop.load(Ordering::Relaxed) {
                return Err(Interrupted);
            }
            let n = CHUNK.min(end - at);
            src.will_need(at + n, CHUNK.max(src.read_ahead()).min(end - at - n));
            chunk.resize(usize::try_from(n).unwrap_or(0), 0);
            if read_exact_at(src, at, &mut chunk).is_err() {
                break;
            }
            let mut next = at + n;
            for off in (0..n).step_by(usize::try_from(block).unwrap_or(usize::MAX)) {
                let head = &chunk[usize::try_from(off).unwrap_or(0)..];
                let Some(kind) = PictureKind::at(&head[..HEADER_LEN.min(head.len())]) else {
                    continue;
                };
                let cut = (end, block);
                if let Some((len, partial)) = carve_one(src, at + off, cut, kind, options) {
                    found.push(Carved {
                        offset: at + off,
                        len,
                        kind,
                        partial,
                    });
                    // Continue at the first block after the picture (PhotoRec does too).
                    next = (at + off + len).div_ceil(block) * block;
                    break;
                }
            }
            at = next;
        }
    }
    Ok(found)
}

/// The length of the `kind` picture at `offset`, reading no further than `end` or the cap,
/// and whether it is only the start of one (`PictureKind::end_and_partial`). A partial picture
/// also ends before the next `block` boundary that starts another picture's header.
fn carve_one(
    src: &dyn ByteSource,
    offset: u64,
    (end, block): (u64, u64),
    kind: PictureKind,
    options: CarveOptions,
) -> Option<(u64, bool)> {
    let limit = (end - offset).min(options.max_bytes);
    let mut want = FIRST_CARVE_READ.min(limit);
    loop {
        let mut buf = vec![0u8; usize::try_from(want).ok()?];
        read_exact_at(src, offset, &mut buf).ok()?;
        let (end, partial_len) = kind.end_and_partial(&buf);
        let partial = || {
            let len = partial_len?;
            let step = usize::try_from(block).ok()?;
            let next_header = (step..len)
                .step_by(step)
                .find(|at| PictureKind::at(&buf[*at..(at + HEADER_LEN).min(len)]).is_some());
            Some((next_header.unwrap_or(len) as u64, true))
        };
        match end {
            End::At(len) => return Some((len as u64, false)),
            End::Invalid => return partial(),
            End::NeedMore if want >= limit => return partial(),
            End::NeedMore => want = (want * 2).min(limit),
        }
    }
}

/// The stop flag was raised while carving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unowned_is_the_complement_of_owned_runs() {
        let run = |offset: Option<u64>, len| Run { offset, len };
        let owned = [
            run(Some(100), 50),
            run(None, 999),
            run(Some(120), 100),
            run(Some(900), 500),
        ];
        assert_eq!(unowned(1000, owned), vec![(0, 100), (220, 680)]);
        assert_eq!(unowned(10, []), vec![(0, 10)]);
    }

    #[test]
    fn owned_ranges_merge_to_the_same_complement() {
        let runs: Vec<Run> = (0..20_000u64)
            .map(|i| Run {
                offset: (i % 5 != 0).then_some((i * 7919) % 100_000),
                len: 1 + i % 13,
            })
            .collect();
        let mut owned = OwnedRanges::default();
        runs.iter().for_each(|r| owned.add(*r));
        assert!(owned.ranges.len() < runs.len());
        assert_eq!(owned.unowned(100_050), unowned(100_050, runs));
    }
}
