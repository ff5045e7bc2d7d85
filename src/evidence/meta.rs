//! The file facts a report carries besides content: timestamps, owner, attributes.
//!
//! Owns `FileMeta` (one variant per kind of metadata: NTFS, ext, FAT/exFAT, and a file of a
//! directory read through `statx`) and `Timestamp`, a time as the filesystem stores it, at
//! its native precision. Times are the evidence's own values, never the scan's, so reports
//! stay deterministic. They are written as RFC 3339 in UTC (`…Z`) with as many fractional
//! digits as the filesystem keeps (7 for NTFS, 9 for ext4 and statx, 2 for a FAT creation
//! time, none for 1- and 2-second fields). FAT stores local wall-clock time without a zone:
//! such times are written without the `Z` (`local: true`), and an exFAT time whose UTC
//! offset field is valid is turned into UTC. Carved items and archive entries carry no
//! metadata (no `meta` at all).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A point in time as a filesystem stores it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode,
)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 00:00:00 (UTC, or local time when `local`).
    pub seconds: i64,
    /// Nanoseconds within the second, a multiple of the native precision.
    pub nanos: u32,
    /// Fractional digits the filesystem keeps (0 to 9).
    pub digits: u8,
    /// Wall-clock time of an unrecorded zone (FAT): written without `Z`.
    pub local: bool,
}

impl Timestamp {
    /// A UTC time with `digits` fractional digits; `None` outside years -9999..=9999.
    pub fn utc(seconds: i64, nanos: u32, digits: u8) -> Option<Self> {
        Self::new(seconds, nanos, digits, false)
    }

    /// A wall-clock time of an unknown zone (FAT).
    pub fn local(seconds: i64, nanos: u32, digits: u8) -> Option<Self> {
        Self::new(seconds, nanos, digits, true)
    }

    fn new(seconds: i64, nanos: u32, digits: u8, local: bool) -> Option<Self> {
        let t = Timestamp {
            seconds,
            nanos: nanos.min(999_999_999),
            digits: digits.min(9),
            local,
        };
        t.datetime().map(|_| t)
    }

    /// An NTFS FILETIME (100 ns ticks since 1601); `None` for 0 (unset).
    pub fn from_filetime(ticks: u64) -> Option<Self> {
        const EPOCH_DIFF_SECONDS: i64 = 11_644_473_600;
        if ticks == 0 {
            return None;
        }
        let seconds = i64::try_from(ticks / 10_000_000).ok()? - EPOCH_DIFF_SECONDS;
        let nanos = u32::try_from(ticks % 10_000_000).ok()? * 100;
        Self::utc(seconds, nanos, 7)
    }

    fn datetime(&self) -> Option<OffsetDateTime> {
        let ns = i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos);
        OffsetDateTime::from_unix_timestamp_nanos(ns).ok()
    }

    /// Parses what `Display` writes.
    pub fn parse(text: &str) -> Option<Self> {
        let local = !text.ends_with('Z');
        let utc_text;
        let full = if local {
            utc_text = format!("{text}Z");
            utc_text.as_str()
        } else {
            text
        };
        let dt = OffsetDateTime::parse(full, &Rfc3339).ok()?;
        let fraction = text
            .split_once('.')
            .map_or(0, |(_, f)| f.trim_end_matches('Z').len());
        let digits = u8::try_from(fraction).ok().filter(|d| *d <= 9)?;
        Self::new(dt.unix_timestamp(), dt.nanosecond(), digits, local)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Constructors guarantee the range, so the fallback is never taken.
        let Some(dt) = self.datetime() else {
            return write!(f, "@{}", self.seconds);
        };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )?;
        if self.digits > 0 {
            let scaled = self.nanos / 10u32.pow(9 - u32::from(self.digits));
            write!(f, ".{scaled:0width$}", width = usize::from(self.digits))?;
        }
        if !self.local {
            f.write_str("Z")?;
        }
        Ok(())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}")))
    }
}

/// What the filesystem (or the examiner's kernel) says about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "snake_case")]
pub enum FileMeta {
    Ntfs(NtfsMeta),
    Ext(ExtMeta),
    Fat(FatMeta),
    /// A file of directory evidence, through `statx`.
    Statx(StatxMeta),
}

