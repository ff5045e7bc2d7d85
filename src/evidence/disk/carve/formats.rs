//! Picture formats the carver knows: their header signatures and where each one ends.
//!
//! Owns `PictureKind::at` (does a block start with a picture header?) and `end_of` (the
//! length of the picture starting at byte 0 of a buffer, found from the format's own
//! structure, never from a footer search alone). Every length read from the bytes is
//! checked; a structure that breaks its own rules is `Invalid`, one that runs past the
//! buffer is `NeedMore` (the caller reads more, up to its cap). A JPEG whose structure
//! breaks (or runs out) after its first scan began is still a picture with its top part:
//! `end_and_partial` also gives the bytes that hold up. What PhotoRec does and where we differ is in
//! docs/disk-images.md.

/// A picture format the carver recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum PictureKind {
    Jpeg,
    Png,
    Gif,
    Bmp,
    WebP,
}

/// Where a picture starting at byte 0 ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The picture is this many bytes long.
    At(usize),
    /// The structure continues past the buffer.
    NeedMore,
    /// Not a picture of this kind after all.
    Invalid,
}

/// Header bytes the carver needs to see at a block start to recognise any format.
pub const HEADER_LEN: usize = 16;

/// A partial JPEG is kept only with at least this much entropy-coded data (a few rows of
/// blocks): less would decode to a grey picture.
pub const MIN_PARTIAL_SCAN_BYTES: usize = 1024;

impl PictureKind {
    /// The format whose header starts `block`, if any.
    pub fn at(block: &[u8]) -> Option<PictureKind> {
        let b = |r: std::ops::Range<usize>| block.get(r).unwrap_or(&[]);
        // SOI then the first marker (APPn, DQT, DHT, SOF, COM) as PhotoRec requires.
        if b(0..3) == [0xFF, 0xD8, 0xFF] && matches!(block.get(3), Some(0xC0..=0xFE)) {
            return Some(PictureKind::Jpeg);
        }
        if b(0..8) == *b"\x89PNG\r\n\x1a\n" {
            return Some(PictureKind::Png);
        }
        if b(0..6) == *b"GIF87a" || b(0..6) == *b"GIF89a" {
            return Some(PictureKind::Gif);
        }
        if b(0..4) == *b"RIFF" && b(8..12) == *b"WEBP" {
            return Some(PictureKind::WebP);
        }
        if b(0..2) == *b"BM" && b(6..10) == [0, 0, 0, 0] {
            return Some(PictureKind::Bmp);
        }
        None
    }

    /// File extension of carved items of this kind.
    pub fn extension(self) -> &'static str {
        match self {
            PictureKind::Jpeg => "jpg",
            PictureKind::Png => "png",
            PictureKind::Gif => "gif",
            PictureKind::Bmp => "bmp",
            PictureKind::WebP => "webp",
        }
    }

    /// Where the picture of this kind starting at `buf[0]` ends.
    pub fn end_of(self, buf: &[u8]) -> End {
        match self {
            PictureKind::Jpeg => jpeg_walk(buf).0,
            PictureKind::Png => png_end(buf),
            PictureKind::Gif => gif_end(buf),
            PictureKind::Bmp => bmp_end(buf),
            PictureKind::WebP => webp_end(buf),
        }
    }
}

impl PictureKind {
    /// `end_of`, and for a picture whose end it cannot find (`Invalid`, or `NeedMore` with
    /// no more to read) the leading bytes that still form the start of a picture, if any:
    /// a JPEG whose first scan had begun, cut where its structure breaks (or where the
    /// bytes run out). Its missing part decodes as grey; other formats give none. One walk
    /// of the bytes gives both.
    pub fn end_and_partial(self, buf: &[u8]) -> (End, Option<usize>) {
        match self {
            PictureKind::Jpeg => jpeg_walk(buf),
            _ => (self.end_of(buf), None),
        }
    }
}

