//! The images of a Windows icon or cursor (ICO/CUR), and which of them is the file's own
//! picture.
//!
//! An icon holds several renderings of one picture (16×16 to 256×256, 1 to 32 bits), each
//! either a PNG or a headerless BMP (a DIB whose height counts the AND mask too). A PNG
//! image is cut out as it is; a DIB image is wrapped in a one-entry ICO so that it is a
//! standalone file again. The file's own picture is the one Pillow shows (`IcoImageFile`):
//! the largest area, then the lowest colour depth, then the first in the directory.

use super::EmbeddedItem;

const HEADER_LEN: usize = 6;
const ENTRY_LEN: usize = 16;
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Why an icon's directory could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcoError {
    #[error("not an ICO/CUR header at byte offset 0")]
    NotIco,
    #[error("icon directory has no entries")]
    Empty,
    #[error("icon directory entry {index} at byte offset {offset} is cut off")]
    EntryTruncated { index: usize, offset: usize },
    #[error(
        "icon image {index} claims bytes {start}..{end}, past the end of the file ({len} bytes)"
    )]
    ImageOutOfBounds {
        index: usize,
        start: u64,
        end: u64,
        len: usize,
    },
}

/// One directory entry, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// Position in the directory, from 0.
    index: usize,
    width: u32,
    height: u32,
    colour_count: u8,
    bits: u16,
    raw: [u8; ENTRY_LEN],
    start: usize,
    end: usize,
}

impl Entry {
    /// Pillow's `color_depth`: the bit count, else ⌈log2⌉ of the colour count, and 256
    /// when either rule gives 0 (`bpp or (n and ceil(log(n, 2))) or 256`).
    fn colour_depth(&self) -> u32 {
        let depth = if self.bits != 0 {
            u32::from(self.bits)
        } else {
            u32::from(self.colour_count)
                .next_power_of_two()
                .trailing_zeros()
        };
        if depth == 0 {
            256
        } else {
            depth
        }
    }
}

/// Every image of the icon as a child item, in directory order, named
/// `icon-N-WxH` (N from 1; W and H from the directory, where 0 means 256). An icon of one
/// BMP image has no children: its one child would be the icon itself again.
pub fn find_icons(parent: &[u8]) -> Result<Vec<EmbeddedItem>, IcoError> {
    let (kind, entries) = directory(parent)?;
    if let [only] = entries.as_slice() {
        if !parent[only.start..only.end].starts_with(PNG_MAGIC) {
            return Ok(Vec::new());
        }
    }
    Ok(entries
        .iter()
        .map(|e| {
            let name = format!("icon-{}-{}x{}", e.index + 1, e.width, e.height);
            standalone(parent, kind, e, name)
        })
        .collect())
}

/// The image Pillow opens as the icon's picture, as a standalone file.
pub fn own_picture(parent: &[u8]) -> Result<EmbeddedItem, IcoError> {
    let (kind, entries) = directory(parent)?;
    let best = entries
        .iter()
        .min_by_key(|e| {
            let area = e.width * e.height;
            (std::cmp::Reverse(area), e.colour_depth(), e.index)
        })
        .ok_or(IcoError::Empty)?;
    let name = format!("icon-{}-{}x{}", best.index + 1, best.width, best.height);
    Ok(standalone(parent, kind, best, name))
}

/// A PNG image as it is in the parent; a DIB image behind a one-entry ICO directory.
fn standalone(parent: &[u8], kind: u8, entry: &Entry, name: String) -> EmbeddedItem {
    let image = &parent[entry.start..entry.end];
    if image.starts_with(PNG_MAGIC) {
        return EmbeddedItem {
            name,
            data: image.to_vec(),
            offset: Some(entry.start as u64),
        };
    }
    let mut data = Vec::with_capacity(HEADER_LEN + ENTRY_LEN + image.len());
    data.extend_from_slice(&[0, 0, kind, 0, 1, 0]);
    data.extend_from_slice(&entry.raw[..12]);
    data.extend_from_slice(&((HEADER_LEN + ENTRY_LEN) as u32).to_le_bytes());
    data.extend_from_slice(image);
    EmbeddedItem {
        name,
        data,
        offset: None,
    }
}

/// The resource type (1 icon, 2 cursor) and every entry, each checked to lie in the file.
fn directory(parent: &[u8]) -> Result<(u8, Vec<Entry>), IcoError> {
    let header = parent.get(..HEADER_LEN).ok_or(IcoError::NotIco)?;
    if header[0..2] != [0, 0] || !matches!(header[2..4], [1, 0] | [2, 0]) {
        return Err(IcoError::NotIco);
    }
    let count = usize::from(u16::from_le_bytes([header[4], header[5]]));
    if count == 0 {
        return Err(IcoError::Empty);
    }
    let entries = (0..count)
        .map(|index| entry(parent, index))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((header[2], entries))
}

