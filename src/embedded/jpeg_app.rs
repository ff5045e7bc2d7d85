//! What the EXIF and MPF finders share: a JPEG's application segments, and the TIFF-style
//! structures inside them (a byte order mark, then offsets relative to it, and IFDs of
//! 12-byte entries).

/// Start Of Image, the first two bytes of every JPEG.
pub(super) const SOI: [u8; 2] = [0xFF, 0xD8];

/// The body of the first `APPn` segment (`marker`, e.g. 0xE1 for APP1) that starts with
/// `signature`, after the signature, and the offset of that body in `jpeg`. Segments are
/// walked from the start of the file up to the first scan; `None` if there is none.
pub(super) fn app_segment<'a>(
    jpeg: &'a [u8],
    marker: u8,
    signature: &[u8],
) -> Option<(usize, &'a [u8])> {
    if !jpeg.starts_with(&SOI) {
        return None;
    }
    let mut at = 2;
    loop {
        let this = *jpeg.get(at + 1)?;
        if jpeg[at] != 0xFF || this == 0xDA || this == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        let body = jpeg.get(at + 4..(at + 2 + len).max(at + 4))?;
        if this == marker && body.starts_with(signature) {
            return Some((at + 4 + signature.len(), &body[signature.len()..]));
        }
        at += 2 + len;
    }
}

/// One 12-byte IFD entry: its tag, its count, and its value field (the value itself for a
/// single LONG, else the offset of the data).
#[derive(Clone, Copy)]
pub(super) struct IfdEntry {
    pub tag: u16,
    pub count: usize,
    pub value: usize,
}

/// A TIFF structure's byte order, from its first two bytes (`II` or `MM`).
#[derive(Clone, Copy)]
pub(super) enum Order {
    Little,
    Big,
}

impl Order {
    pub(super) fn of(tiff: &[u8]) -> Option<Order> {
        match tiff.get(..2) {
            Some(b"II") => Some(Order::Little),
            Some(b"MM") => Some(Order::Big),
            _ => None,
        }
    }

    pub(super) fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let v = [*b.get(at)?, *b.get(at.checked_add(1)?)?];
        Some(match self {
            Order::Little => u16::from_le_bytes(v),
            Order::Big => u16::from_be_bytes(v),
        })
    }

    /// Entry `i` of the IFD at `ifd`; where it lies, when it runs past `tiff`.
    pub(super) fn ifd_entry(self, tiff: &[u8], ifd: usize, i: usize) -> Result<IfdEntry, usize> {
        let at = ifd.saturating_add(2).saturating_add(i.saturating_mul(12));
        let read = || {
            Some(IfdEntry {
                tag: self.u16(tiff, at)?,
                count: self.u32(tiff, at.checked_add(4)?)?,
                value: self.u32(tiff, at.checked_add(8)?)?,
            })
        };
        read().ok_or(at)
    }

    pub(super) fn u32(self, b: &[u8], at: usize) -> Option<usize> {
        let v: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        usize::try_from(match self {
            Order::Little => u32::from_le_bytes(v),
            Order::Big => u32::from_be_bytes(v),
        })
        .ok()
    }
}
