//! The EXIF thumbnail of a JPEG: the small JPEG cameras and editors keep in IFD1 of the
//! APP1 `Exif` segment, which often survives when the picture itself was edited.
//!
//! Owns `find_exif_thumbnail`, a pure function from a JPEG's bytes to its thumbnail child
//! (`EmbeddedItem` named `exif-thumbnail`), for the nested-item model to hash and match
//! like any file. Layout from the EXIF 2.32 specification (CIPA DC-008), section 4.5: APP1
//! holds `Exif\0\0` and a TIFF structure; IFD0's "next IFD" offset leads to IFD1, whose
//! tags 0x0201 (JPEGInterchangeFormat) and 0x0202 (JPEGInterchangeFormatLength) give the
//! thumbnail's offset (from the TIFF header) and length. Every offset is checked against
//! the segment; a thumbnail must start with a JPEG SOI.

use super::jpeg_app::{app_segment, Order, SOI};
use super::EmbeddedItem;

/// Why a JPEG's EXIF structure could not be read (a JPEG without EXIF is no error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExifError {
    #[error("EXIF {what} at byte {offset} lies outside its APP1 segment")]
    OutOfBounds { what: &'static str, offset: u64 },
    #[error("EXIF TIFF header at byte {offset} has no II/MM byte order")]
    ByteOrder { offset: u64 },
}

const TAG_THUMBNAIL_OFFSET: u16 = 0x0201;
const TAG_THUMBNAIL_LENGTH: u16 = 0x0202;

/// The IFD1 thumbnail of `parent` (a JPEG), if it has one.
pub fn find_exif_thumbnail(parent: &[u8]) -> Result<Vec<EmbeddedItem>, ExifError> {
    let Some((tiff_start, tiff)) = exif_tiff(parent) else {
        return Ok(Vec::new());
    };
    let at = |what, offset: usize| ExifError::OutOfBounds {
        what,
        offset: (tiff_start + offset) as u64,
    };
    let order = Order::of(tiff).ok_or(ExifError::ByteOrder {
        offset: tiff_start as u64,
    })?;
    let ifd0 = order.u32(tiff, 4).ok_or(at("IFD0 offset", 4))?;
    let entries = usize::from(order.u16(tiff, ifd0).ok_or(at("IFD0", ifd0))?);
    let next = ifd0 + 2 + entries * 12;
    let ifd1 = order.u32(tiff, next).ok_or(at("IFD1 offset", next))?;
    if ifd1 == 0 {
        return Ok(Vec::new());
    }
    let count = usize::from(order.u16(tiff, ifd1).ok_or(at("IFD1", ifd1))?);
    let (mut offset, mut length) = (None, None);
    for i in 0..count {
        let entry = order
            .ifd_entry(tiff, ifd1, i)
            .map_err(|entry| at("IFD1 entry", entry))?;
        // LONG values (type 4), count 1: the value sits in the entry itself.
        match entry.tag {
            TAG_THUMBNAIL_OFFSET => offset = Some(entry.value),
            TAG_THUMBNAIL_LENGTH => length = Some(entry.value),
            _ => {}
        }
    }
    let (Some(offset), Some(length)) = (offset, length) else {
        return Ok(Vec::new());
    };
    let data = tiff
        .get(offset..offset.saturating_add(length))
        .ok_or(at("thumbnail", offset))?;
    if !data.starts_with(&SOI) {
        return Ok(Vec::new());
    }
    Ok(vec![EmbeddedItem {
        name: "exif-thumbnail".into(),
        data: data.to_vec(),
        offset: Some((tiff_start + offset) as u64),
    }])
}

/// The TIFF structure of the first APP1 `Exif` segment and its offset in `jpeg`.
fn exif_tiff(jpeg: &[u8]) -> Option<(usize, &[u8])> {
    app_segment(jpeg, 0xE1, b"Exif\0\0")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG whose APP1 holds a big-endian TIFF with an empty IFD0 and an IFD1 pointing at
    /// `thumb`, written from the EXIF layout by hand (the exiftool-made oracle is in
    /// tests/orphans_carving.rs).
    fn with_thumbnail(thumb: &[u8]) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend([0, 0, 0, 0, 0, 14]); // IFD0: no entries, IFD1 at 14
        tiff.extend([0, 2]);
        let data_at = 14 + 2 + 2 * 12 + 4;
        for (tag, value) in [(0x0201u16, data_at), (0x0202, thumb.len() as u32)] {
            tiff.extend(tag.to_be_bytes());
            tiff.extend(4u16.to_be_bytes());
            tiff.extend(1u32.to_be_bytes());
            tiff.extend(value.to_be_bytes());
        }
        tiff.extend([0, 0, 0, 0]);
        tiff.extend_from_slice(thumb);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend(((tiff.len() + 8) as u16).to_be_bytes());
        jpeg.extend(b"Exif\0\0");
        jpeg.extend(tiff);
        jpeg.extend([0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn the_ifd1_thumbnail_is_found_at_its_offset() {
        let thumb = [0xFF, 0xD8, 0xFF, 0xDB, 1, 2, 3, 0xFF, 0xD9];
        let jpeg = with_thumbnail(&thumb);
        let found = find_exif_thumbnail(&jpeg).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].data, thumb);
        let at = found[0].offset.unwrap() as usize;
        assert_eq!(&jpeg[at..at + thumb.len()], thumb);
    }

    #[test]
    fn no_exif_or_a_damaged_one_is_no_thumbnail() {
        assert_eq!(
            find_exif_thumbnail(b"\xFF\xD8\xFF\xDA\0\x02"),
            Ok(Vec::new())
        );
        assert_eq!(find_exif_thumbnail(b"not a jpeg"), Ok(Vec::new()));
        let mut jpeg = with_thumbnail(&[0xFF, 0xD8, 0xFF, 0xD9]);
        // APP1 made 3 bytes shorter: the thumbnail now runs past the segment.
        let len = u16::from_be_bytes([jpeg[4], jpeg[5]]) - 3;
        jpeg[4..6].copy_from_slice(&len.to_be_bytes());
        assert!(find_exif_thumbnail(&jpeg).is_err());
        // Not a JPEG where IFD1 points: no thumbnail.
        let jpeg = with_thumbnail(b"GIF89a....");
        assert_eq!(find_exif_thumbnail(&jpeg), Ok(Vec::new()));
    }
}
