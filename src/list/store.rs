//! Compact columnar storage of a loaded list, and the builder that fills it.
//!
//! Owns `HashList`, `EntryRef`, `ListBuilder`. Per algorithm, one column of fixed-width
//! binary hashes, each with the `u32` index of its record, sorted by hash; per record a few
//! `u32` handles into string arenas. 10 M MD5+SHA-1 records cost about 44 bytes of hash rows
//! plus ~20 bytes of record each (docs/lists.md has the measurements), where a
//! `Vec<ListEntry>` of `String`s cost well over 150. Duplicates (same algorithm, hash and
//! metadata) are merged when the builder finishes. Leaves parsing to the format modules and
//! matching to `matcher`, which reads entries through `get`/`iter`/`find` only.

use std::collections::HashMap;

use super::category::CategoryScheme;
use super::record::{EntryFlags, Record};
use super::strings::{Arena, ArenaFull, Interner, NONE};
use super::ListProvenance;
use crate::algorithm::{Algorithm, HashValue};

/// A borrowed view of one entry: one hash of one record, with the record's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub algorithm: Algorithm,
    pub hash: &'a [u8],
    /// The source's identifier (MediaID, line number, …).
    pub id: Option<&'a str>,
    /// The raw category code as the list wrote it.
    pub category: Option<&'a str>,
    /// The category's label under the list's scheme (`provenance.category_scheme`).
    pub category_label: Option<&'a str>,
    /// A human label for the entry, usually the file name the list gives.
    pub label: Option<&'a str>,
    pub series: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub flags: EntryFlags,
    pub quality: Option<u8>,
    pub size: Option<u64>,
    /// Opaque PhotoDNA signature carried through from the list.
    pub photodna: Option<&'a str>,
    /// Index of the source record: entries with the same `record` are hashes of one file.
    pub record: u32,
    /// The category means "not pertinent" under the list's scheme (VICS US 0).
    pub non_pertinent: bool,
}

/// Record metadata that repeats across records, interned as one tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Meta {
    category: u32,
    series: u32,
    tags: u32,
    flags: EntryFlags,
    quality: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Row<const N: usize> {
    key: [u8; N],
    record: u32,
}

/// One algorithm's hashes; the width is fixed by the algorithm.
#[derive(Debug, Clone)]
enum Column {
    W8(Vec<Row<8>>),
    W16(Vec<Row<16>>),
    W20(Vec<Row<20>>),
    W32(Vec<Row<32>>),
}

macro_rules! with_rows {
    ($col:expr, $rows:ident => $body:expr) => {
        match $col {
            Column::W8($rows) => $body,
            Column::W16($rows) => $body,
            Column::W20($rows) => $body,
            Column::W32($rows) => $body,
        }
    };
}

