//! Content sniffing: is this byte stream a picture, and of which format?
//!
//! Owns the magic-byte table. File extensions are never consulted: evidence is named by
//! whoever hid it. Leaves decoding to `perceptual::decode`.

use image::ImageFormat;

/// How many leading bytes `sniff_image` needs to decide.
pub const SNIFF_LEN: usize = 16;

/// Picture formats recognised by their leading bytes, or `None`.
///
/// Only formats hashsweep can decode are listed, so a `Some` means "decode it".
pub fn sniff_image(head: &[u8]) -> Option<ImageFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some(ImageFormat::Tiff)
    } else if starts(b"BM") && looks_like_bmp(head) {
        Some(ImageFormat::Bmp)
    } else {
        None
    }
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

/// The lowercase name used in reports.
pub fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Gif => "gif",
        ImageFormat::WebP => "webp",
        ImageFormat::Tiff => "tiff",
        ImageFormat::Bmp => "bmp",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_magic() {
        assert_eq!(
            sniff_image(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(ImageFormat::Png)
        );
        assert_eq!(sniff_image(b"GIF89a\x01\0"), Some(ImageFormat::Gif));
        assert_eq!(
            sniff_image(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageFormat::WebP)
        );
        assert_eq!(sniff_image(b"II*\0\x08\0\0\0"), Some(ImageFormat::Tiff));
        let bmp = b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0";
        assert_eq!(sniff_image(bmp), Some(ImageFormat::Bmp));
    }

    #[test]
    fn text_and_short_input_are_not_images() {
        assert_eq!(sniff_image(b"BMW service record 2024"), None);
        assert_eq!(sniff_image(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b"\xFF\xD8"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
