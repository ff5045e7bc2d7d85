//! A directory (or single file) on the examiner's filesystem as evidence.
//!
//! Walks the tree itself rather than with walkdir: every directory is opened with `O_NOATIME`
//! (where the kernel permits it: owner or root), because merely listing a directory moves its
//! access time on a `relatime` mount, and walkdir cannot pass that flag. Items come out in report
//! order (path bytes) as the walk goes, so nothing is collected: each directory's entries are
//! listed and sorted when the walk reaches it, a subdirectory sorting as `name/` (`SortedWalk`).
//! Directories on the way down are kept by path with their remaining names, not held open, so no
//! tree is too wide or deep for the descriptor limit. Each subdirectory is opened once when its
//! parent is listed, so one that cannot be opened is reported at its own name's place; only a
//! listing that fails after that (a race, an I/O error part-way) is reported where its contents
//! would have been. Symbolic links are never followed (a link is listed as skipped, so a link
//! pointing outside the evidence reads nothing outside it, and a link loop is just a link); a
//! directory reached twice (a bind mount of its own parent) is a failure, not an endless walk.
//! Files are opened read-only with `O_NOATIME`, `O_NOFOLLOW` so a file swapped for a link after
//! listing is refused, and `O_NONBLOCK` so a file swapped for a FIFO cannot hang a worker.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, CWD};

use crate::failure::{Failure, FailureKind};

use super::meta::FileMeta;
use super::statx::stat_file;
use super::{
    EvidenceError, EvidenceItem, EvidenceSource, ItemKind, ItemPath, ItemStream, Locator,
    SkipReason, SourceInfo,
};

pub struct DirectorySource {
    root: PathBuf,
}

impl DirectorySource {
    pub fn new(root: &Path) -> Self {
        DirectorySource {
            root: root.to_path_buf(),
        }
    }
}

impl EvidenceSource for DirectorySource {
    fn info(&self) -> SourceInfo {
        let kind = if self.root.is_dir() {
            "directory"
        } else {
            "file"
        };
        SourceInfo::plain(&self.root, kind)
    }

    fn enumerate(&self, stop: &AtomicBool) -> Result<Vec<EvidenceItem>, EvidenceError> {
        let items: Vec<EvidenceItem> = self.items(stop)?.collect();
        if stop.load(Ordering::Relaxed) {
            return Err(EvidenceError::Interrupted {
                path: self.root.clone(),
            });
        }
        Ok(items)
    }

    fn items<'a>(&'a self, stop: &'a AtomicBool) -> Result<ItemStream<'a>, EvidenceError> {
        // The root itself must be readable; anything below it that is not becomes an item.
        let fatal = |source: io::Error| EvidenceError::Open {
            path: self.root.clone(),
            error: source,
        };
        let st = rustix::fs::lstat(&self.root).map_err(|e| fatal(e.into()))?;
        let file_type = FileType::from_raw_mode(st.st_mode);
        if file_type != FileType::Directory {
            let (kind, meta) = kind_of(file_type, || stat_file(CWD, &self.root));
            return Ok(ItemStream::streamed(std::iter::once(with_meta(
                item(&self.root, kind),
                meta,
            ))));
        }
        let root_fd = open_dir(&self.root).map_err(fatal)?;
        let mut walk = SortedWalk {
            levels: Vec::new(),
            seen_dirs: HashSet::new(),
            stop,
        };
        if let Ok(st) = rustix::fs::fstat(&root_fd) {
            walk.seen_dirs.insert((st.st_dev, st.st_ino));
        }
        match walk.list(&root_fd, &self.root) {
            Ok(entries) => walk.levels.push(Level {
                path: self.root.clone(),
                entries,
            }),
            Err(e) => return Err(fatal(e)),
        }
        Ok(ItemStream::streamed(walk))
    }

    fn open(&self, item: &EvidenceItem) -> io::Result<Box<dyn Read + Send + '_>> {
        match &item.locator {
            Locator::Path(path) => Ok(Box::new(open_read_only(path)?)),
            Locator::Image(_) | Locator::NoContent => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "directory items are located by path",
            )),
        }
    }
}