impl Column {
    fn new(algorithm: Algorithm) -> Self {
        match algorithm.byte_len() {
            8 => Column::W8(Vec::new()),
            16 => Column::W16(Vec::new()),
            20 => Column::W20(Vec::new()),
            _ => Column::W32(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        with_rows!(self, rows => rows.len())
    }

    /// Appends a hash; `false` if its width does not fit the column (never for a `HashValue`).
    fn push(&mut self, hash: &[u8], record: u32) -> bool {
        with_rows!(self, rows => match hash.try_into() {
            Ok(key) => {
                rows.push(Row { key, record });
                true
            }
            Err(_) => false,
        })
    }

    fn row(&self, i: usize) -> Option<(&[u8], u32)> {
        with_rows!(self, rows => rows.get(i).map(|r| (&r.key[..], r.record)))
    }

    /// Index range of the rows holding `hash`.
    fn find(&self, hash: &[u8]) -> std::ops::Range<usize> {
        with_rows!(self, rows => {
            let lo = rows.partition_point(|r| r.key.as_slice() < hash);
            let hi = rows.partition_point(|r| r.key.as_slice() <= hash);
            lo..hi
        })
    }

    /// Sorts by hash (file order within a hash) and drops rows whose hash and record
    /// metadata repeat an earlier row; returns how many were dropped.
    fn sort_and_merge(&mut self, meta_of: &[u32]) -> u64 {
        with_rows!(self, rows => {
            rows.sort_unstable();
            let before = rows.len();
            let mut kept = 0usize;
            let mut run_start = 0usize;
            for i in 0..rows.len() {
                let row = rows[i];
                if kept == 0 || rows[kept - 1].key != row.key {
                    run_start = kept;
                }
                let meta = meta_of.get(row.record as usize);
                let duplicate = rows[run_start..kept]
                    .iter()
                    .any(|k| meta_of.get(k.record as usize) == meta);
                if !duplicate {
                    rows[kept] = row;
                    kept += 1;
                }
            }
            rows.truncate(kept);
            rows.shrink_to_fit();
            (before - kept) as u64
        })
    }
}

const NO_SIZE: u64 = u64::MAX;

/// Everything but the provenance; shared by the builder and the finished list.
#[derive(Debug, Clone, Default)]
struct Tables {
    /// Indexed by position in `Algorithm::ALL`.
    columns: [Option<Column>; 8],
    rec_id: Vec<u32>,
    rec_label: Vec<u32>,
    rec_meta: Vec<u32>,
    /// Dense once any record has a size; `NO_SIZE` marks the unknown ones.
    rec_size: Vec<u64>,
    /// Sparse: (record, handle), in record order.
    photodna: Vec<(u32, u32)>,
    ids: Arena,
    labels: Arena,
    photodnas: Arena,
    words: Interner,
    metas: Vec<Meta>,
}

fn alg_index(a: Algorithm) -> usize {
    Algorithm::ALL.iter().position(|x| *x == a).unwrap_or(0)
}

/// Collects records while a list loads; `finish` sorts and merges.
#[derive(Debug, Default)]
pub(crate) struct ListBuilder {
    t: Tables,
    meta_ids: HashMap<Meta, u32>,
}

impl ListBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Number of records added so far.
    pub(crate) fn records(&self) -> usize {
        self.t.rec_id.len()
    }

    /// Stores one record and its hashes.
    pub(crate) fn push(&mut self, r: &Record) -> Result<(), ArenaFull> {
        let record = u32::try_from(self.t.rec_id.len()).map_err(|_| ArenaFull)?;
        let meta = Meta {
            category: self.t.words.intern(r.category.as_deref())?,
            series: self.t.words.intern(r.series.as_deref())?,
            tags: self.t.words.intern(r.tags.as_deref())?,
            flags: r.flags,
            quality: r.quality,
        };
        let next = u32::try_from(self.t.metas.len()).map_err(|_| ArenaFull)?;
        let meta_id = *self.meta_ids.entry(meta).or_insert(next);
        if meta_id == next {
            self.t.metas.push(meta);
        }
        self.t.rec_id.push(self.t.ids.push_opt(r.id.as_deref())?);
        self.t
            .rec_label
            .push(self.t.labels.push_opt(r.label.as_deref())?);
        self.t.rec_meta.push(meta_id);
        self.push_size(record, r.size);
        if let Some(p) = &r.photodna {
            let h = self.t.photodnas.push(p)?;
            self.t.photodna.push((record, h));
        }
        for v in &r.hashes {
            let col = self.t.columns[alg_index(v.algorithm)]
                .get_or_insert_with(|| Column::new(v.algorithm));
            col.push(v.as_bytes(), record);
        }
        Ok(())
    }

    fn push_size(&mut self, record: u32, size: Option<u64>) {
        let sizes = &mut self.t.rec_size;
        if sizes.is_empty() && size.is_none() {
            return;
        }
        sizes.resize(record as usize, NO_SIZE);
        sizes.push(size.unwrap_or(NO_SIZE));
    }

    /// Sorts every column, merges duplicates and returns the list plus how many merged.
    pub(crate) fn finish(mut self, provenance: ListProvenance) -> (HashList, u64) {
        self.meta_ids = HashMap::new();
        let t = &mut self.t;
        let mut merged = 0;
        for col in t.columns.iter_mut().flatten() {
            merged += col.sort_and_merge(&t.rec_meta);
        }
        if !t.rec_size.is_empty() {
            t.rec_size.resize(t.rec_id.len(), NO_SIZE);
        }
        t.words.freeze();
        for v in [&mut t.rec_id, &mut t.rec_label, &mut t.rec_meta] {
            v.shrink_to_fit();
        }
        t.ids.shrink_to_fit();
        t.labels.shrink_to_fit();
        let list = HashList {
            provenance,
            t: self.t,
            videos: Vec::new(),
        };
        (list, merged)
    }
}

/// A loaded list: its provenance and its entries, in compact columnar storage.
///
/// Entries are ordered by algorithm (`Algorithm::ALL` order), then by hash bytes.
#[derive(Debug, Clone)]
pub struct HashList {
    pub provenance: ListProvenance,
    t: Tables,
    /// Videos of a vPDQ list (frame hashes matched by vPDQ's rule, not by the columns).
    pub videos: Vec<super::vpdq::ListedVideo>,
}

impl HashList {
    pub fn len(&self) -> usize {
        self.t.columns.iter().flatten().map(Column::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of source records (a record may carry several hashes).
    pub fn records(&self) -> usize {
        self.t.rec_id.len()
    }

    pub fn get(&self, index: usize) -> Option<EntryRef<'_>> {
        let mut i = index;
        for (k, col) in self.t.columns.iter().enumerate() {
            let Some(col) = col else { continue };
            if i < col.len() {
                let (hash, record) = col.row(i)?;
                return Some(self.entry(Algorithm::ALL[k], hash, record));
            }
            i -= col.len();
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> + '_ {
        self.t
            .columns
            .iter()
            .enumerate()
            .filter_map(|(k, c)| c.as_ref().map(|c| (Algorithm::ALL[k], c)))
            .flat_map(move |(alg, col)| {
                (0..col.len()).filter_map(move |i| {
                    let (hash, record) = col.row(i)?;
                    Some(self.entry(alg, hash, record))
                })
            })
    }

    /// Every entry whose hash equals `hash` (binary search; exact algorithms).
    pub fn find<'a>(
        &'a self,
        algorithm: Algorithm,
        hash: &[u8],
    ) -> impl Iterator<Item = EntryRef<'a>> + 'a {
        let col = self.t.columns[alg_index(algorithm)].as_ref();
        let range = col.map(|c| c.find(hash)).unwrap_or(0..0);
        range.filter_map(move |i| {
            let (h, record) = col?.row(i)?;
            Some(self.entry(algorithm, h, record))
        })
    }

    /// Entries per algorithm.
    pub fn count(&self, algorithm: Algorithm) -> usize {
        self.t.columns[alg_index(algorithm)]
            .as_ref()
            .map_or(0, Column::len)
    }

    pub fn algorithms(&self) -> Vec<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(|a| self.count(*a) > 0)
            .collect()
    }

