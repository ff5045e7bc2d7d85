//! The hits of a report as a TSK body file (`mactime -b` input), for an examiner's
//! timeline.
//!
//! Owns `write_body_file`. One line per `match` record that carries times, in The Sleuth
//! Kit 3+ format `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`,
//! times in whole seconds since 1970 (0 when unset). NTFS files get a second line for
//! their `$FILE_NAME` times, named `path ($FILE_NAME)`, as `fls -m` writes them. FAT times
//! are local wall-clock values written as if UTC (what `fls -m -z UTC` does). A `|` in a
//! path would split the line, so it is written as `?`; the report keeps the exact path.

use std::io::{self, Write};

use super::file_record::FileRecord;
use super::read::ScanReport;
use crate::evidence::meta::{MacbTimes, Timestamp};

/// Writes the report's hits as body-file lines, in report order.
pub fn write_body_file<W: Write>(report: &ScanReport, out: &mut W) -> io::Result<()> {
    for file in report.matches() {
        let Some(meta) = &file.meta else {
            continue;
        };
        for (times, file_name_line) in meta.macb() {
            writeln!(out, "{}", body_line(file, meta, &times, file_name_line))?;
        }
    }
    out.flush()
}

fn body_line(
    file: &FileRecord,
    meta: &crate::evidence::FileMeta,
    t: &MacbTimes,
    file_name_line: bool,
) -> String {
    let mut name = file.path.replace('|', "?");
    if file.location.as_ref().is_some_and(|l| l.deleted) {
        name.push_str(" (deleted)");
    }
    if file_name_line {
        name.push_str(" ($FILE_NAME)");
    }
    let inode = file.location.as_ref().and_then(|l| l.inode).unwrap_or(0);
    let (uid, gid, mode) = meta.unix_owner().unwrap_or((0, 0, 0));
    let secs = |t: Option<Timestamp>| t.map_or(0, |t| t.seconds);
    format!(
        "{md5}|{name}|{inode}|r/r{perms}|{uid}|{gid}|{size}|{a}|{m}|{c}|{b}",
        md5 = file.hash("md5").unwrap_or("0"),
        perms = permissions(mode),
        size = file.size.unwrap_or(0),
        a = secs(t.accessed),
        m = secs(t.modified),
        c = secs(t.changed),
        b = secs(t.born),
    )
}

/// `rwxr-xr-x` of a Unix mode (set-id and sticky bits as `s`/`S`/`t`/`T`).
fn permissions(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for (shift, special, letter) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (mode & special != 0, bits & 1 != 0) {
            (true, true) => letter,
            (true, false) => letter.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_as_ls_prints_them() {
        assert_eq!(permissions(0o100644), "rw-r--r--");
        assert_eq!(permissions(0o4755), "rwsr-xr-x");
        assert_eq!(permissions(0o1770), "rwxrwx--T");
    }

    #[test]
    fn ntfs_hits_get_a_file_name_line() {
        let line = r#"{"record":"match","path":"img/p1/a|b.jpg","evidence":0,"size":3,"location":{"partition":1,"partition_offset":1048576,"filesystem":"ntfs","inode":65,"deleted":true,"recovered":false},"meta":{"ntfs":{"standard_information":{"created":"2020-10-27T05:31:58.6393296Z","modified":"2020-10-27T04:01:00.0262856Z"},"file_name":{"accessed":"2020-10-27T05:31:58.6393296Z"},"attributes":[],"attribute_bits":0}},"hashes":{"md5":"900150983cd24fb0d6963f7d28e17f72"}}"#;
        let file: FileRecord = serde_json::from_str(line).unwrap();
        let report = ScanReport {
            header: Default::default(),
            files: vec![file],
            summary: None,
        };
        let mut out = Vec::new();
        write_body_file(&report, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "900150983cd24fb0d6963f7d28e17f72|img/p1/a?b.jpg (deleted)|65|r/r---------|0|0|3|0|1603771260|0|1603776718\n\
             900150983cd24fb0d6963f7d28e17f72|img/p1/a?b.jpg (deleted) ($FILE_NAME)|65|r/r---------|0|0|3|1603776718|0|0|0\n"
        );
    }
}