/// A depth-first walk that yields items in path-byte order while holding only the
/// directories on the way down: each directory's entries are sorted as their paths sort
/// (a subdirectory `d` as `d/`, the prefix of everything under it, so `d.txt` comes before
/// `d/a`), and a subdirectory is listed only when the walk reaches it.
struct SortedWalk<'a> {
    /// The directories being walked, outermost first, each with its entries still to yield.
    levels: Vec<Level>,
    /// Every directory listed or about to be (device, inode): one reached twice is a loop.
    seen_dirs: HashSet<(u64, u64)>,
    stop: &'a AtomicBool,
}

struct Level {
    path: PathBuf,
    /// Sorted last-first, so `pop` yields the next entry.
    entries: Vec<Entry>,
}

/// One name of a listed directory; only names and types are held, facts are read when the
/// walk yields the item.
struct Entry {
    name: Box<[u8]>,
    kind: EntryKind,
}

enum EntryKind {
    /// A subdirectory to descend into.
    Dir,
    /// A non-directory entry of this type.
    Other(FileType),
    /// Something that could not be looked at (a subdirectory that cannot be opened, a loop,
    /// a name that cannot be stat'ed): an item with this error, at the entry's own path.
    Failed(String),
}

impl Entry {
    /// The bytes the entry's items sort by, after the parent's path: a directory's
    /// contents sort as `name/…`.
    fn sort_key(&self) -> impl Iterator<Item = &u8> {
        let slash: &[u8] = if matches!(self.kind, EntryKind::Dir) {
            b"/"
        } else {
            b""
        };
        self.name.iter().chain(slash)
    }
}

impl Iterator for SortedWalk<'_> {
    type Item = EvidenceItem;

    fn next(&mut self) -> Option<EvidenceItem> {
        loop {
            let level = self.levels.last_mut()?;
            let Some(entry) = level.entries.pop() else {
                self.levels.pop();
                continue;
            };
            let path = level.path.join(OsStr::from_bytes(&entry.name));
            match entry.kind {
                EntryKind::Other(file_type) => {
                    let (kind, meta) = kind_of(file_type, || stat_file(CWD, &path));
                    return Some(with_meta(item(&path, kind), meta));
                }
                EntryKind::Failed(error) => {
                    let failure = Box::new(Failure::new(FailureKind::Filesystem, error));
                    return Some(item(&path, ItemKind::Unreadable { failure }));
                }
                EntryKind::Dir => {
                    if self.stop.load(Ordering::Relaxed) {
                        self.levels.clear();
                        return None;
                    }
                    let listed = open_dir(&path).and_then(|fd| self.list(&fd, &path));
                    match listed {
                        Ok(entries) => self.levels.push(Level { path, entries }),
                        Err(e) => return Some(unlistable(&path, &e)),
                    }
                }
            }
        }
    }
}

impl SortedWalk<'_> {
    /// Lists one opened directory: its entries in yield order. Each subdirectory is opened
    /// (and closed) here, so one that cannot be, or that was reached before, is an item at
    /// its own path, which sorts before its siblings that extend its name.
    fn list(&mut self, fd: &OwnedFd, path: &Path) -> io::Result<Vec<Entry>> {
        let dup = fd.try_clone()?;
        let mut entries = Vec::new();
        for entry in Dir::new(dup)? {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let file_type = match entry.file_type() {
                FileType::Unknown => {
                    match rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                        Ok(st) => FileType::from_raw_mode(st.st_mode),
                        Err(e) => {
                            entries.push(Entry {
                                name: name.into(),
                                kind: EntryKind::Failed(format!("cannot stat: {e}")),
                            });
                            continue;
                        }
                    }
                }
                known => known,
            };
            let kind = if file_type == FileType::Directory {
                self.probe_dir(&path.join(OsStr::from_bytes(name)))
            } else {
                EntryKind::Other(file_type)
            };
            entries.push(Entry {
                name: name.into(),
                kind,
            });
        }
        entries.sort_unstable_by(|a, b| b.sort_key().cmp(a.sort_key()));
        Ok(entries)
    }

    /// Whether a subdirectory can be walked: opened, and not reached before.
    fn probe_dir(&mut self, path: &Path) -> EntryKind {
        let st = open_dir(path).and_then(|fd| Ok(rustix::fs::fstat(&fd)?));
        match st {
            Err(e) => EntryKind::Failed(format!("cannot list directory: {e}")),
            Ok(st) if !self.seen_dirs.insert((st.st_dev, st.st_ino)) => {
                EntryKind::Failed("filesystem loop: this directory was already walked".to_string())
            }
            Ok(_) => EntryKind::Dir,
        }
    }
}

