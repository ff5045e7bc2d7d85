//! `hashsweep list convert`: writing a loaded list as hashsweep JSONL or as hashdeep.
//!
//! Owns `write_jsonl` and `write_hashdeep`, both generic over `W: Write` so tests render
//! into a `Vec<u8>`. JSONL keeps every field (see `jsonl`); hashdeep can hold only the
//! cryptographic hashes, one row per source record, so perceptual entries are skipped and
//! counted. Two liberties with hashdeep, both read back by our own loader: a record lacking
//! one of the file's algorithms gets an empty field, and an unknown size an empty size field
//! (hashdeep itself would reject such rows). Leaves choosing the output file to the CLI.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{EntryRef, HashList};
use crate::algorithm::Algorithm;

/// What a conversion wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WriteSummary {
    /// Data lines written.
    pub lines: u64,
    /// Entries the target format cannot hold (perceptual hashes in hashdeep).
    pub skipped_entries: u64,
}

fn header_comment(list: &HashList) -> String {
    let p = &list.provenance;
    let version = p
        .format_version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    format!(
        "converted by hashsweep from {:?} ({}{version}, sha256 {})",
        p.name, p.format, p.sha256
    )
}

fn jsonl_object(list: &HashList, e: &EntryRef<'_>) -> Value {
    let mut o = Map::new();
    o.insert("algorithm".into(), json!(e.algorithm.name()));
    o.insert("hash".into(), json!(hex::encode(e.hash)));
    let texts = [
        ("id", e.id),
        ("category", e.category),
        ("category_label", e.category_label),
        ("label", e.label),
        ("series", e.series),
        ("tags", e.tags),
        ("photodna", e.photodna),
    ];
    for (k, v) in texts {
        if let Some(v) = v {
            o.insert(k.into(), json!(v));
        }
    }
    if let Some(s) = e.size {
        o.insert("size".into(), json!(s));
    }
    if let Some(q) = e.quality {
        o.insert("quality".into(), json!(q));
    }
    if e.flags != Default::default() {
        o.insert("flags".into(), json!(e.flags));
    }
    let scheme = list.provenance.category_scheme;
    if scheme != super::CategoryScheme::None {
        o.insert("scheme".into(), json!(scheme.name()));
    }
    Value::Object(o)
}

/// Writes every entry as one hashsweep JSONL line, after a `#` comment naming the source.
pub fn write_jsonl<W: Write>(list: &HashList, mut w: W) -> io::Result<WriteSummary> {
    writeln!(w, "# {}", header_comment(list))?;
    let mut summary = WriteSummary::default();
    for e in list.iter() {
        serde_json::to_writer(&mut w, &jsonl_object(list, &e))?;
        w.write_all(b"\n")?;
        summary.lines += 1;
    }
    w.flush()?;
    Ok(summary)
}

/// hashdeep names a file's columns in this order; BLAKE3 is the blazehash extension.
const HASHDEEP_ORDER: [Algorithm; 4] = [
    Algorithm::Md5,
    Algorithm::Sha1,
    Algorithm::Sha256,
    Algorithm::Blake3,
];

/// Control characters would break hashdeep's one-row-per-line layout.
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Writes the cryptographic hashes as a `HASHDEEP-1.0` file, one row per source record.
pub fn write_hashdeep<W: Write>(list: &HashList, mut w: W) -> io::Result<WriteSummary> {
    let columns: Vec<Algorithm> = HASHDEEP_ORDER
        .into_iter()
        .filter(|a| list.count(*a) > 0)
        .collect();
    let names: Vec<&str> = columns.iter().map(|a| a.name()).collect();
    writeln!(w, "%%%% HASHDEEP-1.0")?;
    writeln!(w, "%%%% size,{},filename", names.join(","))?;
    writeln!(w, "## {}", header_comment(list))?;
    writeln!(w, "##")?;
    let mut summary = WriteSummary::default();
    let mut rows: Vec<EntryRef<'_>> = Vec::new();
    for e in list.iter() {
        if columns.contains(&e.algorithm) {
            rows.push(e);
        } else {
            summary.skipped_entries += 1;
        }
    }
    rows.sort_by_key(|e| (e.record, e.algorithm));
    for group in rows.chunk_by(|a, b| a.record == b.record) {
        write_row(&mut w, &columns, group)?;
        summary.lines += 1;
    }
    w.flush()?;
    Ok(summary)
}

/// One record's row; a record with two values of one algorithm (merged lists) keeps the first.
fn write_row<W: Write>(w: &mut W, columns: &[Algorithm], group: &[EntryRef<'_>]) -> io::Result<()> {
    let Some(first) = group.first() else {
        return Ok(());
    };
    if let Some(s) = first.size {
        write!(w, "{s}")?;
    }
    for alg in columns {
        let hash = group
            .iter()
            .find(|e| e.algorithm == *alg)
            .map(|e| hex::encode(e.hash));
        write!(w, ",{}", hash.unwrap_or_default())?;
    }
    let name = first.label.or(first.id).map(safe_name).unwrap_or_default();
    writeln!(w, ",{name}")
}
