//! Sorting a listing too large to hold: runs sorted in memory, spilled, merged back lazily.
//!
//! Owns `SpillSort`, the external merge sort a disk image's listing goes through, so that a
//! volume of millions of files reaches the scan in path order while only one run (`run_items`
//! items) plus one decoded item per spilled run is held. A listing that fits in one run is
//! sorted in memory and never spilled. Spilled runs go to one unnamed temporary file
//! (`O_TMPFILE` in the temporary directory: it vanishes with the process), bincode-encoded
//! (a few bytes per field, no text formatting: JSON cost 1.27× the whole `hash` of a
//! 200,000-file image, bincode about nothing). The spool holds what the listing says (paths, sizes, byte runs, times),
//! never file content. The sort is stable: items with equal keys come out in the order they
//! were pushed, as `slice::sort_by` leaves them.

use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bincode::{Decode, Encode};

/// The bytes an item sorts by.
pub(crate) trait SortKey {
    fn sort_key(&self) -> Cow<'_, [u8]>;
}

/// Items pushed in any order, handed back sorted by key (`finish`).
pub(crate) struct SpillSort<T> {
    run_items: usize,
    run: Vec<T>,
    spool: Option<Spool>,
    /// The first spill that failed; later pushes are dropped and `finish` returns it.
    error: Option<io::Error>,
}

/// The spilled runs: where each starts in one temporary file, and how many items it holds.
struct Spool {
    file: BufWriter<File>,
    written: u64,
    runs: Vec<(u64, usize)>,
}

/// bincode's standard form (variable-length integers); no limit: the spool is our own.
const CODEC: bincode::config::Configuration = bincode::config::standard();

/// Read buffer of each spilled run while merging: with one run per 32,768 listed files,
/// half a byte per file (10 MB for 20 million files), the only memory term that grows with
/// the listing.
const RUN_READ_BUFFER: usize = 16 << 10;

impl<T: SortKey + Encode + Decode<()>> SpillSort<T> {
    /// Sorts in memory up to `run_items` items, spilling each full run (at least one item).
    pub(crate) fn new(run_items: usize) -> Self {
        SpillSort {
            run_items: run_items.max(1),
            run: Vec::new(),
            spool: None,
            error: None,
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        if self.error.is_some() {
            return;
        }
        self.run.push(item);
        if self.run.len() >= self.run_items {
            self.spill_held();
        }
    }

    /// How many items are held in memory (the run not yet spilled).
    pub(crate) fn held(&self) -> usize {
        self.run.len()
    }

    /// Spills the items held, so that none stay in memory until `finish`.
    pub(crate) fn spill_held(&mut self) {
        if self.error.is_some() || self.run.is_empty() {
            return;
        }
        if let Err(e) = self.spill() {
            self.error = Some(e);
            self.run = Vec::new();
        }
    }

    /// Whether any run went to the spool.
    #[cfg(test)]
    fn spilled(&self) -> bool {
        self.spool.is_some()
    }

    fn sort_run(&mut self) {
        self.run.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    fn spill(&mut self) -> io::Result<()> {
        self.sort_run();
        let spool = match &mut self.spool {
            Some(spool) => spool,
            None => self.spool.insert(Spool {
                file: BufWriter::new(tempfile::tempfile()?),
                written: 0,
                runs: Vec::new(),
            }),
        };
        let start = spool.written;
        let count = self.run.len();
        for item in self.run.drain(..) {
            let n = bincode::encode_into_std_write(&item, &mut spool.file, CODEC)
                .map_err(io::Error::other)?;
            spool.written += n as u64;
        }
        spool.runs.push((start, count));
        Ok(())
    }

    /// Every item pushed, sorted by key (stable). Errors only if spilling failed.
    pub(crate) fn finish(mut self) -> io::Result<Sorted<T>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.spool.is_none() {
            self.sort_run();
            return Ok(Sorted::Memory(std::mem::take(&mut self.run).into_iter()));
        }
        if !self.run.is_empty() {
            self.spill()?;
        }
        let Some(spool) = self.spool.take() else {
            return Ok(Sorted::Memory(Vec::new().into_iter())); // not reached: checked above
        };
        let file = Arc::new(spool.file.into_inner().map_err(|e| e.into_error())?);
        let runs = spool
            .runs
            .iter()
            .map(|&(start, count)| RunReader::new(file.clone(), start, count))
            .collect();
        Ok(Sorted::Merge(Merge::new(runs)))
    }
}

/// The sorted items: sorted in memory, or merged from spilled runs. A spilled run that
/// cannot be read back (the spool's disk failing) gives one `Err` and ends the items.
pub(crate) enum Sorted<T> {
    Memory(std::vec::IntoIter<T>),
    Merge(Merge<T>),
}

impl<T: SortKey + Decode<()>> Iterator for Sorted<T> {
    type Item = io::Result<T>;