fn u16_be(buf: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *buf.get(at)?,
        *buf.get(at + 1)?,
    ])))
}

fn u32_at(buf: &[u8], at: usize, big_endian: bool) -> Option<usize> {
    let b: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    let v = if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    };
    usize::try_from(v).ok()
}

/// JPEG: marker segments by their lengths; after each SOS the entropy-coded data up to the
/// next marker that is not a stuffed 0xFF00 or a restart marker; the end is EOI. A frame
/// (SOF) and a scan (SOS) must come before EOI. Segment lengths skip embedded EXIF
/// thumbnails, so a thumbnail's EOI does not end its parent. Beside the end: once a scan
/// has begun, how many leading bytes hold up when the structure breaks (the bytes before
/// the offending marker) or runs out (all of them).
fn jpeg_walk(buf: &[u8]) -> (End, Option<usize>) {
    let (mut at, mut frame) = (2usize, false);
    // Where the first scan's entropy-coded data starts, once a scan has begun.
    let mut scan_data: Option<usize> = None;
    // Where the last marker inside the buffer starts: the structure holds up to there.
    let mut good = at;
    // A partial picture needs some scan data to show anything.
    let partial = |end: usize, scan_data: Option<usize>| {
        scan_data.filter(|from| end.saturating_sub(*from) >= MIN_PARTIAL_SCAN_BYTES)?;
        Some(end)
    };
    loop {
        let scan = scan_data.is_some();
        // A segment that ran past the buffer is not kept: the break is at its marker.
        if at <= buf.len() {
            good = at;
        }
        let invalid = (End::Invalid, partial(good, scan_data));
        let need_more = (End::NeedMore, partial(good, scan_data));
        let Some(&ff) = buf.get(at) else {
            return need_more;
        };
        if ff != 0xFF {
            return invalid;
        }
        // Fill bytes: any number of 0xFF before a marker.
        while buf.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = buf.get(at + 1) else {
            return need_more;
        };
        at += 2;
        match marker {
            0xD9 if frame && scan => return (End::At(at), None),
            0xD9 | 0x00 | 0xD8 => return invalid,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = u16_be(buf, at) else {
            return need_more;
        };
        if len < 2 {
            return invalid;
        }
        frame |= matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        at += len;
        if marker == 0xDA {
            if !frame {
                return invalid;
            }
            if at > buf.len() {
                return need_more;
            }
            scan_data.get_or_insert(at);
            match entropy_end(buf, at) {
                Some(next) => at = next,
                // All the bytes so far are entropy-coded data of this scan.
                None => return (End::NeedMore, partial(buf.len(), scan_data)),
            }
        }
    }
}

/// The offset of the marker ending entropy-coded data that starts at `from`.
fn entropy_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + buf.get(at..)?.iter().position(|b| *b == 0xFF)?;
        match buf.get(i + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => at = i + 1,
            _ => return Some(i),
        }
    }
}

/// PNG: chunks (length, type, data, CRC-32 over type and data), IHDR first, up to IEND.
/// Every CRC is checked: a PNG with a bad chunk is not carved as a whole.
fn png_end(buf: &[u8]) -> End {
    let mut at = 8usize;
    let mut first = true;
    loop {
        let (Some(len), Some(kind)) = (u32_at(buf, at, true), buf.get(at + 4..at + 8)) else {
            return End::NeedMore;
        };
        if len > 0x7FFF_FFFF || !kind.iter().all(u8::is_ascii_alphabetic) {
            return End::Invalid;
        }
        if first && kind != b"IHDR" {
            return End::Invalid;
        }
        first = false;
        let data_end = at + 8 + len;
        let (Some(body), Some(crc)) = (buf.get(at + 4..data_end), u32_at(buf, data_end, true))
        else {
            return End::NeedMore;
        };
        if usize::try_from(crc32fast::hash(body)).ok() != Some(crc) {
            return End::Invalid;
        }
        at = data_end + 4;
        if kind == b"IEND" {
            return End::At(at);
        }
    }
}

