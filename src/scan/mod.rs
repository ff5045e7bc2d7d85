//! The scan pipeline: take each source's items as it streams them in path order, read, hash
//! and match each file on the scan's threads, and hand the results on in report order, so
//! the result is deterministic and memory does not grow with the number of files.
//!
//! Owns `Scanner`, `ScanOptions` and the containment of per-file failures: an open or read
//! error, a corrupt picture, even a decoder panic, becomes a `Failed` result and the scan
//! goes on. The results themselves are `result`'s model (re-exported here for the
//! binary); rendering them is `report`'s job; counting them is `summary`'s.
//!
//! A scan can hand each finished file to a `ResultSink` as soon as it is done (the scan
//! journal) and leave out items already done by an earlier, interrupted run (`ItemKey`s),
//! so a resumed scan does each file exactly once.

mod nested;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::alert_rule::AlertRule;
use crate::algorithm::Algorithm;
use crate::evidence::container::{ContainerFormat, ContainerLimits};
use crate::evidence::{
    EvidenceError, EvidenceItem, EvidenceSource, ItemKind, ItemPath, ItemStream, SkipReason,
};
use crate::failure::{Failure, FailureKind};
use crate::listing::Listing;
use crate::matcher::{Hit, Matcher, Query};
use crate::pdq::Dihedral;
use crate::perceptual::{PerceptualConfig, PictureHashes};
use crate::progress::Progress;
use crate::read_pass::{read_once, KeepCaps, Kept, ReadPass, Sniffed};
use crate::sniff::PictureFormat;
use crate::summary::Summary;
use crate::video::VideoConfig;
use nested::Parent;

/// How files are processed.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub perceptual: PerceptualConfig,
    /// Pictures larger than this are hashed but not decoded.
    pub max_picture_bytes: u64,
    /// Which results are kept as records (`hash` keeps every one); all are counted.
    pub listing: Listing,
    /// Match all eight rotations/mirrors of a PDQ hash, not only the picture as stored.
    pub dihedral: bool,
    /// Open archives and compressed files and scan their entries, within these limits;
    /// `None` hashes them as opaque files (`--no-archives`).
    pub containers: Option<ContainerLimits>,
    /// How videos are decoded and matched; `None` (`--no-video`) only digests them.
    pub video: Option<VideoConfig>,
    /// When a 64-bit perceptual hit may alert alone (`--alert-on-weak`).
    pub alert_rule: AlertRule,
}

pub use crate::pdq::MIN_QUALITY as PDQ_MIN_QUALITY;
pub use crate::result::{FileResult, Hashed, ItemKey, Outcome, ResultSink};

/// What a scan produced.
#[derive(Debug, Clone)]
pub struct ScanOutput {
    /// Sorted by (source, path). Clean files are dropped unless `keep_clean`.
    pub results: Vec<FileResult>,
    pub summary: Summary,
    pub interrupted: bool,
}

/// Runs scans with one matcher and one set of options.
pub struct Scanner<'a> {
    matcher: &'a Matcher,
    options: ScanOptions,
    stop: &'a AtomicBool,
    progress: &'a Progress,
    sink: Option<&'a dyn ResultSink>,
    already_done: Option<&'a HashSet<ItemKey>>,
}

impl<'a> Scanner<'a> {
    pub fn new(
        matcher: &'a Matcher,
        options: ScanOptions,
        stop: &'a AtomicBool,
        progress: &'a Progress,
    ) -> Self {
        Scanner {
            matcher,
            options,
            stop,
            progress,
            sink: None,
            already_done: None,
        }
    }

