//! PDQ lists: ThreatExchange signal files, HMA 1.x `.te` CSV, pdq-photo-hasher output and
//! headed PDQ CSV/TSV.
//!
//! Owns docs/list-formats.md §pdq: `PdqLineParser` reads one signal per line (`pdq <hex>`
//! as python-threatexchange's `LocalFileSignalExchangeAPI` writes it, `video_md5 <hex>`,
//! which is the MD5 of a video file, or a bare 64-hex PDQ); `PdqCsvParser` reads delimited
//! rows. Headerless rows are laid out by shape: 5 fields with numeric ids = HMA 1.x
//! (`hash, indicator_id, descriptor_id, timestamp, tags`), 3 fields = pdq-photo-hasher
//! (`hash, quality, filename`), otherwise `hash, quality, id, tags`. `key=value` fields
//! (`--details` output, the C++ loader's `hash=`) are read by key. Quality is kept; lists
//! are not filtered by it here (the matcher may).

use super::collect::{take, Collector, LineParser};
use super::csvline;
use super::record::{FormatInfo, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

const HASH_NAMES: [&str; 6] = [
    "hash",
    "pdq",
    "signal",
    "signal_value",
    "hash_value",
    "pdq_hash",
];

/// What each column of a PDQ CSV holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Hash,
    Quality,
    Id,
    Tags,
    Label,
    Category,
    Ignored,
}

fn col_for_name(name: &str) -> Col {
    match name.trim().to_ascii_lowercase().as_str() {
        n if HASH_NAMES.contains(&n) => Col::Hash,
        "quality" => Col::Quality,
        "id" | "indicator_id" | "hash_id" | "media_id" => Col::Id,
        "tags" | "labels" => Col::Tags,
        "filename" | "file_name" | "name" => Col::Label,
        "category" | "classification" => Col::Category,
        _ => Col::Ignored,
    }
}

fn delimiter(line: &str) -> char {
    if line.contains('\t') {
        '\t'
    } else {
        ','
    }
}

/// A header row naming a hash column first (`hash,quality,id,tags`).
pub(crate) fn is_header_line(line: &str) -> bool {
    let mut fields = line.split(delimiter(line));
    let first = fields
        .next()
        .map(|f| f.trim().trim_matches('"').to_ascii_lowercase());
    matches!(first, Some(f) if HASH_NAMES.contains(&f.as_str())) && fields.next().is_some()
}

/// A headerless row: 64-hex then a numeric or `key=value` second field.
pub(crate) fn is_data_line(line: &str) -> bool {
    let mut fields = line.split(delimiter(line));
    let hash = fields.next().unwrap_or("");
    let hash = hash.strip_prefix("hash=").unwrap_or(hash);
    let second = fields.next().unwrap_or("").trim();
    hash.len() == 64
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && (second.contains('=')
            || (!second.is_empty() && second.bytes().all(|b| b.is_ascii_digit())))
}

fn headerless_layout(fields: &[String]) -> Vec<Col> {
    let numeric = |i: usize| {
        fields
            .get(i)
            .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    };
    match fields.len() {
        5 if numeric(1) && numeric(2) && numeric(3) => {
            vec![Col::Hash, Col::Id, Col::Ignored, Col::Ignored, Col::Tags]
        }
        3 => vec![Col::Hash, Col::Quality, Col::Label],
        _ => vec![Col::Hash, Col::Quality, Col::Id, Col::Tags],
    }
}

fn parse_pdq(hex: &str) -> Result<HashValue, String> {
    HashValue::parse_hex(Algorithm::Pdq, hex).map_err(|e| e.to_string())
}

/// Builds a record from fields laid out by `layout` (or by `key=` prefixes).
fn row(fields: Vec<String>, layout: &[Col], line_no: u64) -> Result<Option<Record>, String> {
    let mut r = Record {
        id: Some(line_no.to_string()),
        ..Record::default()
    };
    let mut hash = None;
    for (i, field) in fields.into_iter().enumerate() {
        let (col, value) = match field.split_once('=') {
            Some((k, v))
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') =>
            {
                (col_for_name(k), v.to_string())
            }
            _ => (layout.get(i).copied().unwrap_or(Col::Ignored), field),
        };
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        match col {
            Col::Hash => hash = Some(parse_pdq(&value)?),
            Col::Quality => {
                let q: u8 = value
                    .parse()
                    .ok()
                    .filter(|q| *q <= 100)
                    .ok_or(format!("invalid PDQ quality {value:?}"))?;
                r.quality = Some(q);
            }
            Col::Id => r.id = Some(value),
            Col::Tags => r.tags = Some(value),
            Col::Label => r.label = Some(value),
            Col::Category => r.category = Some(value),
            Col::Ignored => {}
        }
    }
    r.hashes.push(hash.ok_or("no PDQ hash in row")?);
    Ok(Some(r))
}