/// Opens a directory to list it, without moving its access time where permitted.
fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(CWD, path, flags | OFlags::NOATIME, Mode::empty()) {
        // O_NOATIME is refused (EPERM) on directories the user does not own, unless root.
        Err(rustix::io::Errno::PERM) => Ok(rustix::fs::openat(CWD, path, flags, Mode::empty())?),
        other => Ok(other?),
    }
}

/// What a non-directory entry is: a link and any special file (FIFO, socket, device) are
/// never opened; size and facts (`statx`) are asked only of regular files.
fn kind_of(
    file_type: FileType,
    stat: impl FnOnce() -> io::Result<(u64, FileMeta)>,
) -> (ItemKind, Option<FileMeta>) {
    match file_type {
        FileType::Symlink => (
            ItemKind::Skipped {
                reason: SkipReason::Symlink,
            },
            None,
        ),
        FileType::RegularFile => match stat() {
            Ok((size, meta)) => (ItemKind::File { size }, Some(meta)),
            Err(err) => (
                ItemKind::Unreadable {
                    failure: Box::new(Failure::new(
                        FailureKind::Filesystem,
                        format!("cannot stat: {err}"),
                    )),
                },
                None,
            ),
        },
        _ => (
            ItemKind::Skipped {
                reason: SkipReason::SpecialFile,
            },
            None,
        ),
    }
}

fn with_meta(item: EvidenceItem, meta: Option<FileMeta>) -> EvidenceItem {
    EvidenceItem { meta, ..item }
}

fn item(path: &Path, kind: ItemKind) -> EvidenceItem {
    EvidenceItem {
        path: ItemPath::from(path),
        kind,
        locator: Locator::Path(path.to_path_buf()),
        location: None,
        meta: None,
    }
}

fn unlistable(path: &Path, err: &io::Error) -> EvidenceItem {
    item(
        path,
        ItemKind::Unreadable {
            failure: Box::new(Failure::new(
                FailureKind::Filesystem,
                format!("cannot list directory: {err}"),
            )),
        },
    )
}

