//! hashdeep / md5deep known-file lists (`%%%% HASHDEEP-1.0`).
//!
//! Owns the header rules of jessek/hashdeep `hashlist.cpp`
//! (docs/list-formats.md §hashdeep): line 1 is the format version, line 2 names the
//! columns (`%%%% size,<alg>…,filename`, compared case-insensitively, dashes ignored), `#`
//! lines are comments. Unlike hashdeep, a row takes exactly `1 + n` leading fields and keeps the
//! rest as the file name, so names with commas survive. An unknown column name is fatal, as
//! in hashdeep; `tiger` and `whirlpool` are hashdeep's own and are skipped with a warning.
//! An empty size or hash field means "not given" (hashsweep's own `list convert` writes
//! them for records lacking a hash).

use super::collect::{take, Collector, LineParser};
use super::record::{FormatInfo, Location, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

/// Columns hashdeep knows but hashsweep cannot compute: read past, not matched.
const FOREIGN: [&str; 2] = ["tiger", "whirlpool"];

#[derive(Debug, Default)]
pub(crate) struct HashdeepParser {
    version: Option<String>,
    /// One entry per hash column; `None` for a skipped (foreign) column.
    columns: Option<Vec<Option<Algorithm>>>,
    header: String,
}

impl HashdeepParser {
    fn first_line(&mut self, line: &str, c: &Collector) -> Result<(), ListError> {
        let version = line
            .trim()
            .strip_prefix("%%%% HASHDEEP-")
            .filter(|v| !v.is_empty());
        match version {
            Some(v) => {
                self.version = Some(v.to_string());
                Ok(())
            }
            None => Err(c.malformed(
                Location::Line(1),
                "first line must be \"%%%% HASHDEEP-1.0\"".into(),
            )),
        }
    }

    fn column_line(&mut self, line: &str, c: &mut Collector) -> Result<(), ListError> {
        let at = Location::Line(2);
        let lower = line.trim().to_ascii_lowercase();
        let Some(list) = lower.strip_prefix("%%%% size,") else {
            return Err(c.malformed(at, "second line must start \"%%%% size,\"".into()));
        };
        let mut names: Vec<&str> = list.split(',').map(str::trim).collect();
        if names.pop() != Some("filename") || names.is_empty() {
            return Err(c.malformed(
                at,
                "header must end with hash names then \"filename\"".into(),
            ));
        }
        let mut columns = Vec::new();
        for name in names {
            let folded = name.replace('-', "");
            if FOREIGN.contains(&folded.as_str()) {
                c.warn(
                    Some(at),
                    format!("column {name:?} is not a hashsweep algorithm; ignored"),
                );
                columns.push(None);
                continue;
            }
            match folded.parse::<Algorithm>() {
                Ok(a) if !a.is_perceptual() => columns.push(Some(a)),
                _ => return Err(c.unsupported(at, format!("unknown algorithm {name:?} in header"))),
            }
        }
        self.header = list.to_string();
        self.columns = Some(columns);
        Ok(())
    }
}

/// Parses one data row against the header's columns.
fn row(line: &str, line_no: u64, columns: &[Option<Algorithm>]) -> Result<Option<Record>, String> {
    let mut fields = line.splitn(columns.len() + 2, ',');
    let size = fields.next().unwrap_or("").trim();
    let mut record = Record {
        id: Some(line_no.to_string()),
        size: match size {
            "" => None,
            s => Some(s.parse().map_err(|_| format!("invalid size {s:?}"))?),
        },
        ..Record::default()
    };
    for column in columns {
        let field = fields
            .next()
            .ok_or("fewer fields than the header names")?
            .trim();
        if let (Some(alg), false) = (column, field.is_empty()) {
            let v = HashValue::parse_hex(*alg, field)
                .map_err(|e| format!("invalid {alg} hash: {e}"))?;
            record.hashes.push(v);
        }
    }
    let name = fields.next().ok_or("no file name field")?;
    record.label = Some(name.to_string());
    Ok(Some(record))
}

impl LineParser for HashdeepParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        match line_no {
            1 => return self.first_line(line, c),
            2 => return self.column_line(line, c),
            _ => {}
        }
        if line.trim().is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let columns = self.columns.as_deref().unwrap_or(&[]);
        let outcome = row(line, line_no, columns);
        take(c, line_no, outcome)
    }

    fn info(&self) -> FormatInfo {
        FormatInfo {
            version: self.version.clone(),
            variant: Some(format!("columns size,{}", self.header)),
            ..FormatInfo::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5_SHA256: [Option<Algorithm>; 2] = [Some(Algorithm::Md5), Some(Algorithm::Sha256)];

    #[test]
    fn keeps_commas_in_file_names() {
        let r = row(
            "15,D1B23D60BE33081437B607AC50A40E82,aa761291ff9d068556f2d1d6f63c53a4d22e44d65f882c1c252a04372123add3,evidence/img,with,commas.jpg",
            7,
            &MD5_SHA256,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.label.as_deref(), Some("evidence/img,with,commas.jpg"));
        assert_eq!((r.size, r.id.as_deref()), (Some(15), Some("7")));
        assert_eq!(r.hashes[0].to_hex(), "d1b23d60be33081437b607ac50a40e82");
    }

    #[test]
    fn rejects_bad_hashes_and_short_rows() {
        let err = row("15,zzzz,aa,x", 8, &MD5_SHA256).unwrap_err();
        assert!(err.starts_with("invalid md5 hash"), "{err}");
        assert!(row("15,900150983cd24fb0d6963f7d28e17f72", 9, &MD5_SHA256).is_err());
        let empty = row(",,,x", 9, &MD5_SHA256).unwrap().unwrap();
        assert!(empty.hashes.is_empty() && empty.size.is_none());
    }
}
