//! Finders of items embedded in a file's bytes, as pure functions for the nested-item model
//! (`outer!/inner`) to wire in: each takes the parent's bytes and returns its children.
//!
//! Owns the finders only; naming, hashing and accounting of the children belong to the
//! scan pipeline. Today: the EXIF IFD1 thumbnail of a JPEG (`exif_thumbnail`).

pub mod exif_thumbnail;