/// Headed or headerless PDQ CSV/TSV.
#[derive(Debug, Default)]
pub(crate) struct PdqCsvParser {
    layout: Option<Vec<Col>>,
    delim: Option<char>,
    variant: Option<&'static str>,
}

impl PdqCsvParser {
    fn parse(&mut self, line: &str, line_no: u64) -> Result<Option<Record>, String> {
        let delim = *self.delim.get_or_insert_with(|| delimiter(line));
        if self.layout.is_none() && is_header_line(line) {
            let names = csvline::split(line, delim)?;
            self.layout = Some(names.iter().map(|n| col_for_name(n)).collect());
            self.variant = Some("headed");
            return Ok(None);
        }
        let fields = csvline::split(line, delim)?;
        let layout = self
            .layout
            .get_or_insert_with(|| headerless_layout(&fields));
        if self.variant.is_none() {
            self.variant = Some(match layout.len() {
                5 => "hma-1.x-te",
                3 => "pdq-photo-hasher",
                _ => "hash,quality,id,tags",
            });
        }
        row(fields, layout, line_no)
    }
}

impl LineParser for PdqCsvParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        if line.trim().is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let outcome = self.parse(line, line_no);
        take(c, line_no, outcome)
    }

    fn info(&self) -> FormatInfo {
        FormatInfo {
            variant: self.variant.map(str::to_string),
            ..FormatInfo::default()
        }
    }
}

/// One signal per line (ThreatExchange local file) or one bare PDQ per line.
#[derive(Debug, Default)]
pub(crate) struct PdqLineParser {
    csv: PdqCsvParser,
}

fn signal_line(line: &str, line_no: u64) -> Result<Option<Record>, String> {
    let (kind, value) = match line.split_once([' ', '\t']) {
        Some((k, v)) => (k.to_ascii_lowercase(), v.trim()),
        None => ("pdq".to_string(), line),
    };
    let value = match kind.as_str() {
        "pdq" => parse_pdq(value)?,
        // python-threatexchange VideoMD5Signal: the MD5 of the video file's bytes.
        "video_md5" => HashValue::parse_hex(Algorithm::Md5, value).map_err(|e| e.to_string())?,
        other => return Err(format!("signal type {other:?} is not supported")),
    };
    Ok(Some(Record {
        hashes: vec![value],
        id: Some(line_no.to_string()),
        ..Record::default()
    }))
}

impl LineParser for PdqLineParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        if line.contains(',') {
            return self.csv.line(line, line_no, c);
        }
        take(c, line_no, signal_line(line, line_no))
    }

    fn info(&self) -> FormatInfo {
        FormatInfo {
            variant: Some("signal-lines".into()),
            ..FormatInfo::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn reads_hma_te_rows() {
        let mut p = PdqCsvParser::default();
        let line =
            format!("{P1},1000000000000001,2000000000000001,1700000000,fixture_tag another_tag");
        let r = p.parse(&line, 1).unwrap().unwrap();
        assert_eq!(r.id.as_deref(), Some("1000000000000001"));
        assert_eq!(r.tags.as_deref(), Some("fixture_tag another_tag"));
        assert_eq!(p.variant, Some("hma-1.x-te"));
    }

    #[test]
    fn reads_headed_tsv_and_details_rows() {
        let mut p = PdqCsvParser::default();
        assert_eq!(p.parse("hash\tquality\tid\ttags", 1).unwrap(), None);
        let r = p
            .parse(&format!("{}\t90\tX-1\ta,b", P1.to_uppercase()), 2)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.quality, r.id.as_deref(), r.tags.as_deref()),
            (Some(90), Some("X-1"), Some("a,b"))
        );
        assert_eq!(r.hashes[0].to_hex(), P1);
        let mut d = PdqCsvParser::default();
        let r = d
            .parse(
                &format!("hash={P1},norm=128,delta=0,quality=100,filename=a.jpg"),
                1,
            )
            .unwrap()
            .unwrap();
        assert_eq!((r.quality, r.label.as_deref()), (Some(100), Some("a.jpg")));
        assert!(d.parse(&format!("{P1},101,x"), 2).is_err());
    }

    #[test]
    fn reads_signal_lines_and_rejects_short_pdq() {
        let r = signal_line(&format!("pdq {P1}"), 1).unwrap().unwrap();
        assert_eq!(r.hashes[0].algorithm, Algorithm::Pdq);
        let r = signal_line("video_md5 8ed5b9c8219654b908b01121eb46d8df", 3)
            .unwrap()
            .unwrap();
        assert_eq!(r.hashes[0].algorithm, Algorithm::Md5);
        let err = signal_line("pdq 00000000000000000000000000000000", 5).unwrap_err();
        assert!(err.contains("64 hex digits, got 32"), "{err}");
        assert!(signal_line("url http://x", 6).is_err());
    }
}
