//! One volume's items, gathered as its filesystem is walked and handed out in path order.
//!
//! Owns `VolumeListing`: the items about the volume itself (why it was not read, or that it
//! could not be walked), and its files and carved pictures, which go through a `SpillSort`
//! as the walk finds them, so a volume of millions of files is never held whole. Recycle
//! Bin records are gathered during the walk and attached as the files are handed out. Turns
//! each listed file into its `EvidenceItem`, whose locator carries the file's content runs,
//! so that nothing per file stays behind in the source once the scan has the item.

use std::borrow::Cow;

use super::carve::{Carved, OwnedRanges};
use super::fs::recycle::BinRecords;
use super::fs::{self, FileData, FsEntry};
use super::spill_sort::{SortKey, Sorted, SpillSort};
use super::{CarvedRegion, Content, ImageContent, ItemLocation, CARVED_DIR};
use crate::evidence::{EvidenceItem, ItemKind, ItemPath, ListedTotals, Locator, SkipReason};
use crate::extra::Extra;
use crate::failure::{Failure, FailureKind};

/// Where a volume sits: what every item's path and location start from.
#[derive(Debug, Clone)]
pub(super) struct VolumeCtx {
    pub(super) root: ItemPath,
    /// Partition number; `None` for a bare volume.
    pub(super) partition: Option<u32>,
    /// Byte offset of the volume in the image.
    pub(super) base: u64,
    pub(super) fs_name: &'static str,
}

/// What a volume lists, by its path inside the volume.
// Nearly every item is an entry: boxing it would cost an allocation per file to spare the
// rare carved picture's slot its unused bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, bincode::Encode, bincode::Decode)]
enum Listed {
    Entry(FsEntry),
    Carved(Carved),
}

impl SortKey for Listed {
    fn sort_key(&self) -> Cow<'_, [u8]> {
        match self {
            Listed::Entry(e) => Cow::Borrowed(&e.path),
            Listed::Carved(c) => Cow::Owned(carved_name(c).into_bytes()),
        }
    }
}

/// `$Carved/<volume offset, 12 hex digits>.<ext>`, so that carved items sort by offset.
fn carved_name(c: &Carved) -> String {
    format!("{CARVED_DIR}/{:012x}.{}", c.offset, c.kind.extension())
}

/// One volume's items, in the making and then in report order.
pub(super) struct VolumeListing {
    ctx: VolumeCtx,
    /// Items at the volume's own path (sorting before its files).
    own: Vec<EvidenceItem>,
    listed: SpillSort<Listed>,
    bins: BinRecords,
    /// The volume bytes the listed files own: what carving leaves alone.
    owned: OwnedRanges,
    totals: ListedTotals,
}

impl VolumeListing {
    /// Holds at most `run_items` listed files in memory; more are spilled while sorting.
    pub(super) fn new(ctx: VolumeCtx, run_items: usize) -> Self {
        VolumeListing {
            ctx,
            own: Vec::new(),
            listed: SpillSort::new(run_items),
            bins: BinRecords::default(),
            owned: OwnedRanges::default(),
            totals: ListedTotals { items: 0, bytes: 0 },
        }
    }

    /// The filesystem's name, known once the volume is open.
    pub(super) fn set_fs_name(&mut self, fs_name: &'static str) {
        self.ctx.fs_name = fs_name;
    }

    pub(super) fn root(&self) -> &ItemPath {
        &self.ctx.root
    }

    pub(super) fn totals(&self) -> ListedTotals {
        self.totals
    }

    pub(super) fn push_skipped(&mut self, reason: SkipReason) {
        self.push_own(ItemKind::Skipped { reason });
    }

    pub(super) fn push_error(&mut self, failure: Failure) {
        self.push_own(ItemKind::Unreadable {
            failure: Box::new(failure),
        });
    }

    fn push_own(&mut self, kind: ItemKind) {
        self.totals.items += 1;
        self.own.push(plain_item(self.ctx.root.clone(), kind));
    }

    /// A file the walk found; `read` gives a small file's content (a bin record).
    pub(super) fn push_entry(&mut self, e: FsEntry, read: &dyn Fn(&FsEntry) -> Option<Vec<u8>>) {
        match &e.data {
            FileData::Runs(runs) => runs.iter().for_each(|r| self.owned.add(*r)),
            // Compressed streams own their clusters too: never carve them again.
            FileData::Compressed(c) => c.extents().iter().for_each(|r| self.owned.add(*r)),
            _ => {}
        }
        self.bins.observe(&e, read);
        self.totals.items += 1;
        self.totals.bytes += e.content_size();
        self.listed.push(Listed::Entry(e));
    }

    pub(super) fn push_carved(&mut self, c: Carved) {
        self.totals.items += 1;
        self.totals.bytes += c.len;
        self.listed.push(Listed::Carved(c));
    }

    /// Listed files held in memory, not yet spilled.
    pub(super) fn held(&self) -> usize {
        self.listed.held()
    }

    /// Spills the listed files held in memory (a finished volume's, so that volumes walked
    /// one after another never hold more than one run between them).
    pub(super) fn spill_held(&mut self) {
        self.listed.spill_held();
    }