    /// Hands every finished file (not those skipped by an interruption) to `sink`.
    pub fn with_sink(mut self, sink: &'a dyn ResultSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Leaves out the items an earlier run of the same scan already did: they are neither
    /// processed nor counted nor returned.
    pub fn skipping(mut self, already_done: &'a HashSet<ItemKey>) -> Self {
        self.already_done = Some(already_done);
        self
    }

    /// Hands a finished result to the sink (not one skipped by an interruption).
    pub(crate) fn finished(&self, result: &FileResult) {
        if let Some(sink) = self.sink.filter(|_| result.is_done()) {
            sink.finished(result);
        }
    }

    /// Whether an earlier run of this scan already did the item.
    pub(crate) fn is_already_done(&self, key: &ItemKey) -> bool {
        self.already_done.is_some_and(|done| done.contains(key))
    }

    pub(crate) fn options(&self) -> &ScanOptions {
        &self.options
    }

    pub(crate) fn progress(&self) -> &Progress {
        self.progress
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Scans every source in order and collects the kept results. Fails only if a source
    /// cannot be opened at all. Holds every kept result: `scan_each` streams them.
    pub fn scan(&self, sources: &[Box<dyn EvidenceSource>]) -> Result<ScanOutput, EvidenceError> {
        let mut results = Vec::new();
        let totals = self.scan_each(sources, |result| results.push(result))?;
        Ok(ScanOutput {
            results,
            summary: totals.summary,
            interrupted: totals.interrupted,
        })
    }

    /// Scans every source in order, counting every result and handing each one the listing
    /// keeps to `keep`, in report order (by source, path and ordinal), as soon as it and
    /// everything before it are done. Memory does not grow with the number of items: a
    /// source streams its items in order, at most `REORDER_WINDOW` files are in flight, and
    /// only a container's own entries wait to be put in their place.
    pub fn scan_each(
        &self,
        sources: &[Box<dyn EvidenceSource>],
        keep: impl FnMut(FileResult),
    ) -> Result<ScanTotals, EvidenceError> {
        let mut order = ReportOrder {
            summary: Summary::for_sources(sources.len()),
            listing: &self.options.listing,
            waiting: BinaryHeap::new(),
            next_seq: 0,
            keep,
        };
        for (index, source) in sources.iter().enumerate() {
            if self.stopped() {
                break;
            }
            let items = match source.items(self.stop) {
                Err(EvidenceError::Interrupted { .. }) => break,
                other => other?,
            };
            let last = index + 1 == sources.len();
            let todo = self.counted(items, index, last);
            let threads = rayon::current_num_threads();
            crate::ordered::map_ordered(
                todo,
                threads,
                REORDER_WINDOW,
                Vec::new,
                |scratch, (key, item)| {
                    let results = self.process(source.as_ref(), key, &item, scratch);
                    // The file's entries went to the sink as each was done; the file itself
                    // goes last, so a journaled container means a journaled subtree.
                    self.finished(&results[0]);
                    results
                },
                |results| order.put(results),
            )
            .map_err(|e| EvidenceError::Threads {
                error: e.to_string(),
            })?;
            order.flush();
        }
        Ok(ScanTotals {
            summary: order.summary,
            interrupted: self.stop.load(Ordering::Relaxed),
        })
    }

    /// The source's keyed items still to do, added to the progress totals: all at once for
    /// a source that listed them before the scan (a disk image), as they come for one that
    /// streams (a directory). The totals are final once the last source is listed.
    fn counted<'i>(
        &'i self,
        items: ItemStream<'i>,
        source: usize,
        last: bool,
    ) -> impl Iterator<Item = (ItemKey, EvidenceItem)> + Send + 'i {
        let progress = self.progress;
        let listed = items.listed_totals();
        if let Some(totals) = listed {
            progress.add_total(totals.items, totals.bytes);
        }
        let known_now = last && listed.is_some();
        if known_now {
            progress.total_known();
        }
        // A streaming last source makes the totals final when its stream ends.
        let listed_all = std::iter::from_fn(move || {
            if last && !known_now {
                progress.total_known();
            }
            None
        });
        keyed(source, items)
            .filter(move |(key, item)| {
                let todo = !self.is_already_done(key);
                match (todo, listed) {
                    (true, None) => progress.add_total(1, item.listed_size()),
                    (false, Some(_)) => progress.remove_total(1, item.listed_size()),
                    _ => {}
                }
                todo
            })
            .chain(listed_all)
    }