/// Opens a file for reading only, without touching its access time where permitted.
pub(crate) fn open_read_only(path: &Path) -> io::Result<File> {
    let flags = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags | libc::O_NOATIME)
        .open(path)
    {
        // O_NOATIME is refused (EPERM) on files the user does not own, unless root.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
            OpenOptions::new().read(true).custom_flags(flags).open(path)
        }
        other => other,
    }?;
    if !file.metadata()?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no longer a regular file",
        ));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lists_files_and_skips_links_without_following_them() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), b"outside").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.bin"), b"abc").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let source = DirectorySource::new(dir.path());
        let mut items = source.enumerate(&AtomicBool::new(false)).unwrap();
        items.sort_by(|a, b| a.path.cmp(&b.path));
        let kinds: Vec<_> = items.iter().map(|i| i.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                ItemKind::Skipped {
                    reason: SkipReason::Symlink
                },
                ItemKind::File { size: 3 },
            ]
        );
        let mut buf = Vec::new();
        source
            .open(&items[1])
            .unwrap()
            .read_to_end(&mut buf)
            .unwrap();
        assert_eq!(buf, b"abc");
    }

    /// Names that sort between a directory's name and its contents (`a.txt`, `a b`, `a!`
    /// sort before `a/x` by bytes) are where a walk of sorted directories goes wrong.
    #[test]
    fn the_stream_is_in_path_byte_order_as_a_whole_list_sorted_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["a", "a/b", "a/b/c", "a!", "a.d", "ab", "\u{e9}"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        for f in [
            "a/x",
            "a/b/c/deep",
            "a/b.txt",
            "a/b c",
            "a!/y",
            "a.d/z",
            "a.txt",
            "a b",
            "a-",
            "ab/q",
            "A",
            "b",
            "\u{e9}/f",
            "\u{e9}x",
        ] {
            std::fs::write(root.join(f), f).unwrap();
        }
        std::fs::write(root.join(OsStr::from_bytes(b"a\xff")), b"not utf-8").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("a~")).unwrap();
        let stop = AtomicBool::new(false);
        let source = DirectorySource::new(root);
        let streamed: Vec<EvidenceItem> = source.items(&stop).unwrap().collect();
        let mut sorted = streamed.clone();
        sorted.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(streamed, sorted);
        let prefix = root.as_os_str().len() + 1;
        let names: Vec<&[u8]> = streamed
            .iter()
            .map(|i| &i.path.as_bytes()[prefix..])
            .collect();
        let expected: Vec<&[u8]> = vec![
            b"A",
            b"a b",
            b"a!/y",
            b"a-",
            b"a.d/z",
            b"a.txt",
            b"a/b c",
            b"a/b.txt",
            b"a/b/c/deep",
            b"a/x",
            b"ab/q",
            b"a~",
            b"a\xff",
            b"b",
            "\u{e9}/f".as_bytes(),
            "\u{e9}x".as_bytes(),
        ];
        assert_eq!(names, expected);
        assert_eq!(streamed[0].kind, ItemKind::File { size: 1 });
        assert!(streamed[0].meta.is_some());
    }

    /// Names from a small alphabet rich in the bytes that sort around `/` (space, `!`, `-`,
    /// `.`, `0`) and above it, including a byte that is not UTF-8.
    fn name() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            proptest::sample::select(vec![b' ', b'!', b'-', b'.', b'0', b'a', b'A', b'~', 0xff]),
            1..4,
        )
        .prop_filter("not . or ..", |n| !matches!(n.as_slice(), b"." | b".."))
    }

    /// A tree as paths of files, each path a list of names; the last name is the file's.
    fn tree() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
        proptest::collection::vec(proptest::collection::vec(name(), 1..4), 1..24)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever the names, the stream is the whole listing sorted by path bytes.
        #[test]
        fn any_tree_streams_in_the_order_of_a_full_sort(paths in tree()) {
            let dir = tempfile::tempdir().unwrap();
            let mut made = Vec::new();
            for path in &paths {
                let mut at = dir.path().to_path_buf();
                for part in &path[..path.len() - 1] {
                    at.push(OsStr::from_bytes(part));
                }
                // A name already taken by a file (or a directory) is simply not made.
                if std::fs::create_dir_all(&at).is_err() {
                    continue;
                }
                let file = at.join(OsStr::from_bytes(path.last().unwrap()));
                if !file.exists() && std::fs::write(&file, b"x").is_ok() {
                    made.push(ItemPath::from(file.as_path()));
                }
            }
            let stop = AtomicBool::new(false);
            let streamed: Vec<EvidenceItem> =
                DirectorySource::new(dir.path()).items(&stop).unwrap().collect();
            let mut sorted = streamed.clone();
            sorted.sort_by(|a, b| a.path.cmp(&b.path));
            made.sort();
            let paths: Vec<ItemPath> = streamed.iter().map(|i| i.path.clone()).collect();
            prop_assert_eq!(&paths, &made);
            prop_assert_eq!(streamed, sorted);
        }
    }

    #[test]
    fn a_stop_ends_the_stream_at_the_next_directory() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["a", "b"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
            std::fs::write(dir.path().join(d).join("f"), b"x").unwrap();
        }
        std::fs::write(dir.path().join("0"), b"x").unwrap();
        let stop = AtomicBool::new(false);
        let source = DirectorySource::new(dir.path());
        let mut items = source.items(&stop).unwrap();
        assert!(items.next().unwrap().path.as_bytes().ends_with(b"/0"));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(items.next(), None);
    }

    #[test]
    fn missing_root_is_fatal() {
        let source = DirectorySource::new(Path::new("/nonexistent/hashsweep-evidence"));
        assert!(matches!(
            source.enumerate(&AtomicBool::new(false)),
            Err(EvidenceError::Open { .. })
        ));
    }
}
