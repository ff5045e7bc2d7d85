//! List formats: their names and detection from a file's first bytes.
//!
//! Owns `ListFormat` and `detect`, in the order of docs/list-formats.md §detection: binary
//! magics, then distinctive first lines, then line shapes. Detection never guesses between
//! formats that look alike: 64-hex lines (SHA-256, BLAKE3 and PDQ) need `--list-format`.
//! Each format's parser lives in its own module.

use serde::{Deserialize, Serialize, Serializer};

/// The list formats hashsweep reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum ListFormat {
    /// hashsweep's own JSON Lines (docs/lists.md).
    HashsweepJsonl,
    /// Project VIC VICS JSON 1.x/2.0 (also UK CAID and NIST CAID files).
    Vics,
    /// hashdeep / md5deep known-file lists (`%%%% HASHDEEP-1.0`).
    Hashdeep,
    /// md5sum / sha1sum lines, BSD tag lines, bare hashes; algorithm from the hex length,
    /// 64-hex only where a tag names it.
    Checksums,
    /// As `Checksums`, 64-hex values taken as SHA-256 (sha256sum).
    Sha256,
    /// As `Checksums`, 64-hex values taken as BLAKE3 (b3sum).
    Blake3,
    /// One PDQ per line, bare or as a ThreatExchange signal line (`pdq <hash>`).
    Pdq,
    /// PDQ CSV/TSV: HMA 1.x `.te` files, pdq-photo-hasher output, headed hash/quality/id/tags.
    PdqCsv,
    /// HashKeeper `.hsh` CSV (MD5).
    HashKeeper,
    /// EnCase v4–v6 binary `.hash` (MD5).
    EnCase,
    /// NSRL RDS 2.x / 1.5 `NSRLFile.txt` (known-good).
    NsrlRds2,
    /// NSRL RDS v3 SQLite database (known-good).
    NsrlRds3,
    /// Meta's vPDQ video hash: one video per file, `frame,quality,pdq,timestamp` per line.
    Vpdq,
}

impl ListFormat {
    pub const ALL: [ListFormat; 13] = [
        ListFormat::HashsweepJsonl,
        ListFormat::Vics,
        ListFormat::Hashdeep,
        ListFormat::Checksums,
        ListFormat::Sha256,
        ListFormat::Blake3,
        ListFormat::Pdq,
        ListFormat::PdqCsv,
        ListFormat::HashKeeper,
        ListFormat::EnCase,
        ListFormat::NsrlRds2,
        ListFormat::NsrlRds3,
        ListFormat::Vpdq,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ListFormat::HashsweepJsonl => "hashsweep-jsonl",
            ListFormat::Vics => "vics",
            ListFormat::Hashdeep => "hashdeep",
            ListFormat::Checksums => "checksums",
            ListFormat::Sha256 => "sha256",
            ListFormat::Blake3 => "blake3",
            ListFormat::Pdq => "pdq",
            ListFormat::PdqCsv => "pdq-csv",
            ListFormat::HashKeeper => "hashkeeper",
            ListFormat::EnCase => "encase",
            ListFormat::NsrlRds2 => "nsrl-rds2",
            ListFormat::NsrlRds3 => "nsrl-rds3",
            ListFormat::Vpdq => "vpdq",
        }
    }

    /// Other spellings `--list-format` accepts.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            ListFormat::HashsweepJsonl => &["jsonl"],
            ListFormat::Vics => &["project-vic", "caid"],
            ListFormat::Hashdeep => &["md5deep"],
            ListFormat::Checksums => &["md5sum", "sha1sum", "md5", "sha1", "sums"],
            ListFormat::Sha256 => &["sha256sum"],
            ListFormat::Blake3 => &["b3sum"],
            ListFormat::Pdq => &["threatexchange"],
            ListFormat::PdqCsv => &["hma", "pdq-tsv"],
            ListFormat::HashKeeper => &["hsh"],
            ListFormat::EnCase => &["encase-hash"],
            ListFormat::NsrlRds2 => &["nsrl2", "rds2", "nsrlfile"],
            ListFormat::NsrlRds3 => &["nsrl3", "rds3", "nsrl"],
            ListFormat::Vpdq => &["vpdq-hash-video"],
        }
    }
}

impl std::fmt::Display for ListFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for ListFormat {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl Serialize for ListFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl std::str::FromStr for ListFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        ListFormat::ALL
            .into_iter()
            .find(|f| f.name() == s || f.aliases().contains(&s.as_str()))
            .ok_or_else(|| {
                let names: Vec<&str> = ListFormat::ALL.iter().map(|f| f.name()).collect();
                format!("unknown list format {s:?} (known: {})", names.join(", "))
            })
    }
}

const ENCASE_MAGIC: &[u8] = b"HASH\r\n\xff\x00";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const AMBIGUOUS_64: &str = "64 hex digits could be SHA-256, BLAKE3 or PDQ; \
     use --list-format sha256, blake3 or pdq";

/// Detects the format from the first bytes of the file, or says why it cannot.
pub(crate) fn detect(head: &[u8]) -> Result<ListFormat, String> {
    if head.starts_with(ENCASE_MAGIC) {
        return Ok(ListFormat::EnCase);
    }
    if head.starts_with(SQLITE_MAGIC) {
        return Ok(ListFormat::NsrlRds3);
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return Err("file is empty".to_string());
    };
    if let Some(f) = detect_by_first_line(first, &text) {
        return Ok(f);
    }
    let data = std::iter::once(first)
        .chain(lines)
        .find(|l| !l.starts_with('#'));
    match data {
        Some(line) if line.starts_with('{') => {
            detect_by_first_line(line, &text).ok_or_else(|| "JSON of an unknown shape".to_string())
        }
        Some(line) => detect_by_line_shape(line),
        None => Err("only comments".to_string()),
    }
}

