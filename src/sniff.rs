//! Content sniffing: is this byte stream a picture, and of which format?
//!
//! Owns the magic-byte table and `PictureFormat`. File extensions are never consulted:
//! evidence is named by whoever hid it. Formats without a real magic number (TGA) are
//! recognised by a header strict enough that ordinary binary files do not pass. Leaves
//! decoding to `perceptual::decode`.

use image::ImageFormat;

/// How many leading bytes `sniff_image` looks at (an ISO-BMFF `ftyp` box lists its brands
/// within its first 64 bytes in every HEIF/AVIF writer seen).
pub const SNIFF_LEN: usize = 64;

/// A picture format hashsweep decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PictureFormat {
    Jpeg,
    Png,
    Gif,
    WebP,
    Tiff,
    Bmp,
    /// PBM, PGM, PPM (P1–P6) and PAM (P7).
    Pnm,
    Tga,
    /// Windows icons and cursors.
    Ico,
    Qoi,
    Dds,
    /// Radiance RGBE.
    Hdr,
    OpenExr,
    JpegXl,
    /// HEIF with HEVC pictures (HEIC), as phones write it.
    Heif,
    /// HEIF with AV1 pictures.
    Avif,
}

impl PictureFormat {
    /// Every format, in report order.
    pub const ALL: [PictureFormat; 16] = [
        Self::Jpeg,
        Self::Png,
        Self::Gif,
        Self::WebP,
        Self::Tiff,
        Self::Bmp,
        Self::Pnm,
        Self::Tga,
        Self::Ico,
        Self::Qoi,
        Self::Dds,
        Self::Hdr,
        Self::OpenExr,
        Self::JpegXl,
        Self::Heif,
        Self::Avif,
    ];

    /// The lowercase name used in reports (`image.format`, the header's `decoders`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Gif => "gif",
            Self::WebP => "webp",
            Self::Tiff => "tiff",
            Self::Bmp => "bmp",
            Self::Pnm => "pnm",
            Self::Tga => "tga",
            Self::Ico => "ico",
            Self::Qoi => "qoi",
            Self::Dds => "dds",
            Self::Hdr => "hdr",
            Self::OpenExr => "openexr",
            Self::JpegXl => "jpegxl",
            Self::Heif => "heif",
            Self::Avif => "avif",
        }
    }

    /// The image-rs format, for the formats image-rs decodes.
    pub fn image_rs(self) -> Option<ImageFormat> {
        Some(match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Gif => ImageFormat::Gif,
            Self::WebP => ImageFormat::WebP,
            Self::Tiff => ImageFormat::Tiff,
            Self::Bmp => ImageFormat::Bmp,
            Self::Pnm => ImageFormat::Pnm,
            Self::Tga => ImageFormat::Tga,
            Self::Ico => ImageFormat::Ico,
            Self::Qoi => ImageFormat::Qoi,
            Self::Dds => ImageFormat::Dds,
            Self::Hdr => ImageFormat::Hdr,
            Self::OpenExr => ImageFormat::OpenExr,
            Self::JpegXl | Self::Heif | Self::Avif => return None,
        })
    }
}

/// Picture formats recognised by their leading bytes, or `None`.
///
/// Only formats hashsweep can decode are listed, so a `Some` means "decode it".
pub fn sniff_image(head: &[u8]) -> Option<PictureFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let format = if starts(&[0xFF, 0xD8, 0xFF]) {
        PictureFormat::Jpeg
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        PictureFormat::Png
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        PictureFormat::Gif
    } else if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        PictureFormat::WebP
    } else if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
        PictureFormat::Tiff
    } else if starts(b"BM") && looks_like_bmp(head) {
        PictureFormat::Bmp
    } else if starts(b"qoif") {
        PictureFormat::Qoi
    } else if starts(b"DDS \x7C\0\0\0") {
        PictureFormat::Dds
    } else if starts(b"#?RADIANCE") || starts(b"#?RGBE") {
        PictureFormat::Hdr
    } else if starts(&[0x76, 0x2F, 0x31, 0x01]) {
        PictureFormat::OpenExr
    } else if starts(&[0xFF, 0x0A]) || starts(b"\0\0\0\x0CJXL \r\n\x87\n") {
        PictureFormat::JpegXl
    } else if let Some(format) = heif_brand(head) {
        format
    } else if looks_like_pnm(head) {
        PictureFormat::Pnm
    } else if looks_like_ico(head) {
        PictureFormat::Ico
    } else if looks_like_tga(head) {
        PictureFormat::Tga
    } else {
        return None;
    };
    Some(format)
}

