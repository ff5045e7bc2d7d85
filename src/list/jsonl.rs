//! hashsweep's own list format: JSON Lines, one entry per line.
//!
//! `{"algorithm":"md5","hash":"<hex>","id":"…","category":"…","label":"…"}`: `algorithm`
//! and `hash` are required, the rest optional; `id` and `category` may be strings or numbers
//! (kept as written). Optional `series`, `tags`, `size`, `quality`, `photodna`, `flags` and
//! `scheme` (a category scheme name, e.g. `vics-us`; the first one seen applies to the list)
//! carry what other formats hold, so `list convert` loses nothing; `category_label` is
//! written for readers and ignored on input (it follows from `scheme`). Blank lines and
//! lines starting with `#` are ignored. See docs/lists.md.

use serde::Deserialize;
use serde_json::Value;

use super::category::CategoryScheme;
use super::collect::{take, Collector, LineParser};
use super::record::{EntryFlags, FormatInfo, Record};
use super::ListError;
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
    category_label: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    series: Option<String>,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    quality: Option<u8>,
    #[serde(default)]
    photodna: Option<String>,
    #[serde(default)]
    flags: Option<EntryFlags>,
    #[serde(default)]
    scheme: Option<String>,
}

/// Parses one line; `Ok(None)` for blank and comment lines.
#[cfg(test)]
fn parse_line(line: &str) -> Result<Option<Record>, String> {
    Ok(parse_raw(line)?.map(|(r, _)| r))
}

fn parse_raw(line: &str) -> Result<Option<(Record, Option<CategoryScheme>)>, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let raw: RawEntry = serde_json::from_str(trimmed).map_err(|e| format!("invalid JSON: {e}"))?;
    let algorithm: Algorithm = raw.algorithm.parse().map_err(|e| format!("{e}"))?;
    let value = HashValue::parse_hex(algorithm, &raw.hash).map_err(|e| e.to_string())?;
    let scheme = match raw.scheme.as_deref() {
        Some(s) => Some(CategoryScheme::from_name(s).ok_or(format!("unknown scheme {s:?}"))?),
        None => None,
    };
    let _ = raw.category_label;
    let record = Record {
        hashes: vec![value],
        id: raw.id.map(scalar_to_string).transpose()?,
        category: raw.category.map(scalar_to_string).transpose()?,
        label: raw.label,
        series: raw.series,
        tags: raw.tags,
        flags: raw.flags.unwrap_or_default(),
        quality: raw.quality,
        size: raw.size,
        photodna: raw.photodna,
    };
    Ok(Some((record, scheme)))
}

/// Ids and categories arrive as strings or numbers; both are kept as their written text.
fn scalar_to_string(v: Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("expected a string or number, got {other}")),
    }
}

/// Line parser for the loader; remembers the first `scheme` seen.
#[derive(Debug, Default)]
pub(crate) struct JsonlParser {
    scheme: Option<CategoryScheme>,
}

impl LineParser for JsonlParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        let outcome = parse_raw(line).map(|o| {
            o.map(|(record, scheme)| {
                if self.scheme.is_none() {
                    self.scheme = scheme;
                }
                record
            })
        });
        take(c, line_no, outcome)
    }

    fn info(&self) -> FormatInfo {
        FormatInfo {
            version: Some("1".into()),
            variant: None,
            scheme: self.scheme.unwrap_or_default(),
        }
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
        assert_eq!(e.hashes[0].to_hex(), "d41d8cd98f00b204e9800998ecf8427e");
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
    fn parses_the_extended_fields() {
        let (r, scheme) = parse_raw(
            r#"{"algorithm":"pdq","hash":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","quality":90,"series":"S","tags":"a b","size":3,"flags":{"is_distributed":true},"scheme":"vics-us","category_label":"x"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!((r.quality, r.size), (Some(90), Some(3)));
        assert_eq!(r.flags.is_distributed, Some(true));
        assert_eq!(scheme, Some(CategoryScheme::VicsUs));
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