/// GIF: screen descriptor, global colour table, then extension and image blocks (each a
/// chain of sub-blocks) up to the trailer 0x3B. At least one image must come before it.
fn gif_end(buf: &[u8]) -> End {
    gif_walk(buf).0
}

/// How many images a whole, well-formed GIF holds (its blocks walked to the trailer, nothing
/// decoded); `None` when the structure breaks or is cut short. Lets a still GIF skip the
/// animation decoder.
pub fn gif_image_count(buf: &[u8]) -> Option<usize> {
    match gif_walk(buf) {
        (End::At(_), images) => Some(images),
        _ => None,
    }
}

/// GIF blocks from the header to the trailer: where the picture ends, and the image
/// descriptors seen on the way.
fn gif_walk(buf: &[u8]) -> (End, usize) {
    let Some(&flags) = buf.get(10) else {
        return (End::NeedMore, 0);
    };
    let mut at = 13 + colour_table(flags);
    let mut images = 0;
    loop {
        let Some(&block) = buf.get(at) else {
            return (End::NeedMore, images);
        };
        at = match block {
            0x3B if images > 0 => return (End::At(at + 1), images),
            0x21 => at + 2,
            0x2C => {
                let Some(&local) = buf.get(at + 9) else {
                    return (End::NeedMore, images);
                };
                images += 1;
                // Descriptor (10 bytes), local table, LZW minimum code size (1 byte).
                at + 10 + colour_table(local) + 1
            }
            _ => return (End::Invalid, images),
        };
        match sub_blocks_end(buf, at) {
            Some(next) => at = next,
            None => return (End::NeedMore, images),
        }
    }
}

fn colour_table(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 7) + 1)
    }
}

/// The offset after a chain of GIF sub-blocks (length byte, data) ended by a 0 length.
fn sub_blocks_end(buf: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = usize::from(*buf.get(at)?);
        at += 1 + len;
        if len == 0 {
            return Some(at);
        }
    }
}

/// BMP: the file size of the header, checked against the DIB header it must hold.
fn bmp_end(buf: &[u8]) -> End {
    let (Some(size), Some(pixels), Some(dib)) = (
        u32_at(buf, 2, false),
        u32_at(buf, 10, false),
        u32_at(buf, 14, false),
    ) else {
        return End::NeedMore;
    };
    let (Some(planes), Some(bpp)) = (buf.get(26..28), buf.get(28..30)) else {
        return End::NeedMore;
    };
    let header_ok = matches!(dib, 12 | 40 | 52 | 56 | 108 | 124)
        && planes == [1, 0]
        && matches!(bpp, [1 | 4 | 8 | 16 | 24 | 32, 0])
        && pixels >= 14 + dib
        && pixels < size;
    if !header_ok {
        return End::Invalid;
    }
    if buf.len() < size {
        return End::NeedMore;
    }
    End::At(size)
}