    fn entry<'a>(&'a self, algorithm: Algorithm, hash: &'a [u8], record: u32) -> EntryRef<'a> {
        let t = &self.t;
        let r = record as usize;
        let meta = t
            .rec_meta
            .get(r)
            .and_then(|m| t.metas.get(*m as usize))
            .copied();
        let word = |h: Option<u32>| h.filter(|h| *h != NONE).and_then(|h| t.words.get(h));
        let category = word(meta.map(|m| m.category));
        let scheme: CategoryScheme = self.provenance.category_scheme;
        EntryRef {
            algorithm,
            hash,
            id: t.rec_id.get(r).and_then(|h| t.ids.get(*h)),
            category,
            category_label: scheme.label(category),
            non_pertinent: scheme.is_non_pertinent(category),
            label: t.rec_label.get(r).and_then(|h| t.labels.get(*h)),
            series: word(meta.map(|m| m.series)),
            tags: word(meta.map(|m| m.tags)),
            flags: meta.map(|m| m.flags).unwrap_or_default(),
            quality: meta.and_then(|m| m.quality),
            size: t.rec_size.get(r).copied().filter(|s| *s != NO_SIZE),
            photodna: t
                .photodna
                .binary_search_by_key(&record, |(rec, _)| *rec)
                .ok()
                .and_then(|i| t.photodnas.get(t.photodna[i].1)),
            record,
        }
    }

    /// The hash value of an entry, owned.
    pub fn value(entry: &EntryRef<'_>) -> Option<HashValue> {
        HashValue::from_bytes(entry.algorithm, entry.hash).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::{ListFormat, ListRole};

    fn md5(hex: &str) -> HashValue {
        HashValue::parse_hex(Algorithm::Md5, hex).unwrap()
    }

    fn record(id: &str, cat: Option<&str>, hashes: Vec<HashValue>) -> Record {
        Record {
            hashes,
            id: Some(id.into()),
            category: cat.map(Into::into),
            ..Record::default()
        }
    }

    fn prov() -> ListProvenance {
        ListProvenance::new("t", "t".into(), ListRole::Alert, ListFormat::HashsweepJsonl)
    }

    #[test]
    fn merges_same_hash_and_metadata_but_keeps_conflicting_categories() {
        let a = md5("900150983cd24fb0d6963f7d28e17f72");
        let b = md5("d1b23d60be33081437b607ac50a40e82");
        let mut builder = ListBuilder::new();
        builder
            .push(&record("1", Some("1"), vec![b.clone()]))
            .unwrap();
        builder
            .push(&record("2", Some("1"), vec![a.clone()]))
            .unwrap();
        builder
            .push(&record("3", Some("1"), vec![b.clone()]))
            .unwrap();
        builder
            .push(&record("4", Some("2"), vec![b.clone()]))
            .unwrap();
        let (list, merged) = builder.finish(prov());
        assert_eq!((list.len(), merged, list.records()), (3, 1, 4));
        let ids: Vec<_> = list
            .find(Algorithm::Md5, b.as_bytes())
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, vec![Some("1"), Some("4")]);
        assert_eq!(list.get(0).unwrap().hash, a.as_bytes());
        assert_eq!(list.iter().count(), 3);
        assert_eq!(list.get(3), None);
    }

    #[test]
    fn keeps_every_field_of_a_record() {
        let mut r = record("7", None, vec![md5("8ed5b9c8219654b908b01121eb46d8df")]);
        r.hashes.push(
            HashValue::parse_hex(Algorithm::Sha1, "1e6652b467e084f1d51165e7605ab0d095520119")
                .unwrap(),
        );
        r.series = Some("S".into());
        r.size = Some(15);
        r.photodna = Some("pdna".into());
        r.flags.is_distributed = Some(true);
        let mut builder = ListBuilder::new();
        builder.push(&Record::default()).unwrap();
        builder.push(&r).unwrap();
        let (list, _) = builder.finish(prov());
        assert_eq!(list.algorithms(), vec![Algorithm::Md5, Algorithm::Sha1]);
        let e = list.get(1).unwrap();
        assert_eq!(e.algorithm, Algorithm::Sha1);
        assert_eq!((e.id, e.category, e.series), (Some("7"), None, Some("S")));
        assert_eq!((e.size, e.photodna, e.record), (Some(15), Some("pdna"), 1));
        assert_eq!(e.flags.is_distributed, Some(true));
    }
}
