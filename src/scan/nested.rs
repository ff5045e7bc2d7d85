//! Items inside items: how the scan pipeline opens a container it has read and scans each
//! entry exactly as it scans a file, at any depth.
//!
//! Owns `Parent` (what an item inside a container inherits: evidence source, path, depth,
//! the bomb budgets and contents of the containers around it), `EntryLocation` (what a
//! report says of an entry: the container, its format and the entry as stored) and
//! `Scanner::open_container`. Entries are named `container!/entry` (`ItemPath::child`).
//! Decompression is sequential, as the formats are; each entry is read once (digests and
//! exact lookup) as it streams out, then entries are decoded and hashed in parallel in
//! batches, so one large archive keeps every core busy. What a container could not yield
//! (an unsupported format, an encrypted listing, a corrupt tail, a bomb stopped) is one
//! more item, `container!/$Unread`, skipped or failed with the reason, so nothing goes
//! unaccounted. The formats themselves are `evidence::container`'s.

use std::collections::HashMap;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;

use super::{failed, panic_message, ReadOutput, Scanner};
use crate::embedded::{
    exif_thumbnail::find_exif_thumbnail, heif_thumbnail::find_heif_thumbnails, ico::find_icons,
    mpf::find_mpf_images, tiff::find_tiff_pages, EmbeddedItem,
};
use crate::evidence::container::{
    budget_error, read_entries, Budget, ContainerError, ContainerFormat, EntryBody, EntryInfo,
    Flow, GuardedReader,
};
use crate::evidence::{ItemPath, SkipReason};
use crate::failure::{Failure, FailureKind};
use crate::read_pass::{read_once, Kept, Sniffed};
use crate::result::{EntryLocation, FileResult, Hashed, ItemKey, Outcome};
use crate::sniff::PictureFormat;

/// A finder of the pictures inside a picture (`embedded`), its error as text.
type Finder = fn(&[u8]) -> Result<Vec<EmbeddedItem>, String>;

/// Name of the item that stands for what a container could not yield.
pub(super) const UNREAD_ENTRY: &[u8] = b"$Unread";

/// Entries read ahead before the batch is decoded and hashed in parallel: whichever limit
/// comes first. Bounds the memory one container holds beyond its own bytes.
const BATCH_BYTES: u64 = 64 << 20;
const BATCH_ENTRIES: usize = 256;

/// What an item inherits from the containers around it, and what is known of the item
/// before it is read (`partial`: a carve that is only the start of a picture).
pub(crate) struct Parent<'a> {
    source: usize,
    path: &'a ItemPath,
    /// Containers around the item (0 for an evidence file).
    depth: u32,
    /// The innermost enclosing container's budget (linked to the outer ones').
    budget: Option<&'a Budget<'a>>,
    /// SHA-256 of each enclosing container, innermost first.
    ancestors: Option<&'a Ancestor<'a>>,
    /// The item's bytes are known to be only the start of a picture (a partial carve).
    pub(crate) partial: bool,
}

/// One enclosing container's content digest, linked outwards.
pub(super) struct Ancestor<'a> {
    sha256: [u8; 32],
    outer: Option<&'a Ancestor<'a>>,
}

impl<'a> Parent<'a> {
    /// A file of an evidence source: no container around it.
    pub(crate) fn evidence_file(source: usize, path: &'a ItemPath) -> Self {
        Parent {
            source,
            path,
            depth: 0,
            budget: None,
            ancestors: None,
            partial: false,
        }
    }

    /// The same, for an item whose bytes are only the start of a picture (a partial carve:
    /// decoded with its missing part grey).
    pub(crate) fn partial(mut self, partial: bool) -> Self {
        self.partial = partial;
        self
    }

    fn has_ancestor_content(&self, sha256: &[u8; 32]) -> bool {
        let mut up = self.ancestors;
        while let Some(a) = up {
            if &a.sha256 == sha256 {
                return true;
            }
            up = a.outer;
        }
        false
    }
}

/// An entry read (digests, exact lookup) and waiting for its content to be examined.
struct Pending {
    key: ItemKey,
    declared_size: Option<u64>,
    location: EntryLocation,
    state: PendingState,
}