    fn process(
        &self,
        source: &dyn EvidenceSource,
        key: ItemKey,
        item: &EvidenceItem,
        scratch: &mut Vec<u8>,
    ) -> Vec<FileResult> {
        let size = match item.kind {
            ItemKind::File { size } => Some(size),
            _ => None,
        };
        let mut children = Vec::new();
        let outcome = match &item.kind {
            ItemKind::Skipped { reason } => Outcome::Skipped(reason.clone()),
            ItemKind::Unreadable { failure } => failed((**failure).clone()),
            ItemKind::File { size: 0 } => Outcome::Skipped(SkipReason::Empty),
            ItemKind::File { .. } if self.stop.load(Ordering::Relaxed) => {
                Outcome::Skipped(SkipReason::Interrupted)
            }
            ItemKind::File { size } => {
                let partial = (item.location.as_ref())
                    .and_then(|l| l.carved)
                    .is_some_and(|c| c.partial);
                let parent = Parent::evidence_file(key.source, &key.path).partial(partial);
                // A panic anywhere in reading, decoding or hashing is this file's failure.
                let outcome = catch_unwind(AssertUnwindSafe(|| match source.open(item) {
                    Ok(reader) => {
                        self.hash_stream(reader, Some(*size), &parent, scratch, &mut children)
                    }
                    Err(e) => failed(Failure::new(FailureKind::Open, format!("cannot open: {e}"))),
                }))
                .unwrap_or_else(|panic| {
                    failed(Failure::panic(
                        "internal error while hashing",
                        &panic_message(&*panic),
                    ))
                });
                self.progress.add_done(1, *size);
                outcome
            }
        };
        let mut results = Vec::with_capacity(1 + children.len());
        results.push(FileResult {
            source: key.source,
            path: key.path,
            ordinal: key.ordinal,
            size,
            location: item.location.clone(),
            entry: None,
            meta: item.meta.clone(),
            outcome,
        });
        results.extend(children);
        results
    }

    /// Everything done to one stream of bytes, an evidence file or an entry inside one: the
    /// read pass (digests, exact lookup), then the content (picture or container).
    pub(crate) fn hash_stream<R: std::io::Read>(
        &self,
        reader: R,
        listed_size: Option<u64>,
        parent: &Parent<'_>,
        scratch: &mut Vec<u8>,
        children: &mut Vec<FileResult>,
    ) -> Outcome {
        match read_once(reader, self.keep_caps(), scratch) {
            Ok(pass) => {
                let read = self.digest_phase(pass, listed_size);
                self.content_phase(read, parent, children)
            }
            Err(e) => failed(e.failure()),
        }
    }

    /// What `read_once` keeps in memory: pictures when perceptual hashes are asked for,
    /// containers when archives are opened.
    pub(crate) fn keep_caps(&self) -> KeepCaps {
        KeepCaps {
            picture: if self.options.perceptual.is_enabled() {
                self.options.max_picture_bytes
            } else {
                0
            },
            container: self
                .options
                .containers
                .as_ref()
                .map_or(0, |limits| limits.max_entry_bytes),
            video: self.options.video.as_ref().map_or(0, |v| v.max_bytes),
        }
    }

    /// The digests' exact lookup and the notes of the read pass.
    pub(crate) fn digest_phase(&self, pass: ReadPass, listed_size: Option<u64>) -> ReadOutput {
        let mut hashed = Hashed {
            hits: self.matcher.match_digests(&pass.digests),
            weak_hits: Vec::new(),
            digests: pass.digests,
            bytes_read: pass.bytes_read,
            picture: None,
            container: None,
            notes: Vec::new(),
            video: None,
        };
        if let Some(listed) = listed_size.filter(|listed| *listed != pass.bytes_read) {
            hashed.notes.push(format!(
                "size changed while reading: listed {listed} bytes, read {}",
                pass.bytes_read
            ));
        }
        if let Some((Sniffed::Picture(_), cap)) = pass.over_cap {
            hashed
                .notes
                .push(format!("picture larger than {cap} bytes: not decoded"));
        }
        ReadOutput {
            hashed,
            kept: pass.kept,
            over_cap: pass.over_cap,
            video: pass.video,
        }
    }

