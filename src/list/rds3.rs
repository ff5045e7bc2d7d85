//! NSRL RDS v3: the SQLite databases NIST publishes since 2022 (known-good sets).
//!
//! Owns the strategy of docs/list-formats.md §nsrl-rds3: read `DISTINCT_HASH` (minimal
//! releases) if present, else `SELECT DISTINCT md5, sha1, sha256` from `FILE` or, in full
//! releases, from `METADATA`; the release comes from `VERSION`. Other SQLite files (TSK
//! `.kdb`, IPED hash DBs) are refused as an unknown format. The database is opened
//! read-only and `immutable` so SQLite never writes a journal or `-shm` file next to
//! evidence-grade data; the provenance SHA-256 is of the file as read just before SQLite
//! opens it (`load` hashes it first, because SQLite reads the file itself).

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::collect::Collector;
use super::record::{FormatInfo, Location, Record};
use super::ListError;
use crate::algorithm::{Algorithm, HashValue};

fn sql_err(c: &Collector) -> impl Fn(rusqlite::Error) -> ListError + '_ {
    move |source| ListError::Sqlite {
        path: c.path().to_path_buf(),
        error: source,
    }
}

/// A `file:` URI for the path with `immutable=1` (percent-encoding what URIs reserve).
fn uri(path: &std::path::Path) -> String {
    let mut out = String::from("file:");
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            _ => out.push(ch),
        }
    }
    out.push_str("?immutable=1");
    out
}

fn tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT lower(name) FROM sqlite_master WHERE type IN ('table','view')")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    names.collect()
}

fn has_hash_columns(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare(&format!(
        "SELECT lower(name) FROM pragma_table_info('{table}')"
    ))?;
    let cols: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(["md5", "sha1", "sha256"]
        .iter()
        .all(|c| cols.iter().any(|x| x == c)))
}

fn version(conn: &Connection, tables: &[String]) -> (Option<String>, Option<String>) {
    if !tables.iter().any(|t| t == "version") {
        return (None, None);
    }
    conn.query_row("SELECT version, build_set FROM VERSION LIMIT 1", [], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
        ))
    })
    .unwrap_or((None, None))
}

pub(crate) fn parse(c: &mut Collector) -> Result<FormatInfo, ListError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri(c.path()), flags).map_err(sql_err(c))?;
    let tables = tables(&conn).map_err(sql_err(c))?;
    let source = if tables.iter().any(|t| t == "distinct_hash") {
        "DISTINCT_HASH"
    } else if tables.iter().any(|t| t == "file")
        && has_hash_columns(&conn, "file").map_err(sql_err(c))?
    {
        "FILE"
    } else if tables.iter().any(|t| t == "metadata")
        && has_hash_columns(&conn, "metadata").map_err(sql_err(c))?
    {
        "METADATA"
    } else {
        return Err(ListError::UnknownFormat {
            path: c.path().to_path_buf(),
            reason: "SQLite database without NSRL RDS v3 tables (DISTINCT_HASH, FILE or METADATA)"
                .into(),
        });
    };
    read_rows(&conn, source, c)?;
    let (version, build_set) = version(&conn, &tables);
    Ok(FormatInfo {
        version,
        variant: Some(match build_set {
            Some(b) => format!("{b}, read from {source}"),
            None => format!("read from {source}"),
        }),
        ..FormatInfo::default()
    })
}

fn read_rows(conn: &Connection, source: &str, c: &mut Collector) -> Result<(), ListError> {
    let sql = format!("SELECT DISTINCT md5, sha1, sha256 FROM {source}");
    let mut stmt = conn.prepare(&sql).map_err(sql_err(c))?;
    let mut rows = stmt.query([]).map_err(sql_err(c))?;
    let mut n = 0u64;
    while let Some(row) = rows.next().map_err(sql_err(c))? {
        n += 1;
        let mut record = Record::default();
        let mut problem = None;
        for (i, alg) in [Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]
            .into_iter()
            .enumerate()
        {
            match cell(row.get_ref(i).map_err(sql_err(c))?, alg) {
                Ok(Some(v)) => record.hashes.push(v),
                Ok(None) => {}
                Err(e) => problem = Some(format!("{alg}: {e}")),
            }
        }
        match problem {
            Some(reason) => c.reject(Location::Row(n), reason)?,
            None => c.accept(&record, Location::Row(n))?,
        }
    }
    Ok(())
}

/// A hash cell: hex text in either case (NIST writes uppercase), a raw blob, or empty.
fn cell(value: ValueRef<'_>, alg: Algorithm) -> Result<Option<HashValue>, String> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => {
            let t = String::from_utf8_lossy(t);
            if t.trim().is_empty() {
                return Ok(None);
            }
            HashValue::parse_hex(alg, &t)
                .map(Some)
                .map_err(|e| e.to_string())
        }
        ValueRef::Blob(b) => HashValue::from_bytes(alg, b)
            .map(Some)
            .map_err(|e| e.to_string()),
        other => Err(format!("unexpected {:?} value", other.data_type())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_reserved_characters() {
        assert_eq!(
            uri(std::path::Path::new("/a b/c?%#.db")),
            "file:/a b/c%3f%25%23.db?immutable=1"
        );
    }
}
