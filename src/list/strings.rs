//! Compact string storage for list metadata: one arena per kind of string, addressed by
//! `u32` handles, so a record costs a few bytes per field instead of a `String` header each.
//!
//! Owns `Arena` (append-only, for unique strings such as ids and file names) and `Interner`
//! (deduplicating, for the few distinct categories, series and tags a list repeats).
//! Leaves what the strings mean to `store`.

use std::collections::HashMap;

/// Handle value for "no string".
pub(crate) const NONE: u32 = u32::MAX;

/// The arena would pass 4 GiB of text or 4 G strings, which `u32` handles cannot address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArenaFull;

/// Append-only string arena: all bytes in one buffer, one `u32` end offset per string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Arena {
    bytes: String,
    ends: Vec<u32>,
}

impl Arena {
    /// Stores `s` and returns its handle.
    pub(crate) fn push(&mut self, s: &str) -> Result<u32, ArenaFull> {
        let end = u32::try_from(self.bytes.len() + s.len()).map_err(|_| ArenaFull)?;
        let handle = u32::try_from(self.ends.len()).map_err(|_| ArenaFull)?;
        if handle == NONE {
            return Err(ArenaFull);
        }
        self.bytes.push_str(s);
        self.ends.push(end);
        Ok(handle)
    }

    /// Stores `s` if present; `NONE` otherwise.
    pub(crate) fn push_opt(&mut self, s: Option<&str>) -> Result<u32, ArenaFull> {
        s.map_or(Ok(NONE), |s| self.push(s))
    }

    pub(crate) fn get(&self, handle: u32) -> Option<&str> {
        let i = usize::try_from(handle).ok()?;
        let end = usize::try_from(*self.ends.get(i)?).ok()?;
        let start = match i.checked_sub(1) {
            Some(prev) => usize::try_from(*self.ends.get(prev)?).ok()?,
            None => 0,
        };
        self.bytes.get(start..end)
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// Deduplicating string store: equal strings share one handle.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    arena: Arena,
    handles: HashMap<Box<str>, u32>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: Option<&str>) -> Result<u32, ArenaFull> {
        let Some(s) = s else { return Ok(NONE) };
        if let Some(&h) = self.handles.get(s) {
            return Ok(h);
        }
        let h = self.arena.push(s)?;
        self.handles.insert(s.into(), h);
        Ok(h)
    }

    pub(crate) fn get(&self, handle: u32) -> Option<&str> {
        self.arena.get(handle)
    }

    /// Drops the lookup table once loading is over; handles stay valid.
    pub(crate) fn freeze(&mut self) {
        self.handles = HashMap::new();
        self.arena.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arena_round_trips_including_empty_strings() {
        let mut a = Arena::default();
        let x = a.push("abc").unwrap();
        let e = a.push("").unwrap();
        let y = a.push("de").unwrap();
        assert_eq!(
            (a.get(x), a.get(e), a.get(y)),
            (Some("abc"), Some(""), Some("de"))
        );
        assert_eq!(a.get(NONE), None);
        assert_eq!(a.push_opt(None), Ok(NONE));
    }

    #[test]
    fn interner_shares_handles() {
        let mut i = Interner::default();
        let a = i.intern(Some("1")).unwrap();
        let b = i.intern(Some("2")).unwrap();
        assert_eq!(i.intern(Some("1")).unwrap(), a);
        assert_ne!(a, b);
        i.freeze();
        assert_eq!(i.get(b), Some("2"));
    }
}