fn detect_by_first_line(first: &str, text: &str) -> Option<ListFormat> {
    let lower = first.to_ascii_lowercase();
    if lower.starts_with("%%%% hashdeep") {
        return Some(ListFormat::Hashdeep);
    }
    if lower.starts_with("\"sha-1\",") {
        return Some(ListFormat::NsrlRds2);
    }
    if lower.starts_with("\"file_id\",\"hashset_id\"") {
        return Some(ListFormat::HashKeeper);
    }
    if first.starts_with('{') {
        let head = text.to_ascii_lowercase();
        if head.contains("\"odata.metadata\"") || head.contains("\"@odata.context\"") {
            return Some(ListFormat::Vics);
        }
        if lower.contains("\"algorithm\"") {
            return Some(ListFormat::HashsweepJsonl);
        }
    }
    None
}

fn detect_by_line_shape(line: &str) -> Result<ListFormat, String> {
    // X-Ways-style text sets name their one algorithm on the first line
    // (docs/list-formats.md §algorithm-line).
    let names_algorithm = line
        .parse::<crate::algorithm::Algorithm>()
        .is_ok_and(|a| !a.is_perceptual());
    if names_algorithm || super::sums::is_bsd_tag_line(line) {
        return Ok(ListFormat::Checksums);
    }
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("pdq ") || lower.starts_with("video_md5 ") {
        return Ok(ListFormat::Pdq);
    }
    if (super::vpdq::is_vpdq_line(line) && line.contains('.')) || line_is_numbered_vpdq(line) {
        return Ok(ListFormat::Vpdq);
    }
    if super::pdq::is_header_line(line) {
        return Ok(ListFormat::PdqCsv);
    }
    let body = line.strip_prefix('\\').unwrap_or(line);
    let body = body.strip_prefix("hash=").unwrap_or(body);
    let hex_len = body.bytes().take_while(u8::is_ascii_hexdigit).count();
    let next = body.as_bytes().get(hex_len).copied();
    match (hex_len, next) {
        (32 | 40, None | Some(b' ' | b'\t')) => Ok(ListFormat::Checksums),
        (64, Some(b',' | b'\t')) if super::pdq::is_data_line(line) => Ok(ListFormat::PdqCsv),
        (64, _) => Err(AMBIGUOUS_64.to_string()),
        _ => Err(format!(
            "first line starts {:?}",
            line.chars().take(40).collect::<String>()
        )),
    }
}

/// `frame,quality,pdq,timestamp`: a frame number first can only be vPDQ (a PDQ CSV starts
/// with its hash). Without a frame number, the compact `pdq,quality,seconds` form is told
/// from pdq-photo-hasher's `pdq,quality,filename` by its decimal point (checked above).
fn line_is_numbered_vpdq(line: &str) -> bool {
    let first = line.split(',').next().unwrap_or("");
    !first.is_empty()
        && first.bytes().all(|b| b.is_ascii_digit())
        && super::vpdq::is_vpdq_line(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_jsonl_after_comments_and_blank_lines() {
        let head = b"# demo list\n\n{\"algorithm\":\"md5\",\"hash\":\"00\"}\n";
        assert_eq!(detect(head), Ok(ListFormat::HashsweepJsonl));
        assert!(detect(b"").is_err());
    }

    #[test]
    fn detects_each_format_by_its_first_bytes() {
        let cases: &[(&[u8], ListFormat)] = &[
            (b"HASH\r\n\xff\x00\x02\x00", ListFormat::EnCase),
            (b"SQLite format 3\0....", ListFormat::NsrlRds3),
            (b"%%%% HASHDEEP-1.0\r\n", ListFormat::Hashdeep),
            (b"\xef\xbb\xbf\"SHA-1\",\"MD5\"", ListFormat::NsrlRds2),
            (
                b"\"file_id\",\"hashset_id\",\"file_name\"",
                ListFormat::HashKeeper,
            ),
            (
                b"{\n  \"@odata.context\": \"x\",\n \"value\": []}",
                ListFormat::Vics,
            ),
            (b"{\"ODATA.METADATA\":\"x\"}", ListFormat::Vics),
            (
                b"# c\nd41d8cd98f00b204e9800998ecf8427e  x\n",
                ListFormat::Checksums,
            ),
            (
                b"MD5 (a b) = d41d8cd98f00b204e9800998ecf8427e",
                ListFormat::Checksums,
            ),
            (
                b"pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
                ListFormat::Pdq,
            ),
            (
                b"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,a.jpg",
                ListFormat::PdqCsv,
            ),
            (b"hash,quality,id,tags\n", ListFormat::PdqCsv),
            (
                b"0,100,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000\n",
                ListFormat::Vpdq,
            ),
            (
                b"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,1.5\n",
                ListFormat::Vpdq,
            ),
        ];
        for (head, want) in cases {
            assert_eq!(
                detect(head),
                Ok(*want),
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn refuses_to_guess_64_hex_and_names_the_flag() {
        let err =
            detect(b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  abc\n")
                .unwrap_err();
        assert!(err.contains("--list-format sha256, blake3 or pdq"), "{err}");
        assert!(detect(b"hello world\n").is_err());
    }

    #[test]
    fn names_and_aliases_parse() {
        for f in ListFormat::ALL {
            assert_eq!(f.name().parse::<ListFormat>(), Ok(f));
        }
        assert_eq!("B3SUM".parse::<ListFormat>(), Ok(ListFormat::Blake3));
        assert_eq!("md5sum".parse::<ListFormat>(), Ok(ListFormat::Checksums));
        assert!("crc".parse::<ListFormat>().is_err());
    }
}