impl Pending {
    /// Whether finishing this entry opens it as a container.
    fn opens_container(&self) -> bool {
        matches!(&self.state, PendingState::Read(read)
            if matches!(read.kept, Some(Kept { what: Sniffed::Container(_), .. })))
    }
}

enum PendingState {
    Read(Box<ReadOutput>),
    Done(Outcome),
}

impl Scanner<'_> {
    /// Opens a container held in memory, scans its entries into `children`, and returns
    /// the container's own outcome (its digests and exact hits, already in `hashed`).
    pub(crate) fn open_container(
        &self,
        format: ContainerFormat,
        bytes: &[u8],
        mut hashed: Hashed,
        parent: &Parent<'_>,
        children: &mut Vec<FileResult>,
    ) -> Outcome {
        let Some(limits) = self.options().containers.clone() else {
            return Outcome::Hashed(Box::new(hashed));
        };
        if hashed.is_known_good() && !hashed.has_alert_hit() {
            hashed
                .notes
                .push("known-good file: entries not examined".to_string());
            return Outcome::Hashed(Box::new(hashed));
        }
        let not_opened = if !format.is_supported() {
            Some(SkipReason::ArchiveUnsupported {
                what: format.name().to_string(),
            })
        } else if parent.depth >= limits.max_depth {
            Some(SkipReason::TooDeep {
                depth: parent.depth,
            })
        } else if parent.has_ancestor_content(&hashed.digests.sha256) {
            Some(SkipReason::Recursive)
        } else {
            None
        };
        if let Some(reason) = not_opened {
            self.push_unread(parent, format, reason.into(), children);
            return Outcome::Hashed(Box::new(hashed));
        }
        hashed.container = Some(format);
        let budget = Budget::new(
            parent.budget,
            bytes.len() as u64,
            limits.max_expanded_bytes,
            limits.expansion_ratio,
        );
        let ancestor = Ancestor {
            sha256: hashed.digests.sha256,
            outer: parent.ancestors,
        };
        let mut walk = Walk {
            scanner: self,
            container: parent,
            format,
            budget: &budget,
            ancestors: &ancestor,
            scratch: Vec::new(),
            ordinals: HashMap::new(),
            batch: Vec::new(),
            batch_bytes: 0,
            children,
            stopped_by: None,
        };
        let walked = catch_unwind(AssertUnwindSafe(|| {
            read_entries(
                format,
                bytes,
                parent.path.as_bytes(),
                &limits,
                &mut |info, body| walk.entry(info, body),
            )
        }));
        walk.flush();
        let tail = match walked {
            Ok(Ok(())) => walk
                .stopped_by
                .take()
                .map(|message| failed(Failure::new(FailureKind::Limit, message))),
            Ok(Err(ContainerError::Encrypted { .. })) => Some(SkipReason::Encrypted.into()),
            Ok(Err(ContainerError::Unsupported { what, .. })) => {
                Some(SkipReason::ArchiveUnsupported { what }.into())
            }
            Ok(Err(e)) => Some(failed(e.failure())),
            Err(panic) => Some(failed(Failure::panic(
                "container reader panicked",
                &panic_message(&*panic),
            ))),
        };
        if let Some(outcome) = tail {
            self.push_unread(parent, format, outcome, walk.children);
        }
        if self.stopped() {
            // Entries not reached must be done by a resumed scan: so must the container.
            return Outcome::Skipped(SkipReason::Interrupted);
        }
        Outcome::Hashed(Box::new(hashed))
    }

    /// Adds the item standing for what the container `container` could not yield, and
    /// hands it to the sink.
    pub(crate) fn push_unread(
        &self,
        container: &Parent<'_>,
        format: ContainerFormat,
        outcome: Outcome,
        children: &mut Vec<FileResult>,
    ) {
        let result = FileResult {
            source: container.source,
            path: container.path.child(UNREAD_ENTRY),
            ordinal: 0,
            size: None,
            location: None,
            meta: None,
            entry: Some(Box::new(EntryLocation {
                container: container.path.lossy(),
                format,
                depth: container.depth + 1,
                stored: EntryInfo {
                    name: UNREAD_ENTRY.to_vec(),
                    ..EntryInfo::default()
                },
                crc_ok: None,
                unread: true,
            })),
            outcome,
        };
        self.finished(&result);
        children.push(result);
    }
}

