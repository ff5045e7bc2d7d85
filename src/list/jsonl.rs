//! hashsweep's own list format: JSON Lines, one entry per line.
//!
//! `{"algorithm":"md5","hash":"<lowercase hex>","id":"…","category":"…","label":"…"}` —
//! `algorithm` and `hash` are required, the rest optional; `category` may be a string or a
//! number (kept as written). Blank lines and lines starting with `#` are ignored.
//! See docs/list-format.md.

use serde::Deserialize;
use serde_json::Value;

use super::ListEntry;
use crate::algorithm::{Algorithm, HashValue};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    algorithm: String,
    hash: String,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    category: Option<Value>,
    #[serde(default)]
    label: Option<String>,
}

/// Parses one line; `Ok(None)` for blank and comment lines.
pub fn parse_line(line: &str) -> Result<Option<ListEntry>, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let raw: RawEntry = serde_json::from_str(trimmed).map_err(|e| format!("invalid JSON: {e}"))?;
    let algorithm: Algorithm = raw.algorithm.parse().map_err(|e| format!("{e}"))?;
    let value = HashValue::parse_hex(algorithm, &raw.hash).map_err(|e| e.to_string())?;
    Ok(Some(ListEntry {
        value,
        id: raw.id.map(scalar_to_string).transpose()?,
        category: raw.category.map(scalar_to_string).transpose()?,
        label: raw.label,
    }))
}

/// Ids and categories arrive as strings or numbers; both are kept as their written text.
fn scalar_to_string(v: Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("expected a string or number, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_minimal_entries() {
        let e = parse_line(
            r#"{"algorithm":"md5","hash":"D41D8CD98F00B204E9800998ECF8427E","id":7,"category":"2","label":"demo"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.value.to_hex(), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(e.id.as_deref(), Some("7"));
        assert_eq!(e.category.as_deref(), Some("2"));
        assert_eq!(e.label.as_deref(), Some("demo"));
        let m = parse_line(r#"{"algorithm":"dhash","hash":"00ff00ff00ff00ff"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(m.id, None);
        assert_eq!(parse_line("  # comment").unwrap(), None);
    }

    #[test]
    fn rejects_bad_entries_with_a_reason() {
        let err = parse_line(r#"{"algorithm":"crc","hash":"00"}"#).unwrap_err();
        assert!(err.contains("unknown hash algorithm"), "{err}");
        let err = parse_line(r#"{"algorithm":"sha1","hash":"00"}"#).unwrap_err();
        assert!(err.contains("40 hex digits"), "{err}");
        let err = parse_line(r#"{"algorithm":"md5"}"#).unwrap_err();
        assert!(err.contains("missing field `hash`"), "{err}");
    }
}
