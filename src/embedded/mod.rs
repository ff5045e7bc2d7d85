//! Pictures stored inside a picture file: the EXIF thumbnail and the MPF secondary images
//! of a JPEG, the images of an icon, the pages of a TIFF, the thumbnails of a HEIF.
//!
//! Owns the finders that cut such children out of a parent's bytes, as pure functions (no
//! I/O, no decoding) so they can be fuzzed and tested alone. Each child is a standalone
//! picture file the ordinary pipeline sniffs and decodes. Naming the child under its
//! parent's path (`a.jpg!/exif-thumbnail`), hashing and accounting belong to the nested-item
//! model of the scan (`nested`).

pub mod exif_thumbnail;
pub mod heif_thumbnail;
pub mod ico;
mod jpeg_app;
pub mod mpf;
pub mod tiff;

/// One child found inside a parent's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedItem {
    /// Name of the child under its parent, e.g. "exif-thumbnail", "page-2", "icon-1-32x32".
    pub name: String,
    /// The child's bytes (owned; copied out of the parent).
    pub data: Vec<u8>,
    /// Byte offset of the child inside the parent, when it is one contiguous range.
    pub offset: Option<u64>,
}