/// The state of one container's walk.
struct Walk<'s, 'p> {
    scanner: &'s Scanner<'s>,
    /// The container as an item.
    container: &'p Parent<'p>,
    format: ContainerFormat,
    budget: &'p Budget<'p>,
    ancestors: &'p Ancestor<'p>,
    scratch: Vec<u8>,
    ordinals: HashMap<ItemPath, u64>,
    batch: Vec<Pending>,
    batch_bytes: u64,
    children: &'p mut Vec<FileResult>,
    /// Why the walk was stopped before the container's end (a bomb budget ran out).
    stopped_by: Option<String>,
}

impl Walk<'_, '_> {
    fn entry(&mut self, info: EntryInfo, body: EntryBody<'_>) -> Result<Flow, ContainerError> {
        if self.scanner.stopped() {
            return Ok(Flow::Stop);
        }
        if self.budget.is_spent() {
            // This container or one around it ran out: every level stops here, each saying
            // so once, instead of starting entries that would fail one by one.
            self.stopped_by.get_or_insert_with(|| {
                "decompression bomb guard: this container or one around it yielded more \
                 than 1 GiB and 100 times its own size; the rest of it is not examined"
                    .to_string()
            });
            return Ok(Flow::Stop);
        }
        let container = self.container.path;
        let path = container.child(&info.name);
        let ordinal = self.ordinals.entry(path.clone()).or_insert(0);
        let key = ItemKey {
            source: self.container.source,
            path,
            ordinal: *ordinal,
        };
        *ordinal += 1;
        let declared_size = info.size;
        let mut location = EntryLocation {
            container: container.lossy(),
            format: self.format,
            depth: self.container.depth + 1,
            stored: info,
            crc_ok: None,
            unread: false,
        };
        if self.scanner.is_already_done(&key) {
            return Ok(Flow::Continue);
        }
        self.scanner
            .progress()
            .add_total(1, declared_size.unwrap_or(0));
        let mut flow = Flow::Continue;
        let state = match body {
            EntryBody::Skipped(reason) => PendingState::Done(Outcome::Skipped(reason)),
            EntryBody::Failed(failure) => PendingState::Done(failed(failure)),
            EntryBody::Data(reader) => {
                let mut crc = CrcReader::new(GuardedReader::new(reader, self.budget));
                match read_once(&mut crc, self.scanner.keep_caps(), &mut self.scratch) {
                    Ok(pass) => {
                        let computed = crc.finish();
                        location.crc_ok = location
                            .stored
                            .crc32
                            .as_ref()
                            .map(|stored| *stored == format!("{computed:08x}"));
                        let read = self.scanner.digest_phase(pass, declared_size);
                        if read.hashed.bytes_read == 0 {
                            // As an empty file is: nothing to hash or match.
                            PendingState::Done(Outcome::Skipped(SkipReason::Empty))
                        } else {
                            self.batch_bytes += read.hashed.bytes_read;
                            PendingState::Read(Box::new(read))
                        }
                    }
                    Err(e) => match budget_error(&e.source) {
                        Some(exceeded) => {
                            flow = Flow::Stop;
                            let message = exceeded.to_string();
                            self.stopped_by = Some(message.clone());
                            let failure = Failure::new(
                                FailureKind::Limit,
                                format!(
                                    "entry not read to its end at byte offset {}: {message}",
                                    e.offset
                                ),
                            );
                            PendingState::Done(failed(failure.at(e.offset)))
                        }
                        None => PendingState::Done(failed(
                            Failure::new(FailureKind::Container, format!("entry {e}")).at(e.offset),
                        )),
                    },
                }
            }
        };
        self.batch.push(Pending {
            key,
            declared_size,
            location,
            state,
        });
        if self.batch_bytes >= BATCH_BYTES || self.batch.len() >= BATCH_ENTRIES {
            self.flush();
        }
        Ok(flow)
    }