/// "BM" alone is too weak (plain text can start with it): require the reserved header
/// fields to be zero and a known DIB header size.
fn looks_like_bmp(head: &[u8]) -> bool {
    if head.len() < 15 {
        return false;
    }
    let reserved_zero = head[6..10].iter().all(|b| *b == 0);
    let dib_size = head[14];
    reserved_zero && matches!(dib_size, 12 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// An ISO-BMFF `ftyp` box whose major or compatible brands name a still HEIF picture
/// (ISO/IEC 23008-12 brands; `avif`/`avis` from the AV1 image format). HEVC brands win
/// over AVIF ones; `mif1` alone (a HEIF of unknown codec) is reported as HEIF.
fn heif_brand(head: &[u8]) -> Option<PictureFormat> {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = box_len.clamp(16, head.len());
    // Major brand at 8..12, minor version at 12..16, compatible brands from 16 on.
    let brands = std::iter::once(&head[8..12]).chain(head[16..end].chunks_exact(4));
    let mut found = None;
    for brand in brands {
        match brand {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => {
                return Some(PictureFormat::Heif)
            }
            b"avif" | b"avis" => found = Some(PictureFormat::Avif),
            b"mif1" | b"msf1" => found = found.or(Some(PictureFormat::Heif)),
            _ => {}
        }
    }
    found
}

/// Netpbm: `P1`–`P7` followed by whitespace (the header is plain text from there on).
fn looks_like_pnm(head: &[u8]) -> bool {
    head.len() >= 3
        && head[0] == b'P'
        && (b'1'..=b'7').contains(&head[1])
        && head[2].is_ascii_whitespace()
}

/// ICO (type 1) or CUR (type 2): a zero reserved word, at least one entry, and a first
/// directory entry with a zero reserved byte and a plausible plane count and bit depth
/// (for CUR those two are the hotspot, bounded by the 256-px side).
fn looks_like_ico(head: &[u8]) -> bool {
    if head.len() < 22 || head[0..2] != [0, 0] || !matches!(head[2..4], [1, 0] | [2, 0]) {
        return false;
    }
    let count = u16::from_le_bytes([head[4], head[5]]);
    let entry = &head[6..22];
    let planes = u16::from_le_bytes([entry[4], entry[5]]);
    let bits = u16::from_le_bytes([entry[6], entry[7]]);
    let offset = u32::from_le_bytes([entry[12], entry[13], entry[14], entry[15]]);
    let icon = head[2] == 1;
    let plausible = if icon {
        planes <= 1 && matches!(bits, 0 | 1 | 4 | 8 | 16 | 24 | 32)
    } else {
        planes <= 256 && bits <= 256
    };
    count > 0 && entry[3] == 0 && plausible && offset >= 6 + 16 * u32::from(count)
}

/// TGA has no magic number at the start. Accept only a header that is consistent in every
/// field a writer controls: colour-map type and image type agree, an absent colour map has
/// an all-zero specification, the pixel depth suits the image type, the descriptor's
/// reserved bits are clear, and the picture is not empty.
fn looks_like_tga(head: &[u8]) -> bool {
    if head.len() < 18 {
        return false;
    }
    let (map_type, image_type, depth, descriptor) = (head[1], head[2], head[16], head[17]);
    let map_spec_zero = head[3..8].iter().all(|b| *b == 0);
    let map_depth = head[7];
    let width = u16::from_le_bytes([head[12], head[13]]);
    let height = u16::from_le_bytes([head[14], head[15]]);
    let types_agree = match (map_type, image_type) {
        (1, 1 | 9) => depth == 8 && matches!(map_depth, 15 | 16 | 24 | 32),
        (0, 2 | 10) => matches!(depth, 15 | 16 | 24 | 32) && map_spec_zero,
        (0, 3 | 11) => matches!(depth, 8 | 16) && map_spec_zero,
        _ => false,
    };
    // Bits 6–7 (interleaving) must be zero; bits 0–3 count alpha bits, at most 8.
    let descriptor_ok = descriptor & 0xC0 == 0 && descriptor & 0x0F <= 8;
    types_agree && descriptor_ok && width > 0 && height > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use PictureFormat as F;

    #[test]
    fn recognises_each_magic() {
        let cases: [(&[u8], F); 14] = [
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", F::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0", F::Png),
            (b"GIF89a\x01\0", F::Gif),
            (b"RIFF\x10\0\0\0WEBPVP8 ", F::WebP),
            (b"II*\0\x08\0\0\0", F::Tiff),
            (b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0", F::Bmp),
            (b"P6\n24 16\n255\n", F::Pnm),
            (b"P7\nWIDTH 2\n", F::Pnm),
            (b"qoif\0\0\0\x10", F::Qoi),
            (b"#?RADIANCE\n", F::Hdr),
            (b"\xFF\x0A\xFA\x7F", F::JpegXl),
            (b"\0\0\0\x0CJXL \r\n\x87\n\0\0", F::JpegXl),
            (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", F::Heif),
            (b"\0\0\0\x1Cftypavif\0\0\0\0avifmif1miaf", F::Avif),
        ];
        for (head, format) in cases {
            assert_eq!(sniff_image(head), Some(format), "{head:?}");
        }
    }

    #[test]
    fn heif_brands_decide_between_hevc_and_av1() {
        let mif1_then_avif = b"\0\0\0\x1Cftypmif1\0\0\0\0mif1avifmiaf";
        assert_eq!(sniff_image(mif1_then_avif), Some(F::Avif));
        let mif1_then_heic = b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic";
        assert_eq!(sniff_image(mif1_then_heic), Some(F::Heif));
        // An MP4 video is ISO-BMFF too, but not a picture.
        assert_eq!(sniff_image(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2"), None);
    }

    #[test]
    fn icons_tga_by_consistent_headers() {
        let mut ico = vec![0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0];
        ico.extend_from_slice(&[0x68, 4, 0, 0, 22, 0, 0, 0]);
        assert_eq!(sniff_image(&ico), Some(F::Ico));
        let mut cur = ico.clone();
        cur[2] = 2;
        assert_eq!(sniff_image(&cur), Some(F::Ico));
        let tga = [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 16, 0, 24, 0x20];
        assert_eq!(sniff_image(&tga), Some(F::Tga));
        let mut bad_depth = tga;
        bad_depth[16] = 7;
        assert_eq!(sniff_image(&bad_depth), None);
    }

    #[test]
    fn text_zeros_and_short_input_are_not_images() {
        assert_eq!(sniff_image(b"BMW service record 2024"), None);
        assert_eq!(sniff_image(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b"\xFF\xD8"), None);
        assert_eq!(sniff_image(b"Page 1 of 2"), None);
        assert_eq!(sniff_image(b"P9 not netpbm"), None);
        assert_eq!(sniff_image(&[0u8; 64]), None);
        assert_eq!(sniff_image(b""), None);
    }
}