/// The four times of an NTFS `$STANDARD_INFORMATION` or `$FILE_NAME` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct NtfsTimes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mft_modified: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessed: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct NtfsMeta {
    /// `$STANDARD_INFORMATION` times (what Explorer shows; user-settable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_information: Option<NtfsTimes>,
    /// Times of the `$FILE_NAME` attribute the path was built from (set by the kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<NtfsTimes>,
    /// `$STANDARD_INFORMATION` file attribute flags, by name.
    pub attributes: Vec<String>,
    /// The same flags as stored.
    pub attribute_bits: u32,
    /// `$STANDARD_INFORMATION` owner id (NTFS 3.0+; quota owner, usually 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<u32>,
    /// `$STANDARD_INFORMATION` security id: the key of the descriptor in `$Secure:$SDS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_id: Option<u32>,
    /// Owner SID of the file's security descriptor (its own `$SECURITY_DESCRIPTOR`
    /// attribute, else `$Secure:$SDS` by security id), as `S-1-5-21-…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct ExtMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atime: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<Timestamp>,
    /// Inode change time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime: Option<Timestamp>,
    /// Creation time (ext4 inodes with extra fields only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crtime: Option<Timestamp>,
    /// Deletion time (deleted inodes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtime: Option<Timestamp>,
    pub uid: u32,
    pub gid: u32,
    /// `i_mode`: file type and permission bits.
    pub mode: u32,
    /// Inode flags, by name.
    pub flags: Vec<String>,
    /// The same flags as stored.
    pub flag_bits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct FatMeta {
    /// Creation time (2 s field plus the 10 ms field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// Last access: a date only on FAT12/16/32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessed: Option<Timestamp>,
    /// Attribute flags, by name.
    pub attributes: Vec<String>,
    /// The same flags as stored.
    pub attribute_bits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
pub struct StatxMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atime: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctime: Option<Timestamp>,
    /// Birth time, where the kernel and filesystem give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btime: Option<Timestamp>,
    pub uid: u32,
    pub gid: u32,
    /// `st_mode`: file type and permission bits.
    pub mode: u32,
}

/// Every time column a flat rendering (CSV, text) may show, in order.
pub const TIME_COLUMNS: [&str; 17] = [
    "si_created",
    "si_modified",
    "si_mft_modified",
    "si_accessed",
    "fn_created",
    "fn_modified",
    "fn_mft_modified",
    "fn_accessed",
    "atime",
    "mtime",
    "ctime",
    "crtime",
    "btime",
    "dtime",
    "created",
    "modified",
    "accessed",
];

/// The four times a timeline (TSK body file) has per line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MacbTimes {
    pub accessed: Option<Timestamp>,
    pub modified: Option<Timestamp>,
    pub changed: Option<Timestamp>,
    pub born: Option<Timestamp>,
}

impl FileMeta {
    /// Each time present, named as in `TIME_COLUMNS`.
    pub fn times(&self) -> Vec<(&'static str, Timestamp)> {
        let all: Vec<(&'static str, Option<Timestamp>)> = match self {
            FileMeta::Ntfs(m) => {
                let si = m.standard_information.as_ref();
                let fname = m.file_name.as_ref();
                vec![
                    ("si_created", si.and_then(|t| t.created)),
                    ("si_modified", si.and_then(|t| t.modified)),
                    ("si_mft_modified", si.and_then(|t| t.mft_modified)),
                    ("si_accessed", si.and_then(|t| t.accessed)),
                    ("fn_created", fname.and_then(|t| t.created)),
                    ("fn_modified", fname.and_then(|t| t.modified)),
                    ("fn_mft_modified", fname.and_then(|t| t.mft_modified)),
                    ("fn_accessed", fname.and_then(|t| t.accessed)),
                ]
            }
            FileMeta::Ext(m) => vec![
                ("atime", m.atime),
                ("mtime", m.mtime),
                ("ctime", m.ctime),
                ("crtime", m.crtime),
                ("dtime", m.dtime),
            ],
            FileMeta::Fat(m) => vec![
                ("created", m.created),
                ("modified", m.modified),
                ("accessed", m.accessed),
            ],
            FileMeta::Statx(m) => vec![
                ("atime", m.atime),
                ("mtime", m.mtime),
                ("ctime", m.ctime),
                ("btime", m.btime),
            ],
        };
        all.into_iter()
            .filter_map(|(name, t)| t.map(|t| (name, t)))
            .collect()
    }

    /// The owner as one short text: a SID, or `uid:gid`; `None` where the filesystem has
    /// none (FAT).
    pub fn owner(&self) -> Option<String> {
        match self {
            FileMeta::Ntfs(m) => m.owner_sid.clone(),
            FileMeta::Ext(m) => Some(format!("{}:{}", m.uid, m.gid)),
            FileMeta::Statx(m) => Some(format!("{}:{}", m.uid, m.gid)),
            FileMeta::Fat(_) => None,
        }
    }

    /// Attribute or flag names.
    pub fn attributes(&self) -> &[String] {
        match self {
            FileMeta::Ntfs(m) => &m.attributes,
            FileMeta::Ext(m) => &m.flags,
            FileMeta::Fat(m) => &m.attributes,
            FileMeta::Statx(_) => &[],
        }
    }

    /// Timeline lines (TSK body file): one for most files; NTFS has a second, for the
    /// `$FILE_NAME` times, as `fls -m` writes it. The flag says which line is that one.
    pub fn macb(&self) -> Vec<(MacbTimes, bool)> {
        match self {
            FileMeta::Ntfs(m) => {
                let line = |t: &NtfsTimes| MacbTimes {
                    accessed: t.accessed,
                    modified: t.modified,
                    changed: t.mft_modified,
                    born: t.created,
                };
                let mut out = Vec::new();
                out.extend(m.standard_information.as_ref().map(|t| (line(t), false)));
                out.extend(m.file_name.as_ref().map(|t| (line(t), true)));
                out
            }
            FileMeta::Ext(m) => vec![(
                MacbTimes {
                    accessed: m.atime,
                    modified: m.mtime,
                    changed: m.ctime,
                    born: m.crtime,
                },
                false,
            )],
            FileMeta::Fat(m) => vec![(
                MacbTimes {
                    accessed: m.accessed,
                    modified: m.modified,
                    changed: None,
                    born: m.created,
                },
                false,
            )],
            FileMeta::Statx(m) => vec![(
                MacbTimes {
                    accessed: m.atime,
                    modified: m.mtime,
                    changed: m.ctime,
                    born: m.btime,
                },
                false,
            )],
        }
    }

