//! NSRL RDS 2.x and 1.5 `NSRLFile.txt`: quoted CSV with a header row (known-good sets).
//!
//! Owns docs/list-formats.md §nsrl-rds2: both header variants, columns found by name;
//! hashes are quoted uppercase hex, names may hold commas inside quotes, text may not be
//! UTF-8 (decoded lossily by the line loop). Rows carry only their hashes and `SpecialCode`
//! (`M` marks malicious entries) as the category: NSRL repeats each hash per product, has
//! 10⁸ rows, and a known-good hit needs no file name. The RDS v3 SQLite is `rds3`.

use super::collect::{take, Collector, LineParser};
use super::csvline;
use super::record::{FormatInfo, Location, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

#[derive(Debug, Default)]
pub(crate) struct NsrlParser {
    columns: usize,
    sha1: Option<usize>,
    md5: Option<usize>,
    special: Option<usize>,
    variant: Option<&'static str>,
}

impl NsrlParser {
    fn header(&mut self, line: &str, c: &Collector) -> Result<(), ListError> {
        let names = csvline::split(line, ',').map_err(|e| c.malformed(Location::Line(1), e))?;
        let find = |n: &str| names.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
        self.columns = names.len();
        self.sha1 = find("SHA-1");
        self.md5 = find("MD5");
        self.special = find("SpecialCode");
        // RDS 2.x puts MD5 second; the older 1.5 layout has FileName second
        // (docs/list-formats.md §nsrl-rds2).
        self.variant = Some(if self.md5 == Some(1) {
            "rds-2.x header"
        } else {
            "rds-1.5 header"
        });
        if self.sha1.is_none() && self.md5.is_none() {
            return Err(c.malformed(
                Location::Line(1),
                "NSRL header names no SHA-1 or MD5 column".into(),
            ));
        }
        Ok(())
    }

    fn row(&self, line: &str) -> Result<Option<Record>, String> {
        let fields = csvline::split(line, ',')?;
        if fields.len() != self.columns {
            return Err(format!(
                "{} fields, header has {}",
                fields.len(),
                self.columns
            ));
        }
        let mut r = Record::default();
        for (col, alg) in [(self.sha1, Algorithm::Sha1), (self.md5, Algorithm::Md5)] {
            if let Some(text) = col.and_then(|i| fields.get(i)) {
                r.hashes
                    .push(HashValue::parse_hex(alg, text).map_err(|e| format!("{alg}: {e}"))?);
            }
        }
        r.category = self
            .special
            .and_then(|i| fields.get(i))
            .filter(|s| !s.is_empty())
            .cloned();
        Ok(Some(r))
    }
}

impl LineParser for NsrlParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        if line_no == 1 {
            return self.header(line, c);
        }
        if line.trim().is_empty() {
            return Ok(());
        }
        take(c, line_no, self.row(line))
    }

    fn info(&self) -> FormatInfo {
        FormatInfo {
            variant: self.variant.map(str::to_string),
            ..FormatInfo::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_rows_with_commas_in_names() {
        let p = NsrlParser {
            columns: 8,
            sha1: Some(0),
            md5: Some(1),
            special: Some(7),
            variant: None,
        };
        let r = p
            .row(r#""2B9B8FA064563D948029488804AC5B38C1B707E5","D1B23D60BE33081437B607AC50A40E82","CC66386E","icon, large.png",15,1002,"362","M""#)
            .unwrap()
            .unwrap();
        assert_eq!(r.hashes.len(), 2);
        assert_eq!(r.category.as_deref(), Some("M"));
        assert_eq!(p.row(r#""BADLINE""#).unwrap_err(), "1 fields, header has 8");
    }
}
