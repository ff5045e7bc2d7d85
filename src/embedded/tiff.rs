//! The pages of a multi-page TIFF (fax, scanner, document archives), from the second on;
//! the first page is the file's own picture.
//!
//! A TIFF's pages are a chain of image file directories (IFDs) linked by "next IFD"
//! offsets. Every offset in a TIFF is absolute, so a page cannot be cut out as a range;
//! instead each page becomes a copy of the parent whose header points at that page's IFD
//! and whose copy of that IFD ends the chain: a valid TIFF whose only page is that page (so
//! a page has no pages of its own). Classic TIFF and BigTIFF, both byte orders.
//! The chain is followed with loop detection and checked arithmetic; SubIFDs (previews
//! inside a page) are not pages and are left out.

use std::collections::HashSet;

use super::EmbeddedItem;

/// Pages beyond this many are refused rather than copied (a loop-free chain of tiny IFDs
/// could otherwise multiply a small file into gigabytes of copies).
pub const MAX_PAGES: usize = 10_000;
/// Upper bound on the bytes of all page copies together.
pub const MAX_COPIED_BYTES: u64 = 1 << 30;

/// Why a TIFF's page chain could not be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TiffError {
    #[error("not a TIFF header at byte offset 0")]
    NotTiff,
    #[error("IFD of page {page} at byte offset {offset} is past the end or cut off")]
    IfdOutOfBounds { page: usize, offset: u64 },
    #[error("IFD chain loops back to byte offset {offset} after page {page}")]
    Loop { page: usize, offset: u64 },
    #[error("TIFF has more than {MAX_PAGES} pages")]
    TooManyPages,
    #[error("copies of {pages} pages of a {len}-byte TIFF exceed {MAX_COPIED_BYTES} bytes")]
    TooLarge { pages: usize, len: usize },
}

/// Classic (32-bit offsets) or BigTIFF (64-bit offsets) layout, and the byte order.
#[derive(Debug, Clone, Copy)]
struct Layout {
    little: bool,
    big_tiff: bool,
}

impl Layout {
    fn read(parent: &[u8]) -> Result<Layout, TiffError> {
        let layout = match parent.get(..4) {
            Some(b"II*\0") => Layout {
                little: true,
                big_tiff: false,
            },
            Some(b"MM\0*") => Layout {
                little: false,
                big_tiff: false,
            },
            Some(b"II+\0") => Layout {
                little: true,
                big_tiff: true,
            },
            Some(b"MM\0+") => Layout {
                little: false,
                big_tiff: true,
            },
            _ => return Err(TiffError::NotTiff),
        };
        if parent.len() < layout.header_len() {
            return Err(TiffError::NotTiff);
        }
        Ok(layout)
    }

    fn header_len(self) -> usize {
        if self.big_tiff {
            16
        } else {
            8
        }
    }

    /// Where the header stores the first IFD's offset.
    fn first_ifd_field(self) -> usize {
        if self.big_tiff {
            8
        } else {
            4
        }
    }