    /// `(uid, gid, mode)` where the filesystem keeps them.
    pub fn unix_owner(&self) -> Option<(u32, u32, u32)> {
        match self {
            FileMeta::Ext(m) => Some((m.uid, m.gid, m.mode)),
            FileMeta::Statx(m) => Some((m.uid, m.gid, m.mode)),
            FileMeta::Ntfs(_) | FileMeta::Fat(_) => None,
        }
    }
}

/// Names of the bits set in `bits`, from a table of `(bit, name)`.
pub fn flag_names(bits: u32, table: &[(u32, &str)]) -> Vec<String> {
    table
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| (*name).to_string())
        .collect()
}

/// Windows file attribute bits (NTFS `$STANDARD_INFORMATION`, FAT, exFAT share them).
pub const WINDOWS_ATTRIBUTES: [(u32, &str); 15] = [
    (0x0001, "read_only"),
    (0x0002, "hidden"),
    (0x0004, "system"),
    (0x0008, "volume_label"),
    (0x0010, "directory"),
    (0x0020, "archive"),
    (0x0040, "device"),
    (0x0080, "normal"),
    (0x0100, "temporary"),
    (0x0200, "sparse"),
    (0x0400, "reparse_point"),
    (0x0800, "compressed"),
    (0x1000, "offline"),
    (0x2000, "not_content_indexed"),
    (0x4000, "encrypted"),
];

/// A binary SID (`S-1-…`) as text; `None` if the bytes are not a whole SID.
pub fn sid_text(b: &[u8]) -> Option<String> {
    let revision = *b.first()?;
    let count = usize::from(*b.get(1)?);
    let authority = b
        .get(2..8)?
        .iter()
        .fold(0u64, |acc, byte| acc << 8 | u64::from(*byte));
    let mut out = format!("S-{revision}-{authority}");
    for i in 0..count {
        let s = b.get(8 + i * 4..12 + i * 4)?;
        out.push_str(&format!(
            "-{}",
            u32::from_le_bytes([s[0], s[1], s[2], s[3]])
        ));
    }
    Some(out)
}

/// The owner SID of a self-relative security descriptor.
pub fn descriptor_owner(sd: &[u8]) -> Option<String> {
    let at = sd.get(4..8)?;
    let offset = usize::try_from(u32::from_le_bytes([at[0], at[1], at[2], at[3]])).ok()?;
    if offset == 0 {
        return None;
    }
    sid_text(sd.get(offset..)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_native_precision_and_parses_back() {
        // Debian's NTFS sample, audio1/debian.mp3, $SI modified (istat: 04:01:00.026285600).
        let t = Timestamp::utc(1_603_771_260, 26_285_600, 7).unwrap();
        assert_eq!(t.to_string(), "2020-10-27T04:01:00.0262856Z");
        assert_eq!(Timestamp::parse("2020-10-27T04:01:00.0262856Z"), Some(t));
        let fat = Timestamp::local(1_603_771_260, 0, 0).unwrap();
        assert_eq!(fat.to_string(), "2020-10-27T04:01:00");
        assert_eq!(Timestamp::parse("2020-10-27T04:01:00"), Some(fat));
        let before_epoch = Timestamp::utc(-1, 500_000_000, 2).unwrap();
        assert_eq!(before_epoch.to_string(), "1969-12-31T23:59:59.50Z");
    }

    #[test]
    fn filetime_counts_from_1601() {
        assert_eq!(Timestamp::from_filetime(0), None);
        let t = Timestamp::from_filetime(116_444_736_000_000_001).unwrap();
        assert_eq!(t.to_string(), "1970-01-01T00:00:00.0000001Z");
    }

    #[test]
    fn sids_and_descriptor_owners() {
        // S-1-5-21-1-2-3-1001 as stored, inside a descriptor whose owner is at byte 20.
        let mut sid = vec![1u8, 5, 0, 0, 0, 0, 0, 5];
        for sub in [21u32, 1, 2, 3, 1001] {
            sid.extend(sub.to_le_bytes());
        }
        assert_eq!(sid_text(&sid).as_deref(), Some("S-1-5-21-1-2-3-1001"));
        assert_eq!(sid_text(&sid[..20]), None);
        let mut sd = vec![1u8, 0, 0x04, 0x80, 20, 0, 0, 0];
        sd.resize(20, 0);
        sd.extend(&sid);
        assert_eq!(
            descriptor_owner(&sd).as_deref(),
            Some("S-1-5-21-1-2-3-1001")
        );
    }
}
