//! The thumbnail items of a HEIF or AVIF picture (iPhone HEICs carry one of about
//! 320×240 beside the full picture).
//!
//! A HEIF file is a set of items described in its `meta` box: `pitm` names the primary
//! item, and each `thmb` reference in `iref` names an item that is a thumbnail of another.
//! An item's coded data is reached through `iloc` offsets that are absolute in the file,
//! so a thumbnail cannot be cut out as a byte range. Instead, as with TIFF pages, each
//! thumbnail of the primary item becomes a copy of the parent whose `pitm` names the
//! thumbnail: a valid HEIF whose primary picture is that thumbnail, decoded by the same
//! decoder as every HEIF. The copy's digests are therefore not those of any file a list
//! could hold; what matches is its picture. Only the ISO-BMFF boxes on the way to `pitm`
//! and `iref` are parsed, with checked arithmetic.

use super::EmbeddedItem;

/// Thumbnails beyond this many are refused rather than copied.
pub const MAX_THUMBNAILS: usize = 64;
/// Upper bound on the bytes of all copies together.
pub const MAX_COPIED_BYTES: u64 = 1 << 30;

/// Why a HEIF file's thumbnails could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeifThumbnailError {
    #[error("box at byte offset {offset} is cut off or has an impossible size")]
    BadBox { offset: usize },
    #[error("no meta box")]
    NoMeta,
    #[error("meta box has no pitm (primary item) box")]
    NoPrimary,
    #[error("{box_type} box at byte offset {offset} has unknown version {version}")]
    UnknownVersion {
        box_type: &'static str,
        offset: usize,
        version: u8,
    },
    #[error("thumbnail item {item} does not fit the 16-bit pitm box at byte offset {offset}")]
    ItemIdTooWide { item: u32, offset: usize },
    #[error("more than {MAX_THUMBNAILS} thumbnails")]
    TooManyThumbnails,
    #[error(
        "copies for {thumbnails} thumbnails of a {len}-byte file exceed {MAX_COPIED_BYTES} bytes"
    )]
    TooLarge { thumbnails: usize, len: usize },
}

/// One ISO-BMFF box: its type and where its payload lies in the file.
#[derive(Debug, Clone, Copy)]
struct BoxSpan {
    kind: [u8; 4],
    /// Offset of the box header.
    start: usize,
    /// Offset of the payload (after size, type and any 64-bit size).
    body: usize,
    end: usize,
}

/// The boxes laid end to end in `file[start..end]`.
fn boxes(file: &[u8], start: usize, end: usize) -> Result<Vec<BoxSpan>, HeifThumbnailError> {
    let mut spans = Vec::new();
    let mut at = start;
    while at < end {
        let bad = HeifThumbnailError::BadBox { offset: at };
        let header = file.get(at..at.checked_add(8).ok_or(bad.clone())?);
        let header = header.filter(|_| at + 8 <= end).ok_or(bad.clone())?;
        let kind = [header[4], header[5], header[6], header[7]];
        let (size, body) = match be_uint(file, at, 4, end).ok_or(bad.clone())? {
            0 => (end - at, at + 8),
            1 => {
                let size = be_uint(file, at + 8, 8, end).ok_or(bad.clone())?;
                (usize::try_from(size).map_err(|_| bad.clone())?, at + 16)
            }
            n => (n as usize, at + 8),
        };
        let box_end = at.checked_add(size).ok_or(bad.clone())?;
        if size < body - at || box_end > end {
            return Err(bad);
        }
        spans.push(BoxSpan {
            kind,
            start: at,
            body,
            end: box_end,
        });
        at = box_end;
    }
    Ok(spans)
}

/// A full box's version, and where its payload starts after version and flags.
fn full_box(file: &[u8], span: BoxSpan) -> Result<(u8, usize), HeifThumbnailError> {
    if span.body + 4 > span.end {
        return Err(HeifThumbnailError::BadBox { offset: span.start });
    }
    Ok((file[span.body], span.body + 4))
}

