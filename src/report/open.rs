//! `Open<T>`: a value of one of the report's closed vocabularies (list roles, skip kinds)
//! as this build knows it, or the text a newer build wrote, kept as written.
//!
//! Owns only that wrapper. Reports are read long after they are written, by builds older
//! than the scan's: a value this build does not know must neither stop the reading nor be
//! lost when the report is written out again (`report --format jsonl`, `json`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A known value, or the unknown text as written (serialised back unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Open<T> {
    Known(T),
    Unknown(String),
}

impl<T> Open<T> {
    /// Whether this is the known value `value`.
    pub fn is(&self, value: T) -> bool
    where
        T: PartialEq,
    {
        matches!(self, Open::Known(v) if *v == value)
    }
}

/// An absent value reads as unknown and empty (older reports left some fields out).
impl<T> Default for Open<T> {
    fn default() -> Self {
        Open::Unknown(String::new())
    }
}

/// As written in the report: the known value's code, or the unknown text.
impl<T: Serialize> fmt::Display for Open<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Open::Known(v) => match serde_json::to_value(v) {
                Ok(serde_json::Value::String(s)) => f.write_str(&s),
                _ => Err(fmt::Error),
            },
            Open::Unknown(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Open;
    use crate::list::ListRole;

    #[test]
    fn known_values_read_typed_and_unknown_ones_round_trip() {
        let known: Open<ListRole> = serde_json::from_str(r#""known_good""#).unwrap();
        assert!(known.is(ListRole::KnownGood));
        assert_eq!(known.to_string(), "known_good");
        let newer: Open<ListRole> = serde_json::from_str(r#""watch""#).unwrap();
        assert_eq!(newer, Open::Unknown("watch".into()));
        assert_eq!(serde_json::to_string(&newer).unwrap(), r#""watch""#);
    }
}
