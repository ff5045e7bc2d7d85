//! The bytes ffmpeg reads: an in-memory file (memfd), filled during the one read of the
//! file, sealed, and handed to the child as its standard input.
//!
//! Owns `VideoBytes` (the writer the read pass tees a video into) and `VideoInput` (the
//! sealed memfd). Why a memfd even for a file of a directory: Debian 12's ffmpeg 5.1 has
//! no `fd:` protocol, its `pipe:` input cannot seek (an MP4 whose index is at the end
//! would not open), and reopening `/proc/self/fd/0` would drop the `O_NOATIME` the
//! evidence was opened with, so the evidence's access time would change. A memfd has no
//! name on any filesystem, so nothing derived from evidence is ever written to disk; its
//! seals stop the child from changing it.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::OwnedFd;

use rustix::fs::{fcntl_add_seals, memfd_create, MemfdFlags, SealFlags};

use super::sniff::{sniff_video, VideoContainer, VIDEO_SNIFF_LEN};

/// A memfd being filled with one video's bytes, up to a cap.
#[derive(Debug)]
pub struct VideoBytes {
    file: File,
    written: u64,
    cap: u64,
    over_cap: bool,
}

/// A sealed memfd holding one whole video, ready to be read by ffmpeg.
#[derive(Debug)]
pub struct VideoInput {
    fd: OwnedFd,
    len: u64,
}

impl VideoBytes {
    /// A new, empty in-memory file that will take at most `cap` bytes.
    pub fn new(cap: u64) -> io::Result<Self> {
        let fd = memfd_create(
            "hashsweep-video",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        Ok(VideoBytes {
            file: File::from(fd),
            written: 0,
            cap,
            over_cap: false,
        })
    }

    /// Appends a chunk; past the cap the memfd is emptied and every later chunk dropped.
    pub fn push(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.over_cap {
            return Ok(());
        }
        if self.written + chunk.len() as u64 > self.cap {
            self.over_cap = true;
            self.file.set_len(0)?;
            return Ok(());
        }
        self.file.write_all(chunk)?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// Whether the video was larger than the cap (and so is not kept).
    pub fn is_over_cap(&self) -> bool {
        self.over_cap
    }

    /// Seals the file against any change and hands it over, unless it went over the cap.
    pub fn finish(mut self) -> io::Result<Option<VideoInput>> {
        if self.over_cap {
            return Ok(None);
        }
        // Back to the start, for a reader of the descriptor itself (ffmpeg reopens it).
        self.file.seek(SeekFrom::Start(0))?;
        let fd = OwnedFd::from(self.file);
        fcntl_add_seals(
            &fd,
            SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL,
        )?;
        Ok(Some(VideoInput {
            fd,
            len: self.written,
        }))
    }
}

impl VideoInput {
    /// A sealed memfd holding `bytes` (for videos that are already in memory, e.g. an
    /// archive member, and for tests).
    pub fn from_bytes(bytes: &[u8]) -> io::Result<Self> {
        let mut writer = VideoBytes::new(u64::MAX)?;
        writer.push(bytes)?;
        writer
            .finish()?
            .ok_or_else(|| io::Error::other("video over the cap"))
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A new descriptor of the same file, for one child's standard input.
    pub(crate) fn stdin_fd(&self) -> io::Result<OwnedFd> {
        self.fd.try_clone()
    }
}

/// A video found by sniffing the first bytes of a file, copied into a memfd while the
/// one read pass digests it (so the file is read once, and never reopened).
#[derive(Debug)]
pub struct VideoTee {
    pub container: VideoContainer,
    copy: Result<VideoBytes, String>,
}

impl VideoTee {
    /// Starts a copy if `head` sniffs as a video and videos are wanted (`cap` > 0).
    pub fn start(head: &[u8], cap: u64) -> Option<VideoTee> {
        if cap == 0 {
            return None;
        }
        let container = sniff_video(&head[..head.len().min(VIDEO_SNIFF_LEN)])?;
        let copy =
            VideoBytes::new(cap).map_err(|e| format!("cannot create an in-memory file: {e}"));
        Some(VideoTee { container, copy })
    }

    pub fn push(&mut self, chunk: &[u8]) {
        if let Ok(bytes) = &mut self.copy {
            if let Err(e) = bytes.push(chunk) {
                self.copy = Err(format!("cannot copy the video into memory: {e}"));
            }
        }
    }

    /// The sealed copy; `Ok(None)` when the video was over the cap.
    pub fn finish(self) -> Result<Option<VideoInput>, String> {
        self.copy?
            .finish()
            .map_err(|e| format!("cannot seal the in-memory copy: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn keeps_bytes_and_seals_them() {
        let input = VideoInput::from_bytes(b"abcdef").unwrap();
        assert_eq!(input.len(), 6);
        let mut text = String::new();
        let mut file = File::from(input.stdin_fd().unwrap());
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "abcdef");
        assert!(file.write_all(b"x").is_err(), "sealed against writes");
    }

    #[test]
    fn over_the_cap_keeps_nothing() {
        let mut bytes = VideoBytes::new(10).unwrap();
        bytes.push(b"123456").unwrap();
        bytes.push(b"789012").unwrap();
        bytes.push(b"3").unwrap();
        assert!(bytes.is_over_cap());
        assert!(bytes.finish().unwrap().is_none());
    }
}