/// WebP: the RIFF size (plus its 8-byte header, padded to even), holding a VP8, VP8L or
/// VP8X chunk first.
fn webp_end(buf: &[u8]) -> End {
    let (Some(size), Some(first)) = (u32_at(buf, 4, false), buf.get(12..16)) else {
        return End::NeedMore;
    };
    if !matches!(first, b"VP8 " | b"VP8L" | b"VP8X") || size < 12 {
        return End::Invalid;
    }
    let total = 8 + size + (size & 1);
    if buf.len() < total {
        return End::NeedMore;
    }
    End::At(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, format)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn every_format_ends_where_its_encoder_ended_it() {
        use image::ImageFormat as F;
        for (format, kind) in [
            (F::Jpeg, PictureKind::Jpeg),
            (F::Png, PictureKind::Png),
            (F::Gif, PictureKind::Gif),
            (F::Bmp, PictureKind::Bmp),
            (F::WebP, PictureKind::WebP),
        ] {
            let bytes = encoded(format);
            assert_eq!(PictureKind::at(&bytes), Some(kind), "{format:?}");
            let mut padded = bytes.clone();
            padded.extend_from_slice(&[0xFF, 0xD9, 0x3B, 7, 7, 7]);
            assert_eq!(kind.end_of(&padded), End::At(bytes.len()), "{format:?}");
            // Cut short: more is needed, never a wrong end.
            let cut = &bytes[..bytes.len() - 1];
            assert_eq!(kind.end_of(cut), End::NeedMore, "{format:?}");
        }
    }

    /// A JPEG large enough to keep more than `MIN_PARTIAL_SCAN_BYTES` of its scan.
    fn big_jpeg() -> Vec<u8> {
        let img = image::RgbImage::from_fn(300, 200, |x, y| {
            image::Rgb([((x * 7) ^ (y * 3)) as u8, (x * y) as u8, (x + y) as u8])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn a_jpeg_cut_or_overwritten_in_its_scan_is_partial() {
        let jpeg = big_jpeg();
        let kind = PictureKind::Jpeg;
        assert_eq!(
            kind.end_and_partial(&jpeg).1,
            None,
            "a whole JPEG is not partial"
        );
        let kept = jpeg.len() / 2;
        // The bytes run out inside the scan: all of them are kept.
        let cut = &jpeg[..kept];
        assert_eq!(kind.end_of(cut), End::NeedMore);
        assert_eq!(kind.end_and_partial(cut).1, Some(kept));
        // Overwritten: kept up to the marker the other bytes break the structure with.
        let mut overwritten = jpeg[..kept].to_vec();
        overwritten.extend_from_slice(&[0x12, 0xFF, 0xC4, 0x00, 0x02, 0x77, 0x66]);
        assert_eq!(kind.end_of(&overwritten), End::Invalid);
        assert_eq!(kind.end_and_partial(&overwritten).1, Some(kept + 1 + 4));
        // Headers and a few bytes of scan: too little to show anything.
        let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        assert_eq!(kind.end_and_partial(&jpeg[..sos + 100]).1, None);
    }

    #[test]
    fn damaged_structures_are_invalid() {
        let mut png = encoded(image::ImageFormat::Png);
        let last = png.len() - 20;
        png[last] ^= 0x55; // inside the last chunks: a CRC no longer fits
        assert_eq!(PictureKind::Png.end_of(&png), End::Invalid);
        let jpeg = [0xFF, 0xD8, 0xFF, 0xD9];
        assert_eq!(PictureKind::Jpeg.end_of(&jpeg), End::Invalid);
        assert_eq!(PictureKind::at(b"plain text here!"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever follows a header, an end is never past the bytes given, and a longer
        /// buffer never moves an end already found.
        #[test]
        fn ends_stay_inside_the_buffer(tail in proptest::collection::vec(any::<u8>(), 0..600),
                                       header in 0usize..5) {
            let headers: [&[u8]; 5] = [b"\xFF\xD8\xFF\xE0", b"\x89PNG\r\n\x1a\n", b"GIF89a",
                                       b"BM", b"RIFF\x10\0\0\0WEBPVP8 "];
            let mut data = headers[header].to_vec();
            data.extend_from_slice(&tail);
            for kind in [PictureKind::Jpeg, PictureKind::Png, PictureKind::Gif,
                         PictureKind::Bmp, PictureKind::WebP] {
                if let Some(n) = kind.end_and_partial(&data).1 {
                    prop_assert!(n <= data.len());
                }
                if let End::At(n) = kind.end_of(&data) {
                    prop_assert!(n <= data.len());
                    let mut longer = data.clone();
                    longer.extend_from_slice(&[0u8; 64]);
                    prop_assert_eq!(kind.end_of(&longer), End::At(n));
                }
            }
        }
    }
}