    /// Decodes a kept picture and matches it perceptually, or opens a kept container and
    /// scans its entries into `children`.
    pub(crate) fn content_phase(
        &self,
        read: ReadOutput,
        parent: &Parent<'_>,
        children: &mut Vec<FileResult>,
    ) -> Outcome {
        let ReadOutput {
            mut hashed,
            kept,
            over_cap,
            video,
        } = read;
        if let (Some(tee), Some(config)) = (video, &self.options.video) {
            // Video: the one hook into `video`; it owns the rest.
            return self.video_step(config, tee, hashed, parent, children);
        }
        if let Some((Sniffed::Container(format), cap)) = over_cap {
            hashed.notes.push(format!(
                "{} container larger than {cap} bytes (--max-entry-bytes): entries not examined",
                format.name()
            ));
            let reason = SkipReason::TooLarge { limit: cap };
            self.push_unread(parent, format, reason.into(), children);
        }
        let Some(Kept { what, bytes }) = kept else {
            return Outcome::Hashed(Box::new(hashed));
        };
        let format = match what {
            Sniffed::Picture(format) => format,
            Sniffed::Container(format) => {
                return self.open_container(format, &bytes, hashed, parent, children)
            }
        };
        if hashed.is_known_good() && !hashed.has_alert_hit() {
            hashed
                .notes
                .push("known-good file: perceptual hashing skipped".to_string());
            return Outcome::Hashed(Box::new(hashed));
        }
        let picture = (format, &hashed.digests.sha256);
        if let Some(note) = self.scan_embedded(&bytes, picture, parent, children) {
            hashed.notes.push(note);
        }
        match catch_unwind(AssertUnwindSafe(|| {
            let perceptual = &self.options.perceptual;
            if parent.partial {
                perceptual.hash_partial_picture(&bytes, format)
            } else {
                perceptual.hash_picture(&bytes, format)
            }
        })) {
            Ok(Ok(picture)) => {
                self.match_picture(&picture, &mut hashed);
                hashed.notes.extend(picture.notes.iter().cloned());
                hashed.picture = Some(picture);
                self.animation_step(&bytes, format, &mut hashed);
                Outcome::Hashed(Box::new(hashed))
            }
            Ok(Err(e)) => Outcome::Failed {
                failure: Failure::new(e.failure_kind(), format!("picture not decoded: {e}")),
                partial: Some(Box::new(hashed)),
            },
            Err(panic) => Outcome::Failed {
                failure: Failure::panic("picture decoder panicked", &panic_message(&*panic)),
                partial: Some(Box::new(hashed)),
            },
        }
    }

    /// Decodes and matches a video. Frames that were not decoded (no ffmpeg, over the
    /// size cap) are one `video!/$Unread` item, skipped with the reason.
    fn video_step(
        &self,
        config: &VideoConfig,
        tee: crate::video::VideoTee,
        mut hashed: Hashed,
        parent: &Parent<'_>,
        children: &mut Vec<FileResult>,
    ) -> Outcome {
        if hashed.is_known_good() && !hashed.has_alert_hit() {
            hashed
                .notes
                .push("known-good file: video not decoded".to_string());
            return Outcome::Hashed(Box::new(hashed));
        }
        let (video, error) =
            crate::video::video_outcome(config, self.matcher, self.options.dihedral, tee);
        if let Some(reason) = &video.not_decoded {
            self.push_unread(
                parent,
                ContainerFormat::Video,
                reason.clone().into(),
                children,
            );
        }
        hashed.video = Some(Box::new(video));
        match error {
            None => Outcome::Hashed(Box::new(hashed)),
            Some(failure) => Outcome::Failed {
                failure,
                partial: Some(Box::new(hashed)),
            },
        }
    }

