//! `Shown<T>`: an object of a record that the scan writes from an engine type and the
//! renderers only show (a disk image's segment files, image verification, the category
//! map, video handling, list warnings).
//!
//! Owns only that wrapper. Written, it is the engine's type, so its fields come out in the
//! type's order; read back, it is the JSON as written, so a report whose objects have
//! fields this build does not know (or lacks some) still reads, and nothing is lost when
//! it is written out again (`report --format jsonl`, where its keys then sort).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// An engine value being written, or the JSON a report held.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown<T> {
    Written(T),
    Read(Value),
}

impl<T: Serialize> Shown<T> {
    /// The object as JSON, for the renderers.
    pub fn json(&self) -> Cow<'_, Value> {
        match self {
            Shown::Written(t) => Cow::Owned(serde_json::to_value(t).unwrap_or_default()),
            Shown::Read(v) => Cow::Borrowed(v),
        }
    }
}

impl<T: Serialize> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Written(t) => t.serialize(serializer),
            Shown::Read(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T> Deserialize<'de> for Shown<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Shown::Read)
    }
}

#[cfg(test)]
mod tests {
    use super::Shown;

    #[derive(serde::Serialize, PartialEq, Debug)]
    struct Engine {
        zeta: u32,
        alpha: u32,
    }

    #[test]
    fn written_in_the_types_order_read_back_as_written() {
        let written = Shown::Written(Engine { zeta: 1, alpha: 2 });
        let text = serde_json::to_string(&written).unwrap();
        assert_eq!(text, r#"{"zeta":1,"alpha":2}"#);
        let read: Shown<Engine> = serde_json::from_str(r#"{"zeta":1,"alpha":2,"new":3}"#).unwrap();
        assert_eq!(read.json()["new"], 3);
        assert_eq!(written.json()["alpha"], 2);
    }
}
