//! The one read of a file: every digest is fed from it, and a picture's bytes are kept for
//! decoding so the file is never read twice.
//!
//! Owns `read_once` and `ReadPass`. Large non-picture files stream through a reusable
//! buffer; only a file whose first bytes sniff as a picture (and whose size is within the
//! picture cap) is kept in memory.

use std::io::{self, Read};

use image::ImageFormat;

use crate::digest::{Digester, FileDigests};
use crate::sniff::{sniff_image, SNIFF_LEN};
use crate::video::VideoTee;

/// Bytes read per call: large enough to amortise syscalls, small enough to stay in L2.
pub const CHUNK: usize = 1 << 20;

/// What one read of a file produced.
#[derive(Debug)]
pub struct ReadPass {
    pub digests: FileDigests,
    pub bytes_read: u64,
    /// The whole file, when it sniffed as a picture and fitted under the cap.
    pub picture: Option<(ImageFormat, Vec<u8>)>,
    /// It sniffed as a picture but was larger than the cap, so it was not decoded.
    pub picture_over_cap: bool,
    /// It sniffed as a video: its in-memory copy, made during this read (`video`).
    pub video: Option<VideoTee>,
}

/// A read that failed part-way, with the byte offset where it stopped.
#[derive(Debug, thiserror::Error)]
#[error("read failed at byte offset {offset}: {source}")]
pub struct ReadError {
    pub offset: u64,
    #[source]
    pub source: io::Error,
}

/// Reads `reader` to the end once. `scratch` is a per-worker buffer reused across files.
/// A `max_picture_bytes` of 0 keeps no picture at all (no perceptual work asked for).
pub fn read_once<R: Read>(
    reader: R,
    max_picture_bytes: u64,
    scratch: &mut Vec<u8>,
) -> Result<ReadPass, ReadError> {
    read_once_with_video(reader, max_picture_bytes, 0, scratch)
}

/// As `read_once`, and a file that sniffs as a video (`video::sniff`) is copied into a
/// memfd of at most `max_video_bytes` as it is read; 0 copies no video.
pub fn read_once_with_video<R: Read>(
    mut reader: R,
    max_picture_bytes: u64,
    max_video_bytes: u64,
    scratch: &mut Vec<u8>,
) -> Result<ReadPass, ReadError> {
    scratch.resize(CHUNK, 0);
    let mut digester = Digester::new();
    let first = fill(&mut reader, scratch, 0)?;
    let head = &scratch[..first];
    digester.update(head);
    let mut pass = ReadPass {
        digests: FileDigests::of(b""),
        bytes_read: first as u64,
        picture: None,
        picture_over_cap: false,
        video: None,
    };
    let mut video = VideoTee::start(head, max_video_bytes);
    if let Some(v) = video.as_mut() {
        v.push(head);
    }
    let format = sniff_image(&head[..first.min(SNIFF_LEN)]).filter(|_| max_picture_bytes > 0);
    let mut kept: Option<Vec<u8>> = format.map(|_| head.to_vec());
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
        if let Some(buf) = kept.as_mut() {
            if pass.bytes_read > max_picture_bytes {
                kept = None;
                pass.picture_over_cap = true;
            } else {
                buf.extend_from_slice(&scratch[..n]);
            }
        }
    }
    if first as u64 > max_picture_bytes && kept.take().is_some() {
        pass.picture_over_cap = true;
    }
    pass.digests = digester.finish();
    pass.picture = format.zip(kept);
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
        let pass = read_once(&data[..], 0, &mut Vec::new()).unwrap();
        assert_eq!(pass.digests, FileDigests::of(&data));
        assert_eq!(pass.bytes_read, data.len() as u64);
        assert!(pass.picture.is_none() && !pass.picture_over_cap);
    }

    #[test]
    fn keeps_picture_bytes_under_the_cap_only() {
        let mut data = PNG_MAGIC.to_vec();
        data.resize(CHUNK + 100, 1);
        let kept = read_once(&data[..], 10 * CHUNK as u64, &mut Vec::new()).unwrap();
        let (format, bytes) = kept.picture.unwrap();
        assert_eq!((format, bytes), (ImageFormat::Png, data.clone()));
        let capped = read_once(&data[..], 1000, &mut Vec::new()).unwrap();
        assert!(capped.picture.is_none() && capped.picture_over_cap);
        assert_eq!(capped.digests, FileDigests::of(&data));
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
        let err = read_once(FailsAfter(5000), 0, &mut Vec::new()).unwrap_err();
        assert_eq!(err.offset, 5000);
        assert_eq!(
            err.to_string(),
            "read failed at byte offset 5000: bad sector"
        );
    }
}
