//! Pictures stored inside a picture file: the images of an icon, the pages of a TIFF.
//!
//! Owns the finders that cut such children out of a parent's bytes, as pure functions (no
//! I/O, no decoding) so they can be fuzzed and tested alone. Each child is a standalone
//! picture file the ordinary pipeline sniffs and decodes. Leaves naming the child under its
//! parent's path, accounting and hashing to the nested-item model of the scan.

pub mod ico;
pub mod tiff;

/// One child found inside a parent's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedItem {
    /// Name of the child under its parent, e.g. "page-2", "icon-1-32x32".
    pub name: String,
    /// The child's bytes (owned; copied out of the parent).
    pub data: Vec<u8>,
    /// Byte offset of the child inside the parent, when it is one contiguous range.
    pub offset: Option<u64>,
}