    /// The parts of the volume's `len` bytes no listed file owns, for carving.
    pub(super) fn unowned(&mut self, len: u64) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.owned).unowned(len)
    }

    /// Drops what the walk listed (a walk that failed part way): the volume is then only
    /// its own items.
    pub(super) fn discard_listed(&mut self, run_items: usize) {
        self.listed = SpillSort::new(run_items);
        self.bins = BinRecords::default();
        self.owned = OwnedRanges::default();
        self.totals = ListedTotals {
            items: self.own.len() as u64,
            bytes: 0,
        };
    }

    /// The volume's items in path order, made as they are taken. A spool that cannot be
    /// written or read back ends the volume's items with one failure naming the volume.
    pub(super) fn into_items(self) -> impl Iterator<Item = EvidenceItem> + Send {
        let VolumeListing {
            ctx,
            own,
            listed,
            bins,
            ..
        } = self;
        let (sorted, spool_error) = match listed.finish() {
            Ok(sorted) => (Some(sorted), None),
            Err(e) => (None, Some(e)),
        };
        let items = sorted.into_iter().flat_map(Sorted::into_iter);
        let failed = spool_error.map(|e| spool_failure(&ctx, e));
        own.into_iter()
            .chain(failed)
            .chain(items.map(move |listed| match listed {
                Ok(Listed::Entry(mut e)) => {
                    bins.annotate(&mut e);
                    entry_item(&ctx, e)
                }
                Ok(Listed::Carved(c)) => carved_item(&ctx, c),
                Err(e) => spool_failure(&ctx, e),
            }))
    }
}

fn spool_failure(ctx: &VolumeCtx, e: std::io::Error) -> EvidenceItem {
    let failure = Failure::new(
        FailureKind::Read,
        format!("the volume's listing could not be spooled to the temporary directory: {e}"),
    );
    plain_item(
        ctx.root.clone(),
        ItemKind::Unreadable {
            failure: Box::new(failure),
        },
    )
}

fn plain_item(path: ItemPath, kind: ItemKind) -> EvidenceItem {
    EvidenceItem {
        path,
        kind,
        locator: Locator::NoContent,
        location: None,
        meta: None,
    }
}

fn location(ctx: &VolumeCtx) -> ItemLocation {
    ItemLocation {
        partition: ctx.partition,
        partition_offset: ctx.base,
        filesystem: Cow::Borrowed(ctx.fs_name),
        inode: None,
        data_offset: None,
        deleted: false,
        recovered: false,
        orphan: false,
        carved: None,
        stream: None,
        compressed: false,
        recycled_from: None,
        recycled_size: None,
        deleted_at: None,
        extra: Extra::new(),
    }
}

fn entry_item(ctx: &VolumeCtx, e: FsEntry) -> EvidenceItem {
    let size = e.content_size();
    let mut data_offset = None;
    let (kind, content) = match e.data {
        FileData::Runs(runs) => {
            data_offset = runs
                .iter()
                .find_map(|r| r.offset)
                .map(|o| o.saturating_add(ctx.base));
            let content = Content::Runs {
                base: ctx.base,
                runs,
            };
            (ItemKind::File { size }, Some(content))
        }
        FileData::Inline(mut bytes) => {
            bytes.truncate(usize::try_from(size).unwrap_or(usize::MAX));
            (ItemKind::File { size }, Some(Content::Inline(bytes.into())))
        }
        FileData::Compressed(data) => {
            data_offset = data.first_offset().map(|o| o.saturating_add(ctx.base));
            let content = Content::Compressed {
                base: ctx.base,
                data,
            };
            (ItemKind::File { size }, Some(content))
        }
        FileData::Skipped(reason) => (ItemKind::Skipped { reason }, None),
        FileData::Error(error) => (
            ItemKind::Unreadable {
                failure: Box::new(Failure::new(FailureKind::Filesystem, error)),
            },
            None,
        ),
    };
    let recycled = e.detail.recycled;
    let locator = content.map_or(Locator::NoContent, |c| Locator::Image(ImageContent(c)));
    let location = ItemLocation {
        inode: e.inode,
        data_offset,
        deleted: e.deleted,
        recovered: e.recovered,
        orphan: e.path.starts_with(fs::ORPHAN_DIR)
            && e.path.get(fs::ORPHAN_DIR.len()) == Some(&b'/'),
        stream: e
            .detail
            .stream
            .map(|s| String::from_utf8_lossy(&s).into_owned()),
        compressed: e.detail.compressed,
        recycled_from: recycled.as_ref().map(|r| r.original_path.clone()),
        recycled_size: recycled.as_ref().map(|r| r.original_size),
        deleted_at: recycled.and_then(|r| r.deleted_at),
        ..location(ctx)
    };
    EvidenceItem {
        path: ctx.root.join(&e.path),
        kind,
        locator,
        location: Some(location),
        meta: e.meta,
    }
}

/// A carved picture, under `<volume>/$Carved/`.
fn carved_item(ctx: &VolumeCtx, c: Carved) -> EvidenceItem {
    let content = Content::Runs {
        base: ctx.base,
        runs: vec![fs::Run {
            offset: Some(c.offset),
            len: c.len,
        }],
    };
    let image_offset = ctx.base.saturating_add(c.offset);
    let location = ItemLocation {
        data_offset: Some(image_offset),
        carved: Some(CarvedRegion {
            offset: image_offset,
            length: c.len,
            partial: c.partial,
        }),
        ..location(ctx)
    };
    EvidenceItem {
        path: ctx.root.join(carved_name(&c).as_bytes()),
        kind: ItemKind::File { size: c.len },
        locator: Locator::Image(ImageContent(content)),
        location: Some(location),
        // Carved bytes have no filesystem facts.
        meta: None,
    }
}
