//! HashKeeper `.hsh` lists: CSV with a fixed header, one MD5 per row.
//!
//! Owns docs/list-formats.md §hashkeeper: the header TSK `hashkeeper.c` and hashdeep check
//! for; columns are found by name, so extra or reordered columns do not matter. The label
//! joins `directory\file_name` as TSK displays it; the id is `file_id`.

use super::collect::{take, Collector, LineParser};
use super::csvline;
use super::record::{FormatInfo, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

#[derive(Debug, Default)]
pub(crate) struct HashKeeperParser {
    /// Column names, lower-cased, from the header.
    header: Option<Vec<String>>,
}

fn column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name)
}

fn row(header: &[String], line: &str) -> Result<Option<Record>, String> {
    let fields = csvline::split(line, ',')?;
    if fields.len() != header.len() {
        return Err(format!(
            "{} fields, header has {}",
            fields.len(),
            header.len()
        ));
    }
    let get = |name: &str| {
        column(header, name)
            .and_then(|i| fields.get(i))
            .map(|s| s.trim())
    };
    let hash = get("hash").ok_or("no hash column")?;
    let value = HashValue::parse_hex(Algorithm::Md5, hash).map_err(|e| e.to_string())?;
    let size = match get("file_size") {
        None | Some("") => None,
        Some(s) => Some(s.parse().map_err(|_| format!("invalid file_size {s:?}"))?),
    };
    let label = match (get("directory"), get("file_name")) {
        (Some(d), Some(f)) if !d.is_empty() => Some(format!("{d}\\{f}")),
        (_, Some(f)) if !f.is_empty() => Some(f.to_string()),
        _ => None,
    };
    Ok(Some(Record {
        hashes: vec![value],
        id: get("file_id").filter(|s| !s.is_empty()).map(str::to_string),
        label,
        size,
        ..Record::default()
    }))
}

impl LineParser for HashKeeperParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let Some(header) = &self.header else {
            let names = csvline::split(line, ',')
                .map_err(|e| c.malformed(super::Location::Line(line_no), e))?;
            let names: Vec<String> = names
                .iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .collect();
            if column(&names, "hash").is_none() {
                return Err(c.malformed(
                    super::Location::Line(line_no),
                    "HashKeeper header has no \"hash\" column".into(),
                ));
            }
            self.header = Some(names);
            return Ok(());
        };
        let outcome = row(header, line);
        take(c, line_no, outcome)
    }

    fn info(&self) -> FormatInfo {
        FormatInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_by_header_name() {
        let header: Vec<String> = [
            "file_id",
            "hashset_id",
            "file_name",
            "directory",
            "hash",
            "file_size",
        ]
        .map(String::from)
        .to_vec();
        let r = row(
            &header,
            r#"1,77,"img1.jpg","C:\Fixture","D1B23D60BE33081437B607AC50A40E82",15"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.label.as_deref(), Some("C:\\Fixture\\img1.jpg"));
        assert_eq!((r.id.as_deref(), r.size), (Some("1"), Some(15)));
        assert!(row(&header, "1,77").is_err());
        assert!(row(&header, r#"1,77,"a","b","XYZ",1"#).is_err());
    }
}
