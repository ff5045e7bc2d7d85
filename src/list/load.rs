//! Loading a list file: open, hash for provenance, detect the format, parse every entry.
//!
//! The file is read once, as a stream: the SHA-256 recorded in the report is computed from
//! the very bytes that were parsed, so the header names exactly what was loaded.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::format::{self, ListFormat};
use super::{is_empty_file_hash, jsonl, HashList, ListEntry, ListError, ListProvenance, ListRole};

/// How to load one list.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub role: ListRole,
    /// Name shown in reports; defaults to the file name.
    pub name: Option<String>,
    /// Skip format detection.
    pub format: Option<ListFormat>,
    /// Skip malformed entries (counted) instead of failing the load.
    pub lenient: bool,
}

impl LoadOptions {
    pub fn alert() -> Self {
        LoadOptions {
            role: ListRole::Alert,
            name: None,
            format: None,
            lenient: false,
        }
    }
}

/// A reader that hashes every byte that passes through it.
struct HashingReader<R> {
    inner: R,
    sha256: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Loads and validates one list file.
pub fn load_list(path: &Path, options: &LoadOptions) -> Result<HashList, ListError> {
    let io_err = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut reader = BufReader::with_capacity(
        1 << 20,
        HashingReader {
            inner: file,
            sha256: Sha256::new(),
            bytes: 0,
        },
    );
    let format = match options.format {
        Some(f) => f,
        None => format::detect(reader.fill_buf().map_err(io_err)?).map_err(|reason| {
            ListError::UnknownFormat {
                path: path.to_path_buf(),
                reason,
            }
        })?,
    };
    let parsed = match format {
        ListFormat::HashsweepJsonl => parse_lines(&mut reader, path, options, jsonl::parse_line)?,
    };
    // Hash whatever the parser did not need (nothing, for line formats) so the digest
    // always covers the whole file.
    io::copy(&mut reader, &mut io::sink()).map_err(io_err)?;
    let hashing = reader.into_inner();
    finish(path, options, format, parsed, hashing)
}

struct Parsed {
    entries: Vec<ListEntry>,
    rejected: u64,
}

/// Runs a line parser over every line, with file:line errors.
fn parse_lines<R: BufRead>(
    reader: &mut R,
    path: &Path,
    options: &LoadOptions,
    parse: impl Fn(&str) -> Result<Option<ListEntry>, String>,
) -> Result<Parsed, ListError> {
    let mut parsed = Parsed {
        entries: Vec::new(),
        rejected: 0,
    };
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| ListError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(parsed);
        }
        line_no += 1;
        let outcome = std::str::from_utf8(&buf)
            .map_err(|e| format!("not UTF-8 text: {e}"))
            .and_then(|line| parse(line.trim_start_matches('\u{feff}')));
        match outcome {
            Ok(Some(entry)) => parsed.entries.push(entry),
            Ok(None) => {}
            Err(_) if options.lenient => parsed.rejected += 1,
            Err(reason) => {
                return Err(ListError::Malformed {
                    path: path.to_path_buf(),
                    line: line_no,
                    reason,
                })
            }
        }
    }
}

fn finish<R>(
    path: &Path,
    options: &LoadOptions,
    format: ListFormat,
    parsed: Parsed,
    hashing: HashingReader<R>,
) -> Result<HashList, ListError> {
    if parsed.entries.is_empty() {
        return Err(ListError::Empty {
            path: path.to_path_buf(),
        });
    }
    let name = options.name.clone().unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    });
    let provenance = ListProvenance {
        name,
        path: PathBuf::from(path),
        role: options.role,
        format,
        sha256: hex::encode(hashing.sha256.finalize()),
        bytes: hashing.bytes,
        entries: HashList::count_by_algorithm(&parsed.entries),
        rejected: parsed.rejected,
        empty_file_hashes: parsed
            .entries
            .iter()
            .filter(|e| is_empty_file_hash(&e.value))
            .count() as u64,
    };
    Ok(HashList::new(provenance, parsed.entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_list(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn loads_entries_and_records_provenance() {
        let text = "{\"algorithm\":\"md5\",\"hash\":\"d41d8cd98f00b204e9800998ecf8427e\"}\n\
                    {\"algorithm\":\"sha1\",\"hash\":\"a9993e364706816aba3e25717850c26c9cd0d89d\",\"id\":\"x\"}\n";
        let f = write_list(text);
        let list = load_list(f.path(), &LoadOptions::alert()).unwrap();
        assert_eq!(list.len(), 2);
        let p = &list.provenance;
        assert_eq!(p.sha256, hex::encode(Sha256::digest(text.as_bytes())));
        assert_eq!(p.bytes, text.len() as u64);
        assert_eq!(p.entries.get("md5"), Some(&1));
        assert_eq!(p.entries.get("sha1"), Some(&1));
        assert_eq!(p.empty_file_hashes, 1);
    }

    #[test]
    fn malformed_line_names_file_and_line_unless_lenient() {
        let text = "{\"algorithm\":\"md5\",\"hash\":\"d41d8cd98f00b204e9800998ecf8427e\"}\n\
                    {\"algorithm\":\"md5\",\"hash\":\"zz\"}\n";
        let f = write_list(text);
        let err = load_list(f.path(), &LoadOptions::alert()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.ends_with(":2: md5 hash must be 32 hex digits, got 2"),
            "{msg}"
        );
        let lenient = LoadOptions {
            lenient: true,
            ..LoadOptions::alert()
        };
        let list = load_list(f.path(), &lenient).unwrap();
        assert_eq!((list.len(), list.provenance.rejected), (1, 1));
    }

    #[test]
    fn empty_and_unknown_lists_are_fatal() {
        let f = write_list("# only a comment\n{\"algorithm\":\"md5\",\"hash\":\"zz\"}\n");
        let lenient = LoadOptions {
            lenient: true,
            ..LoadOptions::alert()
        };
        assert!(matches!(
            load_list(f.path(), &lenient),
            Err(ListError::Empty { .. })
        ));
        let g = write_list("hello world\n");
        assert!(matches!(
            load_list(g.path(), &LoadOptions::alert()),
            Err(ListError::UnknownFormat { .. })
        ));
    }
}
