//! `ItemPath`: the path of an item as the report shows it, byte-exact.
//!
//! Unix file names are bytes, not text. An evidence name that is not UTF-8 must still be
//! reported so that the file can be found again, so the path is kept as raw bytes; reports
//! print it as text when it is UTF-8 and add a hex copy of the bytes when it is not.

use std::fmt;

/// Separates a container's path from the path of an entry inside it (`photos.zip!/a.jpg`).
pub(super) const CONTAINER_SEPARATOR: &[u8] = b"!/";

/// A `/`-separated path: the evidence root as given, then the path inside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemPath(Vec<u8>);

impl ItemPath {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        ItemPath(bytes)
    }

    /// Joins a child name with a `/` (no doubled separators).
    pub fn join(&self, name: &[u8]) -> ItemPath {
        let mut out = self.0.clone();
        if !out.is_empty() && !out.ends_with(b"/") {
            out.push(b'/');
        }
        out.extend_from_slice(name);
        ItemPath(out)
    }

    /// The path of an entry of the container at `self`: `outer!/inner`, where `inner` is the
    /// entry's name as the container stores it. So that `!/` always means "inside", every
    /// run of `!` in `inner` that stands before a `/` or at the end is doubled: a separator
    /// is then always an odd run of `!` followed by `/` (the last `!` of the run).
    pub fn child(&self, entry_name: &[u8]) -> ItemPath {
        let mut out = Vec::with_capacity(self.0.len() + 2 + entry_name.len());
        out.extend_from_slice(&self.0);
        out.extend_from_slice(CONTAINER_SEPARATOR);
        let mut i = 0;
        while i < entry_name.len() {
            let run = entry_name[i..].iter().take_while(|b| **b == b'!').count();
            if run == 0 {
                out.push(entry_name[i]);
                i += 1;
                continue;
            }
            let before_slash = matches!(entry_name.get(i + run), Some(b'/') | None);
            let copies = if before_slash { run * 2 } else { run };
            out.extend(std::iter::repeat_n(b'!', copies));
            i += run;
        }
        ItemPath(out)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The path as text; `None` when it is not valid UTF-8.
    pub fn as_utf8(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Text with invalid bytes replaced by U+FFFD: for display only, never for lookup.
    pub fn lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// Hex of the raw bytes, present only when the path is not UTF-8.
    pub fn raw_hex_if_not_utf8(&self) -> Option<String> {
        self.as_utf8().is_none().then(|| hex::encode(&self.0))
    }
}

/// Serialises a path of the examiner's filesystem as text, invalid UTF-8 replaced by U+FFFD
/// (serde refuses such a path outright, which would make the whole report unwritable);
/// where the exact bytes matter, a `path_raw_hex` field goes beside it.
pub fn serialize_lossy<S: serde::Serializer>(
    path: &std::path::Path,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

impl From<&std::path::Path> for ItemPath {
    fn from(p: &std::path::Path) -> Self {
        use std::os::unix::ffi::OsStrExt;
        ItemPath(p.as_os_str().as_bytes().to_vec())
    }
}

impl fmt::Display for ItemPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_non_utf8() {
        let root = ItemPath::from_bytes(b"evidence/".to_vec());
        let p = root.join(b"a").join(b"b\xff.jpg");
        assert_eq!(p.as_bytes(), b"evidence/a/b\xff.jpg");
        assert_eq!(p.as_utf8(), None);
        assert_eq!(
            p.raw_hex_if_not_utf8().as_deref(),
            Some("65766964656e63652f612f62ff2e6a7067")
        );
        assert_eq!(p.lossy(), "evidence/a/b\u{fffd}.jpg");
        assert_eq!(root.join(b"x").raw_hex_if_not_utf8(), None);
    }

    #[test]
    fn child_paths_escape_a_literal_separator() {
        let zip = ItemPath::from_bytes(b"e/photos.zip".to_vec());
        assert_eq!(
            zip.child(b"2019/a.jpg").as_bytes(),
            b"e/photos.zip!/2019/a.jpg"
        );
        assert_eq!(zip.child(b"x!/y!").as_bytes(), b"e/photos.zip!/x!!/y!!");
        assert_eq!(zip.child(b"a!!/b!c").as_bytes(), b"e/photos.zip!/a!!!!/b!c");
        let inner = zip.child(b"in.tar").child(b"a.jpg");
        assert_eq!(inner.as_bytes(), b"e/photos.zip!/in.tar!/a.jpg");
    }
}