    fn uint(self, bytes: &[u8]) -> u64 {
        let mut wide = [0u8; 8];
        if self.little {
            wide[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(wide)
        } else {
            wide[8 - bytes.len()..].copy_from_slice(bytes);
            u64::from_be_bytes(wide)
        }
    }

    fn encode_offset(self, offset: u64) -> Vec<u8> {
        match (self.big_tiff, self.little) {
            (true, true) => offset.to_le_bytes().to_vec(),
            (true, false) => offset.to_be_bytes().to_vec(),
            // Classic offsets were read as u32, so they fit.
            (false, true) => (offset as u32).to_le_bytes().to_vec(),
            (false, false) => (offset as u32).to_be_bytes().to_vec(),
        }
    }

    /// Where the IFD at `offset` stores the offset of the next one, and that offset (0 ends
    /// the chain).
    fn next_ifd(self, parent: &[u8], offset: u64, page: usize) -> Result<(usize, u64), TiffError> {
        let out_of_bounds = TiffError::IfdOutOfBounds { page, offset };
        let (count_len, entry_len, next_len) = if self.big_tiff {
            (8, 20, 8)
        } else {
            (2, 12, 4)
        };
        let start = usize::try_from(offset).map_err(|_| out_of_bounds.clone())?;
        let count_bytes = start
            .checked_add(count_len)
            .and_then(|end| parent.get(start..end))
            .ok_or(out_of_bounds.clone())?;
        let count = usize::try_from(self.uint(count_bytes)).map_err(|_| out_of_bounds.clone())?;
        let next_at = count
            .checked_mul(entry_len)
            .and_then(|n| n.checked_add(start + count_len))
            .ok_or(out_of_bounds.clone())?;
        let next = next_at
            .checked_add(next_len)
            .and_then(|end| parent.get(next_at..end))
            .ok_or(out_of_bounds)?;
        Ok((next_at, self.uint(next)))
    }
}

/// One page's IFD: where it starts, and where it stores the next page's offset.
#[derive(Debug, Clone, Copy)]
struct PageIfd {
    offset: u64,
    next_field: usize,
}

/// The IFD of every page, first page included.
fn page_ifds(parent: &[u8], layout: Layout) -> Result<Vec<PageIfd>, TiffError> {
    let field = layout.first_ifd_field();
    let width = if layout.big_tiff { 8 } else { 4 };
    let mut offset = layout.uint(&parent[field..field + width]);
    let mut seen = HashSet::new();
    let mut ifds = Vec::new();
    while offset != 0 {
        if !seen.insert(offset) {
            return Err(TiffError::Loop {
                page: ifds.len(),
                offset,
            });
        }
        if ifds.len() == MAX_PAGES {
            return Err(TiffError::TooManyPages);
        }
        let (next_field, next) = layout.next_ifd(parent, offset, ifds.len() + 1)?;
        ifds.push(PageIfd { offset, next_field });
        offset = next;
    }
    Ok(ifds)
}

/// Every page after the first as a standalone TIFF named `page-N` (N from 2).
pub fn find_tiff_pages(parent: &[u8]) -> Result<Vec<EmbeddedItem>, TiffError> {
    let layout = Layout::read(parent)?;
    let ifds = page_ifds(parent, layout)?;
    let pages = ifds.len().saturating_sub(1);
    if (pages as u64).saturating_mul(parent.len() as u64) > MAX_COPIED_BYTES {
        return Err(TiffError::TooLarge {
            pages,
            len: parent.len(),
        });
    }
    let field = layout.first_ifd_field();
    Ok(ifds
        .iter()
        .enumerate()
        .skip(1)
        .map(|(index, ifd)| {
            let mut data = parent.to_vec();
            let encoded = layout.encode_offset(ifd.offset);
            data[field..field + encoded.len()].copy_from_slice(&encoded);
            let end = layout.encode_offset(0);
            data[ifd.next_field..ifd.next_field + end.len()].copy_from_slice(&end);
            EmbeddedItem {
                name: format!("page-{}", index + 1),
                data,
                offset: None,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian classic TIFF skeleton: IFDs with one dummy entry each, chained.
    fn chain(ifds: usize, last_next: u32) -> Vec<u8> {
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        for i in 0..ifds {
            let next = if i + 1 == ifds {
                last_next
            } else {
                (8 + 18 * (i + 1)) as u32
            };
            out.extend_from_slice(&1u16.to_le_bytes());
            out.extend_from_slice(&[0u8; 12]);
            out.extend_from_slice(&next.to_le_bytes());
        }
        out
    }

    #[test]
    fn every_page_after_the_first_points_the_header_at_its_ifd() {
        let parent = chain(3, 0);
        let pages = find_tiff_pages(&parent).unwrap();
        let names: Vec<_> = pages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["page-2", "page-3"]);
        assert_eq!(&pages[0].data[4..8], &26u32.to_le_bytes());
        assert_eq!(&pages[1].data[4..8], &44u32.to_le_bytes());
        assert_eq!(&pages[1].data[8..], &parent[8..]);
        // Page 2's copy ends the chain at its own IFD: a page has no pages of its own.
        assert_eq!(&pages[0].data[40..44], &0u32.to_le_bytes());
        assert_eq!(&parent[40..44], &44u32.to_le_bytes());
        assert!(find_tiff_pages(&pages[0].data).unwrap().is_empty());
        assert!(find_tiff_pages(&chain(1, 0)).unwrap().is_empty());
    }

    #[test]
    fn loops_and_cut_off_ifds_are_typed_errors() {
        assert_eq!(
            find_tiff_pages(&chain(2, 8)),
            Err(TiffError::Loop { page: 2, offset: 8 })
        );
        assert_eq!(
            find_tiff_pages(&chain(2, 4000)),
            Err(TiffError::IfdOutOfBounds {
                page: 3,
                offset: 4000
            })
        );
        assert_eq!(find_tiff_pages(b"II*\0"), Err(TiffError::NotTiff));
        assert_eq!(find_tiff_pages(b"GIF89a\0\0"), Err(TiffError::NotTiff));
    }

    #[test]
    fn big_endian_and_bigtiff_headers_are_rewritten_in_their_layout() {
        let mut be = b"MM\0*\0\0\0\x08".to_vec();
        be.extend_from_slice(&[0, 1]);
        be.extend_from_slice(&[0u8; 12]);
        be.extend_from_slice(&26u32.to_be_bytes());
        be.extend_from_slice(&[0, 0]);
        be.extend_from_slice(&0u32.to_be_bytes());
        let pages = find_tiff_pages(&be).unwrap();
        assert_eq!(&pages[0].data[4..8], &26u32.to_be_bytes());

        let mut big = b"II+\0\x08\0\0\0".to_vec();
        big.extend_from_slice(&16u64.to_le_bytes());
        big.extend_from_slice(&0u64.to_le_bytes()); // IFD at 16: no entries
        big.extend_from_slice(&32u64.to_le_bytes()); // next: 32
        big.extend_from_slice(&0u64.to_le_bytes()); // IFD at 32: no entries
        big.extend_from_slice(&0u64.to_le_bytes());
        let pages = find_tiff_pages(&big).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(&pages[0].data[8..16], &32u64.to_le_bytes());
    }
}