    /// Decodes and hashes the batch's entries in parallel, then hands each result on in
    /// entry order. Nested containers among them are opened one after another, in entry
    /// order: what they expand counts against budgets they share with their siblings, so
    /// where a bomb guard stops must not depend on thread timing (`--threads 1` gives the
    /// same report). Each still decodes its own entries in parallel batches.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let scanner = self.scanner;
        let (container, budget, ancestors) = (self.container, self.budget, self.ancestors);
        let finish = |pending: Pending| {
            let enclosing = (
                container.source,
                container.depth + 1,
                Some(budget),
                Some(ancestors),
            );
            scanner.finish_entry(pending, enclosing)
        };
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let (nested, leaves): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .enumerate()
            .partition(|(_, pending)| pending.opens_container());
        let mut done: Vec<(usize, Vec<FileResult>)> = leaves
            .into_par_iter()
            .map(|(index, pending)| (index, finish(pending)))
            .collect();
        done.extend(
            nested
                .into_iter()
                .map(|(index, pending)| (index, finish(pending))),
        );
        done.sort_unstable_by_key(|(index, _)| *index);
        self.children
            .extend(done.into_iter().flat_map(|(_, results)| results));
    }
}

impl Scanner<'_> {
    /// The pictures inside a picture, each scanned as a child: the EXIF thumbnail of a JPEG
    /// (`a.jpg!/exif-thumbnail`; a listed picture's thumbnail often survives editing of the
    /// picture) and its MPF secondary images (`a.jpg!/mpf-2`), every image of a multi-image
    /// icon (`a.ico!/icon-2-32x32`), every TIFF page after the first (`scan.tif!/page-2`),
    /// every thumbnail item of a HEIF or AVIF picture (`a.heic!/thumbnail-2`).
    /// The finders run inside a panic guard like every parser of evidence. What a finder
    /// could not read is returned as a note for the parent's record, which stands either way.
    /// Children are bounded as a container's entries are: past the depth limit, or when a
    /// child repeats the content of a picture around it (a HEIF whose thumbnails reference
    /// each other), they are one `$Unread` item, skipped `too_deep` or `recursive`.
    pub(crate) fn scan_embedded(
        &self,
        picture: &[u8],
        (format, sha256): (PictureFormat, &[u8; 32]),
        parent: &Parent<'_>,
        children: &mut Vec<FileResult>,
    ) -> Option<String> {
        // Children of pictures are turned off with the archives (`--no-archives`).
        let limits = self.options().containers.as_ref()?;
        let finders: &[(ContainerFormat, Finder)] = match format {
            PictureFormat::Jpeg => &[
                (ContainerFormat::Exif, |p| {
                    find_exif_thumbnail(p).map_err(|e| e.to_string())
                }),
                (ContainerFormat::Mpf, |p| {
                    find_mpf_images(p).map_err(|e| e.to_string())
                }),
            ],
            PictureFormat::Ico => &[(ContainerFormat::Ico, |p| {
                find_icons(p).map_err(|e| e.to_string())
            })],
            PictureFormat::Tiff => &[(ContainerFormat::Tiff, |p| {
                find_tiff_pages(p).map_err(|e| e.to_string())
            })],
            PictureFormat::Heif | PictureFormat::Avif => &[(ContainerFormat::Heif, |p| {
                find_heif_thumbnails(p).map_err(|e| e.to_string())
            })],
            _ => return None,
        };
        let mut notes = Vec::new();
        let mut found = Vec::new();
        for (container, find) in finders {
            match catch_unwind(|| find(picture)) {
                Ok(Ok(items)) if !items.is_empty() => found.push((*container, items)),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => notes.push(format!("embedded pictures not examined: {e}")),
                Err(panic) => notes.push(format!(
                    "embedded pictures not examined: finder panicked: {}",
                    panic_message(&*panic)
                )),
            }
        }
        let not_opened = if parent.depth >= limits.max_depth {
            Some(SkipReason::TooDeep {
                depth: parent.depth,
            })
        } else if parent.has_ancestor_content(sha256) {
            Some(SkipReason::Recursive)
        } else {
            None
        };
        match (not_opened, found.first()) {
            (Some(reason), Some((container, _))) => {
                self.push_unread(parent, *container, reason.into(), children);
            }
            _ => {
                let ancestor = Ancestor {
                    sha256: *sha256,
                    outer: parent.ancestors,
                };
                for (container, items) in found {
                    self.scan_embedded_items(items, container, (parent, &ancestor), children);
                }
            }
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// The children one finder cut out of a picture, each read, hashed and matched as an
    /// entry of `container`.
    fn scan_embedded_items(
        &self,
        items: Vec<EmbeddedItem>,
        container: ContainerFormat,
        (parent, ancestor): (&Parent<'_>, &Ancestor<'_>),
        children: &mut Vec<FileResult>,
    ) {
        for (index, item) in items.into_iter().enumerate() {
            let key = ItemKey {
                source: parent.source,
                path: parent.path.child(item.name.as_bytes()),
                ordinal: 0,
            };
            if self.is_already_done(&key) {
                continue;
            }
            let size = item.data.len() as u64;
            let location = EntryLocation {
                container: parent.path.lossy(),
                format: container,
                depth: parent.depth + 1,
                stored: EntryInfo {
                    index: index as u64,
                    name: item.name.into_bytes(),
                    size: Some(size),
                    offset: item.offset,
                    ..EntryInfo::default()
                },
                crc_ok: None,
                unread: false,
            };
            self.progress().add_total(1, size);
            let state = match read_once(&item.data[..], self.keep_caps(), &mut Vec::new()) {
                Ok(pass) => PendingState::Read(Box::new(self.digest_phase(pass, Some(size)))),
                Err(e) => PendingState::Done(failed(e.failure())),
            };
            let pending = Pending {
                key,
                declared_size: Some(size),
                location,
                state,
            };
            let enclosing = (
                parent.source,
                parent.depth + 1,
                parent.budget,
                Some(ancestor),
            );
            children.extend(self.finish_entry(pending, enclosing));
        }
    }

    /// An entry's content examined (inside a panic guard), then the entry and its own
    /// entries handed to the sink: the entry last, as for files.
    fn finish_entry(
        &self,
        pending: Pending,
        (source, depth, budget, ancestors): (
            usize,
            u32,
            Option<&Budget<'_>>,
            Option<&Ancestor<'_>>,
        ),
    ) -> Vec<FileResult> {
        let Pending {
            key,
            declared_size,
            location,
            state,
        } = pending;
        let mut grandchildren = Vec::new();
        let outcome = match state {
            PendingState::Done(outcome) => outcome,
            PendingState::Read(read) => {
                let read = *read;
                let bytes = read.hashed.bytes_read;
                let entry = Parent {
                    source,
                    path: &key.path,
                    depth,
                    budget,
                    ancestors,
                    partial: false,
                };
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    self.content_phase(read, &entry, &mut grandchildren)
                }))
                .unwrap_or_else(|panic| {
                    failed(Failure::panic(
                        "internal error while hashing",
                        &panic_message(&*panic),
                    ))
                });
                self.progress().add_done(1, bytes);
                outcome
            }
        };
        let result = FileResult {
            source: key.source,
            path: key.path,
            ordinal: key.ordinal,
            size: declared_size,
            location: None,
            meta: None,
            entry: Some(Box::new(location)),
            outcome,
        };
        self.finished(&result);
        let mut results = Vec::with_capacity(1 + grandchildren.len());
        results.push(result);
        results.extend(grandchildren);
        results
    }
}

/// Computes the CRC-32 of what is read through it.
struct CrcReader<R> {
    inner: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> CrcReader<R> {
    fn new(inner: R) -> Self {
        CrcReader {
            inner,
            hasher: crc32fast::Hasher::new(),
        }
    }

    fn finish(self) -> u32 {
        self.hasher.finalize()
    }
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
