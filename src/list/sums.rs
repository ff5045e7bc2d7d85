//! Checksum-file lines: GNU md5sum/sha1sum/sha256sum, b3sum, BSD tag lines, bare hashes.
//!
//! Owns the rules of docs/list-formats.md §checksums: `hex`, one or two spaces, optional
//! `*`, name; a leading `\` marks an escaped name (`\\`, `\n`, `\r`); BSD
//! `ALG (name) = hex`; a bare hex line. The algorithm comes from the tag, else from the hex length: 32 →
//! MD5, 40 → SHA-1, 64 → only with a forced algorithm (`--list-format sha256|blake3`) or an
//! X-Ways-style first line naming it (`SHA-256`), because SHA-256, BLAKE3 and PDQ look
//! alike and must never be guessed. PDQ lists have their own module (`pdq`).

use super::collect::{take, Collector, LineParser};
use super::record::{FormatInfo, Location, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

/// `ALG (name) = hex` with a known algorithm name.
pub(crate) fn is_bsd_tag_line(line: &str) -> bool {
    bsd_tag(line).is_some()
}

fn bsd_tag(line: &str) -> Option<(Algorithm, &str, &str)> {
    let (alg, rest) = line.split_once(" (")?;
    let (name, hex) = rest.rsplit_once(") = ")?;
    let alg = alg.trim().parse::<Algorithm>().ok()?;
    Some((alg, name, hex.trim()))
}

/// Undoes GNU's escaping of names that contain `\` or line breaks.
fn unescape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(ch) = chars.next() {
        match (ch, chars.clone().next()) {
            ('\\', Some('\\')) => out.push('\\'),
            ('\\', Some('n')) => out.push('\n'),
            ('\\', Some('r')) => out.push('\r'),
            _ => {
                out.push(ch);
                continue;
            }
        }
        chars.next();
    }
    out
}

#[derive(Debug)]
pub(crate) struct SumsParser {
    /// Algorithm of 64-hex values (from the format or a header line).
    wide: Option<Algorithm>,
    /// A header line named the one algorithm of the file.
    only: Option<Algorithm>,
    seen_data: bool,
    forms: Vec<&'static str>,
}

impl SumsParser {
    pub(crate) fn new(forced: Option<Algorithm>) -> Self {
        SumsParser {
            wide: forced,
            only: None,
            seen_data: false,
            forms: Vec::new(),
        }
    }

    fn note(&mut self, form: &'static str) {
        if !self.forms.contains(&form) {
            self.forms.push(form);
        }
    }

    fn algorithm_for(&self, hex: &str) -> Result<Algorithm, Option<String>> {
        let by_len = match hex.len() {
            32 => Some(Algorithm::Md5),
            40 => Some(Algorithm::Sha1),
            64 => self.wide,
            _ => {
                return Err(Some(format!(
                    "{} hex digits is no known hash length",
                    hex.len()
                )))
            }
        };
        match (by_len, self.only) {
            (Some(a), Some(only)) if a != only && hex.len() != 64 => {
                Err(Some(format!("{a} value in a list headed {only}")))
            }
            (Some(a), _) => Ok(a),
            (None, _) => Err(None),
        }
    }

    /// Parses one data line; `Err(None)` means an unresolvable 64-hex value (fatal).
    fn data(&mut self, line: &str, line_no: u64) -> Result<Record, Option<String>> {
        let (alg, name, hex) = if let Some((alg, name, hex)) = bsd_tag(line) {
            self.note("bsd-tag");
            (Some(alg), Some(name.to_string()), hex)
        } else {
            let (escaped, body) = match line.strip_prefix('\\') {
                Some(b) => (true, b),
                None => (false, line),
            };
            let hex_len = body.bytes().take_while(u8::is_ascii_hexdigit).count();
            let (hex, rest) = body.split_at(hex_len);
            let name = match rest.strip_prefix(' ').or_else(|| rest.strip_prefix('\t')) {
                Some(n) => n.strip_prefix([' ', '*']).unwrap_or(n),
                None if rest.is_empty() => "",
                None => return Err(Some("not a checksum line".to_string())),
            };
            self.note(if name.is_empty() { "bare" } else { "gnu" });
            let name = if escaped {
                unescape(name)
            } else {
                name.to_string()
            };
            (None, Some(name).filter(|n| !n.is_empty()), hex)
        };
        let alg = match alg {
            Some(a) => a,
            None => self.algorithm_for(hex)?,
        };
        let value = HashValue::parse_hex(alg, hex).map_err(|e| Some(e.to_string()))?;
        Ok(Record {
            hashes: vec![value],
            id: Some(line_no.to_string()),
            label: name,
            ..Record::default()
        })
    }
}

impl LineParser for SumsParser {
    fn line(&mut self, line: &str, line_no: u64, c: &mut Collector) -> Result<(), ListError> {
        let trimmed = line.trim_end();
        if trimmed.trim_start().is_empty() || trimmed.starts_with('#') {
            return Ok(());
        }
        if !self.seen_data {
            if let Ok(alg) = trimmed.trim().parse::<Algorithm>() {
                // X-Ways-style header: the file's one algorithm on the first line.
                self.only = Some(alg);
                if alg.byte_len() == 32 {
                    self.wide = Some(alg);
                }
                return Ok(());
            }
        }
        self.seen_data = true;
        match self.data(trimmed, line_no) {
            Ok(r) => take(c, line_no, Ok(Some(r))),
            Err(Some(reason)) => take(c, line_no, Err(reason)),
            Err(None) => Err(c.unsupported(
                Location::Line(line_no),
                "64 hex digits could be SHA-256, BLAKE3 or PDQ; \
                 use --list-format sha256, blake3 or pdq"
                    .into(),
            )),
        }
    }

    fn info(&self) -> FormatInfo {
        FormatInfo {
            variant: (!self.forms.is_empty()).then(|| self.forms.join("+")),
            ..FormatInfo::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &mut SumsParser, line: &str) -> Result<Record, Option<String>> {
        p.data(line, 1)
    }

    #[test]
    fn reads_gnu_binary_escaped_and_bsd_lines() {
        let mut p = SumsParser::new(None);
        let r = parse(&mut p, "d1b23d60be33081437b607ac50a40e82 *img1.jpg").unwrap();
        assert_eq!(r.label.as_deref(), Some("img1.jpg"));
        let r = parse(
            &mut p,
            r"\8ed5b9c8219654b908b01121eb46d8df  dir\\odd\nname.jpg",
        )
        .unwrap();
        assert_eq!(r.label.as_deref(), Some("dir\\odd\nname.jpg"));
        let r = parse(
            &mut p,
            "SHA256 (a (1).jpg) = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        )
        .unwrap();
        assert_eq!(r.hashes[0].algorithm, Algorithm::Sha256);
        assert_eq!(r.label.as_deref(), Some("a (1).jpg"));
        let r = parse(&mut p, "A9993E364706816ABA3E25717850C26C9CD0D89D").unwrap();
        assert_eq!((r.hashes[0].algorithm, r.label), (Algorithm::Sha1, None));
    }

    #[test]
    fn sixty_four_hex_needs_a_forced_algorithm() {
        let line = "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85  abc.txt";
        assert_eq!(parse(&mut SumsParser::new(None), line), Err(None));
        let r = parse(&mut SumsParser::new(Some(Algorithm::Blake3)), line).unwrap();
        assert_eq!(r.hashes[0].algorithm, Algorithm::Blake3);
        assert!(parse(&mut SumsParser::new(None), "garbage line").is_err());
        assert!(parse(&mut SumsParser::new(None), "abcd  x").is_err());
    }
}
