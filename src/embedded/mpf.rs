//! The secondary images of a Multi-Picture Format JPEG (CIPA DC-007): the second view of a
//! stereo camera's `.MPO`, the large preview or depth map a phone stores after the main
//! picture. Each is a complete JPEG inside the file, after the first image's end.
//!
//! Owns `find_mpf_images`, a pure function from a JPEG's bytes to its secondary images,
//! named `mpf-2`, `mpf-3`… by their place in the MP index. Layout, DC-007 section 5.2: an
//! APP2 segment holds `MPF\0` and a TIFF-style MP header (byte order, offset of the MP
//! Index IFD); that IFD's MPEntry tag (0xB002) points at 16 bytes per image: attribute,
//! size, and data offset from the MP header's byte order mark (0 for the first image,
//! which is the file itself). Every offset is checked; an image must start with a JPEG SOI.

use super::jpeg_app::{app_segment, Order, SOI};
use super::EmbeddedItem;

const TAG_MP_ENTRY: u16 = 0xB002;
const ENTRY_LEN: usize = 16;
/// MP indexes listing more images than this are refused (a real one lists a handful).
pub const MAX_IMAGES: usize = 1024;

/// Why a JPEG's MP index could not be read (a JPEG without MPF is no error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MpfError {
    #[error("MPF {what} at byte {offset} lies outside its segment or the file")]
    OutOfBounds { what: &'static str, offset: u64 },
    #[error("MPF header at byte {offset} has no II/MM byte order")]
    ByteOrder { offset: u64 },
    #[error("MPF index lists {count} images, more than {MAX_IMAGES}")]
    TooManyImages { count: usize },
}

/// The images after the first that `parent`'s MP index lists.
pub fn find_mpf_images(parent: &[u8]) -> Result<Vec<EmbeddedItem>, MpfError> {
    let Some((header, segment)) = app_segment(parent, 0xE2, b"MPF\0") else {
        return Ok(Vec::new());
    };
    let at = |what, offset: usize| MpfError::OutOfBounds {
        what,
        offset: (header + offset) as u64,
    };
    let order = Order::of(segment).ok_or(MpfError::ByteOrder {
        offset: header as u64,
    })?;
    let ifd = order.u32(segment, 4).ok_or(at("index IFD offset", 4))?;
    let count = usize::from(order.u16(segment, ifd).ok_or(at("index IFD", ifd))?);
    let mut entries = None;
    for i in 0..count {
        let entry = order
            .ifd_entry(segment, ifd, i)
            .map_err(|entry| at("index IFD entry", entry))?;
        if entry.tag == TAG_MP_ENTRY {
            // UNDEFINED bytes, 16 per image, stored at an offset from the MP header.
            entries = Some((entry.value, entry.count));
        }
    }
    let Some((offset, len)) = entries else {
        return Ok(Vec::new());
    };
    let images = len / ENTRY_LEN;
    if images > MAX_IMAGES {
        return Err(MpfError::TooManyImages { count: images });
    }
    let table = segment
        .get(offset..offset.saturating_add(images * ENTRY_LEN))
        .ok_or(at("MPEntry table", offset))?;
    let mut found = Vec::new();
    for (index, entry) in table.chunks_exact(ENTRY_LEN).enumerate().skip(1) {
        let size = order.u32(entry, 4).ok_or(at("MPEntry", offset))?;
        let data_offset = order.u32(entry, 8).ok_or(at("MPEntry", offset))?;
        if data_offset == 0 || size == 0 {
            continue;
        }
        let start = header
            .checked_add(data_offset)
            .ok_or(at("image", data_offset))?;
        let data = start
            .checked_add(size)
            .and_then(|end| parent.get(start..end))
            .ok_or(at("image", data_offset))?;
        if data.starts_with(&SOI) {
            found.push(EmbeddedItem {
                name: format!("mpf-{}", index + 1),
                data: data.to_vec(),
                offset: Some(start as u64),
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG with an APP2 MPF index of two images (itself, then `second` after its end),
    /// little-endian, laid out by hand from DC-007 (the Pillow-made oracle is in
    /// tests/embedded.rs).
    fn with_second(second: &[u8]) -> Vec<u8> {
        let mut mp = b"II*\0\x08\0\0\0".to_vec();
        mp.extend(1u16.to_le_bytes()); // one IFD entry
        mp.extend(TAG_MP_ENTRY.to_le_bytes());
        mp.extend(7u16.to_le_bytes()); // UNDEFINED
        mp.extend(32u32.to_le_bytes()); // 2 × 16 bytes
        mp.extend(26u32.to_le_bytes()); // at offset 26
        mp.extend(0u32.to_le_bytes()); // next IFD
        assert_eq!(mp.len(), 26);
        let first_entry = [0u8; 16];
        mp.extend(first_entry);
        let segment_len = 2 + 4 + mp.len() + 16;
        let jpeg_len = 2 + 2 + segment_len + 6;
        // The second image starts right after the first's EOI; offsets count from "II".
        let header_at = 2 + 4 + 4;
        let second_offset = (jpeg_len - header_at) as u32;
        mp.extend(0u32.to_le_bytes());
        mp.extend((second.len() as u32).to_le_bytes());
        mp.extend(second_offset.to_le_bytes());
        mp.extend([0, 0, 0, 0]);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE2];
        jpeg.extend((segment_len as u16).to_be_bytes());
        jpeg.extend(b"MPF\0");
        jpeg.extend(mp);
        jpeg.extend([0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        assert_eq!(jpeg.len(), jpeg_len);
        jpeg.extend_from_slice(second);
        jpeg
    }

    #[test]
    fn the_second_image_is_found_at_its_offset() {
        let second = [0xFF, 0xD8, 0xFF, 0xDB, 9, 9, 0xFF, 0xD9];
        let jpeg = with_second(&second);
        let found = find_mpf_images(&jpeg).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "mpf-2");
        assert_eq!(found[0].data, second);
        assert_eq!(found[0].offset, Some((jpeg.len() - second.len()) as u64));
    }

    #[test]
    fn no_mpf_a_damaged_one_or_a_non_jpeg_image_is_no_child() {
        assert_eq!(find_mpf_images(b"\xFF\xD8\xFF\xDA\0\x02"), Ok(Vec::new()));
        assert_eq!(find_mpf_images(b"not a jpeg"), Ok(Vec::new()));
        let second = [0xFF, 0xD8, 0xFF, 0xD9];
        let mut cut = with_second(&second);
        cut.truncate(cut.len() - 1);
        assert!(matches!(
            find_mpf_images(&cut),
            Err(MpfError::OutOfBounds { what: "image", .. })
        ));
        assert_eq!(find_mpf_images(&with_second(b"GIF89a..")), Ok(Vec::new()));
    }
}
