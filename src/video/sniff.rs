//! Content sniffing of video containers: is this byte stream a video, and in which
//! container?
//!
//! Owns the container magic table. As for pictures, extensions are never consulted. A
//! container that can hold audio alone is only taken as a video where its first bytes say
//! so cheaply (an `M4A ` brand is audio; an Ogg stream must start a Theora or video
//! header); anything else that sniffs as a video and turns out to hold no video stream is
//! reported as such by the decoder step.

use serde::{Deserialize, Serialize};

/// How many leading bytes `sniff_video` looks at (an MPEG-TS needs three 188-byte packets,
/// an Ogg its first page).
pub const VIDEO_SNIFF_LEN: usize = 4096;

/// Video containers recognised by their leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoContainer {
    /// ISO base media: MP4, MOV, 3GP, M4V.
    IsoBmff,
    /// Matroska and WebM.
    Matroska,
    Avi,
    Flv,
    /// ASF: WMV.
    Asf,
    /// MPEG program stream (VOB, MPG).
    MpegPs,
    /// MPEG transport stream (TS, M2TS without the 4-byte prefix).
    MpegTs,
    Ogg,
    /// An animated GIF, WebP or PNG: its frames are decoded in process (`animation`),
    /// never by ffmpeg.
    Animation,
}

impl VideoContainer {
    /// The lowercase name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            VideoContainer::IsoBmff => "iso_bmff",
            VideoContainer::Matroska => "matroska",
            VideoContainer::Avi => "avi",
            VideoContainer::Flv => "flv",
            VideoContainer::Asf => "asf",
            VideoContainer::MpegPs => "mpeg_ps",
            VideoContainer::MpegTs => "mpeg_ts",
            VideoContainer::Ogg => "ogg",
            VideoContainer::Animation => "animation",
        }
    }

    /// ffmpeg's demuxer names for the container: the only demuxers the child may use, so a
    /// crafted file cannot make ffmpeg open a playlist or concat script that names other
    /// files on the examiner's machine.
    pub fn demuxers(self) -> &'static str {
        match self {
            VideoContainer::IsoBmff => "mov,mp4,m4a,3gp,3g2,mj2",
            VideoContainer::Matroska => "matroska,webm",
            VideoContainer::Avi => "avi",
            VideoContainer::Flv => "flv,live_flv",
            VideoContainer::Asf => "asf",
            VideoContainer::MpegPs => "mpeg,mpegvideo",
            VideoContainer::MpegTs => "mpegts",
            VideoContainer::Ogg => "ogg",
            // Never handed to ffmpeg; an empty whitelist would refuse every demuxer.
            VideoContainer::Animation => "gif,webp,apng",
        }
    }
}

const ASF_GUID: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];
const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
const TS_PACKET: usize = 188;

/// The video container the leading bytes announce, or `None`.
pub fn sniff_video(head: &[u8]) -> Option<VideoContainer> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if is_iso_bmff_video(head) {
        Some(VideoContainer::IsoBmff)
    } else if starts(&EBML_MAGIC) {
        Some(VideoContainer::Matroska)
    } else if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"AVI " {
        Some(VideoContainer::Avi)
    } else if starts(b"FLV\x01") {
        Some(VideoContainer::Flv)
    } else if starts(&ASF_GUID) {
        Some(VideoContainer::Asf)
    } else if starts(&[0x00, 0x00, 0x01, 0xBA]) {
        Some(VideoContainer::MpegPs)
    } else if (0..3).all(|i| head.get(i * TS_PACKET) == Some(&0x47)) {
        Some(VideoContainer::MpegTs)
    } else if starts(b"OggS") && ogg_has_video(head) {
        Some(VideoContainer::Ogg)
    } else {
        None
    }
}

/// An `ftyp` box first, with a major brand that is not audio-only (M4A/M4B/M4P) nor a
/// still-picture format (HEIF/AVIF brands are pictures, not videos).
fn is_iso_bmff_video(head: &[u8]) -> bool {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return false;
    }
    let brand = &head[8..12];
    let not_video: [&[u8]; 9] = [
        b"M4A ", b"M4B ", b"M4P ", b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis",
    ];
    !not_video.contains(&brand)
}

/// The first Ogg page carries the first stream's header: Theora (`\x80theora`), Dirac
/// or OGM video (`\x01video`).
fn ogg_has_video(head: &[u8]) -> bool {
    let window = &head[..head.len().min(VIDEO_SNIFF_LEN)];
    [&b"\x80theora"[..], b"\x01video", b"BBCD\x00"]
        .iter()
        .any(|magic| window.windows(magic.len()).any(|w| w == *magic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_container() {
        let mut ts = vec![0u8; 3 * TS_PACKET];
        for i in 0..3 {
            ts[i * TS_PACKET] = 0x47;
        }
        let mut asf = ASF_GUID.to_vec();
        asf.extend_from_slice(&[0; 8]);
        let cases: Vec<(Vec<u8>, VideoContainer)> = vec![
            (
                b"\0\0\0\x20ftypisom\0\0\x02\0".to_vec(),
                VideoContainer::IsoBmff,
            ),
            (
                b"\0\0\0\x14ftypqt  \0\0\0\0".to_vec(),
                VideoContainer::IsoBmff,
            ),
            (
                b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81".to_vec(),
                VideoContainer::Matroska,
            ),
            (b"RIFF\x10\0\0\0AVI LIST".to_vec(), VideoContainer::Avi),
            (b"FLV\x01\x05\0\0\0\x09".to_vec(), VideoContainer::Flv),
            (asf, VideoContainer::Asf),
            (b"\0\0\x01\xba\x44\0\x04\0".to_vec(), VideoContainer::MpegPs),
            (ts, VideoContainer::MpegTs),
            (
                b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\x01\x2a\x80theora".to_vec(),
                VideoContainer::Ogg,
            ),
        ];
        for (head, want) in cases {
            assert_eq!(sniff_video(&head), Some(want), "{want:?}");
        }
    }

    #[test]
    fn audio_pictures_and_text_are_not_videos() {
        assert_eq!(sniff_video(b"\0\0\0\x20ftypM4A \0\0\0\0"), None);
        assert_eq!(sniff_video(b"\0\0\0\x18ftypheic\0\0\0\0"), None);
        assert_eq!(
            sniff_video(b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\x1evorbis"),
            None
        );
        assert_eq!(sniff_video(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_video(b"GIF89a"), None);
        assert_eq!(sniff_video(b"G"), None);
        assert_eq!(sniff_video(b""), None);
    }
}
