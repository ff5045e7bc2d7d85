//! The one read of a file: every digest is fed from it, and a picture's bytes are kept for
//! decoding so the file is never read twice.
//!
//! Owns `read_once` and `ReadPass`. Large files stream through a reusable buffer; only a
//! file whose first bytes sniff as a picture or a container (and whose size is within that
//! kind's cap) is kept in memory, for decoding or for opening its entries.

use std::io::{self, Read};

use crate::digest::{Digester, FileDigests};
use crate::evidence::container::{sniff_container, ContainerFormat, CONTAINER_SNIFF_LEN};
use crate::failure::{Failure, FailureKind};
use crate::sniff::{sniff_image, PictureFormat, SNIFF_LEN};
use crate::video::VideoTee;

/// Bytes read per call: large enough to amortise syscalls, small enough to stay in L2.
pub const CHUNK: usize = 1 << 20;

/// What one read of a file produced.
#[derive(Debug)]
pub struct ReadPass {
    pub digests: FileDigests,
    pub bytes_read: u64,
    /// The whole file, when it sniffed as a picture or a container and fitted under the cap.
    pub kept: Option<Kept>,
    /// It sniffed as a picture or container but was larger than the cap, so it was not kept:
    /// what it was, and the cap.
    pub over_cap: Option<(Sniffed, u64)>,
    /// It sniffed as a video: its in-memory copy (a memfd), made during this read.
    pub video: Option<VideoTee>,
}

/// What the first bytes of a file said it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Picture(PictureFormat),
    Container(ContainerFormat),
}

/// A whole file kept in memory, and what it is.
#[derive(Debug)]
pub struct Kept {
    pub what: Sniffed,
    pub bytes: Vec<u8>,
}

/// How many bytes of each kind of file `read_once` may keep; 0 keeps none of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeepCaps {
    pub picture: u64,
    pub container: u64,
    /// A video is copied into a memfd of at most this many bytes as it is read (`video`).
    pub video: u64,
}

impl KeepCaps {
    /// What the leading bytes say, among the kinds with a cap above 0.
    fn sniff(&self, head: &[u8]) -> Option<(Sniffed, u64)> {
        let picture = sniff_image(&head[..head.len().min(SNIFF_LEN)])
            .filter(|_| self.picture > 0)
            .map(|f| (Sniffed::Picture(f), self.picture));
        picture.or_else(|| {
            sniff_container(&head[..head.len().min(CONTAINER_SNIFF_LEN)])
                .filter(|_| self.container > 0)
                .map(|f| (Sniffed::Container(f), self.container))
        })
    }
}

/// A read that failed part-way, with the byte offset where it stopped.
#[derive(Debug, thiserror::Error)]
#[error("read failed at byte offset {offset}: {source}")]
pub struct ReadError {
    pub offset: u64,
    #[source]
    pub source: io::Error,
}

impl ReadError {
    /// The item's failure: a read that stopped at `offset`.
    pub fn failure(&self) -> Failure {
        Failure::new(FailureKind::Read, self.to_string()).at(self.offset)
    }
}

/// Reads `reader` to the end once. `scratch` is a per-worker buffer reused across files.
/// A cap of 0 keeps nothing of that kind (no perceptual work, no containers asked for).
pub fn read_once<R: Read>(
    mut reader: R,
    caps: KeepCaps,
    scratch: &mut Vec<u8>,
) -> Result<ReadPass, ReadError> {
    scratch.resize(CHUNK, 0);
    let mut digester = Digester::new();
    let first = fill(&mut reader, scratch, 0)?;
    let head = &scratch[..first];
    digester.update(head);
    let mut pass = ReadPass {
        // Replaced by the real digests at the end; the empty stream's are only a placeholder.
        digests: FileDigests::of_empty().clone(),
        bytes_read: first as u64,
        kept: None,
        over_cap: None,
        video: None,
    };
    let mut video = VideoTee::start(head, caps.video);
    if let Some(v) = video.as_mut() {
        v.push(head);
    }
    let sniffed = caps.sniff(head);
    let mut kept: Option<Vec<u8>> = sniffed
        .filter(|(_, cap)| first as u64 <= *cap)
        .map(|_| head.to_vec());
    loop {
        let n = fill(&mut reader, scratch, pass.bytes_read)?;
        if n == 0 {
            break;
        }
        digester.update(&scratch[..n]);
        pass.bytes_read += n as u64;
        if let Some(v) = video.as_mut() {
            v.push(&scratch[..n]);
        }
        if let (Some(buf), Some((_, cap))) = (kept.as_mut(), sniffed) {
            if pass.bytes_read > cap {
                kept = None;
            } else {
                buf.extend_from_slice(&scratch[..n]);
            }
        }
    }
    pass.digests = digester.finish();
    match (sniffed, kept) {
        (Some((what, _)), Some(bytes)) => pass.kept = Some(Kept { what, bytes }),
        (Some(over), None) => pass.over_cap = Some(over),
        _ => {}
    }
    pass.video = video;
    Ok(pass)
}

/// Reads until `buf` is full or the end of the stream, retrying interrupted reads.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8], offset: u64) -> Result<usize, ReadError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(ReadError {
                    offset: offset + filled as u64,
                    source,
                })
            }
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

    #[test]
    fn digests_equal_one_shot_across_chunk_boundaries() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 17)).map(|i| (i % 253) as u8).collect();
        let pass = read_once(&data[..], KeepCaps::default(), &mut Vec::new()).unwrap();
        assert_eq!(pass.digests, FileDigests::of(&data));
        assert_eq!(pass.bytes_read, data.len() as u64);
        assert!(pass.kept.is_none() && pass.over_cap.is_none());
    }

    #[test]
    fn keeps_picture_bytes_under_the_cap_only() {
        let mut data = PNG_MAGIC.to_vec();
        data.resize(CHUNK + 100, 1);
        let caps = |picture| KeepCaps {
            picture,
            ..KeepCaps::default()
        };
        let kept = read_once(&data[..], caps(10 * CHUNK as u64), &mut Vec::new()).unwrap();
        let Kept { what, bytes } = kept.kept.unwrap();
        assert_eq!(
            (what, bytes),
            (Sniffed::Picture(PictureFormat::Png), data.clone())
        );
        let capped = read_once(&data[..], caps(1000), &mut Vec::new()).unwrap();
        assert!(capped.kept.is_none());
        assert_eq!(
            capped.over_cap,
            Some((Sniffed::Picture(PictureFormat::Png), 1000))
        );
        assert_eq!(capped.digests, FileDigests::of(&data));
    }

    #[test]
    fn keeps_a_container_under_its_own_cap() {
        let mut data = b"PK\x03\x04".to_vec();
        data.resize(5000, 0);
        let caps = KeepCaps {
            picture: 1,
            container: 5000,
            video: 0,
        };
        let pass = read_once(&data[..], caps, &mut Vec::new()).unwrap();
        let kept = pass.kept.unwrap();
        assert_eq!(kept.what, Sniffed::Container(ContainerFormat::Zip));
        assert_eq!(kept.bytes, data);
    }

    struct FailsAfter(usize);
    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("bad sector"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn read_error_reports_its_offset() {
        let err = read_once(FailsAfter(5000), KeepCaps::default(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.offset, 5000);
        assert_eq!(
            err.to_string(),
            "read failed at byte offset 5000: bad sector"
        );
        let failure = err.failure();
        assert_eq!(
            (failure.kind, failure.offset, failure.message.as_str()),
            (
                FailureKind::Read,
                Some(5000),
                "read failed at byte offset 5000: bad sector"
            )
        );
    }
}