    fn next(&mut self) -> Option<io::Result<T>> {
        match self {
            Sorted::Memory(items) => items.next().map(Ok),
            Sorted::Merge(merge) => merge.next(),
        }
    }
}

/// A k-way merge of sorted runs: the smallest head first, the earlier run on equal keys.
pub(crate) struct Merge<T> {
    runs: Vec<RunReader>,
    /// Each run's next item (a run that is done has none here).
    heads: BinaryHeap<Reverse<Head<T>>>,
    /// A read error met while refilling, given after the item already taken.
    pending: Option<io::Error>,
    failed: bool,
}

/// A run's next item, ordered by its key, then by its run (the earlier run first: the
/// merge is stable).
struct Head<T> {
    item: T,
    run: usize,
}

impl<T: SortKey> Ord for Head<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.item.sort_key().cmp(&other.item.sort_key())).then(self.run.cmp(&other.run))
    }
}

impl<T: SortKey> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: SortKey> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: SortKey> Eq for Head<T> {}

impl<T: SortKey + Decode<()>> Merge<T> {
    fn new(runs: Vec<RunReader>) -> Self {
        let mut merge = Merge {
            heads: BinaryHeap::with_capacity(runs.len()),
            runs,
            pending: None,
            failed: false,
        };
        for run in 0..merge.runs.len() {
            merge.refill(run);
        }
        merge
    }

    fn refill(&mut self, run: usize) {
        match self.runs[run].next_item::<T>() {
            Ok(Some(item)) => self.heads.push(Reverse(Head { item, run })),
            Ok(None) => {}
            Err(e) => {
                self.pending.get_or_insert(e);
            }
        }
    }

    fn next(&mut self) -> Option<io::Result<T>> {
        if self.failed {
            return None;
        }
        let taken = self.heads.pop().map(|Reverse(head)| {
            self.refill(head.run);
            head.item
        });
        match (taken, self.pending.take()) {
            (Some(item), error) => {
                self.pending = error;
                Some(Ok(item))
            }
            (None, Some(error)) => {
                self.failed = true;
                Some(Err(error))
            }
            (None, None) => None,
        }
    }
}

/// One spilled run, read item by item.
struct RunReader {
    reader: BufReader<Range>,
    left: usize,
}

impl RunReader {
    fn new(file: Arc<File>, start: u64, count: usize) -> Self {
        let range = Range { file, at: start };
        RunReader {
            reader: BufReader::with_capacity(RUN_READ_BUFFER, range),
            left: count,
        }
    }

    fn next_item<T: Decode<()>>(&mut self) -> io::Result<Option<T>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let item =
            bincode::decode_from_std_read(&mut self.reader, CODEC).map_err(io::Error::other)?;
        Ok(Some(item))
    }
}

/// Positioned reads of the spool from `at` on (the runs share one file).
struct Range {
    file: Arc<File>,
    at: u64,
}

impl Read for Range {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Encode, Decode)]
    struct Item {
        key: Vec<u8>,
        pushed: usize,
    }

    impl SortKey for Item {
        fn sort_key(&self) -> Cow<'_, [u8]> {
            Cow::Borrowed(&self.key)
        }
    }

    fn sorted(keys: &[Vec<u8>], run_items: usize) -> (Vec<Item>, bool) {
        let mut sort = SpillSort::new(run_items);
        for (pushed, key) in keys.iter().enumerate() {
            sort.push(Item {
                key: key.clone(),
                pushed,
            });
        }
        let spilled = sort.spilled();
        let items = sort.finish().unwrap().map(Result::unwrap).collect();
        (items, spilled)
    }

    fn stable_sort(keys: &[Vec<u8>]) -> Vec<Item> {
        let mut items: Vec<Item> = keys
            .iter()
            .enumerate()
            .map(|(pushed, key)| Item {
                key: key.clone(),
                pushed,
            })
            .collect();
        items.sort_by(|a, b| a.key.cmp(&b.key));
        items
    }

    #[test]
    fn a_listing_within_one_run_is_never_spilled() {
        let keys = vec![b"b".to_vec(), b"a".to_vec(), b"b".to_vec()];
        let (items, spilled) = sorted(&keys, 4);
        assert!(!spilled);
        assert_eq!(items, stable_sort(&keys));
    }

    #[test]
    fn held_items_spilled_early_still_merge_in_order() {
        let mut sort = SpillSort::new(100);
        for (pushed, key) in [b"c", b"a", b"b"].into_iter().enumerate() {
            sort.push(Item {
                key: key.to_vec(),
                pushed,
            });
            if pushed == 1 {
                sort.spill_held();
                assert_eq!(sort.held(), 0);
            }
        }
        assert_eq!(sort.held(), 1);
        let keys: Vec<Vec<u8>> = sort.finish().unwrap().map(|i| i.unwrap().key).collect();
        assert_eq!(keys, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn spilled_runs_merge_to_the_stable_sort() {
        let keys: Vec<Vec<u8>> = (0..100u8).map(|i| vec![b'a' + i % 7, i % 3]).collect();
        let (items, spilled) = sorted(&keys, 9);
        assert!(spilled);
        assert_eq!(items, stable_sort(&keys));
    }

    proptest! {
        #[test]
        fn any_run_size_gives_the_stable_sort(
            keys in proptest::collection::vec(proptest::collection::vec(0u8..4, 0..4), 0..200),
            run_items in 1usize..50,
        ) {
            let (items, _) = sorted(&keys, run_items);
            prop_assert_eq!(items, stable_sort(&keys));
        }
    }
}