fn entry(parent: &[u8], index: usize) -> Result<Entry, IcoError> {
    let offset = HEADER_LEN + index * ENTRY_LEN;
    let raw: [u8; ENTRY_LEN] = parent
        .get(offset..offset + ENTRY_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or(IcoError::EntryTruncated { index, offset })?;
    let len = u64::from(u32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]));
    let start = u64::from(u32::from_le_bytes([raw[12], raw[13], raw[14], raw[15]]));
    let end = start + len;
    if end > parent.len() as u64 {
        return Err(IcoError::ImageOutOfBounds {
            index,
            start,
            end,
            len: parent.len(),
        });
    }
    let side = |b: u8| if b == 0 { 256 } else { u32::from(b) };
    Ok(Entry {
        index,
        width: side(raw[0]),
        height: side(raw[1]),
        colour_count: raw[2],
        bits: u16::from_le_bytes([raw[6], raw[7]]),
        raw,
        // Both fit in usize: `end` is at most the parent's length.
        start: start as usize,
        end: end as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An icon whose images are the given (width, height, bits, payload) in order.
    fn icon(images: &[(u8, u8, u16, &[u8])]) -> Vec<u8> {
        let mut out = vec![0, 0, 1, 0, images.len() as u8, 0];
        let mut offset = HEADER_LEN + ENTRY_LEN * images.len();
        for (w, h, bits, payload) in images {
            out.extend_from_slice(&[*w, *h, 0, 0, 1, 0]);
            out.extend_from_slice(&bits.to_le_bytes());
            out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            out.extend_from_slice(&(offset as u32).to_le_bytes());
            offset += payload.len();
        }
        for (.., payload) in images {
            out.extend_from_slice(payload);
        }
        out
    }

    #[test]
    fn png_images_are_cut_out_dibs_are_rewrapped() {
        let png = b"\x89PNG\r\n\x1a\nrest-of-png";
        let dib = b"\x28\0\0\0dib-bytes";
        let parent = icon(&[(16, 16, 32, dib), (0, 0, 32, png)]);
        let items = find_icons(&parent).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].name, "icon-1-16x16");
        assert_eq!(items[0].offset, None);
        assert_eq!(&items[0].data[..6], &[0, 0, 1, 0, 1, 0]);
        assert_eq!(&items[0].data[18..22], &22u32.to_le_bytes());
        assert_eq!(&items[0].data[22..], dib);
        assert_eq!(items[1].name, "icon-2-256x256");
        assert_eq!(items[1].data, png);
        assert_eq!(items[1].offset, Some((6 + 32 + dib.len()) as u64));
    }

    #[test]
    fn a_one_image_icon_has_children_only_when_the_image_is_a_png() {
        let png = b"\x89PNG\r\n\x1a\nrest-of-png";
        let dib = b"\x28\0\0\0dib-bytes";
        let of_png = find_icons(&icon(&[(32, 32, 32, png)])).unwrap();
        assert_eq!(of_png.len(), 1);
        assert_eq!(of_png[0].data, png);
        assert!(find_icons(&icon(&[(32, 32, 32, dib)])).unwrap().is_empty());
        // A BMP child, re-wrapped as a one-image icon, has no children of its own.
        let two = find_icons(&icon(&[(16, 16, 32, dib), (32, 32, 32, dib)])).unwrap();
        assert!(find_icons(&two[0].data).unwrap().is_empty());
    }

    #[test]
    fn own_picture_is_largest_then_lowest_depth_as_pillow() {
        let parent = icon(&[
            (16, 16, 32, b"a"),
            (48, 48, 32, b"b"),
            (48, 48, 8, b"c"),
            (32, 32, 32, b"d"),
        ]);
        let own = own_picture(&parent).unwrap();
        assert_eq!(own.name, "icon-3-48x48");
        assert_eq!(own.data.last(), Some(&b'c'));
    }

    #[test]
    fn bad_directories_are_typed_errors() {
        assert_eq!(find_icons(b"\0\0\x01\0"), Err(IcoError::NotIco));
        assert_eq!(find_icons(b"\0\0\x01\0\0\0"), Err(IcoError::Empty));
        assert_eq!(
            find_icons(b"\0\0\x01\0\x02\0"),
            Err(IcoError::EntryTruncated {
                index: 0,
                offset: 6
            })
        );
        let mut parent = icon(&[(16, 16, 32, b"abcd")]);
        parent.truncate(parent.len() - 1);
        assert!(matches!(
            find_icons(&parent),
            Err(IcoError::ImageOutOfBounds { index: 0, .. })
        ));
    }
}
