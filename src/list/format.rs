//! List formats: their names and detection from a file's first bytes.
//!
//! Owns `ListFormat` and `detect`. Each format's parser lives in its own module.

use serde::Serialize;

/// The list formats hashsweep reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListFormat {
    /// hashsweep's own JSON Lines (docs/list-format.md).
    HashsweepJsonl,
}

impl ListFormat {
    pub fn name(self) -> &'static str {
        match self {
            ListFormat::HashsweepJsonl => "hashsweep-jsonl",
        }
    }
}

impl std::str::FromStr for ListFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "hashsweep-jsonl" | "jsonl" => Ok(ListFormat::HashsweepJsonl),
            other => Err(format!(
                "unknown list format {other:?} (known: hashsweep-jsonl)"
            )),
        }
    }
}

/// Detects the format from the first bytes of the file, or says why it cannot.
pub fn detect(head: &[u8]) -> Result<ListFormat, String> {
    let text = String::from_utf8_lossy(head);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    match first {
        Some(line) if line.starts_with('{') && line.contains("\"algorithm\"") => {
            Ok(ListFormat::HashsweepJsonl)
        }
        Some(line) => Err(format!(
            "first line starts {:?}",
            line.chars().take(40).collect::<String>()
        )),
        None => Err("file is empty".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_jsonl_after_comments_and_blank_lines() {
        let head = b"# demo list\n\n{\"algorithm\":\"md5\",\"hash\":\"00\"}\n";
        assert_eq!(detect(head), Ok(ListFormat::HashsweepJsonl));
        assert!(detect(b"").is_err());
        assert!(detect(b"d41d8cd98f00b204e9800998ecf8427e  x\n").is_err());
    }
}