    /// The frames after the first of an animated GIF, WebP or APNG, sampled and matched as
    /// a video's (not with `--no-video`). A decoder panic is a note: the picture stands.
    fn animation_step(&self, bytes: &[u8], format: PictureFormat, hashed: &mut Hashed) {
        let Some(config) = &self.options.video else {
            return;
        };
        let limits = self.options.perceptual.limits();
        match catch_unwind(AssertUnwindSafe(|| {
            crate::video::animation_outcome(
                config,
                self.matcher,
                self.options.dihedral,
                bytes,
                format,
                limits,
            )
        })) {
            Ok(None) => {}
            Ok(Some((animation, note))) => {
                hashed.notes.extend(note);
                hashed.video = Some(Box::new(animation));
            }
            Err(panic) => hashed.notes.push(format!(
                "animation decoder panicked: {}",
                panic_message(&*panic)
            )),
        }
    }

    fn match_picture(&self, picture: &PictureHashes, hashed: &mut Hashed) {
        let mut found = Vec::new();
        for &algorithm in self.options.perceptual.algorithms() {
            if algorithm == Algorithm::Pdq {
                found.extend(self.match_pdq(picture, &mut hashed.notes));
            } else if let Some(value) = picture.hashes.get(algorithm) {
                let query = Query {
                    value,
                    transform: None,
                };
                found.extend(self.matcher.match_perceptual(algorithm, &[query]));
            }
        }
        for hit in &mut found {
            hit.also_exact = Some(hashed.hits.iter().any(|exact| exact.is_same_entry(hit)));
        }
        hashed.hits.extend(found);
        let (strong, weak) = self
            .options
            .alert_rule
            .split(std::mem::take(&mut hashed.hits));
        hashed.hits = strong;
        hashed.weak_hits = weak;
    }

    /// PDQ hits of all eight dihedral variants (or only the stored picture with
    /// `dihedral` off), unless the hash's quality is under Meta's cut-off.
    fn match_pdq(&self, picture: &PictureHashes, notes: &mut Vec<String>) -> Vec<Hit> {
        let Some(pdq) = &picture.hashes.pdq else {
            return Vec::new();
        };
        if crate::pdq::below_cutoff(pdq.quality) {
            notes.push(format!(
                "PDQ quality {} is below {PDQ_MIN_QUALITY}: not matched perceptually",
                pdq.quality
            ));
            return Vec::new();
        }
        let variants: &[Dihedral] = if self.options.dihedral {
            &Dihedral::ALL
        } else {
            &Dihedral::ALL[..1]
        };
        let queries: Vec<Query<'_>> = variants
            .iter()
            .map(|d| Query {
                value: &pdq.hashes[d.index()].0,
                transform: Some(d.name()),
            })
            .collect();
        let mut hits = self.matcher.match_perceptual(Algorithm::Pdq, &queries);
        for hit in &mut hits {
            hit.quality = Some(pdq.quality);
        }
        hits
    }
}

/// A read pass with its exact lookup done, waiting for its content to be examined.
pub(crate) struct ReadOutput {
    pub(crate) hashed: Hashed,
    pub(crate) kept: Option<Kept>,
    pub(crate) over_cap: Option<(Sniffed, u64)>,
    /// A video's in-memory copy, made during the read.
    pub(crate) video: Option<crate::video::VideoTee>,
}

/// The key of each item of a source, its items coming sorted by path.
fn keyed<'a>(
    source: usize,
    sorted: impl Iterator<Item = EvidenceItem> + 'a,
) -> impl Iterator<Item = (ItemKey, EvidenceItem)> + 'a {
    let mut previous: Option<ItemPath> = None;
    let mut ordinal = 0;
    sorted.map(move |item| {
        ordinal = if previous.as_ref() == Some(&item.path) {
            ordinal + 1
        } else {
            0
        };
        previous = Some(item.path.clone());
        let key = ItemKey {
            source,
            path: item.path.clone(),
            ordinal,
        };
        (key, item)
    })
}

/// How many finished files may wait for an earlier, slower one before the workers pause:
/// the bound on results held in memory (each about a kilobyte, a container's entries aside).
const REORDER_WINDOW: usize = 4096;

/// What a scan counted, its kept results having gone to the caller.
#[derive(Debug, Clone)]
pub struct ScanTotals {
    pub summary: Summary,
    pub interrupted: bool,
}

