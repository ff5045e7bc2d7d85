//! Loading a list file: open, hash for provenance, detect the format, parse every record.
//!
//! The file is read once, as a stream: the SHA-256 recorded in the report is computed from
//! the very bytes that were parsed, so the header names exactly what was loaded (the one
//! exception is an NSRL SQLite database, which SQLite reads itself; see `rds3`). Owns
//! `LoadOptions`, `load_list`, the line loop shared by the text formats and the choice of
//! parser per format. Leaves each format's syntax to its module.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::collect::{Collector, LineParser, DEFAULT_MAX_WARNINGS};
use super::format::{self, ListFormat};
use super::record::{FormatInfo, Location};
use super::{
    encase, hashdeep, hashkeeper, jsonl, nsrl, pdq, rds3, sums, vics, vpdq, HashList, ListError,
    ListProvenance, ListRole,
};
use crate::algorithm::Algorithm;

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
    /// How many problems the provenance lists verbatim (all are counted).
    pub max_warnings: usize,
}

impl LoadOptions {
    pub fn alert() -> Self {
        LoadOptions {
            role: ListRole::Alert,
            name: None,
            format: None,
            lenient: false,
            max_warnings: DEFAULT_MAX_WARNINGS,
        }
    }

    pub fn known_good() -> Self {
        LoadOptions {
            role: ListRole::KnownGood,
            ..LoadOptions::alert()
        }
    }
}

/// A reader that hashes every byte that passes through it.
pub(crate) struct HashingReader<R> {
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

type Reader = BufReader<HashingReader<File>>;

/// Loads and validates one list file.
pub fn load_list(path: &Path, options: &LoadOptions) -> Result<HashList, ListError> {
    let io_err = |source| ListError::Io {
        path: path.to_path_buf(),
        error: source,
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
    if format == ListFormat::Vpdq {
        return load_vpdq(path, options, reader);
    }
    let mut c = Collector::new(path, options.lenient, options.max_warnings);
    let info = parse(format, &mut reader, &mut c)?;
    // Hash whatever the parser did not need so the digest always covers the whole file.
    io::copy(&mut reader, &mut io::sink()).map_err(io_err)?;
    let hashing = reader.into_inner();
    let mut provenance = ListProvenance::new(
        &display_name(path, options),
        path.into(),
        options.role,
        format,
    );
    provenance.sha256 = hex::encode(hashing.sha256.finalize());
    provenance.bytes = hashing.bytes;
    c.finish(provenance, info)
}

/// A vPDQ file is one video: its frames are kept whole for vPDQ's rule, not as columns.
fn load_vpdq(
    path: &Path,
    options: &LoadOptions,
    mut reader: Reader,
) -> Result<HashList, ListError> {
    let mut text = Vec::new();
    reader
        .read_to_end(&mut text)
        .map_err(|source| ListError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
    let frames = vpdq::parse_vpdq(&text).map_err(|e| ListError::Malformed {
        path: path.to_path_buf(),
        at: Location::Line(e.line),
        reason: e.reason,
    })?;
    if frames.is_empty() {
        return Err(ListError::Empty {
            path: path.to_path_buf(),
        });
    }
    let hashing = reader.into_inner();
    let mut provenance = ListProvenance::new(
        &display_name(path, options),
        path.into(),
        options.role,
        ListFormat::Vpdq,
    );
    provenance.sha256 = hex::encode(hashing.sha256.finalize());
    provenance.bytes = hashing.bytes;
    provenance.records = 1;
    provenance
        .entries
        .insert("vpdq_frames".to_string(), frames.len() as u64);
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (mut list, _) = super::ListBuilder::new().finish(provenance);
    list.videos.push(vpdq::ListedVideo { id, frames });
    Ok(list)
}

fn display_name(path: &Path, options: &LoadOptions) -> String {
    options.name.clone().unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    })
}

fn parse(
    format: ListFormat,
    reader: &mut Reader,
    c: &mut Collector,
) -> Result<FormatInfo, ListError> {
    match format {
        ListFormat::Vics => vics::parse(reader, c),
        ListFormat::EnCase => encase::parse(reader, c),
        ListFormat::NsrlRds3 => {
            // SQLite reads the file itself; hash it all first (see rds3's doc).
            io::copy(reader, &mut io::sink()).map_err(|source| ListError::Io {
                path: c.path().to_path_buf(),
                error: source,
            })?;
            rds3::parse(c)
        }
        ListFormat::HashsweepJsonl => parse_lines(reader, c, &mut jsonl::JsonlParser::default()),
        ListFormat::Hashdeep => parse_lines(reader, c, &mut hashdeep::HashdeepParser::default()),
        ListFormat::Checksums => parse_lines(reader, c, &mut sums::SumsParser::new(None)),
        ListFormat::Sha256 => parse_lines(
            reader,
            c,
            &mut sums::SumsParser::new(Some(Algorithm::Sha256)),
        ),
        ListFormat::Blake3 => parse_lines(
            reader,
            c,
            &mut sums::SumsParser::new(Some(Algorithm::Blake3)),
        ),
        ListFormat::Pdq => parse_lines(reader, c, &mut pdq::PdqLineParser::default()),
        ListFormat::PdqCsv => parse_lines(reader, c, &mut pdq::PdqCsvParser::default()),
        ListFormat::HashKeeper => {
            parse_lines(reader, c, &mut hashkeeper::HashKeeperParser::default())
        }
        ListFormat::NsrlRds2 => parse_lines(reader, c, &mut nsrl::NsrlParser::default()),
        ListFormat::Vpdq => unreachable_vpdq(c),
    }
}

/// vPDQ files never reach the record parsers (`load_vpdq` reads them).
fn unreachable_vpdq(c: &Collector) -> Result<FormatInfo, ListError> {
    Err(c.unsupported(Location::Line(1), "vPDQ is read by load_vpdq".to_string()))
}

/// Runs a line parser over every line. Accepts LF, CRLF and bare CR endings
/// (docs/list-formats.md §text-lines); text is decoded lossily because hashes are ASCII and
/// names only shown.
pub(crate) fn parse_lines<R: BufRead>(
    reader: &mut R,
    c: &mut Collector,
    parser: &mut dyn LineParser,
) -> Result<FormatInfo, ListError> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| ListError::Io {
                path: c.path().to_path_buf(),
                error: source,
            })?;
        if n == 0 {
            return Ok(parser.info());
        }
        let chunk = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let chunk = chunk.strip_suffix(b"\r").unwrap_or(chunk);
        for piece in chunk.split(|b| *b == b'\r') {
            line_no += 1;
            let piece = if line_no == 1 {
                piece.strip_prefix(b"\xef\xbb\xbf").unwrap_or(piece)
            } else {
                piece
            };
            let line: Cow<'_, str> = String::from_utf8_lossy(piece);
            parser.line(&line, line_no, c)?;
        }
    }
}