/// Reads a big-endian unsigned number of `width` bytes (at most 8) at `at`, within `end`.
fn be_uint(file: &[u8], at: usize, width: usize, end: usize) -> Option<u64> {
    let bytes = file
        .get(at..at.checked_add(width)?)
        .filter(|_| at + width <= end)?;
    Some(bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
}

/// Reads a big-endian item ID of `width` bytes (2 or 4) at `at`, within `end`.
fn item_id(file: &[u8], at: usize, width: usize, end: usize) -> Option<u32> {
    be_uint(file, at, width.min(4), end).and_then(|id| u32::try_from(id).ok())
}

/// The `pitm` box: where its item ID is stored, its width in bytes, and the ID.
struct Primary {
    field: usize,
    width: usize,
    item: u32,
}

/// A `pitm` or `iref` box's item ID width (version 0: 16 bits, 1: 32 bits) and where its
/// payload starts.
fn id_width(
    file: &[u8],
    span: BoxSpan,
    box_type: &'static str,
) -> Result<(usize, usize), HeifThumbnailError> {
    match full_box(file, span)? {
        (0, at) => Ok((2, at)),
        (1, at) => Ok((4, at)),
        (version, _) => Err(HeifThumbnailError::UnknownVersion {
            box_type,
            offset: span.start,
            version,
        }),
    }
}

fn primary(file: &[u8], span: BoxSpan) -> Result<Primary, HeifThumbnailError> {
    let (width, at) = id_width(file, span, "pitm")?;
    let item = item_id(file, at, width, span.end)
        .ok_or(HeifThumbnailError::BadBox { offset: span.start })?;
    Ok(Primary {
        field: at,
        width,
        item,
    })
}

/// The items that `iref` declares thumbnails (`thmb`) of `primary`, in file order.
fn thumbnails_of(file: &[u8], span: BoxSpan, primary: u32) -> Result<Vec<u32>, HeifThumbnailError> {
    let (width, at) = id_width(file, span, "iref")?;
    let mut found = Vec::new();
    for reference in boxes(file, at, span.end)? {
        if &reference.kind != b"thmb" {
            continue;
        }
        let bad = HeifThumbnailError::BadBox {
            offset: reference.start,
        };
        let end = reference.end;
        let from = item_id(file, reference.body, width, end).ok_or(bad.clone())?;
        let count_at = reference.body + width;
        let count = item_id(file, count_at, 2, end).ok_or(bad.clone())?;
        let targets = (0..count as usize)
            .map(|i| item_id(file, count_at + 2 + i * width, width, end))
            .collect::<Option<Vec<u32>>>()
            .ok_or(bad)?;
        if targets.contains(&primary) && from != primary && !found.contains(&from) {
            found.push(from);
        }
    }
    Ok(found)
}

/// Every thumbnail of the primary picture as a standalone HEIF named `thumbnail-<item>`
/// (the item ID the file gives it). A file with no `iref` has none.
pub fn find_heif_thumbnails(parent: &[u8]) -> Result<Vec<EmbeddedItem>, HeifThumbnailError> {
    let meta = boxes(parent, 0, parent.len())?
        .into_iter()
        .find(|b| &b.kind == b"meta")
        .ok_or(HeifThumbnailError::NoMeta)?;
    let (_, children_at) = full_box(parent, meta)?;
    let children = boxes(parent, children_at, meta.end)?;
    let pitm = children.iter().find(|b| &b.kind == b"pitm");
    let primary = primary(parent, *pitm.ok_or(HeifThumbnailError::NoPrimary)?)?;
    let thumbnails = match children.iter().find(|b| &b.kind == b"iref") {
        Some(iref) => thumbnails_of(parent, *iref, primary.item)?,
        None => Vec::new(),
    };
    if thumbnails.len() > MAX_THUMBNAILS {
        return Err(HeifThumbnailError::TooManyThumbnails);
    }
    if (thumbnails.len() as u64).saturating_mul(parent.len() as u64) > MAX_COPIED_BYTES {
        return Err(HeifThumbnailError::TooLarge {
            thumbnails: thumbnails.len(),
            len: parent.len(),
        });
    }
    thumbnails
        .into_iter()
        .map(|item| {
            let encoded = item.to_be_bytes();
            let encoded = &encoded[4 - primary.width..];
            if primary.width == 2 && item > u32::from(u16::MAX) {
                return Err(HeifThumbnailError::ItemIdTooWide {
                    item,
                    offset: primary.field,
                });
            }
            let mut data = parent.to_vec();
            data[primary.field..primary.field + primary.width].copy_from_slice(encoded);
            Ok(EmbeddedItem {
                name: format!("thumbnail-{item}"),
                data,
                offset: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn full(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend_from_slice(payload);
        make_box(kind, &body)
    }

    /// A HEIF skeleton: primary item 1, `thmb` references given as (from, to…), 16-bit IDs.
    fn heif(primary: u16, refs: &[(u16, &[u16])]) -> Vec<u8> {
        let mut iref = Vec::new();
        for (from, to) in refs {
            let mut payload = from.to_be_bytes().to_vec();
            payload.extend_from_slice(&(to.len() as u16).to_be_bytes());
            for id in *to {
                payload.extend_from_slice(&id.to_be_bytes());
            }
            iref.extend(make_box(b"thmb", &payload));
        }
        iref.extend(make_box(b"cdsc", &[0, 9, 0, 1, 0, 1]));
        let mut meta = make_box(b"hdlr", &[0; 24]);
        meta.extend(full(b"pitm", 0, &primary.to_be_bytes()));
        meta.extend(full(b"iref", 0, &iref));
        let mut file = make_box(b"ftyp", b"heic\0\0\0\0mif1heic");
        file.extend(full(b"meta", 0, &meta));
        file.extend(make_box(b"mdat", &[0xAB; 16]));
        file
    }

    fn pitm_of(file: &[u8]) -> u16 {
        let at = file.windows(4).position(|w| w == b"pitm").unwrap() + 8;
        u16::from_be_bytes([file[at], file[at + 1]])
    }

    #[test]
    fn each_thumbnail_of_the_primary_becomes_a_copy_whose_primary_is_the_thumbnail() {
        let parent = heif(1, &[(2, &[1]), (3, &[1]), (5, &[4])]);
        let items = find_heif_thumbnails(&parent).unwrap();
        let names: Vec<_> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["thumbnail-2", "thumbnail-3"]);
        assert_eq!(pitm_of(&items[0].data), 2);
        assert_eq!(pitm_of(&items[1].data), 3);
        // Only the pitm field differs from the parent.
        let differing = parent
            .iter()
            .zip(&items[1].data)
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(differing, 1);
        assert_eq!(items[0].offset, None);
        // A thumbnail's copy has no thumbnails of its own.
        assert!(find_heif_thumbnails(&items[0].data).unwrap().is_empty());
    }

    #[test]
    fn a_file_without_thumbnails_has_no_children() {
        assert!(find_heif_thumbnails(&heif(1, &[])).unwrap().is_empty());
    }

    #[test]
    fn damaged_boxes_are_errors_naming_the_offset() {
        let mut parent = heif(1, &[(2, &[1])]);
        // The meta box claims more bytes than the file has.
        let meta = parent.windows(4).position(|w| w == b"meta").unwrap() - 4;
        parent[meta..meta + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            find_heif_thumbnails(&parent),
            Err(HeifThumbnailError::BadBox { offset: meta })
        );
        assert_eq!(
            find_heif_thumbnails(b"\0\0\0\x10ftypheic\0\0\0\0"),
            Err(HeifThumbnailError::NoMeta)
        );
        let cut = heif(1, &[(2, &[1])]);
        for len in 0..cut.len() {
            // Any prefix is an error or a shorter answer, never a panic.
            let _ = find_heif_thumbnails(&cut[..len]);
        }
    }
}