/// Puts results in report order as files finish in input order: each file comes before
/// its entries (`a.zip`, then `a.zip!/x`), but a later file may sort between them
/// (`a.zip 2.jpg` sorts before `a.zip!/x`), so entries wait in a heap until the first file
/// that sorts after them. Every result is counted; the listing decides which are kept.
struct ReportOrder<'a, K> {
    summary: Summary,
    listing: &'a Listing,
    /// Container entries waiting for their place, by key, then by arrival.
    waiting: BinaryHeap<Reverse<Waiting>>,
    next_seq: u64,
    keep: K,
}

struct Waiting {
    key: ItemKey,
    seq: u64,
    result: FileResult,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        (&self.key, self.seq) == (&other.key, other.seq)
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.key, self.seq).cmp(&(&other.key, other.seq))
    }
}

impl<K: FnMut(FileResult)> ReportOrder<'_, K> {
    /// One file's results, the file first, then its entries in the order they were found.
    fn put(&mut self, results: Vec<FileResult>) {
        let mut results = results.into_iter();
        let Some(file) = results.next() else {
            return;
        };
        let key = file.key();
        // Entries that sort at or before the file go first: a stable sort would put an
        // entry found earlier before an item of the same key found later.
        while self.waiting.peek().is_some_and(|w| w.0.key <= key) {
            if let Some(Reverse(waiting)) = self.waiting.pop() {
                self.deliver(waiting.result);
            }
        }
        self.deliver(file);
        for entry in results {
            let waiting = Waiting {
                key: entry.key(),
                seq: self.next_seq,
                result: entry,
            };
            self.next_seq += 1;
            self.waiting.push(Reverse(waiting));
        }
    }

    /// The entries still waiting, at the end of a source.
    fn flush(&mut self) {
        while let Some(Reverse(waiting)) = self.waiting.pop() {
            self.deliver(waiting.result);
        }
    }

    fn deliver(&mut self, result: FileResult) {
        self.summary.count(&result);
        if self.listing.keeps(&result) {
            (self.keep)(result);
        }
    }
}

pub(crate) fn failed(failure: Failure) -> Outcome {
    Outcome::Failed {
        failure,
        partial: None,
    }
}

/// The text a panic was raised with (its `&str` or `String` payload).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-text payload".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn result(path: ItemPath) -> FileResult {
        FileResult {
            source: 0,
            path,
            ordinal: 0,
            size: None,
            location: None,
            entry: None,
            meta: None,
            outcome: Outcome::Skipped(SkipReason::Empty),
        }
    }

    /// Bytes that sort below and above the container separator `!/`.
    fn part() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            proptest::sample::select(vec![b' ', b'!', b'.', b'/', b'a', b'z']),
            1..4,
        )
    }

    proptest! {
        /// Files come in path order, each followed by its entries (and theirs); what comes
        /// out is exactly a stable sort of everything by key, as when results were
        /// collected whole and sorted.
        #[test]
        fn report_order_equals_a_stable_sort(
            files in proptest::collection::btree_set(part(), 1..12),
            entries in proptest::collection::vec(proptest::collection::vec(part(), 0..4), 12),
        ) {
            let mut delivered = Vec::new();
            let listing = Listing::EVERYTHING;
            let mut order = ReportOrder {
                summary: Summary::for_sources(1),
                listing: &listing,
                waiting: BinaryHeap::new(),
                next_seq: 0,
                keep: |r: FileResult| delivered.push(r.path),
            };
            let mut everything = Vec::new();
            for (file, names) in files.iter().zip(&entries) {
                let file = ItemPath::from_bytes(file.clone());
                let mut results = vec![result(file.clone())];
                // An entry, and an entry of that entry.
                for name in names {
                    let entry = file.child(name);
                    results.push(result(entry.clone()));
                    results.push(result(entry.child(b"in")));
                }
                everything.extend(results.iter().map(|r| r.path.clone()));
                order.put(results);
            }
            order.flush();
            drop(order);
            everything.sort();
            prop_assert_eq!(delivered, everything);
        }
    }
}
